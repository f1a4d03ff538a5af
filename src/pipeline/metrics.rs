//! Phase 8, metrics: turn a finished exchange into metric events. Runs for
//! every request, refused or answered, after the log phase.

use crate::metrics::events::{
    AuthFailed, FindingCount, FindingsDetected, RequestBlocked, RequestCompleted, TokensUsed,
    UpstreamFailed, UpstreamTiming,
};
use crate::metrics::Metrics;
use crate::scan::Direction;

use super::Exchange;

/// Emits the events describing one finished exchange.
pub fn record(m: &Metrics, ex: &Exchange) {
    let duration = ex.received.elapsed();
    let upstream = match (&ex.provider, ex.upstream_elapsed) {
        (Some(p), Some(d)) => Some(UpstreamTiming {
            provider: p,
            duration: d,
        }),
        _ => None,
    };
    let overhead = duration.saturating_sub(ex.upstream_elapsed.unwrap_or_default());
    if let Some(reason) = ex.auth_failure {
        AuthFailed { reason }.emit(m);
    }
    if let (Some(p), Some(kind)) = (&ex.provider, ex.upstream_failure) {
        UpstreamFailed { provider: p, kind }.emit(m);
    }
    for dir in [Direction::Request, Direction::Response] {
        let counts: Vec<FindingCount<'_>> = ex
            .findings
            .iter()
            .filter(|f| f.direction == dir)
            .map(|f| FindingCount {
                kind: &f.kind,
                action: f.action.as_str(),
                count: u64::from(f.count),
            })
            .collect();
        if !counts.is_empty() {
            FindingsDetected {
                direction: dir.as_str(),
                findings: &counts,
            }
            .emit(m);
        }
    }
    if let Some(reason) = ex.blocked_reason {
        RequestBlocked { reason }.emit(m);
    }
    if let (Some(u), Some(dept), Some(model)) = (ex.answer.usage, &ex.department, &ex.model) {
        TokensUsed {
            department: dept,
            model,
            prompt: u.prompt_tokens,
            completion: u.completion_tokens,
        }
        .emit(m);
    }
    RequestCompleted {
        route: ex.route,
        model: ex.model.as_deref().unwrap_or(""),
        status: ex.status,
        verdict: ex.verdict.metric_label(ex.error.is_some()),
        duration,
        upstream,
        overhead,
        ttfb: ex.ttfb,
        user: ex.user.as_deref(),
    }
    .emit(m);
}
