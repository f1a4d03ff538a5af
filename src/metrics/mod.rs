//! Prometheus metrics for operators, and the typed events that feed them.
//!
//! Shaped after vector's `internal_events`: the rest of the gateway never touches a
//! counter directly. It builds one event struct from [`events`] and calls
//! `emit(&metrics)`, which bumps the collector and writes the matching `tracing`
//! line together, so a number on a dashboard and a line in the log always agree.
//!
//! Three choices are deliberate:
//! - [`Metrics`] owns its own [`prometheus::Registry`] instead of the process-global
//!   one, so tests can build as many as they like and nothing else in the process
//!   can pollute `/metrics`.
//! - Label values are bounded. Values that come from code (`route`, `verdict`,
//!   `reason`, `kind`, …) are `&'static str`; values that come from configuration
//!   (`model`, `department`, `provider`) pass through [`LabelBounds`], which maps
//!   anything not configured to [`OTHER`]; values that come from callers (`rating`,
//!   `status`) are mapped onto a fixed set. No user id appears unless the operator
//!   turns on per-user labels.
//! - Every family is announced in [`Metrics::render`] (`# HELP` and `# TYPE`) even
//!   before its first sample, so a freshly started gateway already shows operators,
//!   dashboards and `deploy/check.sh` every name it will ever export.

pub mod events;
pub mod labels;
pub mod logging;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::Arc;

use arc_swap::ArcSwap;
use prometheus::{
    Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

pub use labels::{rating_label, status_label, token_label, user_label, LabelBounds, OTHER};

/// Content type of [`Metrics::render`]'s output (Prometheus text exposition 0.0.4).
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Buckets for whole requests, upstream calls and time to first byte: 1 ms … 120 s.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0,
    90.0, 120.0,
];

/// Buckets for mamori's own overhead: 10 µs … 100 ms, with an edge at exactly 1 ms
/// so the "p99 overhead > 1 ms" alert reads a bucket boundary, not an interpolation.
pub const OVERHEAD_BUCKETS: &[f64] = &[
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.000_75, 0.001, 0.002_5, 0.005,
    0.01, 0.025, 0.05, 0.1,
];

/// Feedback ratings pre-created at zero so `rate()` sees the first one.
const RATINGS: &[&str] = &["good", "bad", "1", "2", "3", "4", "5", OTHER];

/// Errors building the registry or installing the log subscriber.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// A collector could not be created or registered (a bug: duplicate name, bad buckets).
    #[error("metrics registry: {0}")]
    Registry(#[from] prometheus::Error),
    /// The log filter directive does not parse.
    #[error("invalid log filter {filter:?}: {reason}")]
    InvalidFilter {
        /// The directive as given.
        filter: String,
        /// Why it was refused.
        reason: String,
    },
    /// The log format is neither `json` nor `pretty`.
    #[error("invalid log format {0:?}: expected \"json\" or \"pretty\"")]
    InvalidLogFormat(String),
    /// A global tracing subscriber is already installed (init_tracing called twice).
    #[error("tracing is already initialised: {0}")]
    TracingAlreadyInitialised(String),
}

/// What kind of family a name is, for the `# TYPE` line of an announced family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FamilyKind {
    /// Monotonic counter.
    Counter,
    /// Value that goes up and down.
    Gauge,
    /// Histogram (`_bucket`, `_sum`, `_count` series).
    Histogram,
}

impl FamilyKind {
    /// The exposition-format spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FamilyKind::Counter => "counter",
            FamilyKind::Gauge => "gauge",
            FamilyKind::Histogram => "histogram",
        }
    }
}

/// One registered metric family: name, help text and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    /// Full metric name, e.g. `mamori_requests_total`.
    pub name: &'static str,
    /// The `# HELP` text.
    pub help: &'static str,
    /// Counter, gauge or histogram.
    pub kind: FamilyKind,
}

/// The gateway's metrics: one registry and every collector in it.
///
/// Cheap to share behind an `Arc`; every collector is internally synchronised.
pub struct Metrics {
    registry: Registry,
    families: Vec<Family>,
    bounds: ArcSwap<LabelBounds>,
    pub(crate) requests: IntCounterVec,
    pub(crate) request_duration: HistogramVec,
    pub(crate) upstream_duration: HistogramVec,
    pub(crate) overhead: Histogram,
    pub(crate) ttfb: HistogramVec,
    pub(crate) findings: IntCounterVec,
    pub(crate) blocked: IntCounterVec,
    pub(crate) tokens: IntCounterVec,
    pub(crate) feedback: IntCounterVec,
    pub(crate) audit_queue_depth: IntGauge,
    pub(crate) audit_queue_capacity: IntGauge,
    pub(crate) audit_write_errors: IntCounter,
    pub(crate) upstream_errors: IntCounterVec,
    pub(crate) active_streams: IntGauge,
    pub(crate) policy_reloads: IntCounterVec,
    pub(crate) auth_failures: IntCounterVec,
    pub(crate) tls_cert_expiry: Gauge,
    pub(crate) requests_by_user: Option<IntCounterVec>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("families", &self.families.len())
            .field("per_user_labels", &self.requests_by_user.is_some())
            .finish_non_exhaustive()
    }
}

