//! Phase 5, forward: send the (possibly changed) request to the provider.
//!
//! The body goes upstream byte-for-byte as received unless an earlier phase
//! changed it (masking) or the upstream needs another model name; only then
//! is the JSON serialised again.

use bytes::Bytes;
use serde_json::Value;

use super::parse::ParsedRequest;
use super::plan::UsePlan;
use crate::error::GatewayError;
use crate::providers::{Provider, UpstreamRequest, UpstreamResponse};

/// Sends the request; returns once upstream response headers arrived.
pub async fn forward(
    provider: &Provider,
    plan: &UsePlan<'_>,
    req: &mut ParsedRequest,
    body_changed: bool,
) -> Result<UpstreamResponse, GatewayError> {
    let body = upstream_body(provider, plan, req, body_changed)?;
    provider
        .send(UpstreamRequest {
            op: req.op,
            route: plan.route,
            body,
            stream: req.stream,
        })
        .await
}

/// The bytes to send: the original unless something had to change.
fn upstream_body(
    provider: &Provider,
    plan: &UsePlan<'_>,
    req: &mut ParsedRequest,
    mut changed: bool,
) -> Result<Bytes, GatewayError> {
    if provider.wants_model_in_body() {
        let upstream = plan.route.upstream_model.as_str();
        if req.body_model() != Some(upstream) {
            req.tree()?
                .insert("model".into(), Value::String(upstream.to_owned()));
            changed = true;
        }
    }
    match req.built_tree() {
        Some(tree) if changed => serde_json::to_vec(tree)
            .map(Bytes::from)
            .map_err(|_| GatewayError::Internal),
        _ => Ok(req.raw.clone()),
    }
}
