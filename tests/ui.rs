//! Browser test of the admin console (issue 9) in a real headless Chromium:
//! Debian's `chromium` driven by `playwright-core`, both installed by
//! `tests/ui/setup.sh` when missing. The scenario is `tests/ui/console.mjs`;
//! screenshots of each page go to `target/ui-screenshots/`.
//!
//! Skipped, with the reason printed, only when chromium or node cannot be
//! installed on this machine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

/// The whole browser run, install excluded, must finish within this.
const RUN_TIMEOUT: Duration = Duration::from_secs(180);
/// Installing chromium and playwright-core, when needed.
const SETUP_TIMEOUT: Duration = Duration::from_secs(900);

fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let target = if target.is_absolute() {
        target
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(target)
    };
    target.join("ui-screenshots")
}

async fn ask(gw: &Gateway, key: &str, text: &str) -> (u16, String) {
    let resp = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&chat_body("gpt-4o-mini", text, false))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    resp.text().await.unwrap();
    (status, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_a_real_browser() {
    let ui = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    let started = Instant::now();
    let setup = tokio::process::Command::new("bash")
        .arg(ui.join("setup.sh"))
        .stdin(Stdio::null())
        .output();
    let setup = tokio::time::timeout(SETUP_TIMEOUT, setup)
        .await
        .expect("setup.sh timed out")
        .expect("bash runs");
    let setup_log = String::from_utf8_lossy(&setup.stderr).into_owned();
    if setup.status.code() == Some(3) {
        let reason = setup_log
            .lines()
            .rev()
            .find(|l| l.starts_with("setup:"))
            .unwrap_or("setup failed");
        eprintln!("skipping the console browser test: {reason}");
        return;
    }
    assert!(
        setup.status.success(),
        "tests/ui/setup.sh failed:\n{setup_log}"
    );
    let setup_time = started.elapsed();

    let plan = format!(
        "[[plans]]\nid = \"p-ui\"\nservice = \"庁内文書作成支援\"\nprovider = \"mock\"\n\
         purpose = \"通知文の下書き\"\nconfidentiality_class = 1\nstart = 2026-01-01\n\
         end = 2035-12-31\ndepartments = [\"テスト課\"]\napprover = \"情報政策課長\"\n\
         domain = \"internal\"\ncategory = 1\npublic = false\nmodels = [\"m-mock\"]\n\n{}",
        key_block("mk-plan-ui", "dave", "plan = \"p-ui\"")
    );
    let (gw, _up) = start_with(&plan).await;
    // Traffic: plain, masked, blocked, a <script> prompt, and bad feedback.
    let (s, plain) = ask(&gw, ALICE, "議事録の要約をお願いします").await;
    assert_eq!(s, 200);
    let (s, _) = ask(&gw, BOB, "連絡先は 090-1234-5678 です").await;
    assert_eq!(s, 200);
    let (s, blocked) = ask(&gw, ALICE, &format!("個人番号は{MY_NUMBER}です")).await;
    assert_eq!(s, 400);
    let xss = "<script>window.__xss=1</script><img src=x onerror=\"window.__xss=2;alert(2)\"> [押してください](javascript:window.__xss=3)";
    let (s, xss_id) = ask(&gw, BOB, xss).await;
    assert_eq!(s, 200);
    let resp = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth("mk-plan-ui")
        .json(&chat_body("m-mock", "通知文の下書き", false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = client()
        .post(gw.url("/v1/feedback"))
        .bearer_auth(ALICE)
        .json(&serde_json::json!({"request_id": plain, "rating": "bad", "comment": "要約が不正確"}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());

    let shots = screenshots_dir();
    let run = tokio::process::Command::new("node")
        .arg(ui.join("console.mjs"))
        .arg(format!("http://{}", gw.addr))
        .env("MAMORI_AUDITOR", AUDITOR)
        .env("MAMORI_STAFF", ALICE)
        .env("MAMORI_BLOCKED_ID", &blocked)
        .env("MAMORI_XSS_ID", &xss_id)
        .env("MAMORI_SHOTS", &shots)
        .env("NO_PROXY", "*")
        .current_dir(&ui)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let run = tokio::time::timeout(RUN_TIMEOUT, run)
        .await
        .expect("the browser test timed out")
        .expect("node runs");
    let out = String::from_utf8_lossy(&run.stdout);
    let err = String::from_utf8_lossy(&run.stderr);
    eprint!("{out}");
    eprintln!(
        "console browser test: setup {:.1}s, run {:.1}s; screenshots in {}",
        setup_time.as_secs_f64(),
        (started.elapsed() - setup_time).as_secs_f64(),
        shots.display()
    );
    assert!(
        run.status.success() && out.lines().any(|l| l == "ui: ok"),
        "browser scenario failed ({}):\nstdout:\n{out}\nstderr:\n{err}",
        run.status
    );
    for name in [
        "03-logs",
        "05-detail-blocked",
        "07-stats",
        "08-audit",
        "10-plans",
    ] {
        assert!(shots.join(format!("{name}.png")).is_file(), "{name}.png");
    }
}
