//! The request pipeline: one module per phase, called in order by [`handle`].
//!
//! authenticate ([`auth`]) → resolve use plan ([`plan`]) → parse ([`parse`]) →
//! scan request → forward ([`forward`]) → scan and stamp response ([`stamp`],
//! [`respond`]) → log → metrics ([`metrics`])
//!
//! Each phase is a plain function with a narrow typed input and output
//! ([`auth::Caller`], [`plan::UsePlan`], [`parse::ParsedRequest`],
//! [`crate::providers::UpstreamResponse`]); there is no shared mutable bag,
//! and no phase has a do-nothing default that could let a request through.
//! What the log and metrics phases need is gathered in one [`Exchange`] as the
//! phases run; they run for every request, answered or refused, and for a
//! stream only once the stream is over.

pub mod answer;
pub mod audit;
pub mod auth;
pub mod forward;
pub mod metrics;
pub mod parse;
pub mod plan;
pub mod respond;
pub mod scan;
pub mod stamp;
pub mod stream_filter;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::HeaderMap;

use crate::error::{GatewayError, PlanRefusal};
use crate::providers::Operation;
use crate::state::AppState;
use parse::RouteStyle;

/// Per-request facts gathered before the pipeline runs.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    /// ULID; also the audit record id.
    pub request_id: String,
    /// Peer address of the client connection.
    pub client: Option<SocketAddr>,
    /// When the request arrived.
    pub received: Instant,
}

/// What the scan phase decided for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verdict {
    /// Nothing to act on.
    #[default]
    Allowed,
    /// Forwarded with a warning header.
    Warned,
    /// Forwarded with values replaced by placeholders.
    Masked,
    /// Refused.
    Blocked,
}

impl Verdict {
    /// The `verdict` label of `mamori_requests_total`.
    pub fn metric_label(self, failed: bool) -> &'static str {
        match self {
            Self::Blocked => "block",
            _ if failed => "error",
            Self::Allowed => "allow",
            Self::Warned => "warn",
            Self::Masked => "mask",
        }
    }
}

/// Everything the log and metrics phases need about one exchange.
#[derive(Debug)]
pub struct Exchange {
    /// Request id (ULID).
    pub request_id: String,
    /// Arrival time.
    pub received: Instant,
    /// Client address.
    pub client: Option<SocketAddr>,
    /// Client `user-agent`.
    pub user_agent: Option<String>,
    /// Route label (`openai.chat`, `azure.embeddings`, …).
    pub route: &'static str,
    /// Operation.
    pub op: Operation,
    /// Authenticated user.
    pub user: Option<String>,
    /// Their department.
    pub department: Option<String>,
    /// Model or deployment asked for.
    pub model: Option<String>,
    /// Provider name the request went to.
    pub provider: Option<String>,
    /// `"stream": true`.
    pub stream: bool,
    /// Status sent to the client.
    pub status: u16,
    /// Scan verdict.
    pub verdict: Verdict,
    /// Error kind, if the exchange failed.
    pub error: Option<&'static str>,
    /// Authentication failure reason (metrics label).
    pub auth_failure: Option<&'static str>,
    /// Upstream failure kind (metrics label).
    pub upstream_failure: Option<&'static str>,
    /// Why it was blocked (metrics label).
    pub blocked_reason: Option<&'static str>,
    /// Upstream status.
    pub upstream_status: Option<u16>,
    /// Time spent upstream.
    pub upstream_elapsed: Option<Duration>,
    /// Time to the first byte sent to the client.
    pub ttfb: Option<Duration>,
    /// Output, usage and notice facts.
    pub answer: stamp::AnswerFacts,
    /// Whether the caller authenticated: then the exchange is audited, refusals included
    /// (unknown callers are only counted in metrics).
    pub attributed: bool,
    /// Whether the answer reached the client before the log phase (streams).
    pub released: bool,
    /// Findings in both directions (types, counts, actions; never values).
    pub findings: Vec<scan::FindingSummary>,
    /// The prompt as forwarded (masked), for the log.
    pub prompt: Option<String>,
    /// Policy the exchange was scanned with.
    pub policy: Option<String>,
    /// Use plan of the caller's key.
    pub plan: Option<String>,
}

