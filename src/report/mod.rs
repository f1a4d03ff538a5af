//! The usage-plan report (利用計画書, Q6/Q17): a plan's fields as configured,
//! its colour, the six required measures with how this deployment implements
//! each, and what the audit store measured for the plan over a period.
//!
//! [`build`] gathers everything in one pass over the plan's records (memory
//! bounded by departments, users, detector types and days, never by records);
//! [`render`] turns it into Markdown or CSV, and JSON is the serde form.
//! `mamori report` and `GET /admin/reports/{plan}` share both.

mod render;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use time::{Date, OffsetDateTime, Time};

use crate::config::{NoticePosition, Plan, Settings};
use crate::store::{AuditStore, Filter, StoreError, TokenTotals, Verdict};

pub use render::{to_csv, to_markdown};

/// Output formats of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Markdown, for people and for printing.
    Md,
    /// CSV in long form (section, item, metric, value), for spreadsheets.
    Csv,
    /// JSON, for tools.
    Json,
}

impl std::str::FromStr for ReportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "md" | "markdown" => Ok(Self::Md),
            "csv" => Ok(Self::Csv),
            "json" => Ok(Self::Json),
            other => Err(format!("unknown report format {other:?} (md, csv, json)")),
        }
    }
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No plan with this id is configured.
    #[error("no use plan with id '{0}'")]
    UnknownPlan(String),
    /// `from` is after `to`.
    #[error("the period is empty: from {from} is after to {to}")]
    EmptyRange {
        /// First day.
        from: Date,
        /// Last day.
        to: Date,
    },
    /// The audit store failed.
    #[error("audit store: {0}")]
    Store(#[from] StoreError),
}

/// The report in `format` (JSON pretty-printed).
pub fn render(r: &PlanReport, format: ReportFormat) -> Result<String, String> {
    match format {
        ReportFormat::Md => Ok(to_markdown(r)),
        ReportFormat::Csv => to_csv(r).map_err(|e| format!("csv: {e}")),
        ReportFormat::Json => serde_json::to_string_pretty(r)
            .map(|mut s| {
                s.push('\n');
                s
            })
            .map_err(|e| format!("json: {e}")),
    }
}

/// Parses a report day, `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> Result<Date, String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &fmt).map_err(|_| format!("{s:?} is not a date like 2026-04-01"))
}

/// Days a report covers, inclusive, at the governance offset; `None` is open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayRange {
    /// First day.
    pub from: Option<Date>,
    /// Last day.
    pub to: Option<Date>,
}

/// A filled-in usage plan with measured usage.
#[derive(Debug, Clone, Serialize)]
pub struct PlanReport {
    /// When the report was made (RFC 3339 at the governance offset).
    pub generated_at: String,
    /// The days covered (`null` ends are open).
    pub range: RangeOut,
    /// The plan as configured.
    pub plan: PlanFields,
    /// The six required measures and how mamori implements each here.
    pub measures: Vec<Measure>,
    /// What the audit store measured.
    pub usage: UsageSummary,
}

/// The covered days as written in the report.
#[derive(Debug, Clone, Serialize)]
pub struct RangeOut {
    /// First day, or `null` for everything before `to`.
    pub from: Option<String>,
    /// Last day, or `null` for everything since `from`.
    pub to: Option<String>,
}

