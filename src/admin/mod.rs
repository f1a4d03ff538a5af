//! Audit, feedback and consent endpoints (issue 5). Filled in by the admin API work.

use std::sync::Arc;

use axum::Router;

use crate::state::AppState;

/// Staff-facing routes: feedback and consent, authenticated by staff keys.
pub fn staff_routes() -> Router<Arc<AppState>> {
    Router::new()
}

/// Admin API routes under `/admin/`, authenticated by admin tokens.
pub fn admin_routes() -> Router<Arc<AppState>> {
    Router::new()
}
