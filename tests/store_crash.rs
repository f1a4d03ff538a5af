//! Crash safety of strict mode at the store level: a child process appends
//! concurrently and prints each id once `append` has resolved; the parent
//! SIGKILLs it mid-load, reopens the store and checks that every acknowledged
//! record is present and the chain verifies. (The end-to-end version through
//! the HTTP server belongs to the gateway's tests.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mamori::store::{AuditRecord, AuditStore, StoreConfig, Verdict};
use time::OffsetDateTime;

fn rec() -> AuditRecord {
    AuditRecord {
        id: ulid::Ulid::new().to_string(),
        time: OffsetDateTime::now_utc(),
        user: "alice".into(),
        department: "総務課".into(),
        plan: None,
        route: "openai.chat".into(),
        model: "gpt-4o-mini".into(),
        provider: "mock".into(),
        upstream_status: Some(200),
        latency_ms: 3.0,
        upstream_ms: Some(2.0),
        usage: None,
        verdict: Verdict::Allowed,
        findings: vec![],
        prompt: Some("こんにちは".repeat(50)),
        output: Some("こんにちは".repeat(100)),
        notice_applied: true,
        stream: true,
        client_ip: None,
        user_agent: None,
        status: Some(200),
        error: None,
    }
}

/// Child half: appends forever with 32 concurrent tasks, printing acknowledged ids.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var("MAMORI_CRASH_DIR") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let (store, writer) = AuditStore::open(Path::new(&dir), StoreConfig::default()).unwrap();
        tokio::spawn(writer.run(std::future::pending()));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        for _ in 0..32 {
            let s = store.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                loop {
                    let r = rec();
                    let id = r.id.clone();
                    s.append(r).await.unwrap();
                    tx.send(id).unwrap();
                }
            });
        }
        let mut out = std::io::stdout().lock();
        while let Some(id) = rx.recv().await {
            writeln!(out, "ACK {id}").unwrap();
            out.flush().unwrap();
        }
    });
}

#[test]
fn acknowledged_records_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env("MAMORI_CRASH_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut acked = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(id) = line.strip_prefix("ACK ") {
                acked.push(id.to_string());
            }
        }
        acked
    });
    // Let it run under load, then kill -9.
    let t = Instant::now();
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().unwrap();
    child.wait().unwrap();
    let acked = reader.join().unwrap();
    eprintln!(
        "{} records acknowledged before SIGKILL after {:?}",
        acked.len(),
        t.elapsed()
    );
    assert!(
        acked.len() > 100,
        "child made too little progress: {}",
        acked.len()
    );

    std::thread::sleep(Duration::from_millis(100));
    let (store, _w) = AuditStore::open(dir.path(), StoreConfig::default()).unwrap();
    let report = store.verify().unwrap();
    assert!(report.intact, "{report:?}");
    assert!(report.checked as usize >= acked.len());
    for id in &acked {
        assert!(store.get(id).unwrap().is_some(), "acknowledged {id} lost");
    }
}
