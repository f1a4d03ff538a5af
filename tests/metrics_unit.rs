//! Metrics: every family renders with the right labels and values after events.
//!
//! Also home of the ignored `dump_metrics_sample` helper that `deploy/check.sh`
//! runs to get a scrape to check dashboards and alert rules against.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use mamori::metrics::events::{
    AuditQueueSampled, AuditWriteFailed, AuthFailed, FeedbackReceived, FindingCount,
    FindingsDetected, PolicyReloaded, RequestBlocked, RequestCompleted, StreamStarted,
    TlsCertificateLoaded, TokensUsed, UpstreamFailed, UpstreamTiming,
};
use mamori::metrics::logging::{init_tracing, LogFormat};
use mamori::metrics::{FamilyKind, LabelBounds, Metrics, MetricsError, CONTENT_TYPE};

fn bounds() -> LabelBounds {
    LabelBounds::new()
        .with_models(["gpt-4o-mini", "text-embedding-3-small"])
        .with_departments(["総務課", "情報政策課"])
        .with_providers(["mock", "azure-east"])
}

fn metrics(per_user: bool) -> Metrics {
    Metrics::new(per_user).unwrap().with_label_bounds(bounds())
}

/// The value of the sample line `name{labels}` (labels exactly as rendered), if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (k, v) = l.rsplit_once(' ')?;
        (k == series).then(|| v.parse().unwrap())
    })
}

/// A scripted mix of traffic: allowed, masked, blocked, upstream error, feedback, ….
fn scripted_traffic(m: &Metrics) {
    RequestCompleted {
        route: "chat_completions",
        model: "gpt-4o-mini",
        status: 200,
        verdict: "allow",
        duration: Duration::from_millis(1200),
        upstream: Some(UpstreamTiming {
            provider: "mock",
            duration: Duration::from_millis(1199),
        }),
        overhead: Duration::from_micros(80),
        ttfb: Some(Duration::from_millis(300)),
        user: Some("alice"),
    }
    .emit(m);
    FindingsDetected {
        direction: "request",
        findings: &[
            FindingCount {
                kind: "phone_jp",
                action: "mask",
                count: 2,
            },
            FindingCount {
                kind: "email",
                action: "mask",
                count: 1,
            },
        ],
    }
    .emit(m);
    RequestCompleted {
        route: "chat_completions",
        model: "gpt-4o-mini",
        status: 200,
        verdict: "mask",
        duration: Duration::from_millis(900),
        upstream: Some(UpstreamTiming {
            provider: "mock",
            duration: Duration::from_millis(899),
        }),
        overhead: Duration::from_micros(150),
        ttfb: Some(Duration::from_millis(250)),
        user: Some("alice"),
    }
    .emit(m);
    FindingsDetected {
        direction: "request",
        findings: &[
            FindingCount {
                kind: "my_number",
                action: "block",
                count: 1,
            },
            FindingCount {
                kind: "prompt_injection",
                action: "warn",
                count: 1,
            },
        ],
    }
    .emit(m);
    RequestBlocked {
        reason: "sensitive_data",
    }
    .emit(m);
    RequestCompleted {
        route: "chat_completions",
        model: "some-model-a-client-made-up",
        status: 400,
        verdict: "block",
        duration: Duration::from_micros(200),
        upstream: None,
        overhead: Duration::from_micros(200),
        ttfb: Some(Duration::from_micros(190)),
        user: Some("bob"),
    }
    .emit(m);
    UpstreamFailed {
        provider: "azure-east",
        kind: "timeout",
    }
    .emit(m);
    RequestCompleted {
        route: "embeddings",
        model: "text-embedding-3-small",
        status: 504,
        verdict: "allow",
        duration: Duration::from_secs(30),
        upstream: Some(UpstreamTiming {
            provider: "azure-east",
            duration: Duration::from_secs(30),
        }),
        overhead: Duration::from_micros(2500),
        ttfb: None,
        user: Some("bob"),
    }
    .emit(m);
    TokensUsed {
        department: "総務課",
        model: "gpt-4o-mini",
        prompt: 120,
        completion: 480,
    }
    .emit(m);
    TokensUsed {
        department: "架空の課",
        model: "gpt-4o-mini",
        prompt: 5,
        completion: 7,
    }
    .emit(m);
    FeedbackReceived { rating: "good" }.emit(m);
    FeedbackReceived { rating: "bad" }.emit(m);
    FeedbackReceived { rating: "4" }.emit(m);
    FeedbackReceived {
        rating: "<b>excellent</b>",
    }
    .emit(m);
    AuthFailed {
        reason: "unknown_key",
    }
    .emit(m);
    PolicyReloaded {
        ok: true,
        error: None,
    }
    .emit(m);
    let why = "policies/default.toml: actions.my_number: unknown action \"nuke\"";
    PolicyReloaded {
        ok: false,
        error: Some(&why),
    }
    .emit(m);
    AuditQueueSampled {
        depth: 3,
        capacity: 1024,
    }
    .emit(m);
    let io = std::io::Error::other("disk full");
    AuditWriteFailed { error: &io }.emit(m);
    TlsCertificateLoaded {
        not_after_unix: 1_900_000_000,
    }
    .emit(m);
}

