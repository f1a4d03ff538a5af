//! Policies reload on file change without dropping anything; an invalid
//! policy is refused and the old one stays in force (issue 4).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;

const ALLOWING: &str = "name = \"custom\"\n[[keywords]]\nname = \"project_x\"\ngroup = \"confidential\"\nwords = [\"プロジェクトX\"]\n[types]\nproject_x = \"allow\"\n";
const BLOCKING: &str = "name = \"custom\"\n[[keywords]]\nname = \"project_x\"\ngroup = \"confidential\"\nwords = [\"プロジェクトX\"]\n[types]\nproject_x = \"block\"\n";

async fn status(gw: &Gateway) -> u16 {
    client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth("mk-test-custom")
        .json(&chat_body("gpt-4o-mini", "プロジェクトXの件", false))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn wait_for(gw: &Gateway, want: u16) -> bool {
    for _ in 0..50 {
        if status(gw).await == want {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn policy_file_change_applies_and_a_bad_one_is_refused() {
    let policies = policies_with(&[("custom.toml", ALLOWING)]);
    let extra = key_block("mk-test-custom", "cu", "policy = \"custom\"");
    let (gw, _up) = start_with_policies(policies.path(), &extra).await;
    assert_eq!(status(&gw).await, 200);

    std::fs::write(policies.path().join("custom.toml"), BLOCKING).unwrap();
    assert!(wait_for(&gw, 400).await, "the changed policy takes effect");

    std::fs::write(
        policies.path().join("custom.toml"),
        "name = \"custom\"\n[types]\nproject_x = \"explode\"\n",
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(status(&gw).await, 400, "the old policy stays in force");
    let metrics = client()
        .get(gw.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("mamori_policy_reloads_total{result=\"error\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("mamori_policy_reloads_total{result=\"ok\"}"));
}
