//! Sign-in and sign-out. A token is checked exactly as the JSON API checks a
//! bearer token ([`crate::pipeline::auth::KeyIndex::identify`]); staff keys are
//! refused with a message that says so. The token is never logged, and failed
//! attempts from one address are limited.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;

use crate::admin::console::layout::{bare, bi};
use crate::admin::console::session::{self, LOGIN_COOKIE, SESSION_COOKIE};
use crate::admin::console::{check_csrf, ConsoleError, Ctx, Signed, HOME_PATH, LOGIN_PATH};
use crate::metrics::events::AuthFailed;
use crate::pipeline::auth::Identity;
use crate::state::AppState;

/// How long a sign-in form stays valid.
const LOGIN_FORM_SECS: u64 = 30 * 60;

/// What went wrong at sign-in, shown above the form.
enum Problem {
    Invalid,
    StaffKey,
    TooMany,
    Expired,
}

/// `GET /admin/login`: the form (or, already signed in, the logs).
pub async fn form(ctx: Ctx, headers: HeaderMap) -> Response {
    if let Some(id) = session::cookie(&headers, SESSION_COOKIE) {
        if ctx.console.sessions.touch(&id, ctx.life).is_some() {
            return Redirect::to(HOME_PATH).into_response();
        }
    }
    render(&ctx, StatusCode::OK, None)
}

/// The sign-in page with a fresh double-submit token.
fn render(ctx: &Ctx, status: StatusCode, problem: Option<Problem>) -> Response {
    let token = session::random_token();
    let message = problem.map(|p| match p {
        Problem::Invalid => html! {
            "トークンが正しくありません。" br;
            span.en { "The token is not valid." }
        },
        Problem::StaffKey => html! {
            "職員用のAPIキーではサインインできません。監査担当または管理者のトークンを使用してください。" br;
            span.en { "Staff API keys cannot sign in. Use an auditor or admin token." }
        },
        Problem::TooMany => html! {
            "失敗が続いたため、しばらくサインインできません。15分ほど待ってから再度お試しください。" br;
            span.en { "Too many failed attempts; wait about 15 minutes and try again." }
        },
        Problem::Expired => html! {
            "フォームの有効期限が切れました。もう一度入力してください。" br;
            span.en { "The form expired; please enter the token again." }
        },
    });
    let page = bare(
        "サインイン",
        html! {
            h1 { "mamori 監査コンソール " span.en { "Audit console" } }
            p { "監査担当（auditor）または管理者（admin）のトークンでサインインしてください。" br;
                span.en { "Sign in with an auditor or admin token." } }
            @if let Some(m) = message { p.error role="alert" { (m) } }
            form.login method="post" action="/admin/login" {
                input type="hidden" name="csrf" value=(token);
                label {
                    span.lbl { (bi("トークン", "Token")) }
                    input type="password" name="token" autocomplete="off" required autofocus;
                }
                button type="submit" { (bi("サインイン", "Sign in")) }
            }
        },
    );
    let mut resp = (status, page).into_response();
    let cookie = session::set_cookie(LOGIN_COOKIE, &token, ctx.tls, Some(LOGIN_FORM_SECS));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// `POST /admin/login` `token=…&csrf=…`.
pub async fn submit(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return ConsoleError::BadRequest("expected a form".into()).into_response();
    };
    let expected = session::cookie(&headers, LOGIN_COOKIE);
    let sent = form.get("csrf");
    let fresh = matches!((&expected, sent), (Some(e), Some(s)) if session::same_secret(e, s));
    if !fresh {
        return render(&ctx, StatusCode::FORBIDDEN, Some(Problem::Expired));
    }
    if ctx.console.sessions.locked_out(ctx.client) {
        tracing::warn!(client = ?ctx.client, "console sign-in refused: too many failures");
        AuthFailed {
            reason: "console_rate_limited",
        }
        .emit(&state.metrics);
        return render(&ctx, StatusCode::TOO_MANY_REQUESTS, Some(Problem::TooMany));
    }
    let token = form.get("token").map(|t| t.trim()).unwrap_or_default();
    // Reuse the API's lookup by presenting the token as a bearer header.
    let mut h = HeaderMap::new();
    let identity = HeaderValue::from_str(&format!("Bearer {token}"))
        .ok()
        .filter(|_| !token.is_empty())
        .and_then(|v| {
            h.insert(header::AUTHORIZATION, v);
            state.keys.identify(&h).ok()
        });
    match identity {
        Some(Identity::Admin(a)) => {
            ctx.console.sessions.note_success(ctx.client);
            let id = ctx
                .console
                .sessions
                .create(a.name.clone(), a.role, ctx.life);
            tracing::info!(token = %a.name, role = ?a.role, client = ?ctx.client, "console sign-in");
            let mut resp = Redirect::to(HOME_PATH).into_response();
            let hs = resp.headers_mut();
            for c in [
                session::set_cookie(SESSION_COOKIE, &id, ctx.tls, None),
                session::set_cookie(LOGIN_COOKIE, "", ctx.tls, Some(0)),
            ] {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    hs.append(header::SET_COOKIE, v);
                }
            }
            resp
        }
        Some(Identity::Staff(_)) => {
            ctx.console.sessions.note_failure(ctx.client);
            tracing::warn!(client = ?ctx.client, "console sign-in refused: staff key");
            AuthFailed {
                reason: "console_staff_key",
            }
            .emit(&state.metrics);
            render(&ctx, StatusCode::FORBIDDEN, Some(Problem::StaffKey))
        }
        None => {
            ctx.console.sessions.note_failure(ctx.client);
            tracing::warn!(client = ?ctx.client, "console sign-in refused: invalid token");
            AuthFailed {
                reason: "console_invalid_token",
            }
            .emit(&state.metrics);
            render(&ctx, StatusCode::UNAUTHORIZED, Some(Problem::Invalid))
        }
    }
}

/// `POST /admin/logout` `csrf=…`: ends the session and clears the cookie.
pub async fn logout(
    ctx: Ctx,
    Signed(viewer): Signed,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, ConsoleError> {
    let Ok(Form(form)) = form else {
        return Err(ConsoleError::BadRequest("expected a form".into()));
    };
    check_csrf(&viewer, &form)?;
    if let Some(id) = session::cookie(&headers, SESSION_COOKIE) {
        ctx.console.sessions.remove(&id);
    }
    tracing::info!(token = %viewer.name, "console sign-out");
    let mut resp = Redirect::to(LOGIN_PATH).into_response();
    let c = session::set_cookie(SESSION_COOKIE, "", ctx.tls, Some(0));
    if let Ok(v) = HeaderValue::from_str(&c) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}