/// Registers collectors and remembers each family for [`Metrics::render`]'s announcements.
struct Builder {
    registry: Registry,
    families: Vec<Family>,
}

impl Builder {
    fn note(&mut self, name: &'static str, help: &'static str, kind: FamilyKind) {
        self.families.push(Family { name, help, kind });
    }

    fn counter_vec(
        &mut self,
        name: &'static str,
        help: &'static str,
        labels: &[&str],
    ) -> Result<IntCounterVec, MetricsError> {
        let c = IntCounterVec::new(Opts::new(name, help), labels)?;
        self.registry.register(Box::new(c.clone()))?;
        self.note(name, help, FamilyKind::Counter);
        Ok(c)
    }

    fn counter(
        &mut self,
        name: &'static str,
        help: &'static str,
    ) -> Result<IntCounter, MetricsError> {
        let c = IntCounter::with_opts(Opts::new(name, help))?;
        self.registry.register(Box::new(c.clone()))?;
        self.note(name, help, FamilyKind::Counter);
        Ok(c)
    }

    fn int_gauge(
        &mut self,
        name: &'static str,
        help: &'static str,
    ) -> Result<IntGauge, MetricsError> {
        let g = IntGauge::with_opts(Opts::new(name, help))?;
        self.registry.register(Box::new(g.clone()))?;
        self.note(name, help, FamilyKind::Gauge);
        Ok(g)
    }

    fn histogram_vec(
        &mut self,
        name: &'static str,
        help: &'static str,
        labels: &[&str],
        buckets: &[f64],
    ) -> Result<HistogramVec, MetricsError> {
        let h = HistogramVec::new(
            HistogramOpts::new(name, help).buckets(buckets.to_vec()),
            labels,
        )?;
        self.registry.register(Box::new(h.clone()))?;
        self.note(name, help, FamilyKind::Histogram);
        Ok(h)
    }
}

