//! Phase 7, log: one audit record for every exchange of an authenticated
//! caller (allowed, masked, warned, blocked, upstream error, and refusals such
//! as a use plan's, with verdict `error` and the error code), written before
//! the answer is released when durability is strict. A request refused before
//! its body was scanned has no prompt in the record: unscanned text is never
//! stored.
//!
//! The record holds counts and types of findings, never values; the prompt as
//! forwarded (masked; a blocked prompt is stored masked too) and the output as
//! the provider wrote it, before placeholders were restored, so the log never
//! holds a value the policy kept from the provider.

use time::OffsetDateTime;

use crate::error::GatewayError;
use crate::state::AppState;
use crate::store::{AuditRecord, FindingSummary, Verdict as LogVerdict};

use super::{Exchange, Verdict};

/// Fails closed before forwarding when the log cannot be written.
pub fn ensure_writable(state: &AppState) -> Result<(), GatewayError> {
    if state.settings.audit.fail_open || state.store.health().healthy {
        return Ok(());
    }
    tracing::error!("audit store unhealthy; refusing to forward (fail closed)");
    Err(GatewayError::AuditUnavailable)
}

/// Writes the exchange's record. `Err` means it is not logged.
///
/// A streamed answer has already reached the client when its record is written (only
/// its `[DONE]` waits for the flush), so a failed write keeps the record queued for the
/// writer to retry rather than losing it.
pub async fn record(state: &AppState, ex: &Exchange) -> Result<(), GatewayError> {
    if !ex.attributed {
        return Ok(());
    }
    let rec = to_record(state, ex);
    let written = if ex.released {
        state.store.append_released(rec).await
    } else {
        state.store.append(rec).await.map(|_| ())
    };
    match written {
        Ok(()) => Ok(()),
        Err(e) => {
            crate::metrics::events::AuditWriteFailed { error: &e }.emit(&state.metrics);
            if state.settings.audit.fail_open {
                Ok(())
            } else {
                Err(GatewayError::AuditUnavailable)
            }
        }
    }
}

fn to_record(state: &AppState, ex: &Exchange) -> AuditRecord {
    let audit = &state.settings.audit;
    let verdict = match (ex.verdict, ex.error, ex.upstream_failure) {
        (Verdict::Blocked, _, _) => LogVerdict::Blocked,
        (_, _, Some(_)) => LogVerdict::UpstreamError,
        (_, Some(_), _) => LogVerdict::Error,
        (Verdict::Masked, _, _) => LogVerdict::Masked,
        (Verdict::Warned, _, _) => LogVerdict::Warned,
        (Verdict::Allowed, _, _) => LogVerdict::Allowed,
    };
    let received_at = OffsetDateTime::now_utc() - ex.received.elapsed();
    AuditRecord {
        id: ex.request_id.clone(),
        time: received_at,
        user: ex.user.clone().unwrap_or_default(),
        department: ex.department.clone().unwrap_or_default(),
        plan: ex.plan.clone(),
        route: ex.route.to_owned(),
        model: ex.model.clone().unwrap_or_default(),
        provider: ex.provider.clone().unwrap_or_default(),
        upstream_status: ex.upstream_status,
        latency_ms: ex.received.elapsed().as_secs_f64() * 1e3,
        upstream_ms: ex.upstream_elapsed.map(|d| d.as_secs_f64() * 1e3),
        usage: ex.answer.usage,
        verdict,
        findings: ex
            .findings
            .iter()
            .map(|f| FindingSummary {
                kind: f.kind.clone(),
                count: f.count,
                action: f.action.as_str().to_owned(),
                direction: f.direction.as_str().to_owned(),
            })
            .collect(),
        prompt: ex.prompt.clone().filter(|_| audit.store_prompts),
        output: (audit.store_outputs && !ex.answer.output.is_empty())
            .then(|| ex.answer.output.clone()),
        notice_applied: ex.answer.notice_applied,
        stream: ex.stream,
        client_ip: ex.client.map(|a| a.ip().to_string()),
        user_agent: ex.user_agent.clone(),
        status: Some(ex.status),
        error: ex.error.map(str::to_owned),
    }
}
