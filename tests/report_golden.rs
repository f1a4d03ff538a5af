//! The usage-plan report on a fixed fixture audit store, compared with golden
//! files (`tests/golden/report.md`, `report.csv`). After an intended change to
//! the report, regenerate them with `UPDATE_GOLDEN=1 cargo test --test report_golden`
//! and review the diff.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use mamori::config::Settings;
use mamori::report::{self, DayRange};
use mamori::store::{
    AuditRecord, AuditStore, Consent, Feedback, FindingSummary, Rating, StoreConfig, Usage, Verdict,
};
use time::macros::{date, datetime};
use time::OffsetDateTime;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn settings() -> Settings {
    Settings::load(&golden_dir().join("report-config.toml")).unwrap()
}

fn finding(kind: &str, count: u32, action: &str, direction: &str) -> FindingSummary {
    FindingSummary {
        kind: kind.into(),
        count,
        action: action.into(),
        direction: direction.into(),
    }
}

struct Fixture {
    n: u32,
    records: Vec<(AuditRecord, Option<Feedback>)>,
}

impl Fixture {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        time: OffsetDateTime,
        user: &str,
        department: &str,
        plan: &str,
        verdict: Verdict,
        tokens: Option<(u64, u64)>,
        findings: Vec<FindingSummary>,
        rating: Option<Rating>,
    ) {
        self.n += 1;
        let answered = matches!(
            verdict,
            Verdict::Allowed | Verdict::Masked | Verdict::Warned
        );
        let rec = AuditRecord {
            // Fixed, well-formed ULIDs keep the fixture reproducible.
            id: format!("01JF0000000000000000000{:03}", self.n),
            time,
            user: user.into(),
            department: department.into(),
            plan: Some(plan.into()),
            route: "openai.chat".into(),
            model: "gpt-4o-mini".into(),
            provider: "azure-contract".into(),
            upstream_status: answered.then_some(200),
            latency_ms: 12.5,
            upstream_ms: answered.then_some(10.0),
            usage: tokens.map(|(p, c)| Usage {
                prompt_tokens: p,
                completion_tokens: c,
                total_tokens: p + c,
            }),
            verdict,
            findings,
            prompt: Some(format!("prompt {}", self.n)),
            output: answered.then(|| format!("output {}", self.n)),
            notice_applied: answered,
            stream: false,
            client_ip: Some("127.0.0.1".into()),
            user_agent: Some("fixture".into()),
            status: Some(if verdict == Verdict::Blocked {
                400
            } else {
                200
            }),
            error: None,
        };
        let fb = rating.map(|rating| Feedback {
            rating,
            comment: None,
            categories: vec![],
            time: time + time::Duration::minutes(5),
            user: user.into(),
        });
        self.records.push((rec, fb));
    }
}

/// Three days of the FAQ trial (one record just after midnight JST, which is
/// the previous day in UTC), one record of another plan, one before the range.
fn fixture() -> Fixture {
    let mut f = Fixture {
        n: 0,
        records: vec![],
    };
    let faq = "faq-trial";
    f.add(
        datetime!(2026-10-30 23:00 UTC),
        "carol",
        "広報課",
        faq,
        Verdict::Allowed,
        Some((10, 20)),
        vec![],
        None,
    );
    f.add(
        datetime!(2026-11-02 01:00 UTC),
        "carol",
        "広報課",
        faq,
        Verdict::Allowed,
        Some((12, 30)),
        vec![],
        Some(Rating::Good),
    );
    f.add(
        datetime!(2026-11-02 02:30 UTC),
        "carol",
        "広報課",
        faq,
        Verdict::Masked,
        Some((15, 25)),
        vec![
            finding("phone_jp", 1, "mask", "request"),
            finding("email", 2, "mask", "request"),
        ],
        Some(Rating::Bad),
    );
    f.add(
        datetime!(2026-11-02 03:00 UTC),
        "dan",
        "市民課",
        faq,
        Verdict::Blocked,
        None,
        vec![
            finding("my_number", 1, "block", "request"),
            finding("phone_jp", 1, "block", "request"),
        ],
        None,
    );
    f.add(
        datetime!(2026-11-02 15:30 UTC),
        "erin",
        "広報課",
        faq,
        Verdict::Warned,
        Some((8, 16)),
        vec![finding("prompt_injection", 1, "warn", "request")],
        Some(Rating::Score(2)),
    );
    f.add(
        datetime!(2026-11-03 05:00 UTC),
        "dan",
        "市民課",
        faq,
        Verdict::Allowed,
        Some((20, 40)),
        vec![],
        Some(Rating::Score(5)),
    );
    f.add(
        datetime!(2026-11-03 06:00 UTC),
        "carol",
        "広報課",
        faq,
        Verdict::UpstreamError,
        None,
        vec![],
        None,
    );
    f.add(
        datetime!(2026-11-03 07:00 UTC),
        "carol",
        "広報課",
        faq,
        Verdict::Blocked,
        None,
        vec![finding("confidential_marker", 1, "block", "request")],
        None,
    );
    f.add(
        datetime!(2026-11-03 08:00 UTC),
        "alice",
        "総務課",
        "drafting",
        Verdict::Allowed,
        Some((100, 100)),
        vec![],
        Some(Rating::Bad),
    );
    f.add(
        datetime!(2026-11-04 09:00 UTC),
        "carol",
        "広報課",
        faq,
        Verdict::Masked,
        Some((9, 9)),
        vec![finding("person_name_jp", 1, "mask", "response")],
        None,
    );
    f
}

