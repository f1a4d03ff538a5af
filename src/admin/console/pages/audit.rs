//! 監査証跡: the hash chain's verify status (run on first visit, then on
//! request) and export downloads for the current filter.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Query as Q, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use time::OffsetDateTime;

use super::{filter_form, filter_qs, filter_summary, with_qs, Query};
use crate::admin::api::export_response;
use crate::admin::console::layout::{bi, num, page, when, Nav};
use crate::admin::console::{blocking, check_csrf, ConsoleError, Ctx, Signed};
use crate::state::AppState;
use crate::store::VerifyReport;

/// Walks the chain and remembers the result.
async fn run_verify(
    state: &AppState,
    ctx: &Ctx,
) -> Result<(OffsetDateTime, VerifyReport), ConsoleError> {
    let store = state.store.clone();
    let report = blocking("verify", move || store.verify()).await?;
    if !report.intact {
        tracing::error!(break_ = ?report.first_break, "audit chain verification failed");
    }
    let at = OffsetDateTime::now_utc();
    let mut g = ctx
        .console
        .last_verify
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    *g = Some((at, report.clone()));
    Ok((at, report))
}

/// `GET /admin/ui/audit?…`.
pub async fn show(
    ctx: Ctx,
    Signed(viewer): Signed,
    State(state): State<Arc<AppState>>,
    Q(q): Q<Query>,
) -> Result<Html<String>, ConsoleError> {
    tracing::info!(token = %viewer.name, action = "console.audit", "admin console");
    let last = ctx
        .console
        .last_verify
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let (at, report) = match last {
        Some(l) => l,
        None => run_verify(&state, &ctx).await?,
    };
    let offset = state.settings.utc_offset;
    let qs = filter_qs(&q);
    let body = html! {
        section.card {
            h2 { (bi("改ざん検知（ハッシュチェーン）の検証", "Hash-chain verification")) }
            @if report.intact {
                p.ok.status { "✔ 改ざんは検出されませんでした。" span.en { "Intact: no break found." } }
            } @else {
                p.error.status { "✖ チェーンの破損を検出しました。" span.en { "Broken chain detected." } }
            }
            table.kv { tbody {
                tr { th { (bi("最終検証日時", "Last verified")) } td { (when(at, offset)) } }
                tr { th { (bi("検証した記録数", "Records checked")) } td { (num(report.checked)) } }
                tr { th { (bi("範囲", "Range")) } td {
                    (report.first_seq.map(|s| s.to_string()).unwrap_or("—".into()))
                    " – "
                    (report.last_seq.map(|s| s.to_string()).unwrap_or("—".into()))
                } }
                tr { th { (bi("先頭ハッシュ", "Head hash")) } td.mono.small {
                    (report.head.as_ref().map(|h| format!("{} @ {}", h.hash, h.seq)).unwrap_or("—".into()))
                } }
                @if let Some(a) = &report.anchor {
                    tr { th { (bi("保存期間の起点", "Retention anchor")) } td.mono.small { (a.hash) " @ " (a.seq) } }
                }
                tr { th { (bi("最初の破損箇所", "First break")) } td {
                    @match &report.first_break {
                        None => { "なし / none" }
                        Some(b) => {
                            span.error { (format!("{:?}", b.kind)) " seq " (b.seq) }
                            @if let Some(id) = &b.id { " " a href=(format!("/admin/ui/logs/{}", super::enc(id))) { (id) } }
                            " — " (b.detail)
                        }
                    }
                } }
            } }
            form method="post" action="/admin/ui/audit/verify" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                button type="submit" { (bi("今すぐ検証", "Verify now")) }
            }
        }
        section.card {
            h2 { (bi("エクスポート", "Export")) }
            p { "現在の条件に一致する記録を古い順にダウンロードします。" br;
                span.en { "Downloads the records matching the current filter, oldest first." } }
            (filter_form("/admin/ui/audit", &q))
            p { (bi("条件", "Filter")) ": " (filter_summary(&q)) }
            p.downloads {
                a.button href=(with_qs("/admin/ui/export?format=jsonl", &qs)) download { (bi("JSONL をダウンロード", "Download JSONL")) }
                " "
                a.button href=(with_qs("/admin/ui/export?format=csv&bom=1", &qs)) download { (bi("CSV をダウンロード", "Download CSV")) }
            }
        }
    };
    Ok(page(&viewer, Nav::Audit, ("監査証跡", "Audit trail"), body))
}

/// `POST /admin/ui/audit/verify`: verifies now, then back to the page.
pub async fn verify(
    ctx: Ctx,
    Signed(viewer): Signed,
    State(state): State<Arc<AppState>>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, ConsoleError> {
    let Ok(Form(form)) = form else {
        return Err(ConsoleError::BadRequest("expected a form".into()));
    };
    check_csrf(&viewer, &form)?;
    tracing::info!(token = %viewer.name, action = "console.verify", "admin console");
    run_verify(&state, &ctx).await?;
    Ok(Redirect::to("/admin/ui/audit").into_response())
}

/// `GET /admin/ui/export?format=jsonl|csv&…`: the API's streamed export.
pub async fn export(
    Signed(viewer): Signed,
    State(state): State<Arc<AppState>>,
    Q(q): Q<Query>,
) -> Result<Response, ConsoleError> {
    tracing::info!(token = %viewer.name, action = "console.export", "admin console");
    Ok(export_response(&state, &q)?)
}
