//! One struct per thing mamori counts; `emit` updates the collector and logs.
//!
//! Modelled on vector's `internal_events`: a call site says *what happened*
//! (`UpstreamFailed { provider, kind }.emit(&metrics)`) and never which counter to
//! bump or what to log, so metric names, label bounding and log fields live in one
//! file. Events carry only low-cardinality facts: never prompt or output text,
//! matched values, raw keys or headers. Successes on the hot path log at `debug`;
//! policy outcomes at `info`; failures at `warn` (or `error` for a lost audit write).
//!
//! Label conventions (the values the dashboards and alerts expect):
//! - `route`: the route enum's name, e.g. `chat_completions`, `embeddings`, `models`.
//! - `verdict`: `allow`, `warn`, `mask`, `block` (or `error` when no verdict was reached).
//! - `direction`: `request` or `response`; `action`: `block`, `mask`, `warn`, `allow`.
//! - `kind` (upstream): `connect`, `timeout`, `reset`, `status_4xx`, `status_5xx`, `protocol`.

use std::fmt::Display;
use std::time::Duration;

use prometheus::IntGauge;

use super::labels::{rating_label, status_label, token_label, user_label};
use super::Metrics;

/// Time spent upstream for one forwarded request.
#[derive(Debug, Clone, Copy)]
pub struct UpstreamTiming<'a> {
    /// Configured provider name (bounded by [`super::LabelBounds`]).
    pub provider: &'a str,
    /// From sending the request upstream to the last byte (or the failure).
    pub duration: Duration,
}

/// A request finished (any outcome): the main traffic and latency event.
#[derive(Debug, Clone, Copy)]
pub struct RequestCompleted<'a> {
    /// Route name, from code.
    pub route: &'static str,
    /// Model (or deployment) asked for; unconfigured names are counted as `other`.
    pub model: &'a str,
    /// HTTP status sent to the client.
    pub status: u16,
    /// Scan verdict (`allow`, `warn`, `mask`, `block`, `error`).
    pub verdict: &'static str,
    /// Whole request, received to finished.
    pub duration: Duration,
    /// Upstream timing, `None` when the request never left mamori.
    pub upstream: Option<UpstreamTiming<'a>>,
    /// What mamori itself added (duration minus upstream time).
    pub overhead: Duration,
    /// Time to the first response byte, when one was sent.
    pub ttfb: Option<Duration>,
    /// Staff user; only used when per-user labels are enabled.
    pub user: Option<&'a str>,
}

impl RequestCompleted<'_> {
    /// Counts the request and observes its latencies.
    pub fn emit(self, m: &Metrics) {
        let bounds = m.label_bounds();
        let model = bounds.model(self.model);
        let status = status_label(self.status);
        m.requests
            .with_label_values(&[self.route, model, &status, self.verdict])
            .inc();
        m.request_duration
            .with_label_values(&[self.route])
            .observe(self.duration.as_secs_f64());
        m.overhead.observe(self.overhead.as_secs_f64());
        if let Some(ttfb) = self.ttfb {
            m.ttfb
                .with_label_values(&[self.route])
                .observe(ttfb.as_secs_f64());
        }
        let provider = self.upstream.map(|u| bounds.provider(u.provider));
        if let (Some(up), Some(provider)) = (self.upstream, provider) {
            m.upstream_duration
                .with_label_values(&[provider])
                .observe(up.duration.as_secs_f64());
        }
        if let (Some(by_user), Some(user)) = (&m.requests_by_user, self.user) {
            by_user.with_label_values(&[user_label(user)]).inc();
        }
        tracing::debug!(
            message = "request completed",
            route = self.route,
            model,
            status = self.status,
            verdict = self.verdict,
            duration_ms = self.duration.as_secs_f64() * 1e3,
            overhead_us = self.overhead.as_secs_f64() * 1e6,
            upstream_ms = self.upstream.map(|u| u.duration.as_secs_f64() * 1e3),
            provider,
        );
    }
}