/// The fields of the official usage plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanFields {
    /// Plan id.
    pub id: String,
    /// Service name.
    pub service: String,
    /// Provider name in the config.
    pub provider: String,
    /// Provider kind (openai, azure, openai_compatible, mock).
    pub provider_kind: String,
    /// Whether the provider is under contract.
    pub contracted: bool,
    /// Purpose (業務内容).
    pub purpose: String,
    /// Highest confidentiality class.
    pub confidentiality_class: u8,
    /// First day of the plan.
    pub start: String,
    /// Last day of the plan.
    pub end: String,
    /// Departments in scope.
    pub departments: Vec<String>,
    /// Users in scope.
    pub users: Vec<String>,
    /// Approver.
    pub approver: String,
    /// Domain (config spelling).
    pub domain: String,
    /// Domain in Japanese.
    pub domain_ja: String,
    /// Category 1..=5.
    pub category: u8,
    /// Category name in Japanese.
    pub category_ja: String,
    /// Category name in English.
    pub category_en: String,
    /// blue or yellow.
    pub colour: String,
    /// 青 or 黄.
    pub colour_ja: String,
    /// Public use (Q16).
    pub public: bool,
    /// Models allowed.
    pub models: Vec<String>,
    /// Policy in force.
    pub policy: String,
    /// `named` (the plan names it) or `colour` (chosen by the colour).
    pub policy_source: String,
    /// Notice position (suffix, prefix, none).
    pub notice: String,
    /// Minimum retention of the plan's records, in days (`null`: the global setting).
    pub retention_days: Option<u32>,
    /// Staff keys that belong to the plan.
    pub keys: usize,
}

/// One of the six measures the government's rules require.
#[derive(Debug, Clone, Serialize)]
pub struct Measure {
    /// Stable id (disclosure, secondary_use, limited_users, risk_assessment,
    /// logging_feedback, public_use).
    pub id: &'static str,
    /// The rule it serves (Q11 …).
    pub rule: &'static str,
    /// Title in Japanese.
    pub title_ja: &'static str,
    /// Title in English.
    pub title_en: &'static str,
    /// Whether it applies to this plan (public use applies only to public plans).
    pub applies: bool,
    /// How this deployment implements it.
    pub implementation: String,
    /// What was measured for it in the covered days.
    pub evidence: String,
}

/// Measured usage of one plan.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UsageSummary {
    /// Audited requests.
    pub requests: u64,
    /// Distinct users.
    pub distinct_users: u64,
    /// Requests by verdict (every verdict present, zeros included).
    pub by_verdict: BTreeMap<String, u64>,
    /// Per department.
    pub departments: Vec<DepartmentUsage>,
    /// Token totals.
    pub tokens: TokenTotals,
    /// Answers that carried the visible notice.
    pub notice_applied: u64,
    /// Findings per detector type by action, both directions.
    pub findings: Vec<FindingUsage>,
    /// Feedback.
    pub feedback: FeedbackUsage,
    /// Users of the plan's keys who have recorded consent (public plans only).
    pub consented_users: Option<u64>,
    /// The trend by day.
    pub daily: Vec<DayUsage>,
}

/// One department's usage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DepartmentUsage {
    /// Department.
    pub department: String,
    /// Requests.
    pub requests: u64,
    /// Distinct users.
    pub users: u64,
    /// Total tokens.
    pub tokens: u64,
}

/// One detector type's findings by action (counts of values, not requests).
#[derive(Debug, Clone, Default, Serialize)]
pub struct FindingUsage {
    /// Detector type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Japanese label.
    pub label: String,
    /// Blocked.
    pub blocked: u64,
    /// Masked.
    pub masked: u64,
    /// Warned.
    pub warned: u64,
}

/// Feedback counts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FeedbackUsage {
    /// Records with feedback.
    pub total: u64,
    /// Negative ratings ("bad", 1 or 2).
    pub bad: u64,
    /// bad / total (0 when none).
    pub bad_share: f64,
    /// Counts by rating label.
    pub by_rating: BTreeMap<String, u64>,
}

/// One day of the trend.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DayUsage {
    /// YYYY-MM-DD at the governance offset.
    pub date: String,
    /// Requests.
    pub requests: u64,
    /// Distinct users that day.
    pub users: u64,
    /// Blocked requests.
    pub blocked: u64,
    /// Masked requests.
    pub masked: u64,
    /// Warned requests.
    pub warned: u64,
    /// Total tokens.
    pub tokens: u64,
    /// Feedback given on that day's answers.
    pub feedback: u64,
    /// Negative feedback on that day's answers.
    pub bad_feedback: u64,
}