impl Exchange {
    fn new(meta: &RequestMeta, op: Operation, style: &RouteStyle, headers: &HeaderMap) -> Self {
        Self {
            request_id: meta.request_id.clone(),
            received: meta.received,
            client: meta.client,
            user_agent: headers
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(256).collect()),
            route: style.label(op),
            op,
            user: None,
            department: None,
            model: None,
            provider: None,
            stream: false,
            status: 200,
            verdict: Verdict::Allowed,
            error: None,
            auth_failure: None,
            upstream_failure: None,
            blocked_reason: None,
            upstream_status: None,
            upstream_elapsed: None,
            ttfb: None,
            answer: stamp::AnswerFacts::default(),
            attributed: false,
            released: false,
            findings: Vec::new(),
            prompt: None,
            policy: None,
            plan: None,
        }
    }

    fn fail(&mut self, err: &GatewayError) {
        self.status = err.status().as_u16();
        self.error = Some(err.kind());
        match err {
            GatewayError::MissingKey
            | GatewayError::InvalidKey
            | GatewayError::ModelNotAllowed(_) => {
                self.auth_failure = Some(err.kind());
            }
            GatewayError::PlanViolation(r) if !matches!(r, PlanRefusal::ClassAbovePlan { .. }) => {
                self.auth_failure = Some(err.kind());
            }
            GatewayError::UpstreamConnect | GatewayError::UpstreamProtocol => {
                self.upstream_failure = Some(if self.stream && self.ttfb.is_some() {
                    "reset"
                } else {
                    "connect"
                });
            }
            GatewayError::UpstreamTimeout(_) => self.upstream_failure = Some("timeout"),
            _ => {}
        }
    }
}

/// The log and metrics phases, run once per exchange. `Err` means the
/// exchange could not be logged (and the answer must not be released).
async fn finish(state: &AppState, ex: Exchange) -> Result<(), GatewayError> {
    let logged = audit::record(state, &ex).await;
    metrics::record(&state.metrics, &ex);
    logged
}

/// Runs a model request through every phase and returns the response.
pub async fn handle(
    state: Arc<AppState>,
    meta: RequestMeta,
    op: Operation,
    style: RouteStyle,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut slot = Some(Exchange::new(&meta, op, &style, &headers));
    let result = run(&state, &meta, &mut slot, op, style, &headers, body).await;
    let Some(mut ex) = slot else {
        // A stream took the exchange; it finishes it when it ends.
        return result.unwrap_or_else(IntoResponse::into_response);
    };
    let resp = match result {
        Ok(resp) => resp,
        Err(err) => {
            tracing::info!(request_id = %meta.request_id, kind = err.kind(), status = err.status().as_u16(), "request refused");
            ex.fail(&err);
            err.into_response()
        }
    };
    ex.status = resp.status().as_u16();
    if ex.ttfb.is_none() {
        ex.ttfb = Some(ex.received.elapsed());
    }
    match finish(&state, ex).await {
        // Strict durability: an answer that is not on record is not released. A refusal
        // releases nothing, so it keeps its own status even when it could not be logged.
        Err(err) if resp.status().is_success() => err.into_response(),
        _ => resp,
    }
}

