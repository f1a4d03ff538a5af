//! The deployment files checked by real tools (promtool, systemd-analyze, a
//! JSON parse), with the dashboard's and alerts' metric names checked against
//! a live /metrics scrape of the gateway (issue 8). deploy/check.sh installs
//! what it needs and says plainly which checks it skipped and why.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;

#[tokio::test]
async fn deploy_files_pass_their_checks_against_a_live_scrape() {
    let (gw, _up) = start().await;
    // A little traffic so labelled families have samples.
    client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(ALICE)
        .json(&chat_body("gpt-4o-mini", "x", false))
        .send()
        .await
        .unwrap();
    let scrape = client()
        .get(gw.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scrape.txt");
    std::fs::write(&file, scrape).unwrap();
    let out = tokio::process::Command::new("bash")
        .arg(format!("{}/deploy/check.sh", env!("CARGO_MANIFEST_DIR")))
        .arg("--metrics-file")
        .arg(&file)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "deploy/check.sh failed:\n{stdout}");
    assert!(stdout.contains("PASS"), "{stdout}");
}
