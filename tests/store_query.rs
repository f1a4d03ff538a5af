//! Audit store: filters, cursor pagination, free text, stats, export, feedback, consent, CLI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use mamori::store::{
    AuditRecord, AuditStore, Consent, ExportFormat, Feedback, Filter, FindingSummary, Rating,
    StoreConfig, StoreError, StoredRecord, Usage, Verdict,
};
use time::macros::datetime;
use time::OffsetDateTime;

fn finding(kind: &str) -> FindingSummary {
    FindingSummary {
        kind: kind.into(),
        count: 2,
        action: "mask".into(),
        direction: "request".into(),
    }
}

/// 40 records: users alice/bob, two departments, verdicts cycling, days 2026-11-01..04.
fn corpus() -> Vec<AuditRecord> {
    let base = datetime!(2026-11-01 00:30 UTC);
    (0..40)
        .map(|i| {
            let verdict = Verdict::ALL[i % 6];
            let findings = match i % 4 {
                0 => vec![finding("my_number")],
                1 => vec![finding("phone"), finding("email"), finding("phone")],
                _ => vec![],
            };
            AuditRecord {
                id: ulid::Ulid::new().to_string(),
                time: base + time::Duration::hours(2 * i as i64),
                user: if i % 2 == 0 { "alice" } else { "bob" }.into(),
                department: if i % 2 == 0 {
                    "総務課"
                } else {
                    "情報政策課"
                }
                .into(),
                plan: (i % 3 == 0).then(|| "public-trial".to_string()),
                route: "openai.chat".into(),
                model: if i < 30 { "gpt-4o-mini" } else { "gpt-4o" }.into(),
                provider: "mock".into(),
                upstream_status: Some(200),
                latency_ms: 1.5,
                upstream_ms: None,
                usage: Some(Usage {
                    prompt_tokens: 1,
                    completion_tokens: 2,
                    total_tokens: 3,
                }),
                verdict,
                findings,
                prompt: Some(if i == 17 {
                    "議事録を要約して Hello World".to_string()
                } else {
                    format!("=SUM(A1) prompt {i}")
                }),
                output: Some(if i == 23 {
                    "こんにちは、HELLO there".to_string()
                } else {
                    format!("output {i}")
                }),
                notice_applied: true,
                stream: i % 5 == 0,
                client_ip: None,
                user_agent: Some("ua".into()),
                status: Some(200),
                error: None,
            }
        })
        .collect()
}

async fn fill(dir: &Path) -> (AuditStore, Vec<AuditRecord>) {
    let (store, writer) = AuditStore::open(dir, StoreConfig::default()).unwrap();
    tokio::spawn(writer.run(std::future::pending()));
    let recs = corpus();
    for r in &recs {
        store.append(r.clone()).await.unwrap();
    }
    (store, recs)
}

fn ids(page: &[StoredRecord]) -> Vec<String> {
    page.iter().map(|s| s.record.id.clone()).collect()
}

