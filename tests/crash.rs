//! Crash safety of the audit log with the real server in strict mode: 500
//! concurrent requests, SIGKILL mid-load, restart on the same data dir; every
//! request that got an answer has its record and the chain verifies (issue 5).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn spawn(data: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mamori"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .env("MAMORI_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("mamori listening on http://")
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();
    (child, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_load_loses_no_answered_record() {
    let data = tempfile::tempdir().unwrap();
    let (mut child, addr) = spawn(data.path());
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..500 {
        let client = client.clone();
        let done = done.clone();
        let url = format!("http://{addr}/v1/chat/completions");
        tasks.push(tokio::spawn(async move {
            let body = serde_json::json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": format!("request {i}")}]});
            let resp = client.post(url).bearer_auth("mk-demo-alice").json(&body).send().await.ok()?;
            if resp.status() != 200 {
                return None;
            }
            let id = resp.headers().get("x-request-id")?.to_str().ok()?.to_owned();
            resp.bytes().await.ok()?;
            done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Some(id)
        }));
    }
    // Let part of the load through, then kill without any chance to flush.
    for _ in 0..1000 {
        if done.load(std::sync::atomic::Ordering::SeqCst) >= 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let mut answered = Vec::new();
    for t in tasks {
        if let Ok(Some(id)) = t.await {
            answered.push(id);
        }
    }
    assert!(
        !answered.is_empty(),
        "some requests were answered before the kill"
    );
    assert!(answered.len() < 500, "load was cut mid-way");

    // Restart on the same data dir: the store opens and keeps serving.
    let (mut child, addr) = spawn(data.path());
    let resp = client
        .post(format!("http://{addr}/v1/chat/completions"))
        .bearer_auth("mk-demo-alice")
        .json(&serde_json::json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "after restart"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));

    let (store, _writer) =
        mamori::store::AuditStore::open(data.path(), mamori::store::StoreConfig::default())
            .unwrap();
    for id in &answered {
        assert!(
            store.get(id).unwrap().is_some(),
            "answered request {id} has no record"
        );
    }
    let report = store.verify().unwrap();
    assert!(
        report.first_break.is_none(),
        "chain broken after SIGKILL: {report:?}"
    );
    println!(
        "answered before SIGKILL: {} of 500; all on record, chain intact",
        answered.len()
    );
}
