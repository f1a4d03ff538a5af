//! 管理操作: retention purge and policy reload, admin role only. The role is
//! checked on every request (the page and each POST), not only by hiding
//! the navigation entry.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::response::Html;
use axum::Form;
use maud::{html, Markup};

use crate::admin::api::date_offset;
use crate::admin::console::layout::{bi, num, page, Nav};
use crate::admin::console::session::Viewer;
use crate::admin::console::{blocking, check_csrf, ConsoleError, Signed};
use crate::state::AppState;

fn require_admin(viewer: &Viewer, action: &str) -> Result<(), ConsoleError> {
    if viewer.is_admin() {
        Ok(())
    } else {
        tracing::warn!(token = %viewer.name, action, "admin console: refused, auditor role");
        Err(ConsoleError::AdminOnly)
    }
}

fn forms(viewer: &Viewer) -> Markup {
    html! {
        section.card {
            h2 { (bi("保存期間による削除", "Retention purge")) }
            p { "指定した日付より前の記録を削除します。チェーンは起点（anchor）により検証可能なまま残ります。元に戻せません。" br;
                span.en { "Deletes records older than the given date. The chain stays verifiable through an anchor. This cannot be undone." } }
            form.action method="post" action="/admin/ui/admin/purge" data-confirm="本当に削除しますか？ / Really delete these records?" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                label { span.lbl { (bi("この日付より前", "Before")) } input type="date" name="before" required; }
                label.check { input type="checkbox" name="confirm" value="yes" required; " " (bi("元に戻せないことを理解しました", "I understand this cannot be undone")) }
                button.danger type="submit" { (bi("削除を実行", "Purge now")) }
            }
        }
        section.card {
            h2 { (bi("ポリシーの再読み込み", "Reload policies")) }
            p { "policies フォルダを読み直します。誤りがあれば現在のポリシーが維持されます。" br;
                span.en { "Re-reads the policies folder; on any error the current policies stay in force." } }
            form.action method="post" action="/admin/ui/admin/reload" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                button type="submit" { (bi("再読み込み", "Reload")) }
            }
        }
    }
}

/// `GET /admin/ui/admin`.
pub async fn show(Signed(viewer): Signed) -> Result<Html<String>, ConsoleError> {
    require_admin(&viewer, "console.admin")?;
    let body = forms(&viewer);
    Ok(page(
        &viewer,
        Nav::Admin,
        ("管理操作", "Admin actions"),
        body,
    ))
}

/// The posted form of an admin action, once its CSRF token and the admin role are checked.
fn admin_form(
    viewer: &Viewer,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
    action: &str,
) -> Result<HashMap<String, String>, ConsoleError> {
    let Ok(Form(form)) = form else {
        return Err(ConsoleError::BadRequest("expected a form".into()));
    };
    check_csrf(viewer, &form)?;
    require_admin(viewer, action)?;
    Ok(form)
}

/// `POST /admin/ui/admin/purge` `before=YYYY-MM-DD&confirm=yes&csrf=…`.
pub async fn purge(
    Signed(viewer): Signed,
    State(state): State<Arc<AppState>>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Html<String>, ConsoleError> {
    let form = admin_form(&viewer, form, "retention.purge")?;
    if form.get("confirm").map(String::as_str) != Some("yes") {
        return Err(ConsoleError::BadRequest("confirm the purge".into()));
    }
    let before = form
        .get("before")
        .and_then(|b| crate::admin::api::parse_time(b, date_offset(&state), false))
        .ok_or_else(|| ConsoleError::BadRequest("before: expected YYYY-MM-DD".into()))?;
    let store = state.store.clone();
    let purged = blocking("retention.purge", move || store.purge_before(before)).await?;
    tracing::warn!(token = %viewer.name, purged, "audit records purged from the console");
    let body = html! {
        p.ok.status role="status" {
            (num(purged as u64)) " 件の記録を削除しました。"
            span.en { (purged) " records purged." }
        }
        (forms(&viewer))
    };
    Ok(page(
        &viewer,
        Nav::Admin,
        ("管理操作", "Admin actions"),
        body,
    ))
}

/// `POST /admin/ui/admin/reload` `csrf=…`.
pub async fn reload(
    Signed(viewer): Signed,
    State(state): State<Arc<AppState>>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Html<String>, ConsoleError> {
    admin_form(&viewer, form, "policies.reload")?;
    // The same path as SIGHUP: logged and counted in mamori_policy_reloads_total.
    let result = crate::reload::reload_now(&state);
    let status = match &result {
        Ok(n) => {
            tracing::info!(token = %viewer.name, policies = n, "policies reloaded from the console");
            html! { p.ok.status role="status" { (n) " 件のポリシーを読み込みました。" span.en { "Reloaded " (n) " policies." } } }
        }
        Err(e) => {
            tracing::warn!(token = %viewer.name, error = %e, "policy reload from the console refused");
            html! { p.error.status role="status" { "再読み込みに失敗しました。現在のポリシーが維持されます: " (e) br; span.en { "Reload failed; the current policies stay in force." } } }
        }
    };
    let body = html! { (status) (forms(&viewer)) };
    Ok(page(
        &viewer,
        Nav::Admin,
        ("管理操作", "Admin actions"),
        body,
    ))
}