fn expect(recs: &[AuditRecord], f: impl Fn(&AuditRecord) -> bool) -> Vec<String> {
    recs.iter()
        .rev()
        .filter(|r| f(r))
        .map(|r| r.id.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_match_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let (store, recs) = fill(dir.path()).await;
    let q = |f: Filter| ids(&store.search(&f, None, 1000).unwrap().records);

    assert_eq!(q(Filter::default()), expect(&recs, |_| true));
    assert_eq!(
        q(Filter {
            user: Some("alice".into()),
            ..Default::default()
        }),
        expect(&recs, |r| r.user == "alice")
    );
    assert_eq!(
        q(Filter {
            department: Some("情報政策課".into()),
            model: Some("gpt-4o".into()),
            ..Default::default()
        }),
        expect(&recs, |r| r.department == "情報政策課"
            && r.model == "gpt-4o")
    );
    assert_eq!(
        q(Filter {
            plan: Some("public-trial".into()),
            verdict: Some(Verdict::Allowed),
            ..Default::default()
        }),
        expect(&recs, |r| r.plan.as_deref() == Some("public-trial")
            && r.verdict == Verdict::Allowed)
    );
    assert_eq!(
        q(Filter {
            verdict: Some(Verdict::UpstreamError),
            ..Default::default()
        }),
        expect(&recs, |r| r.verdict == Verdict::UpstreamError)
    );
    let phone = q(Filter {
        detector: Some("phone".into()),
        ..Default::default()
    });
    assert_eq!(phone.len(), 10);
    assert_eq!(
        phone,
        expect(&recs, |r| r.findings.iter().any(|f| f.kind == "phone"))
    );
    let from = datetime!(2026-11-02 00:00 UTC);
    let to = datetime!(2026-11-03 00:00 UTC);
    assert_eq!(
        q(Filter {
            from: Some(from),
            to: Some(to),
            user: Some("bob".into()),
            ..Default::default()
        }),
        expect(&recs, |r| r.time >= from && r.time < to && r.user == "bob")
    );
    // Free text, case-insensitive, in prompt or output.
    assert_eq!(
        q(Filter {
            text: Some("hello".into()),
            ..Default::default()
        }),
        vec![recs[23].id.clone(), recs[17].id.clone()]
    );
    assert_eq!(
        q(Filter {
            text: Some("議事録".into()),
            ..Default::default()
        }),
        vec![recs[17].id.clone()]
    );
    assert!(q(Filter {
        user: Some("nobody".into()),
        ..Default::default()
    })
    .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursor_pagination_walks_everything_once() {
    let dir = tempfile::tempdir().unwrap();
    let (store, recs) = fill(dir.path()).await;
    for filter in [
        Filter::default(),
        Filter {
            user: Some("bob".into()),
            ..Default::default()
        },
    ] {
        let mut cursor: Option<String> = None;
        let mut seen = Vec::new();
        loop {
            let page = store.search(&filter, cursor.as_deref(), 7).unwrap();
            assert!(page.records.len() <= 7);
            seen.extend(ids(&page.records));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let want = expect(&recs, |r| {
            filter.user.as_deref().is_none_or(|u| u == r.user)
        });
        assert_eq!(seen, want);
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len());
    }
    assert!(matches!(
        store.search(&Filter::default(), Some("zz"), 5),
        Err(StoreError::Invalid(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_and_consent_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let (store, recs) = fill(dir.path()).await;
    let now = OffsetDateTime::now_utc();
    let fb: Feedback = serde_json::from_str(
        r#"{"rating":"good","comment":"役に立った","categories":["helpful"],"time":"2026-11-05T01:02:03Z","user":"alice"}"#,
    )
    .unwrap();
    store.put_feedback(&recs[0].id, fb.clone()).unwrap();
    assert_eq!(store.get_feedback(&recs[0].id).unwrap(), Some(fb.clone()));
    let got = store.get(&recs[0].id).unwrap().unwrap();
    assert_eq!(got.feedback, Some(fb));
    assert_eq!(got.record, {
        let mut r = recs[0].clone();
        r.time = r.time.to_offset(time::UtcOffset::UTC);
        r
    });
    // Ratings: "bad" and scores; out of range rejected by serde.
    for (i, raw) in [(1, r#""bad""#), (2, "2"), (3, "5")] {
        let fb: Feedback = serde_json::from_str(&format!(
            r#"{{"rating":{raw},"time":"2026-11-05T01:02:03Z","user":"bob"}}"#
        ))
        .unwrap();
        store.put_feedback(&recs[i].id, fb).unwrap();
    }
    assert_eq!(
        store.get_feedback(&recs[3].id).unwrap().unwrap().rating,
        Rating::Score(5)
    );
    assert!(serde_json::from_str::<Feedback>(
        r#"{"rating":6,"time":"2026-11-05T01:02:03Z","user":"bob"}"#
    )
    .is_err());
    assert!(serde_json::from_str::<Feedback>(
        r#"{"rating":"meh","time":"2026-11-05T01:02:03Z","user":"bob"}"#
    )
    .is_err());
    assert_eq!(
        serde_json::to_string(&Rating::Score(4)).unwrap(),
        "4".to_string()
    );
    let err = store
        .put_feedback(
            "01NOPE",
            Feedback {
                rating: Rating::Good,
                comment: None,
                categories: vec![],
                time: now,
                user: "alice".into(),
            },
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::NoSuchRecord(_)));

    assert!(!store.has_consent("carol").unwrap());
    let c = Consent {
        time: datetime!(2026-11-05 00:00 UTC),
        text_version: "trial-v1".into(),
    };
    store.record_consent("carol", c.clone()).unwrap();
    assert!(store.has_consent("carol").unwrap());
    assert!(!store.has_consent("carol+other-plan").unwrap());
    assert_eq!(store.get_consent("carol").unwrap(), Some(c));

    let st = store.stats(&Filter::default()).unwrap();
    assert_eq!(st.feedback.total, 4);
    assert_eq!(st.feedback.bad, 2);
    assert!((st.feedback.bad_share - 0.5).abs() < 1e-9);
    assert_eq!(st.feedback.by_rating.get("good"), Some(&1));
    assert_eq!(st.feedback.by_rating.get("2"), Some(&1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_count_by_dimension() {
    let dir = tempfile::tempdir().unwrap();
    let (store, recs) = fill(dir.path()).await;
    let st = store.stats(&Filter::default()).unwrap();
    assert_eq!(st.total, 40);
    assert_eq!(st.by_verdict.get("allowed"), Some(&7));
    assert_eq!(st.by_verdict.get("error"), Some(&6));
    assert_eq!(st.by_verdict.values().sum::<u64>(), 40);
    assert_eq!(st.by_detector.get("phone"), Some(&10));
    assert_eq!(st.by_detector.get("my_number"), Some(&10));
    assert_eq!(st.findings_by_detector.get("phone"), Some(&40));
    assert_eq!(st.by_department.get("総務課"), Some(&20));
    assert_eq!(st.by_model.get("gpt-4o"), Some(&10));
    assert_eq!(st.by_day.get("2026-11-01"), Some(&12));
    assert_eq!(st.by_day.values().sum::<u64>(), 40);
    // The per-day verdict split adds up to each day's total and to each verdict's total.
    for (day, n) in &st.by_day {
        assert_eq!(st.by_day_verdict[day].values().sum::<u64>(), *n, "{day}");
    }
    for (verdict, n) in &st.by_verdict {
        let split: u64 = st
            .by_day_verdict
            .values()
            .filter_map(|m| m.get(verdict))
            .sum();
        assert_eq!(split, *n, "{verdict}");
    }
    assert_eq!(
        st.by_day_verdict["2026-11-01"].get("allowed"),
        Some(&2),
        "records 0 and 6 of the first day are allowed"
    );
    assert_eq!(st.tokens_by_department.get("総務課"), Some(&60));
    assert_eq!(st.tokens_by_department.get("情報政策課"), Some(&60));
    assert_eq!(st.tokens.total, 120);
    let alice = store
        .stats(&Filter {
            user: Some("alice".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(alice.total, 20);
    assert_eq!(alice.by_department.len(), 1);
    drop(recs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_jsonl_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let (store, recs) = fill(dir.path()).await;
    let mut buf = Vec::new();
    let n = store
        .export(&Filter::default(), ExportFormat::Jsonl, &mut buf)
        .unwrap();
    assert_eq!(n, 40);
    let lines: Vec<StoredRecord> = String::from_utf8(buf)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 40);
    assert_eq!(lines[0].seq, 1);
    assert_eq!(lines[0].record.id, recs[0].id);

    let mut buf = Vec::new();
    let f = Filter {
        user: Some("bob".into()),
        ..Default::default()
    };
    assert_eq!(store.export(&f, ExportFormat::Csv, &mut buf).unwrap(), 20);
    let mut rd = csv::Reader::from_reader(buf.as_slice());
    let headers = rd.headers().unwrap().clone();
    assert_eq!(&headers[1], "id");
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 20);
    let prompt_col = headers.iter().position(|h| h == "prompt").unwrap();
    // Formula injection neutralised.
    assert!(rows[0][prompt_col].starts_with("'=SUM"));
    let findings_col = headers.iter().position(|h| h == "findings").unwrap();
    assert_eq!(
        &rows[0][findings_col],
        "phone:2:mask:request;email:2:mask:request;phone:2:mask:request"
    );
}

fn mamori(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mamori"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_search_show_export_stats() {
    let dir = tempfile::tempdir().unwrap();
    let recs = {
        let (store, writer) = AuditStore::open(dir.path(), StoreConfig::default()).unwrap();
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let h = tokio::spawn(writer.run(async move {
            let _ = rx.await;
        }));
        let recs = corpus();
        for r in &recs {
            store.append(r.clone()).await.unwrap();
        }
        store
            .put_feedback(
                &recs[5].id,
                Feedback {
                    rating: Rating::Bad,
                    comment: Some("wrong".into()),
                    categories: vec![],
                    time: OffsetDateTime::now_utc(),
                    user: "bob".into(),
                },
            )
            .unwrap();
        stop.send(()).unwrap();
        h.await.unwrap();
        recs
    };
    tokio::time::sleep(Duration::from_millis(100)).await;

    let (code, out, err) = mamori(
        &["logs", "search", "--user", "bob", "--limit", "3"],
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    let got: Vec<StoredRecord> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].record.id, recs[39].id);
    let cursor = err
        .lines()
        .find_map(|l| l.strip_prefix("next_cursor: "))
        .unwrap()
        .to_string();
    let (code, out, _) = mamori(
        &[
            "logs", "search", "--user", "bob", "--limit", "3", "--cursor", &cursor,
        ],
        dir.path(),
    );
    assert_eq!(code, 0);
    let first: StoredRecord = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first.record.id, recs[33].id);

    let (code, out, err) = mamori(
        &[
            "logs",
            "search",
            "--verdict",
            "blocked",
            "--type",
            "phone",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-05",
            "--table",
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("seq"), "{out}");

    let (code, out, _) = mamori(&["logs", "show", &recs[5].id], dir.path());
    assert_eq!(code, 0);
    let shown: StoredRecord = serde_json::from_str(&out).unwrap();
    assert_eq!(shown.feedback.unwrap().rating, Rating::Bad);
    let (code, _, _) = mamori(&["logs", "show", "01UNKNOWN"], dir.path());
    assert_eq!(code, 1);

    let (code, out, _) = mamori(
        &["logs", "export", "--format", "csv", "--text", "HELLO"],
        dir.path(),
    );
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 3); // header + 2
    assert!(out.starts_with("seq,"), "no BOM unless asked");
    let (code, out, _) = mamori(
        &[
            "logs", "export", "--format", "csv", "--bom", "--text", "HELLO",
        ],
        dir.path(),
    );
    assert_eq!(code, 0);
    assert!(out.starts_with("\u{FEFF}seq,"), "BOM for Excel on request");
    let (code, out, _) = mamori(
        &[
            "logs", "export", "--format", "jsonl", "--bom", "--text", "HELLO",
        ],
        dir.path(),
    );
    assert_eq!(code, 0);
    assert!(out.starts_with('{'), "a BOM is for CSV only");
    let file = dir.path().join("out.jsonl");
    let (code, _, err) = mamori(
        &[
            "logs",
            "export",
            "--format",
            "jsonl",
            "--out",
            file.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 40);

    let (code, out, _) = mamori(&["logs", "stats", "--department", "総務課"], dir.path());
    assert_eq!(code, 0);
    let st: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(st["total"], 20);

    let (code, out, _) = mamori(&["logs", "verify", "--json"], dir.path());
    assert_eq!(code, 0);
    let rep: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rep["intact"], true);
    assert_eq!(rep["checked"], 40);
}