impl Metrics {
    /// Builds a fresh registry with every mamori family; `per_user_labels` adds
    /// `mamori_requests_by_user_total{user}` (off by default: one series per member of staff).
    pub fn new(per_user_labels: bool) -> Result<Metrics, MetricsError> {
        let mut b = Builder {
            registry: Registry::new(),
            families: Vec::new(),
        };

        let requests = b.counter_vec(
            "mamori_requests_total",
            "Requests handled, by route, model, HTTP status and scan verdict.",
            &["route", "model", "status", "verdict"],
        )?;
        let request_duration = b.histogram_vec(
            "mamori_request_duration_seconds",
            "Wall time from request received to response finished, by route.",
            &["route"],
            LATENCY_BUCKETS,
        )?;
        let upstream_duration = b.histogram_vec(
            "mamori_upstream_duration_seconds",
            "Time spent waiting on the upstream provider (every forwarded request, failed ones too).",
            &["provider"],
            LATENCY_BUCKETS,
        )?;
        let overhead = {
            let name = "mamori_overhead_seconds";
            let help = "Time mamori itself added to a request, upstream time excluded.";
            let h = Histogram::with_opts(
                HistogramOpts::new(name, help).buckets(OVERHEAD_BUCKETS.to_vec()),
            )?;
            b.registry.register(Box::new(h.clone()))?;
            b.note(name, help, FamilyKind::Histogram);
            h
        };
        let ttfb = b.histogram_vec(
            "mamori_time_to_first_byte_seconds",
            "Time from request received to the first response byte sent to the client, by route.",
            &["route"],
            LATENCY_BUCKETS,
        )?;
        let findings = b.counter_vec(
            "mamori_findings_total",
            "Detections by detector type, the action the policy took, and direction.",
            &["type", "action", "direction"],
        )?;
        let blocked = b.counter_vec(
            "mamori_blocked_total",
            "Requests or responses refused by policy or plan, by reason.",
            &["reason"],
        )?;
        let tokens = b.counter_vec(
            "mamori_tokens_total",
            "Tokens reported by the provider, by department, model and kind (prompt|completion).",
            &["department", "model", "kind"],
        )?;
        let feedback = b.counter_vec(
            "mamori_feedback_total",
            "Feedback received from staff, by rating.",
            &["rating"],
        )?;
        let audit_queue_depth = b.int_gauge(
            "mamori_audit_queue_depth",
            "Audit records waiting for the writer.",
        )?;
        let audit_queue_capacity = b.int_gauge(
            "mamori_audit_queue_capacity",
            "Capacity of the audit write queue (for saturation ratios).",
        )?;
        let audit_write_errors = b.counter(
            "mamori_audit_write_errors_total",
            "Audit records that could not be written to the store.",
        )?;
        let upstream_errors = b.counter_vec(
            "mamori_upstream_errors_total",
            "Upstream failures, by provider and kind (connect, timeout, reset, status_5xx, ...).",
            &["provider", "kind"],
        )?;
        let active_streams = b.int_gauge(
            "mamori_active_streams",
            "Streaming responses currently open.",
        )?;
        let policy_reloads = b.counter_vec(
            "mamori_policy_reloads_total",
            "Policy reloads, by result (ok|error).",
            &["result"],
        )?;
        let auth_failures = b.counter_vec(
            "mamori_auth_failures_total",
            "Refused authentications, by reason.",
            &["reason"],
        )?;
        let build_info = {
            let name = "mamori_build_info";
            let help = "Always 1; the version label says which mamori is running.";
            let g = IntGaugeVec::new(Opts::new(name, help), &["version"])?;
            b.registry.register(Box::new(g.clone()))?;
            b.note(name, help, FamilyKind::Gauge);
            g
        };
        let tls_cert_expiry = {
            let name = "mamori_tls_cert_expiry_timestamp_seconds";
            let help =
                "notAfter of the served TLS certificate, as a Unix timestamp (absent without TLS).";
            let g = Gauge::with_opts(Opts::new(name, help))?;
            b.registry.register(Box::new(g.clone()))?;
            b.note(name, help, FamilyKind::Gauge);
            g
        };
        let requests_by_user = if per_user_labels {
            Some(b.counter_vec(
                "mamori_requests_by_user_total",
                "Requests by staff user (enabled by the per-user labels option).",
                &["user"],
            )?)
        } else {
            None
        };

        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        for result in ["ok", "error"] {
            policy_reloads.with_label_values(&[result]);
        }
        for rating in RATINGS {
            feedback.with_label_values(&[rating]);
        }

        Ok(Metrics {
            registry: b.registry,
            families: b.families,
            bounds: ArcSwap::from_pointee(LabelBounds::default()),
            requests,
            request_duration,
            upstream_duration,
            overhead,
            ttfb,
            findings,
            blocked,
            tokens,
            feedback,
            audit_queue_depth,
            audit_queue_capacity,
            audit_write_errors,
            upstream_errors,
            active_streams,
            policy_reloads,
            auth_failures,
            tls_cert_expiry,
            requests_by_user,
        })
    }

    /// Same metrics with the configured models, departments and providers as label bounds.
    pub fn with_label_bounds(self, bounds: LabelBounds) -> Metrics {
        self.set_label_bounds(bounds);
        self
    }

    /// Replaces the label bounds (after a config reload); series already exported stay.
    pub fn set_label_bounds(&self, bounds: LabelBounds) {
        self.bounds.store(Arc::new(bounds));
    }

    /// The label bounds in force.
    pub fn label_bounds(&self) -> arc_swap::Guard<Arc<LabelBounds>> {
        self.bounds.load()
    }

    /// Whether `mamori_requests_by_user_total` is exported.
    pub fn per_user_labels(&self) -> bool {
        self.requests_by_user.is_some()
    }

    /// Every family this registry exports, in registration order.
    pub fn families(&self) -> &[Family] {
        &self.families
    }

    /// The underlying registry, for callers that add their own collectors.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Prometheus text exposition of every family (see [`CONTENT_TYPE`]).
    ///
    /// Families with no series yet are still announced with `# HELP` and `# TYPE`.
    pub fn render(&self) -> String {
        let gathered = self.registry.gather();
        let mut out = String::with_capacity(8 * 1024);
        if let Err(error) = TextEncoder::new().encode_utf8(&gathered, &mut out) {
            tracing::warn!(message = "metrics encoding failed", %error);
        }
        let present: HashSet<&str> = gathered.iter().map(|mf| mf.name()).collect();
        for fam in &self.families {
            if !present.contains(fam.name) {
                // Writing to a String cannot fail.
                let _ = writeln!(out, "# HELP {} {}", fam.name, fam.help);
                let _ = writeln!(out, "# TYPE {} {}", fam.name, fam.kind.as_str());
            }
        }
        out
    }
}