async fn run(
    state: &Arc<AppState>,
    meta: &RequestMeta,
    slot: &mut Option<Exchange>,
    op: Operation,
    style: RouteStyle,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, GatewayError> {
    let settings = &state.settings;
    let ex = slot.as_mut().ok_or(GatewayError::Internal)?;
    // 1. authenticate (before reading a byte of body from an unknown caller)
    let caller = state.keys.staff(headers)?;
    ex.attributed = true;
    ex.user = Some(caller.user().to_owned());
    ex.department = Some(caller.department().to_owned());
    // 2a. the use plan's period and scope (before reading the body); a refusal is
    // logged under the plan too
    let key_plan = settings.plan_of(&caller.key);
    ex.plan = key_plan.map(|p| p.id.clone());
    let admission = plan::admit(settings, key_plan, &caller)?;
    // Q16: public use needs recorded consent before the first answer.
    if caller.key.public {
        match has_current_consent(&state.store, settings, caller.user()) {
            Ok(true) => {}
            // None, or consent to an older trial text: ask again.
            Ok(false) => return Err(GatewayError::ConsentRequired),
            Err(e) => {
                tracing::error!(error = %e, "cannot read consent; refusing (fail closed)");
                return Err(GatewayError::AuditUnavailable);
            }
        }
    }
    // 3. parse (the model name is needed to resolve the plan)
    let raw = parse::read_body(
        headers,
        body,
        settings.limits.max_body_bytes,
        settings.limits.body_read_timeout,
    )
    .await?;
    let mut req = parse::parse(op, &style, raw)?;
    ex.model = Some(req.model.clone());
    ex.stream = req.stream;
    // 2b. resolve the use plan for this model
    let plan = plan::resolve(settings, admission, &caller, &req.model)?;
    let provider = state
        .providers
        .get(plan.route.provider)
        .ok_or(GatewayError::Internal)?;
    ex.provider = Some(provider.settings().name.clone());
    let deadline = meta.received + settings.timeouts.total;
    // 4. scan the request (fail closed: a missing policy refuses the request)
    let policy = state.policy(plan.policy).ok_or_else(|| {
        tracing::error!(policy = plan.policy, "policy not loaded; refusing request");
        GatewayError::Unavailable
    })?;
    ex.policy = Some(policy.name().to_owned());
    audit::ensure_writable(state)?;
    let (scanned, blocked) = scan::scan_request(&policy, &mut req, plan.ceiling())?;
    ex.verdict = scanned.verdict;
    ex.findings = scanned.findings.clone();
    ex.prompt = Some(scanned.prompt.clone());
    if let Some(err) = blocked {
        ex.blocked_reason = Some(match err {
            GatewayError::PlanViolation(_) => "classification_above_plan",
            _ => "sensitive_data",
        });
        return Err(err);
    }
    let warning = warning_header(&scanned.warned);
    let restore = policy.restore_masked().then(|| scanned.mask_map.clone());
    let mut filter = stamp::OutputFilter::new(policy.clone(), restore);
    let notice = stamp::notice_for(settings, &caller, &req);
    let strip_usage = stamp::request_stream_usage(&mut req);
    // 5. forward
    let upstream_started = Instant::now();
    let sent = forward::forward(provider, &plan, &mut req, scanned.changed || strip_usage).await;
    let mut upstream = match sent {
        Ok(u) => u,
        Err(e) => {
            ex.upstream_elapsed = Some(upstream_started.elapsed());
            return Err(e);
        }
    };
    ex.upstream_status = Some(upstream.status.as_u16());
    // 6. scan and stamp the response
    if upstream.is_sse && upstream.status.is_success() {
        let stamper = stamp::StreamStamper::new(op, notice, strip_usage, filter);
        let mut ex = slot.take().ok_or(GatewayError::Internal)?;
        let state = state.clone();
        let active = crate::metrics::events::StreamStarted.emit(&state.metrics);
        let mut resp = respond::stream(
            upstream,
            deadline,
            stamper,
            move |outcome, facts| async move {
                let _active = active;
                ex.released = true;
                ex.upstream_elapsed = Some(upstream_started.elapsed());
                ex.ttfb = outcome.first_event.map(|t| t.duration_since(ex.received));
                ex.findings.extend(facts.findings.iter().cloned());
                if facts.blocked {
                    ex.verdict = Verdict::Blocked;
                    ex.blocked_reason = Some("sensitive_output");
                }
                ex.answer = facts;
                if let Some(kind) = outcome.error {
                    ex.error = Some(kind);
                    ex.upstream_failure = Some(if kind == "upstream_timeout" {
                        "timeout"
                    } else {
                        "reset"
                    });
                }
                if finish(&state, ex).await.is_err() {
                    tracing::error!("a streamed exchange could not be queued for the audit log");
                }
            },
        );
        add_warning(&mut resp, warning);
        return Ok(resp);
    }
    let body = respond::read_whole(&mut upstream, deadline).await;
    ex.upstream_elapsed = Some(upstream_started.elapsed());
    let body = body?;
    if !upstream.status.is_success() {
        ex.upstream_failure = Some(if upstream.status.is_server_error() {
            "status_5xx"
        } else {
            "status_4xx"
        });
        return Ok(respond::whole(
            upstream.status,
            upstream.content_type.take(),
            body,
        ));
    }
    let (stamped, facts) = stamp::stamp_whole(op, &body, notice.as_ref(), &mut filter);
    ex.answer = facts;
    ex.findings
        .extend(filter.tally.summaries(crate::scan::Direction::Response));
    if filter.blocked() {
        ex.blocked_reason = Some("sensitive_output");
        ex.verdict = Verdict::Blocked;
    }
    let body = stamped.map(Bytes::from).unwrap_or(body);
    let mut resp = respond::whole(upstream.status, upstream.content_type.take(), body);
    add_warning(&mut resp, warning);
    Ok(resp)
}

/// The key under which a caller's consent is recorded.
pub fn consent_subject(caller: &auth::Caller) -> String {
    consent_subject_of(caller.user())
}

/// The key under which `user`'s consent is recorded.
pub fn consent_subject_of(user: &str) -> String {
    format!("user:{user}")
}

/// Whether a recorded consent is to the current trial text (an older one does not count).
pub fn consent_is_current(settings: &crate::config::Settings, c: &crate::store::Consent) -> bool {
    c.text_version == consent_text_version(settings)
}

/// Whether `user` has consented to the current trial text.
pub fn has_current_consent(
    store: &crate::store::AuditStore,
    settings: &crate::config::Settings,
    user: &str,
) -> Result<bool, crate::store::StoreError> {
    Ok(store
        .get_consent(&consent_subject_of(user))?
        .is_some_and(|c| consent_is_current(settings, &c)))
}

/// Version of the trial terms a consent refers to: a digest of the public
/// notice text, so changing that text asks everyone to consent again.
pub fn consent_text_version(settings: &crate::config::Settings) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(settings.notice.public_text.as_bytes());
    let short: Vec<u8> = d.iter().take(8).copied().collect();
    format!("sha256:{}", hex::encode(short))
}