/// Builds the report of plan `plan_id` over `range`, as of `now`.
pub fn build(
    settings: &Settings,
    store: &AuditStore,
    plan_id: &str,
    range: DayRange,
    now: OffsetDateTime,
) -> Result<PlanReport, ReportError> {
    let plan = settings
        .plan(plan_id)
        .ok_or_else(|| ReportError::UnknownPlan(plan_id.to_owned()))?;
    if let (Some(from), Some(to)) = (range.from, range.to) {
        if from > to {
            return Err(ReportError::EmptyRange { from, to });
        }
    }
    let offset = settings.utc_offset;
    let filter = Filter {
        plan: Some(plan.id.clone()),
        from: range
            .from
            .map(|d| d.with_time(Time::MIDNIGHT).assume_offset(offset)),
        to: range
            .to
            .and_then(Date::next_day)
            .map(|d| d.with_time(Time::MIDNIGHT).assume_offset(offset)),
        ..Filter::default()
    };
    let mut acc = Accumulator::default();
    store.for_each(&filter, |s| {
        acc.add(&s.record, s.feedback.as_ref(), offset);
        Ok(())
    })?;
    let consented = if plan.public {
        let mut n = 0u64;
        for user in plan_users(settings, plan) {
            if crate::pipeline::has_current_consent(store, settings, user)? {
                n += 1;
            }
        }
        Some(n)
    } else {
        None
    };
    let usage = acc.finish(consented);
    let fields = plan_fields(settings, plan);
    Ok(PlanReport {
        generated_at: now
            .to_offset(offset)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        range: RangeOut {
            from: range.from.map(|d| d.to_string()),
            to: range.to.map(|d| d.to_string()),
        },
        measures: measures(settings, plan, &fields, &usage),
        plan: fields,
        usage,
    })
}

/// Users whose keys belong to the plan (sorted, deduplicated).
fn plan_users<'a>(settings: &'a Settings, plan: &'a Plan) -> BTreeSet<&'a str> {
    settings
        .plan_keys(&plan.id)
        .map(|k| k.user.as_str())
        .collect()
}

fn plan_fields(settings: &Settings, plan: &Plan) -> PlanFields {
    let provider = settings.providers.iter().find(|p| p.name == plan.provider);
    let (category_ja, category_en) = plan.category_names();
    PlanFields {
        id: plan.id.clone(),
        service: plan.service.clone(),
        provider: plan.provider.clone(),
        provider_kind: provider.map(|p| p.kind.as_str()).unwrap_or("").to_owned(),
        contracted: provider.is_some_and(|p| p.contracted),
        purpose: plan.purpose.clone(),
        confidentiality_class: plan.class,
        start: plan.start.to_string(),
        end: plan.end.to_string(),
        departments: plan.departments.clone(),
        users: plan.users.clone(),
        approver: plan.approver.clone(),
        domain: plan.domain.as_str().to_owned(),
        domain_ja: plan.domain.label_ja().to_owned(),
        category: plan.category,
        category_ja: category_ja.to_owned(),
        category_en: category_en.to_owned(),
        colour: plan.colour.as_str().to_owned(),
        colour_ja: plan.colour.label_ja().to_owned(),
        public: plan.public,
        models: plan.models.clone(),
        policy: plan.policy.clone(),
        policy_source: if plan.policy_named { "named" } else { "colour" }.to_owned(),
        notice: plan.notice.as_str().to_owned(),
        retention_days: plan.retention_days,
        keys: settings.plan_keys(&plan.id).count(),
    }
}

