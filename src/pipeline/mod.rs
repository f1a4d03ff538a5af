//! The request pipeline: one module per phase, called in order by [`handle`].
//!
//! authenticate → resolve use plan → parse → scan request → forward →
//! scan and stamp response → log → metrics
//!
//! Each phase is a plain function with a narrow typed input and output
//! ([`auth::Caller`], [`plan::UsePlan`], [`parse::ParsedRequest`],
//! [`crate::providers::UpstreamResponse`]); there is no shared mutable bag,
//! and no phase has a do-nothing default that could let a request through.

pub mod auth;
pub mod forward;
pub mod parse;
pub mod plan;
pub mod respond;
pub mod stamp;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::HeaderMap;

use crate::error::GatewayError;
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

/// Runs a model request through every phase and returns the response.
pub async fn handle(
    state: Arc<AppState>,
    meta: RequestMeta,
    op: Operation,
    style: RouteStyle,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match run(&state, &meta, op, style, &headers, body).await {
        Ok(resp) => resp,
        Err(err) => {
            tracing::info!(request_id = %meta.request_id, kind = err.kind(), status = err.status().as_u16(), "request refused");
            err.into_response()
        }
    }
}

async fn run(
    state: &Arc<AppState>,
    meta: &RequestMeta,
    op: Operation,
    style: RouteStyle,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, GatewayError> {
    let settings = &state.settings;
    // 1. authenticate (before reading a byte of body from an unknown caller)
    let caller = state.keys.staff(headers)?;
    // 3. parse (the model name is needed to resolve the plan)
    let raw = parse::read_body(
        headers,
        body,
        settings.limits.max_body_bytes,
        settings.limits.body_read_timeout,
    )
    .await?;
    let mut req = parse::parse(op, &style, raw)?;
    // 2. resolve the use plan
    let plan = plan::resolve(settings, &caller, &req.model)?;
    let provider = state
        .providers
        .get(plan.route.provider)
        .ok_or(GatewayError::Internal)?;
    let deadline = meta.received + settings.timeouts.total;
    let notice = stamp::notice_for(settings, &caller, &req);
    let strip_usage = stamp::request_stream_usage(&mut req);
    // 5. forward
    let mut upstream = forward::forward(provider, &plan, &mut req, strip_usage).await?;
    // 6. scan and stamp the response
    if upstream.is_sse && upstream.status.is_success() {
        let stamper = stamp::StreamStamper::new(op, notice, strip_usage);
        return Ok(respond::stream(
            upstream,
            deadline,
            stamper,
            |_outcome, _facts| async {},
        ));
    }
    let body = respond::read_whole(&mut upstream, deadline).await?;
    if !upstream.status.is_success() {
        return Ok(respond::whole(
            upstream.status,
            upstream.content_type.take(),
            body,
        ));
    }
    let (stamped, _facts) = stamp::stamp_whole(op, &body, notice.as_ref());
    let body = stamped.map(Bytes::from).unwrap_or(body);
    Ok(respond::whole(
        upstream.status,
        upstream.content_type.take(),
        body,
    ))
}

/// `GET /v1/models`: the models the caller's key may use.
pub async fn list_models(state: Arc<AppState>, headers: HeaderMap) -> Response {
    let caller = match state.keys.staff(&headers) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
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