/// `x-mamori-warning`: the categories the policy warns about (ASCII type names).
fn warning_header(types: &[String]) -> Option<http::HeaderValue> {
    if types.is_empty() {
        return None;
    }
    http::HeaderValue::from_str(&types.join(", ")).ok()
}

fn add_warning(resp: &mut Response, warning: Option<http::HeaderValue>) {
    if let Some(v) = warning {
        resp.headers_mut().insert("x-mamori-warning", v);
    }
}

/// `GET /v1/models`: the models the caller's key may use.
pub async fn list_models(state: Arc<AppState>, headers: HeaderMap) -> Response {
    let caller = match state.keys.staff(&headers) {
        Ok(c) => c,
        Err(e) => {
            crate::metrics::events::AuthFailed { reason: e.kind() }.emit(&state.metrics);
            return e.into_response();
        }
    };
    let data: Vec<_> = state
        .settings
        .models
        .iter()
        .filter(|m| caller.key.allows_model(&m.name))
        .map(|m| {
            let owner = state
                .settings
                .providers
                .get(m.provider)
                .map(|p| p.name.as_str())
                .unwrap_or("mamori");
            serde_json::json!({"id": m.name, "object": "model", "created": 0, "owned_by": owner})
        })
        .collect();
    axum::Json(serde_json::json!({"object": "list", "data": data})).into_response()
}
