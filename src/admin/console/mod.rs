//! The auditors' web console (issue 9): server-rendered pages under `/admin/`
//! for the people who audit generative-AI use (情報政策課), on top of the same
//! store calls as the JSON audit API.
//!
//! # Shape
//! - HTML comes from [`maud`] templates, checked at compile time; maud escapes
//!   every interpolated string, so prompts and outputs (which may carry
//!   `<script>`, HTML or markdown links) render as inert text. Nothing here
//!   uses `PreEscaped` on stored data.
//! - CSS and a few lines of JS are embedded with `include_str!` and served
//!   from `/admin/ui/assets/`: these offices run on closed networks, so nothing
//!   comes from a CDN, and the strict CSP (`'self'` only, no inline code)
//!   holds.
//! - Sign-in takes an auditor or admin token (never a staff key) and starts a
//!   server-side session ([`session`]); the cookie is `HttpOnly`,
//!   `SameSite=Strict`, `Path=/admin`, and `Secure` over TLS. Every POST form
//!   carries the session's CSRF token (the login form a double-submit cookie).
//! - Auditors read; admin actions (retention purge, policy reload) need the
//!   admin role, checked on the server for every POST, not only by hiding
//!   buttons.
//!
//! # Routes
//! `/admin` and `/admin/` redirect; `/admin/login`, `/admin/logout`;
//! `/admin/ui/logs`, `/admin/ui/logs/{id}`, `/admin/ui/stats`,
//! `/admin/ui/audit` (+ `/verify`), `/admin/ui/export`, `/admin/ui/plans`
//! (+ `/{id}`, `/{id}/report`), `/admin/ui/admin`
//! (+ `/purge`, `/reload`), `/admin/ui/assets/{file}`. None collides with the
//! JSON API (`/admin/logs`, `/admin/stats`, …), whose bearer auth is unchanged.

mod charts;
mod layout;
mod pages;
pub mod session;

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use time::OffsetDateTime;

use crate::error::GatewayError;
use crate::server::{OverTls, PeerAddr};
use crate::state::AppState;
use crate::store::VerifyReport;
use session::{Lifetimes, Sessions, Viewer};

/// Content-Security-Policy of every console response.
pub const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Where the console sends a browser that is not signed in.
const LOGIN_PATH: &str = "/admin/login";
/// The console's start page.
const HOME_PATH: &str = "/admin/ui/logs";

/// Console state shared by its handlers (one per router).
#[derive(Default)]
pub struct Console {
    /// Signed-in sessions.
    pub sessions: Sessions,
    /// The last chain verification and when it ran (shown on 監査証跡).
    pub last_verify: Mutex<Option<(OffsetDateTime, VerifyReport)>>,
}

/// Why a console request failed; each renders an HTML page (or a redirect).
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No live session: go to the sign-in page.
    #[error("sign-in required")]
    SignInRequired,
    /// The form's CSRF token is missing or wrong.
    #[error("csrf token missing or wrong")]
    Csrf,
    /// The action needs the admin role.
    #[error("admin role required")]
    AdminOnly,
    /// No such record or page.
    #[error("not found")]
    NotFound,
    /// A filter or form field is invalid.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// `console.enabled = false`.
    #[error("console disabled")]
    Disabled,
    /// A failure from the shared audit code (store unavailable, bad filter, …).
    #[error(transparent)]
    Gateway(#[from] GatewayError),
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, ja, en) = match &self {
            ConsoleError::SignInRequired => return Redirect::to(LOGIN_PATH).into_response(),
            ConsoleError::Csrf => (
                StatusCode::FORBIDDEN,
                "フォームの有効期限が切れたか、不正な送信です。ページを開き直してください。".to_string(),
                "The form expired or was not sent from this console (CSRF check failed). Reload the page.".to_string(),
            ),
            ConsoleError::AdminOnly => (
                StatusCode::FORBIDDEN,
                "この操作は管理者（admin）だけが行えます。".to_string(),
                "Only the admin role may do this; auditors may read.".to_string(),
            ),
            ConsoleError::NotFound | ConsoleError::Disabled => (
                StatusCode::NOT_FOUND,
                "ページまたは記録が見つかりません。".to_string(),
                "Page or record not found.".to_string(),
            ),
            ConsoleError::BadRequest(why) => (
                StatusCode::BAD_REQUEST,
                "入力が正しくありません。".to_string(),
                format!("Invalid input: {why}"),
            ),
            ConsoleError::Gateway(g) => match g {
                GatewayError::InvalidField { field, problem } => (
                    StatusCode::BAD_REQUEST,
                    format!("入力項目 {field} が正しくありません。"),
                    format!("Invalid {field}: {problem}"),
                ),
                GatewayError::NotFound => (
                    StatusCode::NOT_FOUND,
                    "記録が見つかりません。".to_string(),
                    "Record not found.".to_string(),
                ),
                other => (
                    other.status(),
                    "監査ログを読み書きできません。しばらくしてから再度お試しください。".to_string(),
                    "The audit store is unavailable; try again later.".to_string(),
                ),
            },
        };
        (status, layout::error_page(status, &ja, &en)).into_response()
    }
}