/// How many findings of one detector type, with the action the policy chose.
#[derive(Debug, Clone, Copy)]
pub struct FindingCount<'a> {
    /// Detector type name (`my_number`, `prompt_injection`, a keyword list name).
    pub kind: &'a str,
    /// `block`, `mask`, `warn` or `allow`.
    pub action: &'static str,
    /// Number of findings.
    pub count: u64,
}

/// The scanner found something in one direction of one exchange.
#[derive(Debug, Clone, Copy)]
pub struct FindingsDetected<'a> {
    /// `request` or `response`.
    pub direction: &'static str,
    /// Findings grouped by type and action; values are never included.
    pub findings: &'a [FindingCount<'a>],
}

impl FindingsDetected<'_> {
    /// Counts each finding type under `mamori_findings_total`.
    pub fn emit(self, m: &Metrics) {
        let mut total = 0u64;
        for f in self.findings {
            m.findings
                .with_label_values(&[token_label(f.kind), f.action, self.direction])
                .inc_by(f.count);
            total = total.saturating_add(f.count);
        }
        tracing::debug!(
            message = "findings detected",
            direction = self.direction,
            types = self.findings.len(),
            total,
        );
    }
}

/// A request (or a response) was refused by policy or use plan.
#[derive(Debug, Clone, Copy)]
pub struct RequestBlocked {
    /// Why, from code: `sensitive_data`, `confidential_marker`, `plan_period`,
    /// `plan_scope`, `model_not_allowed`, `consent_required`, `response_blocked`, …
    pub reason: &'static str,
}

impl RequestBlocked {
    /// Counts the block.
    pub fn emit(self, m: &Metrics) {
        m.blocked.with_label_values(&[self.reason]).inc();
        tracing::info!(message = "request blocked", reason = self.reason);
    }
}

/// Token usage reported by the provider for one exchange.
#[derive(Debug, Clone, Copy)]
pub struct TokensUsed<'a> {
    /// The caller's department (bounded by configuration).
    pub department: &'a str,
    /// Model (bounded by configuration).
    pub model: &'a str,
    /// Prompt tokens.
    pub prompt: u64,
    /// Completion tokens.
    pub completion: u64,
}

impl TokensUsed<'_> {
    /// Adds to `mamori_tokens_total{kind="prompt"|"completion"}`.
    pub fn emit(self, m: &Metrics) {
        let bounds = m.label_bounds();
        let department = bounds.department(self.department);
        let model = bounds.model(self.model);
        m.tokens
            .with_label_values(&[department, model, "prompt"])
            .inc_by(self.prompt);
        m.tokens
            .with_label_values(&[department, model, "completion"])
            .inc_by(self.completion);
        tracing::debug!(
            message = "tokens used",
            department,
            model,
            prompt = self.prompt,
            completion = self.completion,
        );
    }
}

/// A member of staff rated an answer.
#[derive(Debug, Clone, Copy)]
pub struct FeedbackReceived<'a> {
    /// `good`, `bad` or `1`…`5` as sent; anything else counts as `other`.
    pub rating: &'a str,
}

impl FeedbackReceived<'_> {
    /// Counts the rating.
    pub fn emit(self, m: &Metrics) {
        let rating = rating_label(self.rating);
        m.feedback.with_label_values(&[rating]).inc();
        tracing::debug!(message = "feedback received", rating);
    }
}

/// The upstream provider failed (connect error, timeout, reset, 5xx, …).
#[derive(Debug, Clone, Copy)]
pub struct UpstreamFailed<'a> {
    /// Configured provider name (bounded).
    pub provider: &'a str,
    /// Failure kind, from code (see the module doc).
    pub kind: &'static str,
}

impl UpstreamFailed<'_> {
    /// Counts the failure.
    pub fn emit(self, m: &Metrics) {
        let bounds = m.label_bounds();
        let provider = bounds.provider(self.provider);
        m.upstream_errors
            .with_label_values(&[provider, self.kind])
            .inc();
        tracing::warn!(message = "upstream failed", provider, kind = self.kind);
    }
}

/// A caller was refused authentication or authorisation.
#[derive(Debug, Clone, Copy)]
pub struct AuthFailed {
    /// From code: `missing_key`, `unknown_key`, `model_not_allowed`, `admin_role`, …
    pub reason: &'static str,
}

