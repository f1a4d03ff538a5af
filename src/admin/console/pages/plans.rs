//! 利用計画: each use plan with its colour (青/黄), period and scope, and its
//! report (issue 7) on screen and as Markdown / CSV downloads. Built on the
//! public API of [`crate::report`], like `mamori report` and
//! `GET /admin/reports/{plan}`.

use std::sync::Arc;

use axum::extract::{Path, Query as Q, State};
use axum::response::{Html, Response};
use maud::{html, Markup};
use time::Date;

use super::{enc, with_qs, Query};
use crate::admin::console::layout::{bi, num, page, Nav};
use crate::admin::console::{ConsoleError, Signed};
use crate::report::{DayRange, PlanReport, ReportError, ReportFormat};
use crate::state::AppState;

/// A colour badge: 青 / 黄 (赤 plans never load).
fn colour_badge(ja: &str, en: &str) -> Markup {
    let class = if en == "blue" {
        "chip plan-blue"
    } else {
        "chip plan-yellow"
    };
    html! { span class=(class) { (ja) " " (en) } }
}

/// `GET /admin/ui/plans`.
pub async fn list(
    Signed(viewer): Signed,
    State(state): State<Arc<AppState>>,
) -> Result<Html<String>, ConsoleError> {
    tracing::info!(token = %viewer.name, action = "console.plans", "admin console");
    let s = &state.settings;
    let today = s.today();
    let body = html! {
        @if s.plans.is_empty() {
            p.empty { "利用計画は設定されていません。" span.en { "No use plans are configured ([[plans]])." } }
        } @else {
            table.logs {
                thead { tr {
                    th { (bi("区分", "Colour")) }
                    th { (bi("計画", "Plan")) }
                    th { (bi("期間", "Period")) }
                    th { (bi("対象", "Scope")) }
                    th.n { (bi("機密性", "Class")) }
                    th { (bi("モデル", "Models")) }
                    th { (bi("承認者", "Approver")) }
                    th.n { (bi("キー数", "Keys")) }
                    th { (bi("報告書", "Report")) }
                } }
                tbody {
                    @for p in &s.plans {
                        @let href = format!("/admin/ui/plans/{}", enc(&p.id));
                        tr {
                            td { (colour_badge(p.colour.label_ja(), p.colour.as_str())) }
                            td { a href=(href) { (p.id) } br; span.muted { (p.service) }
                                 @if p.public { br; span.chip { "公開利用 public (Q16)" } } }
                            td { (p.start.to_string()) " – " (p.end.to_string()) br;
                                 @if p.in_period(today) { span.ok { "期間内 in period" } } @else { span.error { "期間外 out of period" } } }
                            td {
                                @if !p.departments.is_empty() { (bi("所属", "depts")) ": " (p.departments.join("、")) br; }
                                @if !p.users.is_empty() { (bi("利用者", "users")) ": " (p.users.join(", ")) }
                            }
                            td.n { (p.class) }
                            td { (p.models.join(", ")) }
                            td { (p.approver) }
                            td.n { (s.plan_keys(&p.id).count()) }
                            td {
                                a href=(href) { (bi("表示", "View")) } " · "
                                a href=(format!("{href}/report?format=md")) download { "MD" } " · "
                                a href=(format!("{href}/report?format=csv&bom=1")) download { "CSV" }
                            }
                        }
                    }
                }
            }
            p.muted { "青: 低リスク（標準ポリシー） 黄: 注意して利用（厳格ポリシー） 赤の計画は読み込み時に拒否されます。" br;
                span.en { "Blue: low risk (default policy). Yellow: use with care (strict policy). Red plans are refused at load." } }
        }
    };
    Ok(page(&viewer, Nav::Plans, ("利用計画", "Use plans"), body))
}

/// The `from`/`to` days of a report query.
fn range_of(q: &Query) -> Result<DayRange, ConsoleError> {
    let day = |k: &str| -> Result<Option<Date>, ConsoleError> {
        match q.get(k).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => crate::report::parse_day(v)
                .map(Some)
                .map_err(|_| ConsoleError::BadRequest(format!("{k}: expected YYYY-MM-DD"))),
        }
    };
    Ok(DayRange {
        from: day("from")?,
        to: day("to")?,
    })
}

