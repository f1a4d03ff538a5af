//! Markdown and CSV forms of a [`PlanReport`]. Both are deterministic for a
//! given report (golden-file tested), Japanese first with English beside it.

use std::fmt::Write as _;

use super::PlanReport;
use crate::store::{csv_cell, Verdict};

/// Escapes a value for a Markdown table cell (pipes and line breaks).
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "—".to_owned()
    } else {
        v.join(", ")
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "はい / yes"
    } else {
        "いいえ / no"
    }
}

/// The report as Markdown.
pub fn to_markdown(r: &PlanReport) -> String {
    let p = &r.plan;
    let u = &r.usage;
    let mut out = String::new();
    let range = match (&r.range.from, &r.range.to) {
        (None, None) => "全期間 / all records".to_owned(),
        (from, to) => format!(
            "{} 〜 {}",
            from.as_deref().unwrap_or("…"),
            to.as_deref().unwrap_or("…")
        ),
    };
    // `write!` into a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(
        out,
        "# 生成AI利用計画書・利用実績報告 / Generative-AI usage plan and report"
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "- 計画ID / Plan: `{}`", p.id);
    let _ = writeln!(out, "- 集計期間 / Covered: {range}");
    let _ = writeln!(out, "- 作成日時 / Generated: {}", r.generated_at);
    let _ = writeln!(out);
    let _ = writeln!(out, "## 1. 利用計画 / Usage plan");
    let _ = writeln!(out);
    let _ = writeln!(out, "| 項目 / Field | 内容 / Value |");
    let _ = writeln!(out, "| --- | --- |");
    let provider = format!(
        "{} ({}; 契約 / contracted: {})",
        p.provider,
        p.provider_kind,
        yes_no(p.contracted)
    );
    let rows: Vec<(&str, String)> = vec![
        ("サービス名 / Service", p.service.clone()),
        ("提供者 / Provider", provider),
        ("業務内容 / Purpose", p.purpose.clone()),
        (
            "機密性 / Confidentiality class",
            format!(
                "機密性{}まで / up to class {}",
                p.confidentiality_class, p.confidentiality_class
            ),
        ),
        ("利用期間 / Period", format!("{} 〜 {}", p.start, p.end)),
        ("利用部署 / Departments", list(&p.departments)),
        ("利用者 / Users", list(&p.users)),
        ("承認者 / Approver", p.approver.clone()),
        (
            "活用領域 / Domain",
            format!("{} ({})", p.domain_ja, p.domain),
        ),
        (
            "類型 / Category",
            format!("{} {} ({})", p.category, p.category_ja, p.category_en),
        ),
        ("区分 / Colour", format!("{} ({})", p.colour_ja, p.colour)),
        ("一般利用 / Public use", yes_no(p.public).to_owned()),
        ("利用モデル / Models", list(&p.models)),
        (
            "検査ポリシー / Policy",
            format!(
                "{} ({})",
                p.policy,
                if p.policy_source == "named" {
                    "計画で指定 / named by the plan"
                } else {
                    "区分により決定 / chosen by the colour"
                }
            ),
        ),
        ("生成AI表示 / Notice", p.notice.clone()),
        (
            "保存期間 / Retention",
            p.retention_days
                .map(|d| format!("{d}日以上 / at least {d} days"))
                .unwrap_or_else(|| "全体設定 / global setting".to_owned()),
        ),
        ("発行キー数 / Keys", p.keys.to_string()),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "| {k} | {} |", cell(&v));
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "## 2. 必要な措置 / Required measures");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| | 措置 / Measure | 実装 / How mamori implements it | 実績 / Measured |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- |");
    for m in &r.measures {
        let mark = if m.applies { "✓" } else { "—" };
        let _ = writeln!(
            out,
            "| {mark} | {} {} / {} | {} | {} |",
            m.rule,
            m.title_ja,
            m.title_en,
            cell(&m.implementation),
            cell(&m.evidence)
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "## 3. 利用実績 / Measured usage");
    let _ = writeln!(out);
    let _ = writeln!(out, "| 指標 / Metric | 値 / Value |");
    let _ = writeln!(out, "| --- | --- |");
    let _ = writeln!(out, "| リクエスト数 / Requests | {} |", u.requests);
    let _ = writeln!(out, "| 利用者数 / Distinct users | {} |", u.distinct_users);
    for v in Verdict::ALL {
        let n = u.by_verdict.get(v.as_str()).copied().unwrap_or(0);
        let _ = writeln!(out, "| 判定 / Verdict `{}` | {n} |", v.as_str());
    }
    let _ = writeln!(
        out,
        "| トークン / Tokens (prompt + completion = total) | {} + {} = {} |",
        u.tokens.prompt, u.tokens.completion, u.tokens.total
    );
    let _ = writeln!(
        out,
        "| 生成AI表示あり / Answers with the notice | {} |",
        u.notice_applied
    );
    let _ = writeln!(
        out,
        "| フィードバック / Feedback (bad, share) | {} ({}, {:.1}%) |",
        u.feedback.total,
        u.feedback.bad,
        u.feedback.bad_share * 100.0
    );
    if let Some(n) = u.consented_users {
        let _ = writeln!(out, "| 同意済み利用者 / Users who consented | {n} |");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "### 部署別 / By department");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| 部署 / Department | リクエスト / Requests | 利用者 / Users | トークン / Tokens |"
    );
    let _ = writeln!(out, "| --- | ---: | ---: | ---: |");
    for d in &u.departments {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&d.department),
            d.requests,
            d.users,
            d.tokens
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "### 検出（種類別） / Findings by category");
    let _ = writeln!(out);
    if u.findings.is_empty() {
        let _ = writeln!(out, "検出なし / none");
    } else {
        let _ = writeln!(
            out,
            "| 種類 / Type | 遮断 / Blocked | マスク / Masked | 警告 / Warned |"
        );
        let _ = writeln!(out, "| --- | ---: | ---: | ---: |");
        for f in &u.findings {
            let _ = writeln!(
                out,
                "| {} (`{}`) | {} | {} | {} |",
                cell(&f.label),
                cell(&f.kind),
                f.blocked,
                f.masked,
                f.warned
            );
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "### 日別推移 / Trend by day");
    let _ = writeln!(out);
    if u.daily.is_empty() {
        let _ = writeln!(out, "記録なし / no records");
    } else {
        let _ = writeln!(
            out,
            "| 日付 / Date | リクエスト / Requests | 利用者 / Users | 遮断 / Blocked | マスク / Masked | 警告 / Warned | トークン / Tokens | 評価 / Feedback | 低評価 / Bad |"
        );
        let _ = writeln!(
            out,
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
        for d in &u.daily {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                d.date,
                d.requests,
                d.users,
                d.blocked,
                d.masked,
                d.warned,
                d.tokens,
                d.feedback,
                d.bad_feedback
            );
        }
    }
    out
}