/// Console routes, merged into the admin router (so they follow
/// `server.admin_listen` like the JSON API).
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/admin", get(home))
        .route("/admin/", get(home))
        .route(
            "/admin/login",
            get(pages::login::form).post(pages::login::submit),
        )
        .route("/admin/logout", post(pages::login::logout))
        .route("/admin/ui/assets/{file}", get(asset))
        .route("/admin/ui/logs", get(pages::logs::list))
        .route("/admin/ui/logs/{id}", get(pages::detail::show))
        .route("/admin/ui/stats", get(pages::stats::show))
        .route("/admin/ui/audit", get(pages::audit::show))
        .route("/admin/ui/audit/verify", post(pages::audit::verify))
        .route("/admin/ui/export", get(pages::audit::export))
        .route("/admin/ui/plans", get(pages::plans::list))
        .route("/admin/ui/plans/{id}", get(pages::plans::show))
        .route("/admin/ui/plans/{id}/report", get(pages::plans::download))
        .route("/admin/ui/admin", get(pages::actions::show))
        .route("/admin/ui/admin/purge", post(pages::actions::purge))
        .route("/admin/ui/admin/reload", post(pages::actions::reload))
        .layer(middleware::from_fn(security_headers))
        .layer(Extension(Arc::new(Console::default())))
}

/// Adds the console's security headers to every response, and answers 404
/// when the console is disabled.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

/// `/admin/`: to the log list (which sends strangers on to sign in).
async fn home(_ctx: Ctx) -> Redirect {
    Redirect::to(HOME_PATH)
}

/// The embedded stylesheet and script.
async fn asset(_ctx: Ctx, axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let (ctype, body) = match file.as_str() {
        "console.css" => (
            "text/css; charset=utf-8",
            include_str!("assets/console.css"),
        ),
        "console.js" => (
            "text/javascript; charset=utf-8",
            include_str!("assets/console.js"),
        ),
        _ => return ConsoleError::NotFound.into_response(),
    };
    ([(header::CONTENT_TYPE, ctype)], body).into_response()
}

/// Per-request context every console handler starts from.
pub struct Ctx {
    /// Shared console state.
    pub console: Arc<Console>,
    /// Session lifetimes from the config.
    pub life: Lifetimes,
    /// Whether the request came over TLS (cookies get `Secure`).
    pub tls: bool,
    /// The client address (for sign-in rate limiting).
    pub client: Option<IpAddr>,
}

impl FromRequestParts<Arc<AppState>> for Ctx {
    type Rejection = ConsoleError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let c = &state.settings.console;
        if !c.enabled {
            return Err(ConsoleError::Disabled);
        }
        let console = parts
            .extensions
            .get::<Arc<Console>>()
            .cloned()
            .ok_or(ConsoleError::Gateway(GatewayError::Internal))?;
        Ok(Ctx {
            console,
            life: Lifetimes {
                idle: c.idle_timeout,
                absolute: c.absolute_timeout,
            },
            tls: parts.extensions.get::<OverTls>().is_some(),
            client: parts.extensions.get::<PeerAddr>().map(|p| p.0.ip()),
        })
    }
}

/// A signed-in viewer; extracting it sends strangers to the sign-in page.
pub struct Signed(pub Viewer);

impl FromRequestParts<Arc<AppState>> for Signed {
    type Rejection = ConsoleError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        let id = session::cookie(&parts.headers, session::SESSION_COOKIE)
            .ok_or(ConsoleError::SignInRequired)?;
        ctx.console
            .sessions
            .touch(&id, ctx.life)
            .map(Signed)
            .ok_or(ConsoleError::SignInRequired)
    }
}

/// Checks a posted form's CSRF token against the session's.
pub fn check_csrf(
    viewer: &Viewer,
    form: &std::collections::HashMap<String, String>,
) -> Result<(), ConsoleError> {
    match form.get("csrf") {
        Some(t) if session::same_secret(t, &viewer.csrf) => Ok(()),
        _ => {
            tracing::warn!(token = %viewer.name, "console: csrf check failed");
            Err(ConsoleError::Csrf)
        }
    }
}

/// Runs a blocking store call off the runtime (the API's helper, console errors).
async fn blocking<T, F>(what: &'static str, f: F) -> Result<T, ConsoleError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, crate::store::StoreError> + Send + 'static,
{
    super::blocking(what, f).await.map_err(ConsoleError::from)
}
