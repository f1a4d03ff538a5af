//! Audit store: concurrency, hash chain, tampering, retention and fail-closed writes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use mamori::store::{
    AuditRecord, AuditStore, BreakKind, Durability, FindingSummary, StoreConfig, StoreError, Usage,
    Verdict,
};
use time::OffsetDateTime;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

fn rec(i: usize, time: OffsetDateTime) -> AuditRecord {
    AuditRecord {
        id: ulid::Ulid::new().to_string(),
        time,
        user: format!("user{}", i % 5),
        department: "総務課".into(),
        plan: Some("plan-a".into()),
        route: "openai.chat".into(),
        model: "gpt-4o-mini".into(),
        provider: "mock".into(),
        upstream_status: Some(200),
        latency_ms: 12.5,
        upstream_ms: Some(10.25),
        usage: Some(Usage {
            prompt_tokens: 3,
            completion_tokens: 4,
            total_tokens: 7,
        }),
        verdict: Verdict::Masked,
        findings: vec![FindingSummary {
            kind: "phone".into(),
            count: 1,
            action: "mask".into(),
            direction: "request".into(),
        }],
        prompt: Some(format!("prompt {i} [PHONE]")),
        output: Some(format!("output {i}")),
        notice_applied: true,
        stream: false,
        client_ip: Some("10.0.0.1".into()),
        user_agent: Some("test".into()),
        status: Some(200),
        error: None,
    }
}