/// The six measures, each with this deployment's implementation and evidence.
fn measures(settings: &Settings, plan: &Plan, f: &PlanFields, u: &UsageSummary) -> Vec<Measure> {
    let answered = u.by_verdict.get("allowed").copied().unwrap_or(0)
        + u.by_verdict.get("masked").copied().unwrap_or(0)
        + u.by_verdict.get("warned").copied().unwrap_or(0);
    let notice_where = match plan.notice {
        NoticePosition::Suffix => {
            "本文の末尾と応答ヘッダー / after the answer and in a response header"
        }
        NoticePosition::Prefix => {
            "本文の先頭と応答ヘッダー / before the answer and in a response header"
        }
        NoticePosition::None => "応答ヘッダーのみ / response header only",
    };
    let scope = {
        let mut parts = Vec::new();
        if !plan.departments.is_empty() {
            parts.push(format!("departments: {}", plan.departments.join(", ")));
        }
        if !plan.users.is_empty() {
            parts.push(format!("users: {}", plan.users.join(", ")));
        }
        parts.join("; ")
    };
    let durability = match settings.audit.durability {
        crate::store::Durability::Strict => "strict (recorded before the answer is released)",
        crate::store::Durability::Batched { .. } => "batched",
    };
    let retention = match (settings.effective_retention_days(), plan.retention_days) {
        (None, _) => "kept without time limit".to_owned(),
        (Some(d), Some(min)) => format!("kept {d} days (this plan: at least {min})"),
        (Some(d), None) => format!("kept {d} days"),
    };
    let blocked = u.by_verdict.get("blocked").copied().unwrap_or(0);
    let masked = u.by_verdict.get("masked").copied().unwrap_or(0);
    let warned = u.by_verdict.get("warned").copied().unwrap_or(0);
    vec![
        Measure {
            id: "disclosure",
            rule: "Q11",
            title_ja: "生成AIを利用している旨の明示",
            title_en: "Disclosure of generative-AI use",
            applies: true,
            implementation: format!(
                "すべての出力に「生成AIによる回答」の表示: {notice_where} / every output carries the AI-generated notice"
            ),
            evidence: format!(
                "{} of {answered} answers carried the visible notice (tool calls, JSON mode and embeddings carry the header only)",
                u.notice_applied
            ),
        },
        Measure {
            id: "secondary_use",
            rule: "Q12",
            title_ja: "二次利用時の責任の明示",
            title_en: "Responsibility for secondary use",
            applies: true,
            implementation: "表示文に「利用者の責任で利用」を含め、各記録に出力の受領者を残す / the notice states that reuse is on the user's own responsibility; every record names who received the output".to_owned(),
            evidence: format!("{} requests recorded with their user and department", u.requests),
        },
        Measure {
            id: "limited_users",
            rule: "Q13",
            title_ja: "利用者の限定",
            title_en: "Limited users",
            applies: true,
            implementation: format!(
                "既定で拒否。利用計画に属する個人別キー（SHA-256 のみ保存）{} 本、利用者範囲 {scope} / deny by default; per-user keys bound to this plan",
                f.keys
            ),
            evidence: format!("{} distinct users in the covered days", u.distinct_users),
        },
        Measure {
            id: "risk_assessment",
            rule: "Q14",
            title_ja: "リスク評価と対策",
            title_en: "Risk assessment",
            applies: true,
            implementation: format!(
                "区分 {}（{} / 類型{} {}）。ポリシー「{}」で入出力を検査（個人情報・秘匿情報・機密表示・プロンプトインジェクション）、機密性{}を超える表示は遮断 / colour {}, policy '{}' scans both directions; markings above class {} are blocked",
                f.colour_ja, f.domain_ja, f.category, f.category_ja, f.policy, f.confidentiality_class, f.colour, f.policy, f.confidentiality_class
            ),
            evidence: format!("{blocked} blocked, {masked} masked, {warned} warned requests"),
        },
        Measure {
            id: "logging_feedback",
            rule: "Q15",
            title_ja: "ログの記録とフィードバック",
            title_en: "Logging with feedback",
            applies: true,
            implementation: format!(
                "全件をハッシュチェーン付き監査ログに記録（{durability}; {retention}）、POST /v1/feedback で評価を受付 / every exchange in a hash-chained audit log; feedback endpoint"
            ),
            evidence: format!(
                "{} records; {} feedback, {} bad ({:.1}%)",
                u.requests,
                u.feedback.total,
                u.feedback.bad,
                u.feedback.bad_share * 100.0
            ),
        },
        Measure {
            id: "public_use",
            rule: "Q16",
            title_ja: "一般利用時の試行表示と同意取得",
            title_en: "Trial notice and consent for public use",
            applies: plan.public,
            implementation: if plan.public {
                "最初の回答の前に同意を記録（POST /v1/consent）、出力に試行段階である旨を追記 / consent recorded before the first answer; trial-stage notice added".to_owned()
            } else {
                "対象外（職員のみの利用） / not applicable: staff-only use".to_owned()
            },
            evidence: match u.consented_users {
                Some(n) => format!(
                    "{n} of the {} users with keys in this plan have recorded consent",
                    plan_users(settings, plan).len()
                ),
                None => "not applicable".to_owned(),
            },
        },
    ]
}

