//! ログ一覧: the filtered log list, newest first, one page at a time.

use std::sync::Arc;

use axum::extract::{Query as Q, State};
use axum::response::Html;
use maud::html;

use super::{filter_form, filter_qs, filter_summary, with_qs, Query};
use crate::admin::api::{date_offset, filter_from};
use crate::admin::console::layout::{badge, bi, num, page, when, Nav};
use crate::admin::console::{blocking, ConsoleError, Signed};
use crate::state::AppState;
use crate::store::{Rating, StoredRecord};

/// Rows per page.
const PAGE: usize = 50;

/// `GET /admin/ui/logs?…&cursor=`.
pub async fn list(
    Signed(viewer): Signed,
    State(state): State<Arc<AppState>>,
    Q(q): Q<Query>,
) -> Result<Html<String>, ConsoleError> {
    let filter = filter_from(&q, date_offset(&state))?;
    let cursor = q.get("cursor").filter(|c| !c.is_empty()).cloned();
    if cursor.as_deref().is_some_and(|c| c.parse::<u64>().is_err()) {
        return Err(ConsoleError::BadRequest("cursor".into()));
    }
    tracing::info!(token = %viewer.name, action = "console.logs", "admin console");
    let store = state.store.clone();
    let cur = cursor.clone();
    let page_ = blocking("logs.search", move || {
        store.search(&filter, cur.as_deref(), PAGE)
    })
    .await?;
    let offset = state.settings.utc_offset;
    let qs = filter_qs(&q);
    let body = html! {
        (filter_form("/admin/ui/logs", &q))
        div.toolbar {
            div { (bi("条件", "Filter")) ": " (filter_summary(&q)) }
            div.downloads {
                (bi("エクスポート", "Export")) ": "
                a.button.secondary href=(with_qs("/admin/ui/export?format=jsonl", &qs)) download { "JSONL" }
                " "
                a.button.secondary href=(with_qs("/admin/ui/export?format=csv&bom=1", &qs)) download { "CSV" }
            }
        }
        @if page_.records.is_empty() {
            p.empty { "該当する記録はありません。" span.en { "No matching records." } }
        } @else {
            table.logs {
                thead { tr {
                    th { (bi("日時", "Time")) }
                    th { (bi("利用者", "User")) }
                    th { (bi("所属", "Department")) }
                    th { (bi("モデル", "Model")) }
                    th { (bi("判定", "Verdict")) }
                    th { (bi("検出種別", "Finding types")) }
                    th.n { (bi("トークン", "Tokens")) }
                    th.n { (bi("応答時間", "Latency")) }
                    th { (bi("評価", "Feedback")) }
                } }
                tbody {
                    @for r in &page_.records {
                        (row(r, offset))
                    }
                }
            }
        }
        div.pager {
            @if cursor.is_some() {
                a.button.secondary href=(with_qs("/admin/ui/logs", &qs)) { (bi("« 最新へ", "Newest")) }
            }
            @if let Some(next) = &page_.next_cursor {
                a.button.secondary href=(with_qs(&with_qs("/admin/ui/logs", &qs), &format!("cursor={next}"))) {
                    (bi("次のページ »", "Older"))
                }
            }
        }
    };
    Ok(page(&viewer, Nav::Logs, ("ログ一覧", "Logs"), body))
}

/// One table row.
fn row(s: &StoredRecord, offset: time::UtcOffset) -> maud::Markup {
    let r = &s.record;
    let href = format!("/admin/ui/logs/{}", super::enc(&r.id));
    let mut kinds: Vec<&str> = r.findings.iter().map(|f| f.kind.as_str()).collect();
    kinds.dedup();
    let mut seen = Vec::new();
    kinds.retain(|k| {
        let fresh = !seen.contains(k);
        seen.push(*k);
        fresh
    });
    html! {
        tr class=(format!("row-{}", r.verdict.as_str())) {
            td { a href=(href) { (when(r.time, offset)) } }
            td { (r.user) }
            td { (r.department) }
            td { (r.model) }
            td { (badge(r.verdict)) }
            td { @for k in &kinds { span.chip { (k) } " " } }
            td.n { @match r.usage { Some(u) => (num(u.total_tokens)), None => "—" } }
            td.n { (format!("{:.0} ms", r.latency_ms)) }
            td { (feedback_mark(s)) }
        }
    }
}

/// A short feedback mark: 良/悪 or the score.
pub fn feedback_mark(s: &StoredRecord) -> maud::Markup {
    match &s.feedback {
        None => html! { span.muted { "—" } },
        Some(f) => {
            let (cls, text) = match f.rating {
                Rating::Good => ("fb fb-good", "良 good".to_string()),
                Rating::Bad => ("fb fb-bad", "悪 bad".to_string()),
                Rating::Score(n) if f.rating.is_bad() => ("fb fb-bad", format!("{n}/5")),
                Rating::Score(n) => ("fb fb-good", format!("{n}/5")),
            };
            html! { span class=(cls) title=(f.comment.as_deref().unwrap_or("")) { (text) } }
        }
    }
}