/// Builds a plan's report off the runtime.
async fn build(
    state: &Arc<AppState>,
    id: String,
    range: DayRange,
) -> Result<PlanReport, ConsoleError> {
    match crate::admin::reports::build_report(state, id, range)
        .await
        .map_err(ConsoleError::Gateway)?
    {
        Ok(r) => Ok(r),
        Err(ReportError::UnknownPlan(_)) => Err(ConsoleError::NotFound),
        Err(ReportError::EmptyRange { .. }) => {
            Err(ConsoleError::BadRequest("from is after to".into()))
        }
        Err(ReportError::Store(e)) => Err(ConsoleError::Gateway(crate::admin::store_error(
            "plans.report",
            e,
        ))),
    }
}

/// `from=…&to=…` of the query, for links.
fn range_qs(q: &Query) -> String {
    super::keys_qs(q, &["from", "to"])
}

/// `GET /admin/ui/plans/{id}?from=&to=`.
pub async fn show(
    Signed(viewer): Signed,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Q(q): Q<Query>,
) -> Result<Html<String>, ConsoleError> {
    tracing::info!(token = %viewer.name, action = "console.plans.report", "admin console");
    let range = range_of(&q)?;
    let r = build(&state, id.clone(), range).await?;
    let p = &r.plan;
    let u = &r.usage;
    let base = format!("/admin/ui/plans/{}", enc(&id));
    let qs = range_qs(&q);
    let v = |k: &str| q.get(k).cloned().unwrap_or_default();
    let body = html! {
        p { a href="/admin/ui/plans" { (bi("« 利用計画一覧", "All plans")) } }
        form.filters method="get" action=(base) {
            label { span.lbl { (bi("期間（開始）", "from")) } input type="date" name="from" value=(v("from")); }
            label { span.lbl { (bi("期間（終了）", "to")) } input type="date" name="to" value=(v("to")); }
            div.buttons {
                button type="submit" { (bi("集計", "Report")) }
            }
            div.buttons {
                a.button.secondary href=(with_qs(&format!("{base}/report?format=md"), &qs)) download { (bi("Markdown", "download")) }
                a.button.secondary href=(with_qs(&format!("{base}/report?format=csv&bom=1"), &qs)) download { (bi("CSV", "download")) }
            }
        }
        div.cols {
            section.card {
                h2 { (colour_badge(&p.colour_ja, &p.colour)) " " (p.service) }
                table.kv { tbody {
                    tr { th { (bi("計画ID", "Plan id")) } td.mono { (p.id) } }
                    tr { th { (bi("業務内容", "Purpose")) } td { (p.purpose) } }
                    tr { th { (bi("提供元", "Provider")) } td { (p.provider) " (" (p.provider_kind) ")" @if p.contracted { " 契約あり contracted" } } }
                    tr { th { (bi("機密性", "Confidentiality class")) } td { "機密性" (p.confidentiality_class) " まで" } }
                    tr { th { (bi("期間", "Period")) } td { (p.start) " – " (p.end) } }
                    tr { th { (bi("対象所属", "Departments")) } td { (p.departments.join("、")) } }
                    tr { th { (bi("対象利用者", "Users")) } td { (p.users.join(", ")) } }
                    tr { th { (bi("承認者", "Approver")) } td { (p.approver) } }
                    tr { th { (bi("活用領域・類型", "Domain, category")) } td { (p.domain_ja) "・" (p.category) " " (p.category_ja) br; span.en { (p.domain) ", " (p.category_en) } } }
                    tr { th { (bi("公開利用", "Public use")) } td { (p.public) } }
                    tr { th { (bi("モデル", "Models")) } td { (p.models.join(", ")) } }
                    tr { th { (bi("ポリシー", "Policy")) } td { (p.policy) " (" (p.policy_source) ")" } }
                    tr { th { (bi("キー数", "Keys")) } td { (p.keys) } }
                } }
            }
            section.card {
                h2 { (bi("利用実績", "Measured usage")) }
                p.muted { (bi("集計期間", "Covered")) ": " (r.range.from.as_deref().unwrap_or("…")) " – " (r.range.to.as_deref().unwrap_or("…"))
                          " · " (bi("作成", "generated")) " " (r.generated_at) }
                table.kv { tbody {
                    tr { th { (bi("リクエスト", "Requests")) } td { (num(u.requests)) } }
                    tr { th { (bi("利用者数", "Distinct users")) } td { (num(u.distinct_users)) } }
                    @for (verdict, n) in &u.by_verdict {
                        tr { th { (verdict) } td { (num(*n)) } }
                    }
                    tr { th { (bi("トークン", "Tokens")) } td { (num(u.tokens.total)) } }
                    tr { th { (bi("AI生成表示", "Notice applied")) } td { (num(u.notice_applied)) } }
                    tr { th { (bi("評価（うち低評価）", "Feedback (bad)")) } td { (u.feedback.total) " (" (u.feedback.bad) ", " (format!("{:.1} %", u.feedback.bad_share * 100.0)) ")" } }
                    @if let Some(c) = u.consented_users {
                        tr { th { (bi("同意済み利用者", "Consented users")) } td { (c) } }
                    }
                } }
            }
        }
        section.card {
            h2 { (bi("必要な措置", "Required measures")) }
            table.numbers {
                thead { tr { th { (bi("措置", "Measure")) } th { (bi("根拠", "Rule")) } th { (bi("実装", "Implementation")) } th { (bi("実績", "Evidence")) } } }
                tbody {
                    @for m in &r.measures {
                        tr {
                            td { (m.title_ja) br; span.en { (m.title_en) } @if !m.applies { br; span.muted { "対象外 n/a" } } }
                            td { (m.rule) }
                            td { (m.implementation) }
                            td { (m.evidence) }
                        }
                    }
                }
            }
        }
        div.cols {
            section.card {
                h2 { (bi("所属別", "By department")) }
                table.numbers {
                    thead { tr { th { (bi("所属", "Department")) } th.n { (bi("リクエスト", "Requests")) } th.n { (bi("利用者", "Users")) } th.n { (bi("トークン", "Tokens")) } } }
                    tbody { @for d in &u.departments { tr { td { (d.department) } td.n { (d.requests) } td.n { (d.users) } td.n { (num(d.tokens)) } } } }
                }
            }
            section.card {
                h2 { (bi("検出種別", "Findings")) }
                table.numbers {
                    thead { tr { th { (bi("種別", "Type")) } th.n { (bi("ブロック", "blocked")) } th.n { (bi("マスク", "masked")) } th.n { (bi("警告", "warned")) } } }
                    tbody { @for f in &u.findings { tr { td { (f.label) " " span.chip { (f.kind) } } td.n { (f.blocked) } td.n { (f.masked) } td.n { (f.warned) } } } }
                }
            }
        }
        section.card {
            h2 { (bi("日別推移", "By day")) }
            table.numbers {
                thead { tr {
                    th { (bi("日付", "Day")) } th.n { (bi("リクエスト", "Requests")) } th.n { (bi("利用者", "Users")) }
                    th.n { (bi("ブロック", "Blocked")) } th.n { (bi("マスク", "Masked")) } th.n { (bi("警告", "Warned")) }
                    th.n { (bi("トークン", "Tokens")) } th.n { (bi("評価", "Feedback")) } th.n { (bi("低評価", "Bad")) }
                } }
                tbody { @for d in &u.daily { tr {
                    td { (d.date) } td.n { (d.requests) } td.n { (d.users) } td.n { (d.blocked) } td.n { (d.masked) }
                    td.n { (d.warned) } td.n { (num(d.tokens)) } td.n { (d.feedback) } td.n { (d.bad_feedback) }
                } } }
            }
        }
    };
    Ok(page(
        &viewer,
        Nav::Plans,
        ("利用計画 報告書", "Use plan report"),
        body,
    ))
}

/// `GET /admin/ui/plans/{id}/report?format=md|csv&from=&to=`: the report as a download.
pub async fn download(
    Signed(viewer): Signed,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Q(q): Q<Query>,
) -> Result<Response, ConsoleError> {
    tracing::info!(token = %viewer.name, action = "console.plans.download", "admin console");
    let format = match q.get("format").map(String::as_str) {
        Some("md") | None => ReportFormat::Md,
        Some("csv") => ReportFormat::Csv,
        Some(_) => {
            return Err(ConsoleError::BadRequest(
                "format: expected md or csv".into(),
            ))
        }
    };
    let range = range_of(&q)?;
    let r = build(&state, id, range).await?;
    let bom = crate::admin::api::bom_requested(&q).map_err(ConsoleError::Gateway)?;
    crate::admin::reports::report_file(&r, format, bom).map_err(ConsoleError::Gateway)
}