#[test]
fn every_family_moves_with_the_right_labels() {
    let m = metrics(false);
    scripted_traffic(&m);
    let t = m.render();
    let v = |s: &str| sample(&t, s).unwrap_or_else(|| panic!("missing {s} in\n{t}"));

    let req = "mamori_requests_total";
    assert_eq!(
        v(&format!(
            r#"{req}{{model="gpt-4o-mini",route="chat_completions",status="200",verdict="allow"}}"#
        )),
        1.0
    );
    assert_eq!(
        v(&format!(
            r#"{req}{{model="gpt-4o-mini",route="chat_completions",status="200",verdict="mask"}}"#
        )),
        1.0
    );
    // A model nobody configured is counted, but as "other".
    assert_eq!(
        v(&format!(
            r#"{req}{{model="other",route="chat_completions",status="400",verdict="block"}}"#
        )),
        1.0
    );
    assert!(!t.contains("some-model-a-client-made-up"));
    assert_eq!(
        v(&format!(
            r#"{req}{{model="text-embedding-3-small",route="embeddings",status="504",verdict="allow"}}"#
        )),
        1.0
    );

    assert_eq!(
        v(r#"mamori_request_duration_seconds_count{route="chat_completions"}"#),
        3.0
    );
    assert_eq!(
        v(r#"mamori_request_duration_seconds_bucket{route="chat_completions",le="0.001"}"#),
        1.0
    );
    assert_eq!(
        v(r#"mamori_request_duration_seconds_bucket{route="embeddings",le="120"}"#),
        1.0
    );
    assert_eq!(
        v(r#"mamori_upstream_duration_seconds_count{provider="mock"}"#),
        2.0
    );
    assert_eq!(
        v(r#"mamori_upstream_duration_seconds_count{provider="azure-east"}"#),
        1.0
    );
    assert_eq!(v("mamori_overhead_seconds_count"), 4.0);
    assert_eq!(v(r#"mamori_overhead_seconds_bucket{le="0.0001"}"#), 1.0);
    assert_eq!(v(r#"mamori_overhead_seconds_bucket{le="0.001"}"#), 3.0);
    assert_eq!(v(r#"mamori_overhead_seconds_bucket{le="0.00001"}"#), 0.0);
    assert_eq!(
        v(r#"mamori_time_to_first_byte_seconds_count{route="chat_completions"}"#),
        3.0
    );
    assert!(sample(
        &t,
        r#"mamori_time_to_first_byte_seconds_count{route="embeddings"}"#
    )
    .is_none());

    let f = "mamori_findings_total";
    assert_eq!(
        v(&format!(
            r#"{f}{{action="mask",direction="request",type="phone_jp"}}"#
        )),
        2.0
    );
    assert_eq!(
        v(&format!(
            r#"{f}{{action="mask",direction="request",type="email"}}"#
        )),
        1.0
    );
    assert_eq!(
        v(&format!(
            r#"{f}{{action="block",direction="request",type="my_number"}}"#
        )),
        1.0
    );
    assert_eq!(
        v(&format!(
            r#"{f}{{action="warn",direction="request",type="prompt_injection"}}"#
        )),
        1.0
    );
    assert_eq!(v(r#"mamori_blocked_total{reason="sensitive_data"}"#), 1.0);

    assert_eq!(
        v(r#"mamori_tokens_total{department="総務課",kind="prompt",model="gpt-4o-mini"}"#),
        120.0
    );
    assert_eq!(
        v(r#"mamori_tokens_total{department="総務課",kind="completion",model="gpt-4o-mini"}"#),
        480.0
    );
    assert_eq!(
        v(r#"mamori_tokens_total{department="other",kind="completion",model="gpt-4o-mini"}"#),
        7.0
    );

    assert_eq!(v(r#"mamori_feedback_total{rating="good"}"#), 1.0);
    assert_eq!(v(r#"mamori_feedback_total{rating="bad"}"#), 1.0);
    assert_eq!(v(r#"mamori_feedback_total{rating="4"}"#), 1.0);
    assert_eq!(v(r#"mamori_feedback_total{rating="other"}"#), 1.0);
    assert_eq!(v(r#"mamori_feedback_total{rating="1"}"#), 0.0);

    assert_eq!(v("mamori_audit_queue_depth"), 3.0);
    assert_eq!(v("mamori_audit_queue_capacity"), 1024.0);
    assert_eq!(v("mamori_audit_write_errors_total"), 1.0);
    assert_eq!(
        v(r#"mamori_upstream_errors_total{kind="timeout",provider="azure-east"}"#),
        1.0
    );
    assert_eq!(v(r#"mamori_policy_reloads_total{result="ok"}"#), 1.0);
    assert_eq!(v(r#"mamori_policy_reloads_total{result="error"}"#), 1.0);
    assert_eq!(
        v(r#"mamori_auth_failures_total{reason="unknown_key"}"#),
        1.0
    );
    assert_eq!(
        v(&format!(
            r#"mamori_build_info{{version="{}"}}"#,
            env!("CARGO_PKG_VERSION")
        )),
        1.0
    );
    assert_eq!(v("mamori_tls_cert_expiry_timestamp_seconds"), 1.9e9);
    assert_eq!(v("mamori_active_streams"), 0.0);

    // Off by default: no user ids anywhere.
    assert!(!t.contains("mamori_requests_by_user_total"));
    assert!(!t.contains("alice"));
}

#[test]
fn per_user_labels_only_when_enabled() {
    let m = metrics(true);
    scripted_traffic(&m);
    let t = m.render();
    assert_eq!(
        sample(&t, r#"mamori_requests_by_user_total{user="alice"}"#),
        Some(2.0)
    );
    assert_eq!(
        sample(&t, r#"mamori_requests_by_user_total{user="bob"}"#),
        Some(2.0)
    );
    assert!(m.per_user_labels());
}

#[test]
fn active_streams_guard_counts_down_on_drop() {
    let m = metrics(false);
    let a = StreamStarted.emit(&m);
    let b = StreamStarted.emit(&m);
    assert_eq!(sample(&m.render(), "mamori_active_streams"), Some(2.0));
    drop(a);
    assert_eq!(sample(&m.render(), "mamori_active_streams"), Some(1.0));
    // A stream task that dies still gives its unit back.
    let handle = std::thread::spawn(move || {
        let _b = b;
        panic!("stream task died");
    });
    assert!(handle.join().is_err());
    assert_eq!(sample(&m.render(), "mamori_active_streams"), Some(0.0));
}

#[test]
fn fresh_registry_announces_every_family() {
    let m = Metrics::new(false).unwrap();
    let t = m.render();
    for fam in m.families() {
        assert!(
            t.contains(&format!("# TYPE {} {}\n", fam.name, fam.kind.as_str())),
            "{} not announced in\n{t}",
            fam.name
        );
        assert_eq!(t.matches(&format!("# TYPE {} ", fam.name)).count(), 1);
    }
    let names: Vec<_> = m.families().iter().map(|f| f.name).collect();
    for want in [
        "mamori_requests_total",
        "mamori_request_duration_seconds",
        "mamori_upstream_duration_seconds",
        "mamori_overhead_seconds",
        "mamori_time_to_first_byte_seconds",
        "mamori_findings_total",
        "mamori_blocked_total",
        "mamori_tokens_total",
        "mamori_feedback_total",
        "mamori_audit_queue_depth",
        "mamori_audit_write_errors_total",
        "mamori_upstream_errors_total",
        "mamori_active_streams",
        "mamori_policy_reloads_total",
        "mamori_auth_failures_total",
        "mamori_build_info",
        "mamori_tls_cert_expiry_timestamp_seconds",
    ] {
        assert!(names.contains(&want), "{want} not registered");
    }
    assert!(!names.contains(&"mamori_requests_by_user_total"));
    assert_eq!(
        m.families()
            .iter()
            .find(|f| f.name == "mamori_overhead_seconds")
            .map(|f| f.kind),
        Some(FamilyKind::Histogram)
    );
    assert!(CONTENT_TYPE.starts_with("text/plain; version=0.0.4"));
}

#[test]
fn registries_are_independent() {
    let a = metrics(false);
    let b = metrics(false);
    AuthFailed {
        reason: "missing_key",
    }
    .emit(&a);
    assert!(a.render().contains(r#"reason="missing_key""#));
    assert!(!b.render().contains(r#"reason="missing_key""#));
}

#[test]
fn unbounded_inputs_never_become_labels() {
    let m = Metrics::new(false).unwrap(); // no bounds configured: fail closed
    TokensUsed {
        department: "総務課",
        model: "gpt-4o-mini",
        prompt: 1,
        completion: 1,
    }
    .emit(&m);
    FindingsDetected {
        direction: "response",
        findings: &[FindingCount {
            kind: "090-1234-5678 looks like this",
            action: "mask",
            count: 1,
        }],
    }
    .emit(&m);
    let t = m.render();
    assert!(t.contains(r#"mamori_tokens_total{department="other",kind="prompt",model="other"} 1"#));
    assert!(
        t.contains(r#"mamori_findings_total{action="mask",direction="response",type="other"} 1"#)
    );
    assert!(!t.contains("090"));
}

#[test]
fn init_tracing_twice_is_an_error_not_a_panic() {
    assert!(matches!(
        init_tracing(LogFormat::Json, "info,mamori=nonsense-level"),
        Err(MetricsError::InvalidFilter { .. })
    ));
    let first = init_tracing(LogFormat::Json, "off");
    let second = init_tracing(LogFormat::Pretty, "off");
    assert!(first.is_ok(), "{first:?}");
    assert!(matches!(
        second,
        Err(MetricsError::TracingAlreadyInitialised(_))
    ));
}

/// Writes a realistic scrape (every family, most with samples) for `deploy/check.sh`.
///
/// `MAMORI_METRICS_SAMPLE=path cargo test --test metrics_unit -- --ignored dump_metrics_sample`
#[test]
#[ignore = "helper for deploy/check.sh"]
fn dump_metrics_sample() {
    let m = metrics(false);
    scripted_traffic(&m);
    let _stream = StreamStarted.emit(&m);
    let path = std::env::var("MAMORI_METRICS_SAMPLE")
        .unwrap_or_else(|_| "target/metrics-sample.txt".to_owned());
    if let Some(dir) = std::path::Path::new(&path).parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(&path, m.render()).unwrap();
    eprintln!("wrote {path}");
}
