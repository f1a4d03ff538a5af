//! 統計: requests per day by verdict, findings by type, tokens by department
//! and the share of bad feedback, as inline SVG with the numbers in tables.
//!
//! Everything comes from one [`crate::store::AuditStore::stats`] pass (its
//! per-day-and-verdict and per-department token splits), so the console shares
//! the API's query logic and reads the store once per page.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Query as Q, State};
use axum::response::Html;
use maud::html;

use super::{filter_form, filter_summary, Query};
use crate::admin::api::{date_offset, filter_from};
use crate::admin::console::charts::{hbars, share_bar, stacked_bars, Series};
use crate::admin::console::layout::{bi, num, page, verdict_ja, Nav};
use crate::admin::console::{blocking, ConsoleError, Signed};
use crate::state::AppState;
use crate::store::{Stats, Verdict};

/// Days drawn at most (the newest ones); the table has them all.
const MAX_DAYS: usize = 92;
/// Departments split out for tokens at most (the busiest ones).
const MAX_DEPARTMENTS: usize = 30;

/// What the page shows.
struct View {
    all: Stats,
    /// by_day per verdict.
    days: BTreeMap<String, BTreeMap<Verdict, u64>>,
    /// total tokens per department.
    tokens: Vec<(String, u64)>,
}

/// `GET /admin/ui/stats?…`.
pub async fn show(
    Signed(viewer): Signed,
    State(state): State<Arc<AppState>>,
    Q(q): Q<Query>,
) -> Result<Html<String>, ConsoleError> {
    let filter = filter_from(&q, date_offset(&state))?;
    tracing::info!(token = %viewer.name, action = "console.stats", "admin console");
    let store = state.store.clone();
    let v = blocking("stats", move || {
        let all = store.stats(&filter)?;
        let days = all
            .by_day_verdict
            .iter()
            .map(|(day, m)| {
                let per: BTreeMap<Verdict, u64> = Verdict::ALL
                    .into_iter()
                    .filter_map(|vd| m.get(vd.as_str()).map(|n| (vd, *n)))
                    .collect();
                (day.clone(), per)
            })
            .collect();
        let mut depts: Vec<(&String, &u64)> = all.by_department.iter().collect();
        depts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let tokens = depts
            .into_iter()
            .take(MAX_DEPARTMENTS)
            .map(|(d, _)| {
                let n = all.tokens_by_department.get(d).copied().unwrap_or(0);
                (d.clone(), n)
            })
            .collect();
        Ok(View { all, days, tokens })
    })
    .await?;
    let series: Vec<Series<'_>> = Verdict::ALL
        .iter()
        .map(|vd| Series {
            class: match vd {
                Verdict::Allowed => "v-allowed",
                Verdict::Masked => "v-masked",
                Verdict::Warned => "v-warned",
                Verdict::Blocked => "v-blocked",
                Verdict::UpstreamError => "v-upstream_error",
                Verdict::Error => "v-error",
            },
            label: format!("{} {}", verdict_ja(*vd), vd.as_str()),
        })
        .collect();
    let drawn: Vec<(&String, &BTreeMap<Verdict, u64>)> = {
        let all: Vec<_> = v.days.iter().collect();
        let skip = all.len().saturating_sub(MAX_DAYS);
        all.into_iter().skip(skip).collect()
    };
    let labels: Vec<String> = drawn.iter().map(|(d, _)| (*d).clone()).collect();
    let values: Vec<Vec<u64>> = drawn
        .iter()
        .map(|(_, m)| {
            Verdict::ALL
                .iter()
                .map(|vd| m.get(vd).copied().unwrap_or(0))
                .collect()
        })
        .collect();
    let mut findings: Vec<(String, u64)> = v
        .all
        .findings_by_detector
        .iter()
        .map(|(k, n)| (k.clone(), *n))
        .collect();
    findings.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let fb = &v.all.feedback;
    let body = html! {
        (filter_form("/admin/ui/stats", &q))
        p { (bi("条件", "Filter")) ": " (filter_summary(&q)) }
        div.summary {
            div.metric { div.big { (num(v.all.total)) } div { (bi("リクエスト", "requests")) } }
            div.metric { div.big { (num(v.all.by_verdict.get("blocked").copied().unwrap_or(0))) } div { (bi("ブロック", "blocked")) } }
            div.metric { div.big { (num(v.all.tokens.total)) } div { (bi("トークン", "tokens")) } }
            div.metric { div.big { (format!("{:.1} %", fb.bad_share * 100.0)) } div { (bi("低評価の割合", "bad feedback")) } }
        }
        section.card {
            h2 { (bi("日別リクエスト数（判定別）", "Requests per day by verdict")) }
            @if labels.is_empty() { p.muted { "データなし / No data" } }
            @else { (stacked_bars(&labels, &series, &values)) }
            table.numbers {
                thead { tr {
                    th { (bi("日付", "Day")) }
                    @for vd in Verdict::ALL { th.n { (verdict_ja(vd)) br; span.en { (vd.as_str()) } } }
                    th.n { (bi("合計", "Total")) }
                } }
                tbody {
                    @for (day, m) in &v.days {
                        tr {
                            td { (day) }
                            @for vd in Verdict::ALL { td.n { (m.get(&vd).copied().unwrap_or(0)) } }
                            td.n { (m.values().sum::<u64>()) }
                        }
                    }
                }
            }
        }
        div.cols {
            section.card {
                h2 { (bi("検出種別ごとの件数", "Findings by type")) }
                @if findings.is_empty() { p.muted { "検出なし / No findings" } }
                @else { (hbars(&findings, "bar-finding")) }
                table.numbers {
                    thead { tr { th { (bi("検出種別", "Type")) } th.n { (bi("検出数", "Findings")) } th.n { (bi("該当記録", "Records")) } } }
                    tbody {
                        @for (k, n) in &findings {
                            tr { td { (k) } td.n { (n) } td.n { (v.all.by_detector.get(k).copied().unwrap_or(0)) } }
                        }
                    }
                }
            }
            section.card {
                h2 { (bi("所属別トークン数", "Tokens by department")) }
                @if v.tokens.is_empty() { p.muted { "データなし / No data" } }
                @else { (hbars(&v.tokens, "bar-tokens")) }
                table.numbers {
                    thead { tr { th { (bi("所属", "Department")) } th.n { (bi("リクエスト", "Requests")) } th.n { (bi("トークン", "Tokens")) } } }
                    tbody {
                        @for (d, t) in &v.tokens {
                            tr { td { (d) } td.n { (v.all.by_department.get(d).copied().unwrap_or(0)) } td.n { (num(*t)) } }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { (bi("低評価の割合", "Share of bad feedback")) }
            (share_bar(fb.bad, fb.total))
            table.numbers {
                thead { tr { th { (bi("評価", "Rating")) } th.n { (bi("件数", "Count")) } } }
                tbody {
                    @for (r, n) in &fb.by_rating { tr { td { (r) } td.n { (n) } } }
                    tr.total { td { (bi("低評価", "bad")) } td.n { (fb.bad) } }
                    tr.total { td { (bi("評価の合計", "all feedback")) } td.n { (fb.total) } }
                    tr.total { td { (bi("割合", "share")) } td.n { (format!("{:.1} %", fb.bad_share * 100.0)) } }
                }
            }
        }
    };
    Ok(page(&viewer, Nav::Stats, ("統計", "Statistics"), body))
}
