//! Audit, feedback and consent endpoints (issue 5, Q15/Q16).
//!
//! # Authorisation rules
//! - **Staff routes** (`/v1/feedback`, `/v1/consent`) take a staff key
//!   (`Authorization: Bearer mk-…` or `api-key`), exactly like model requests.
//!   No or an unknown key → 401; an admin token → 401 (admin tokens cannot act
//!   as staff).
//! - Feedback may only be given on, and read from, a record **the caller's own
//!   user** produced. A record that does not exist and a record that belongs to
//!   someone else both answer 404 with the same body, so ids cannot be probed
//!   (no enumeration).
//! - Consent is recorded for the caller's own subject
//!   ([`crate::pipeline::consent_subject`]); a caller can neither record nor read
//!   anyone else's.
//! - **Admin routes** (`/admin/…`) take an admin token. Both roles,
//!   [`AdminRole::Auditor`](crate::config::AdminRole::Auditor) and
//!   [`AdminRole::Admin`](crate::config::AdminRole::Admin), may read (logs,
//!   records, export, stats, verify). Changing actions (retention purge) need
//!   the `admin` role; an auditor gets 403 `admin_only`. A staff key gets 403
//!   `admin_only`; no or an unknown token gets 401.
//! - Every admin call is logged (token name, role, action) so reading the
//!   audit log is itself accountable; filters and record contents are not logged.
//!
//! All errors are [`GatewayError`]s (OpenAI error shape, Japanese first).
//! Store failures answer 503 `audit_unavailable` (fail closed) and are logged.

mod api;
pub mod console;
mod reports;
mod staff;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::error::GatewayError;
use crate::state::AppState;
use crate::store::StoreError;

/// Largest JSON body accepted by the feedback, consent and purge endpoints.
const MAX_BODY: usize = 64 * 1024;

/// Staff-facing routes: feedback and consent, authenticated by staff keys.
pub fn staff_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/feedback", post(staff::post_feedback))
        .route("/v1/feedback/{request_id}", get(staff::get_feedback))
        .route(
            "/v1/consent",
            post(staff::post_consent).get(staff::get_consent),
        )
}

/// Admin API routes under `/admin/`, authenticated by admin tokens.
pub fn admin_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/admin/logs", get(api::list_logs))
        .route("/admin/logs/export", get(api::export_logs))
        .route("/admin/logs/{id}", get(api::get_log))
        .route("/admin/stats", get(api::stats))
        .route("/admin/verify", get(api::verify))
        .route("/admin/retention/purge", post(api::purge))
        .route("/admin/plans", get(reports::list_plans))
        .route("/admin/reports/{plan}", get(reports::plan_report))
        .merge(console::routes())
}

/// Maps a store failure to a client error (503, fail closed), logging the cause.
fn store_error(what: &str, e: StoreError) -> GatewayError {
    tracing::error!(error = %e, action = what, "audit store failed");
    GatewayError::AuditUnavailable
}

/// Runs a blocking store call off the async runtime.
async fn blocking<T, F>(what: &'static str, f: F) -> Result<T, GatewayError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(|e| store_error(what, e)),
        Err(e) => {
            tracing::error!(error = %e, action = what, "store task failed");
            Err(GatewayError::Internal)
        }
    }
}

/// Reads a small JSON body (after authentication) and parses it.
async fn read_json<T: serde::de::DeserializeOwned>(
    body: axum::body::Body,
) -> Result<T, GatewayError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|e| {
        let mut src: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(cur) = src {
            if cur.is::<http_body_util::LengthLimitError>() {
                return GatewayError::BodyTooLarge(MAX_BODY);
            }
            src = cur.source();
        }
        GatewayError::ClientBody
    })?;
    serde_json::from_slice(&bytes).map_err(|e| GatewayError::MalformedJson(e.to_string()))
}