/// Writes the fixture into a new store in `dir` and closes it.
async fn fill(dir: &Path, settings: &Settings) {
    let cfg = StoreConfig {
        stats_utc_offset: settings.utc_offset,
        ..StoreConfig::default()
    };
    let (store, writer) = AuditStore::open(dir, cfg).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(writer.run(async {
        let _ = stopped.await;
    }));
    for (rec, fb) in fixture().records {
        let id = rec.id.clone();
        store.append(rec).await.unwrap();
        if let Some(fb) = fb {
            store.put_feedback(&id, fb).unwrap();
        }
    }
    store
        .record_consent(
            "user:carol",
            Consent {
                time: datetime!(2026-11-01 00:00 UTC),
                // Consent to the trial text in force, as the gateway records it.
                text_version: mamori::pipeline::consent_text_version(settings),
            },
        )
        .unwrap();
    let _ = stop.send(());
    task.await.unwrap();
}

fn open(dir: &Path, settings: &Settings) -> AuditStore {
    // sled's background flusher can hold the directory lock for a moment after
    // `fill` dropped its handle; wait for it rather than fail (flaky otherwise).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let cfg = StoreConfig {
            create_if_missing: false,
            stats_utc_offset: settings.utc_offset,
            ..StoreConfig::default()
        };
        match AuditStore::open(dir, cfg) {
            Err(mamori::store::StoreError::Locked { .. })
                if std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            r => return r.unwrap().0,
        }
    }
}

const NOW: OffsetDateTime = datetime!(2026-11-20 09:00 UTC);
const RANGE: DayRange = DayRange {
    from: Some(date!(2026 - 11 - 01)),
    to: Some(date!(2026 - 11 - 04)),
};

/// Compares `actual` with a golden file (or rewrites it with UPDATE_GOLDEN=1).
fn golden(name: &str, actual: &str) {
    let path = golden_dir().join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from the golden file at line {}:\n  expected: {:?}\n  actual:   {:?}\n(UPDATE_GOLDEN=1 rewrites it after an intended change)",
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markdown_and_csv_reports_match_the_golden_files() {
    let settings = settings();
    let dir = tempfile::tempdir().unwrap();
    fill(dir.path(), &settings).await;
    let store = open(dir.path(), &settings);
    let r = report::build(&settings, &store, "faq-trial", RANGE, NOW).unwrap();

    // The measured figures, checked directly so the golden files cannot drift silently.
    let u = &r.usage;
    assert_eq!(
        u.requests, 8,
        "the record before the range and drafting's are excluded"
    );
    assert_eq!(u.distinct_users, 3);
    assert_eq!(u.by_verdict["blocked"], 2);
    assert_eq!(u.by_verdict["masked"], 2);
    assert_eq!(u.tokens.total, 42 + 40 + 24 + 60 + 18);
    assert_eq!((u.feedback.total, u.feedback.bad), (4, 2));
    assert_eq!(u.consented_users, Some(1));
    let days: Vec<(&str, u64)> = u
        .daily
        .iter()
        .map(|d| (d.date.as_str(), d.requests))
        .collect();
    // 2026-11-02 15:30 UTC is 2026-11-03 00:30 in JST.
    assert_eq!(
        days,
        [("2026-11-02", 3), ("2026-11-03", 4), ("2026-11-04", 1)]
    );
    assert_eq!(r.plan.colour_ja, "黄");
    assert_eq!(r.plan.policy, "strict");
    assert!(
        r.measures.iter().all(|m| m.applies),
        "a public plan needs all six"
    );

    golden("report.md", &report::to_markdown(&r));
    golden("report.csv", &report::to_csv(&r).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_prints_the_same_report() {
    let settings = settings();
    let dir = tempfile::tempdir().unwrap();
    fill(dir.path(), &settings).await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mamori"))
        .args(["report", "--plan", "faq-trial", "--format", "csv"])
        .args(["--from", "2026-11-01", "--to", "2026-11-04"])
        .arg("--config")
        .arg(golden_dir().join("report-config.toml"))
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let expected = std::fs::read_to_string(golden_dir().join("report.csv")).unwrap();
    let without_time = |s: &str| -> String {
        s.lines()
            .filter(|l| !l.starts_with("report,generated_at,"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(without_time(&printed), without_time(&expected));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mamori"))
        .args(["report", "--plan", "faq-trial", "--format", "csv", "--bom"])
        .arg("--config")
        .arg(golden_dir().join("report-config.toml"))
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("\u{FEFF}section,item,metric,value"));

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mamori"))
        .args(["report", "--plan", "nope", "--format", "md"])
        .arg("--config")
        .arg(golden_dir().join("report-config.toml"))
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no use plan with id 'nope'"), "{err}");
    assert!(err.contains("faq-trial, drafting"), "{err}");
}