/// One pass of aggregation over a plan's records.
#[derive(Default)]
struct Accumulator {
    requests: u64,
    users: BTreeSet<String>,
    by_verdict: BTreeMap<String, u64>,
    departments: BTreeMap<String, (u64, BTreeSet<String>, u64)>,
    tokens: TokenTotals,
    notice_applied: u64,
    findings: BTreeMap<String, FindingUsage>,
    feedback: FeedbackUsage,
    daily: BTreeMap<String, (DayUsage, BTreeSet<String>)>,
}

impl Accumulator {
    fn add(
        &mut self,
        r: &crate::store::AuditRecord,
        fb: Option<&crate::store::Feedback>,
        offset: time::UtcOffset,
    ) {
        self.requests += 1;
        self.users.insert(r.user.clone());
        *self
            .by_verdict
            .entry(r.verdict.as_str().to_owned())
            .or_default() += 1;
        let tokens = r.usage.map_or(0, |u| u.total_tokens);
        if let Some(u) = r.usage {
            self.tokens.prompt += u.prompt_tokens;
            self.tokens.completion += u.completion_tokens;
            self.tokens.total += u.total_tokens;
        }
        let dept = self.departments.entry(r.department.clone()).or_default();
        dept.0 += 1;
        dept.1.insert(r.user.clone());
        dept.2 += tokens;
        if r.notice_applied {
            self.notice_applied += 1;
        }
        for f in &r.findings {
            let e = self
                .findings
                .entry(f.kind.clone())
                .or_insert_with(|| FindingUsage {
                    kind: f.kind.clone(),
                    label: crate::scan::Kind::from_name(&f.kind)
                        .map(|k| k.label().to_owned())
                        .unwrap_or_else(|| f.kind.clone()),
                    ..FindingUsage::default()
                });
            let n = u64::from(f.count);
            match f.action.as_str() {
                "block" => e.blocked += n,
                "mask" => e.masked += n,
                "warn" => e.warned += n,
                _ => {}
            }
        }
        let date = r.time.to_offset(offset).date().to_string();
        let (day, day_users) = self.daily.entry(date.clone()).or_default();
        day.date = date;
        day.requests += 1;
        day_users.insert(r.user.clone());
        day.tokens += tokens;
        match r.verdict {
            Verdict::Blocked => day.blocked += 1,
            Verdict::Masked => day.masked += 1,
            Verdict::Warned => day.warned += 1,
            _ => {}
        }
        if let Some(fb) = fb {
            self.feedback.total += 1;
            *self
                .feedback
                .by_rating
                .entry(fb.rating.label())
                .or_default() += 1;
            day.feedback += 1;
            if fb.rating.is_bad() {
                self.feedback.bad += 1;
                day.bad_feedback += 1;
            }
        }
    }

    fn finish(self, consented_users: Option<u64>) -> UsageSummary {
        let mut by_verdict = self.by_verdict;
        for v in Verdict::ALL {
            by_verdict.entry(v.as_str().to_owned()).or_default();
        }
        let mut feedback = self.feedback;
        if feedback.total > 0 {
            feedback.bad_share = feedback.bad as f64 / feedback.total as f64;
        }
        UsageSummary {
            requests: self.requests,
            distinct_users: self.users.len() as u64,
            by_verdict,
            departments: self
                .departments
                .into_iter()
                .map(|(department, (requests, users, tokens))| DepartmentUsage {
                    department,
                    requests,
                    users: users.len() as u64,
                    tokens,
                })
                .collect(),
            tokens: self.tokens,
            notice_applied: self.notice_applied,
            findings: self.findings.into_values().collect(),
            feedback,
            consented_users,
            daily: self
                .daily
                .into_values()
                .map(|(mut d, users)| {
                    d.users = users.len() as u64;
                    d
                })
                .collect(),
        }
    }
}