impl AuthFailed {
    /// Counts the failure; the key itself is never logged.
    pub fn emit(self, m: &Metrics) {
        m.auth_failures.with_label_values(&[self.reason]).inc();
        tracing::warn!(message = "authentication failed", reason = self.reason);
    }
}

/// Policies were reloaded (SIGHUP or file change), successfully or not.
#[derive(Clone, Copy)]
pub struct PolicyReloaded<'a> {
    /// Whether the new policies are now in force.
    pub ok: bool,
    /// Why not, when `ok` is false (names file and key, never scanned text).
    pub error: Option<&'a dyn Display>,
}

impl std::fmt::Debug for PolicyReloaded<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyReloaded")
            .field("ok", &self.ok)
            .field("error", &self.error.map(|e| e.to_string()))
            .finish()
    }
}

impl PolicyReloaded<'_> {
    /// Counts the reload under `result="ok"|"error"`.
    pub fn emit(self, m: &Metrics) {
        if self.ok {
            m.policy_reloads.with_label_values(&["ok"]).inc();
            tracing::info!(message = "policies reloaded");
        } else {
            m.policy_reloads.with_label_values(&["error"]).inc();
            match self.error {
                Some(error) => tracing::warn!(
                    message = "policy reload refused; previous policies stay in force",
                    %error
                ),
                None => tracing::warn!(
                    message = "policy reload refused; previous policies stay in force"
                ),
            }
        }
    }
}

/// An audit record could not be written.
#[derive(Clone, Copy)]
pub struct AuditWriteFailed<'a> {
    /// The store error (I/O, disk full); never the record's content.
    pub error: &'a dyn Display,
}

impl std::fmt::Debug for AuditWriteFailed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditWriteFailed")
            .field("error", &self.error.to_string())
            .finish()
    }
}

impl AuditWriteFailed<'_> {
    /// Counts the failure and logs it at `error`: requests now fail closed.
    pub fn emit(self, m: &Metrics) {
        m.audit_write_errors.inc();
        tracing::error!(message = "audit write failed", error = %self.error);
    }
}

/// The audit writer sampled its queue.
#[derive(Debug, Clone, Copy)]
pub struct AuditQueueSampled {
    /// Records waiting.
    pub depth: usize,
    /// Queue capacity.
    pub capacity: usize,
}

impl AuditQueueSampled {
    /// Sets `mamori_audit_queue_depth` and `mamori_audit_queue_capacity`; no log line.
    pub fn emit(self, m: &Metrics) {
        m.audit_queue_depth.set(saturating_i64(self.depth));
        m.audit_queue_capacity.set(saturating_i64(self.capacity));
    }
}

/// A TLS certificate was loaded (at start or on reload).
#[derive(Debug, Clone, Copy)]
pub struct TlsCertificateLoaded {
    /// The certificate's notAfter as Unix seconds.
    pub not_after_unix: i64,
}

impl TlsCertificateLoaded {
    /// Sets `mamori_tls_cert_expiry_timestamp_seconds`.
    pub fn emit(self, m: &Metrics) {
        // Unix seconds fit an f64 exactly for any realistic date.
        m.tls_cert_expiry.set(self.not_after_unix as f64);
        tracing::info!(
            message = "tls certificate loaded",
            not_after_unix = self.not_after_unix
        );
    }
}

/// A streaming response started; keep the returned guard for the stream's life.
#[derive(Debug, Clone, Copy)]
pub struct StreamStarted;

impl StreamStarted {
    /// Increments `mamori_active_streams`; the guard decrements it when dropped,
    /// so a stream that ends by error, client disconnect or panic unwind is still counted out.
    pub fn emit(self, m: &Metrics) -> ActiveStream {
        m.active_streams.inc();
        ActiveStream {
            gauge: m.active_streams.clone(),
        }
    }
}

/// Holds one unit of `mamori_active_streams` until dropped.
#[derive(Debug)]
#[must_use = "dropping the guard immediately ends the stream's count"]
pub struct ActiveStream {
    gauge: IntGauge,
}

impl Drop for ActiveStream {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

fn saturating_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
