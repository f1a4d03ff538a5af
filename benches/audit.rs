//! Audit store benchmark (plain timed main, `harness = false`).
//!
//! `cargo bench --bench audit` measures, on a fresh store per scenario under
//! the target dir (real disk, fsync per flush):
//! - append throughput (records/s) in strict and batched mode with 1 and 64
//!   concurrent appenders;
//! - per-append latency (p50/p99/max): in strict mode this is what the audit
//!   log adds to a request, since the response is held until the record's flush;
//! - export of 100,000 records by the `mamori logs export` CLI: time and peak
//!   RSS (sampled from /proc/<pid>/status).
//!
//! Env: `MAMORI_BENCH_SECS` (seconds per append scenario, default 3),
//! `MAMORI_BENCH_EXPORT_N` (records for the export run, default 100000; 0 skips).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mamori::store::{
    AuditRecord, AuditStore, Durability, FindingSummary, StoreConfig, Usage, Verdict,
};
use time::OffsetDateTime;

fn rec(i: usize) -> AuditRecord {
    AuditRecord {
        id: ulid::Ulid::new().to_string(),
        time: OffsetDateTime::now_utc(),
        user: format!("user{}", i % 500),
        department: format!("dept{}", i % 20),
        plan: Some("plan-a".into()),
        route: "openai.chat".into(),
        model: "gpt-4o-mini".into(),
        provider: "azure".into(),
        upstream_status: Some(200),
        latency_ms: 812.25,
        upstream_ms: Some(805.5),
        usage: Some(Usage {
            prompt_tokens: 120,
            completion_tokens: 350,
            total_tokens: 470,
        }),
        verdict: Verdict::Masked,
        findings: vec![FindingSummary {
            kind: "phone".into(),
            count: 1,
            action: "mask".into(),
            direction: "request".into(),
        }],
        prompt: Some(format!(
            "{i}: 次の会議の議事録を要約してください。連絡先は[PHONE]です。{}",
            "本文".repeat(150)
        )),
        output: Some(format!("{i}: 要約: {}", "内容".repeat(300))),
        notice_applied: true,
        stream: false,
        client_ip: Some("10.1.2.3".into()),
        user_agent: Some("openai-python/1.40".into()),
        status: Some(200),
        error: None,
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

/// `pace`: when set, each appender waits this long between appends (a client
/// that also waits for its provider), instead of appending back to back.
async fn scenario(
    name: &str,
    durability: Durability,
    writers: usize,
    pace: Option<Duration>,
    secs: f64,
) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let cfg = StoreConfig {
        durability,
        ..StoreConfig::default()
    };
    let (store, writer) = AuditStore::open(dir.path(), cfg).unwrap();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let wh = tokio::spawn(writer.run(async move {
        let _ = rx.await;
    }));
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for w in 0..writers {
        let s = store.clone();
        let c = counter.clone();
        let phase = w as f64 / writers as f64;
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            if let Some(p) = pace {
                // Spread the clients' phases over one period.
                tokio::time::sleep(p.mul_f64(phase)).await;
            }
            while Instant::now() < deadline {
                if let Some(p) = pace {
                    tokio::time::sleep(p).await;
                }
                let i = c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let r = rec(i);
                let t = Instant::now();
                s.append(r).await.unwrap();
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    let accepted = start.elapsed();
    stop.send(()).unwrap();
    wh.await.unwrap();
    let durable = start.elapsed();
    let report = store.verify().unwrap();
    assert!(report.intact);
    assert_eq!(report.checked as usize, lat.len());
    lat.sort();
    let n = lat.len() as f64;
    let load = match pace {
        Some(p) => format!("{writers}, each every {} ms", p.as_millis()),
        None => format!("{writers}, back to back"),
    };
    println!(
        "| {name} | {load} | {} | {:.0} | {:.0} | {} | {} | {} |",
        lat.len(),
        n / accepted.as_secs_f64(),
        n / durable.as_secs_f64(),
        ms(pct(&lat, 0.5)),
        ms(pct(&lat, 0.99)),
        ms(*lat.last().unwrap_or(&Duration::ZERO)),
    );
}

fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

async fn export_run(n: usize) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    fill(dir.path(), n).await;
    let du = dir_size(&dir.path().join("audit"));
    println!("\nstore with {n} records: {} MiB on disk", du >> 20);
    for format in ["jsonl", "csv"] {
        let out = dir.path().join(format!("out.{format}"));
        let t = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_mamori"))
            .args(["logs", "export", "--format", format, "--data-dir"])
            .arg(dir.path())
            .arg("--out")
            .arg(&out)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        let mut peak = 0;
        loop {
            if let Some(v) = status_kib(pid, "VmHWM:") {
                peak = peak.max(v);
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let ok = child.wait().unwrap().success();
        let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
        println!(
            "mamori logs export --format {format}: ok={ok} {} MiB in {:.2} s ({:.0} records/s), peak RSS {} MiB",
            size >> 20,
            t.elapsed().as_secs_f64(),
            n as f64 / t.elapsed().as_secs_f64(),
            peak >> 10
        );
    }
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

async fn fill(dir: &Path, n: usize) {
    let cfg = StoreConfig {
        durability: Durability::Batched { max_delay_ms: 20 },
        ..StoreConfig::default()
    };
    let (store, writer) = AuditStore::open(dir, cfg).unwrap();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let wh = tokio::spawn(writer.run(async move {
        let _ = rx.await;
    }));
    let t = Instant::now();
    for i in 0..n {
        store.append(rec(i)).await.unwrap();
    }
    stop.send(()).unwrap();
    wh.await.unwrap();
    println!(
        "\nfilled {n} records (batched, 1 appender) in {:.2} s",
        t.elapsed().as_secs_f64()
    );
}

fn main() {
    let secs: f64 = std::env::var("MAMORI_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let export_n: usize = std::env::var("MAMORI_BENCH_EXPORT_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        println!("record canonical size: {} bytes", serde_json::to_vec(&rec(1)).unwrap().len());
        println!("\n| mode | appenders | records | accepted/s | durable/s | append p50 ms | p99 ms | max ms |");
        println!("|---|---|---|---|---|---|---|---|");
        for (name, d) in [
            ("strict", Durability::Strict),
            ("batched 5ms", Durability::Batched { max_delay_ms: 5 }),
        ] {
            for writers in [1, 64] {
                scenario(name, d, writers, None, secs).await;
            }
            scenario(name, d, 64, Some(Duration::from_millis(50)), secs).await;
        }
        if export_n > 0 {
            export_run(export_n).await;
        }
    });
}