/// The report as CSV in long form: `section,item,metric,value`.
pub fn to_csv(r: &PlanReport) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["section", "item", "metric", "value"])?;
    let p = &r.plan;
    let u = &r.usage;
    let mut row = |section: &str, item: &str, metric: &str, value: String| {
        w.write_record([section, item, metric, csv_cell(&value).as_str()])
    };
    row("report", "generated_at", "", r.generated_at.clone())?;
    row(
        "report",
        "from",
        "",
        r.range.from.clone().unwrap_or_default(),
    )?;
    row("report", "to", "", r.range.to.clone().unwrap_or_default())?;
    let fields: Vec<(&str, String)> = vec![
        ("id", p.id.clone()),
        ("service", p.service.clone()),
        ("provider", p.provider.clone()),
        ("provider_kind", p.provider_kind.clone()),
        ("contracted", p.contracted.to_string()),
        ("purpose", p.purpose.clone()),
        ("confidentiality_class", p.confidentiality_class.to_string()),
        ("start", p.start.clone()),
        ("end", p.end.clone()),
        ("departments", p.departments.join(";")),
        ("users", p.users.join(";")),
        ("approver", p.approver.clone()),
        ("domain", p.domain.clone()),
        ("category", p.category.to_string()),
        ("category_name", p.category_ja.clone()),
        ("colour", p.colour_ja.clone()),
        ("public", p.public.to_string()),
        ("models", p.models.join(";")),
        ("policy", p.policy.clone()),
        ("notice", p.notice.clone()),
        (
            "retention_days",
            p.retention_days.map(|d| d.to_string()).unwrap_or_default(),
        ),
        ("keys", p.keys.to_string()),
    ];
    for (k, v) in fields {
        row("plan", k, "", v)?;
    }
    for m in &r.measures {
        row("measure", m.id, "applies", m.applies.to_string())?;
        row("measure", m.id, "implementation", m.implementation.clone())?;
        row("measure", m.id, "evidence", m.evidence.clone())?;
    }
    row("usage", "requests", "", u.requests.to_string())?;
    row("usage", "distinct_users", "", u.distinct_users.to_string())?;
    for v in Verdict::ALL {
        let n = u.by_verdict.get(v.as_str()).copied().unwrap_or(0);
        row("usage", "verdict", v.as_str(), n.to_string())?;
    }
    row("usage", "tokens", "prompt", u.tokens.prompt.to_string())?;
    row(
        "usage",
        "tokens",
        "completion",
        u.tokens.completion.to_string(),
    )?;
    row("usage", "tokens", "total", u.tokens.total.to_string())?;
    row("usage", "notice_applied", "", u.notice_applied.to_string())?;
    row("usage", "feedback", "total", u.feedback.total.to_string())?;
    row("usage", "feedback", "bad", u.feedback.bad.to_string())?;
    row(
        "usage",
        "feedback",
        "bad_share",
        format!("{:.4}", u.feedback.bad_share),
    )?;
    if let Some(n) = u.consented_users {
        row("usage", "consented_users", "", n.to_string())?;
    }
    for d in &u.departments {
        row(
            "department",
            &d.department,
            "requests",
            d.requests.to_string(),
        )?;
        row("department", &d.department, "users", d.users.to_string())?;
        row("department", &d.department, "tokens", d.tokens.to_string())?;
    }
    for f in &u.findings {
        row("findings", &f.kind, "blocked", f.blocked.to_string())?;
        row("findings", &f.kind, "masked", f.masked.to_string())?;
        row("findings", &f.kind, "warned", f.warned.to_string())?;
    }
    for d in &u.daily {
        for (metric, n) in [
            ("requests", d.requests),
            ("users", d.users),
            ("blocked", d.blocked),
            ("masked", d.masked),
            ("warned", d.warned),
            ("tokens", d.tokens),
            ("feedback", d.feedback),
            ("bad_feedback", d.bad_feedback),
        ] {
            row("daily", &d.date, metric, n.to_string())?;
        }
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