struct Running {
    store: AuditStore,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl Running {
    fn open(dir: &Path, cfg: StoreConfig) -> Self {
        let (store, writer) = AuditStore::open(dir, cfg).unwrap();
        let (stop, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(writer.run(async move {
            let _ = rx.await;
        }));
        Running {
            store,
            stop: Some(stop),
            handle: Some(handle),
        }
    }

    async fn close(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.handle.take().unwrap().await.unwrap();
        drop(self.store);
        // sled releases its directory lock once its background threads let go.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn raw_tree(dir: &Path) -> (sled::Db, sled::Tree) {
    for _ in 0..100 {
        if let Ok(db) = sled::open(dir.join("audit")) {
            let t = db.open_tree("audit").unwrap();
            return (db, t);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("could not open sled raw");
}

fn record_key(seq: u64) -> Vec<u8> {
    let mut k = vec![b'r'];
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

fn verify_cli(dir: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mamori"))
        .args(["logs", "verify", "--data-dir"])
        .arg(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_strict_appends_form_one_contiguous_chain() {
    let dir = tempfile::tempdir().unwrap();
    let run = Running::open(dir.path(), StoreConfig::default());
    let now = OffsetDateTime::now_utc();
    let mut tasks = Vec::new();
    for t in 0..64 {
        let s = run.store.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for i in 0..20 {
                let r = rec(t * 100 + i, now);
                let id = r.id.clone();
                let receipt = s.append(r).await.unwrap();
                assert!(receipt.durable);
                assert_eq!(receipt.id, id);
                out.push((receipt.seq.unwrap(), id));
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    let seqs: Vec<u64> = all.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, (1..=1280).collect::<Vec<u64>>());
    for (seq, id) in &all {
        let got = run.store.get(id).unwrap().unwrap();
        assert_eq!(got.seq, *seq);
        assert_eq!(&got.record.id, id);
    }
    let report = run.store.verify().unwrap();
    assert!(report.intact, "{report:?}");
    assert_eq!(report.checked, 1280);
    assert_eq!(report.head.as_ref().unwrap().seq, 1280);
    assert_eq!(run.store.health().write_errors, 0);
    run.close().await;

    // Reopen: the chain continues where it stopped.
    let run = Running::open(dir.path(), StoreConfig::default());
    let r = run.store.append(rec(1, now)).await.unwrap();
    assert_eq!(r.seq, Some(1281));
    assert!(run.store.verify().unwrap().intact);
    run.close().await;
    let (code, text) = verify_cli(dir.path());
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("records checked: 1281"), "{text}");
}

async fn filled(dir: &Path, n: usize) -> Vec<String> {
    let run = Running::open(dir, StoreConfig::default());
    let now = OffsetDateTime::now_utc();
    let mut ids = Vec::new();
    for i in 0..n {
        let r = rec(i, now);
        ids.push(r.id.clone());
        run.store.append(r).await.unwrap();
    }
    run.close().await;
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn altered_record_is_reported_with_its_seq_and_id() {
    let dir = tempfile::tempdir().unwrap();
    let ids = filled(dir.path(), 10).await;
    {
        let (db, tree) = raw_tree(dir.path());
        let mut v = tree.get(record_key(5)).unwrap().unwrap().to_vec();
        // Change "prompt 4" into "prompt 9" inside the canonical JSON.
        let pos = v.windows(8).position(|w| w == b"prompt 4").unwrap();
        v[pos + 7] = b'9';
        tree.insert(record_key(5), v).unwrap();
        db.flush().unwrap();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (store, _w) = AuditStore::open(dir.path(), StoreConfig::default()).unwrap();
    let report = store.verify().unwrap();
    assert!(!report.intact);
    let b = report.first_break.unwrap();
    assert_eq!(b.kind, BreakKind::Altered);
    assert_eq!(b.seq, 5);
    assert_eq!(b.id.as_deref(), Some(ids[4].as_str()));
    assert_eq!(report.checked, 4);
    drop(store);
    drop(_w);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (code, text) = verify_cli(dir.path());
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("Altered at seq 5"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relinked_record_is_reported_as_broken_link() {
    let dir = tempfile::tempdir().unwrap();
    filled(dir.path(), 6).await;
    {
        // Rewrite record 3 with a fresh, self-consistent hash: record 4's link breaks.
        let (db, tree) = raw_tree(dir.path());
        let v = tree.get(record_key(3)).unwrap().unwrap().to_vec();
        let mut canonical = v[73..].to_vec();
        let pos = canonical.windows(8).position(|w| w == b"prompt 2").unwrap();
        canonical[pos + 7] = b'7';
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(&v[9..41]);
        h.update(3u64.to_be_bytes());
        h.update(&canonical);
        let hash: [u8; 32] = h.finalize().into();
        let mut nv = v[..41].to_vec();
        nv.extend_from_slice(&hash);
        nv.extend_from_slice(&canonical);
        tree.insert(record_key(3), nv).unwrap();
        db.flush().unwrap();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (code, text) = verify_cli(dir.path());
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("BrokenLink at seq 4"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_record_is_reported_missing() {
    let dir = tempfile::tempdir().unwrap();
    let ids = filled(dir.path(), 10).await;
    {
        let (db, tree) = raw_tree(dir.path());
        tree.remove(record_key(7)).unwrap();
        db.flush().unwrap();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (code, text) = verify_cli(dir.path());
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("Missing at seq 7"), "{text}");
    assert!(text.contains(&ids[6]), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_tail_is_reported_missing() {
    let dir = tempfile::tempdir().unwrap();
    filled(dir.path(), 5).await;
    {
        let (db, tree) = raw_tree(dir.path());
        tree.remove(record_key(5)).unwrap();
        tree.remove(record_key(4)).unwrap();
        db.flush().unwrap();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (store, _w) = AuditStore::open(dir.path(), StoreConfig::default()).unwrap();
    let b = store.verify().unwrap().first_break.unwrap();
    assert_eq!((b.kind, b.seq), (BreakKind::Missing, 4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_purge_keeps_the_chain_verifiable() {
    let dir = tempfile::tempdir().unwrap();
    let run = Running::open(dir.path(), StoreConfig::default());
    let now = OffsetDateTime::now_utc();
    let old = now - time::Duration::days(40);
    let mut old_ids = Vec::new();
    for i in 0..15 {
        let r = rec(i, old + time::Duration::minutes(i as i64));
        old_ids.push(r.id.clone());
        run.store.append(r).await.unwrap();
    }
    let mut new_ids = Vec::new();
    for i in 0..5 {
        let r = rec(i, now);
        new_ids.push(r.id.clone());
        run.store.append(r).await.unwrap();
    }
    run.store
        .put_feedback(
            &old_ids[0],
            serde_json::from_str(
                r#"{"rating":"bad","time":"2026-01-01T00:00:00Z","user":"user0"}"#,
            )
            .unwrap(),
        )
        .unwrap();
    let cutoff = now - time::Duration::days(30);
    assert_eq!(run.store.purge_before(cutoff).unwrap(), 15);
    assert_eq!(run.store.purge_before(cutoff).unwrap(), 0);
    let report = run.store.verify().unwrap();
    assert!(report.intact, "{report:?}");
    assert_eq!(report.anchor.as_ref().unwrap().seq, 15);
    assert_eq!(report.checked, 5);
    assert!(run.store.get(&old_ids[3]).unwrap().is_none());
    assert!(run.store.get_feedback(&old_ids[0]).unwrap().is_none());
    assert!(run.store.get(&new_ids[0]).unwrap().is_some());
    let page = run.store.search(&Default::default(), None, 100).unwrap();
    assert_eq!(page.records.len(), 5);
    // Purge and then append: the chain continues from the head.
    let r = run.store.append(rec(99, now)).await.unwrap();
    assert_eq!(r.seq, Some(21));
    assert!(run.store.verify().unwrap().intact);
    // Purge everything, append again, across a reopen.
    let all = run
        .store
        .purge_before(now + time::Duration::days(1))
        .unwrap();
    assert_eq!(all, 6);
    let report = run.store.verify().unwrap();
    assert!(report.intact, "{report:?}");
    assert_eq!(report.checked, 0);
    run.close().await;
    let run = Running::open(dir.path(), StoreConfig::default());
    assert_eq!(run.store.append(rec(1, now)).await.unwrap().seq, Some(22));
    let report = run.store.verify().unwrap();
    assert!(report.intact, "{report:?}");
    assert_eq!(report.checked, 1);
    run.close().await;
    assert_eq!(verify_cli(dir.path()).0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_loop_purges_by_config() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = StoreConfig {
        retention_days: Some(30),
        ..StoreConfig::default()
    };
    let run = Running::open(dir.path(), cfg);
    let now = OffsetDateTime::now_utc();
    run.store
        .append(rec(0, now - time::Duration::days(31)))
        .await
        .unwrap();
    run.store.append(rec(1, now)).await.unwrap();
    let (stop, rx) = oneshot::channel::<()>();
    let h = tokio::spawn(mamori::store::run_retention(
        run.store.clone(),
        Duration::from_secs(1),
        async move {
            let _ = rx.await;
        },
    ));
    for _ in 0..50 {
        if run.store.len().unwrap() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(run.store.len().unwrap(), 1);
    stop.send(()).unwrap();
    h.await.unwrap();
    assert!(run.store.verify().unwrap().intact);
    run.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_write_failure_fails_closed_and_recovers_strict() {
    let dir = tempfile::tempdir().unwrap();
    let run = Running::open(dir.path(), StoreConfig::default());
    let now = OffsetDateTime::now_utc();
    run.store.append(rec(0, now)).await.unwrap();
    assert!(run.store.health().healthy);

    run.store.inject_write_failure(true);
    let failed = rec(1, now);
    let failed_id = failed.id.clone();
    let err = run.store.append(failed).await.unwrap_err();
    assert!(matches!(err, StoreError::Db(_)), "{err:?}");
    let h = run.store.health();
    assert!(!h.healthy);
    assert!(h.last_error.unwrap().contains("injected"));
    assert!(run.store.write_errors() >= 1);
    // Feedback and consent fail closed too.
    assert!(run
        .store
        .record_consent(
            "carol",
            mamori::store::Consent {
                time: now,
                text_version: "v1".into()
            }
        )
        .is_err());

    run.store.inject_write_failure(false);
    // Health recovers by itself (writer probe), before any new append.
    for _ in 0..50 {
        if run.store.health().healthy {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(run.store.health().healthy);
    let r = run.store.append(rec(2, now)).await.unwrap();
    assert_eq!(r.seq, Some(2));
    assert!(run.store.get(&failed_id).unwrap().is_none());
    assert!(run.store.verify().unwrap().intact);
    run.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_mode_keeps_accepted_records_through_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = StoreConfig {
        durability: Durability::Batched { max_delay_ms: 20 },
        ..StoreConfig::default()
    };
    let run = Running::open(dir.path(), cfg);
    let now = OffsetDateTime::now_utc();
    run.store.inject_write_failure(true);
    let accepted = rec(0, now);
    let accepted_id = accepted.id.clone();
    let receipt = run.store.append(accepted).await.unwrap();
    assert!(!receipt.durable);
    for _ in 0..50 {
        if !run.store.health().healthy {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!run.store.health().healthy);
    let err = run.store.append(rec(1, now)).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");

    run.store.inject_write_failure(false);
    // The record is readable once its batch is applied, a moment before the flush that
    // marks the store healthy again: wait for both.
    for _ in 0..100 {
        if run.store.get(&accepted_id).unwrap().is_some() && run.store.health().healthy {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(run.store.get(&accepted_id).unwrap().is_some());
    assert!(run.store.health().healthy);
    run.store.append(rec(2, now)).await.unwrap();
    run.close().await;
    // Shutdown drained the queue: both records are on disk.
    let (store, _w) = AuditStore::open(dir.path(), StoreConfig::default()).unwrap();
    let report = store.verify().unwrap();
    assert!(report.intact);
    assert_eq!(report.checked, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_everything_queued() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = StoreConfig {
        durability: Durability::Batched {
            max_delay_ms: 10_000,
        },
        ..StoreConfig::default()
    };
    let run = Running::open(dir.path(), cfg);
    let now = OffsetDateTime::now_utc();
    for i in 0..500 {
        run.store.append(rec(i, now)).await.unwrap();
    }
    run.close().await;
    let (store, _w) = AuditStore::open(dir.path(), StoreConfig::default()).unwrap();
    let report = store.verify().unwrap();
    assert!(report.intact);
    assert_eq!(report.checked, 500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn append_without_writer_fails_and_cli_reports_lock() {
    let dir = tempfile::tempdir().unwrap();
    let (store, writer) = AuditStore::open(dir.path(), StoreConfig::default()).unwrap();
    // Locked while this process holds the store.
    let (code, text) = verify_cli(dir.path());
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("locked"), "{text}");
    drop(writer);
    let err = store
        .append(rec(0, OffsetDateTime::now_utc()))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Closed));
    // No store at all: a clear error, nothing created.
    let empty = tempfile::tempdir().unwrap();
    let (code, text) = verify_cli(empty.path());
    assert_eq!(code, 2);
    assert!(text.contains("no audit store"), "{text}");
    assert!(!empty.path().join("audit").exists());
}
