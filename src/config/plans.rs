//! Use plans (利用計画書, Q6/Q17): the official plan's fields, validated into
//! configuration mamori enforces, and the Tokyo guideline's colour for each use
//! case (its domain × category).
//!
//! Load-time refusals live here so a plan that may not run never starts:
//! 赤 (autonomous decision or execution), confidentiality class 3, and class 2
//! on a provider that is not under contract.

use time::Date;

use super::settings::NoticePosition;

/// Where a use case sits in the guideline's three domains (活用領域).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// 都民・住民サービス: output reaches citizens directly.
    CitizenService,
    /// 住民サービス関連業務: work that prepares what citizens receive.
    CitizenServiceRelated,
    /// 内部事務: internal office work.
    Internal,
}

impl Domain {
    /// Parses the config spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "citizen_service" => Some(Self::CitizenService),
            "citizen_service_related" => Some(Self::CitizenServiceRelated),
            "internal" => Some(Self::Internal),
            _ => None,
        }
    }

    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CitizenService => "citizen_service",
            Self::CitizenServiceRelated => "citizen_service_related",
            Self::Internal => "internal",
        }
    }

    /// The Japanese name used in reports.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::CitizenService => "住民サービス",
            Self::CitizenServiceRelated => "住民サービス関連業務",
            Self::Internal => "内部事務",
        }
    }
}

/// The guideline's five use-case categories (類型), Japanese and English names.
pub const CATEGORIES: [(&str, &str); 5] = [
    ("文章作成・校正", "drafting and proofreading"),
    ("要約・翻訳", "summary and translation"),
    ("企画・アイデア出し", "planning and ideas"),
    ("情報収集・調査・分析", "research and analysis"),
    ("自律的な判断・実行", "autonomous decision or execution"),
];

/// The risk colour of a use case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Colour {
    /// 青: low risk; the default policy.
    Blue,
    /// 黄: use with care; the strict policy unless the plan names one.
    Yellow,
    /// 赤: autonomous decision or execution; not allowed yet.
    Red,
}

impl Colour {
    /// The guideline's colour of a domain × category (category 1..=5).
    ///
    /// Category 5 (the AI decides or acts on its own) is 赤 in every domain.
    /// Output that reaches citizens directly is 黄 for everything else, and so
    /// is research in citizen-facing work, where an invented fact would reach a
    /// citizen through staff.
    pub fn of(domain: Domain, category: u8) -> Colour {
        match (domain, category) {
            (_, 5) => Colour::Red,
            (Domain::CitizenService, _) => Colour::Yellow,
            (Domain::CitizenServiceRelated, 4) => Colour::Yellow,
            _ => Colour::Blue,
        }
    }

    /// 青, 黄 or 赤.
    pub fn label_ja(self) -> &'static str {
        match self {
            Colour::Blue => "青",
            Colour::Yellow => "黄",
            Colour::Red => "赤",
        }
    }

    /// blue, yellow or red.
    pub fn as_str(self) -> &'static str {
        match self {
            Colour::Blue => "blue",
            Colour::Yellow => "yellow",
            Colour::Red => "red",
        }
    }
}

/// A validated use plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Stable id (keys, logs and reports refer to it).
    pub id: String,
    /// Service name (業務・サービス名).
    pub service: String,
    /// The configured provider every request of the plan goes to.
    pub provider: String,
    /// Purpose (業務内容).
    pub purpose: String,
    /// Highest confidentiality class of information the plan may handle (1 or 2).
    pub class: u8,
    /// First day of the period (inclusive).
    pub start: Date,
    /// Last day of the period (inclusive).
    pub end: Date,
    /// Departments in scope.
    pub departments: Vec<String>,
    /// Users in scope.
    pub users: Vec<String>,
    /// Who approved the plan (承認者).
    pub approver: String,
    /// Guideline domain.
    pub domain: Domain,
    /// Guideline category, 1..=5.
    pub category: u8,
    /// The colour of domain × category.
    pub colour: Colour,
    /// Citizens use the output (Q16): consent and trial notice.
    pub public: bool,
    /// Models the plan may use (all route to `provider`).
    pub models: Vec<String>,
    /// Policy in force (named, or from the colour).
    pub policy: String,
    /// Whether the config named the policy (rather than the colour choosing it).
    pub policy_named: bool,
    /// Where the notice goes.
    pub notice: NoticePosition,
    /// Keep this plan's records at least this many days.
    pub retention_days: Option<u32>,
}

impl Plan {
    /// Whether `user` of `department` is within the plan's user scope.
    pub fn in_scope(&self, user: &str, department: &str) -> bool {
        self.users.iter().any(|u| u == user) || self.departments.iter().any(|d| d == department)
    }

    /// Whether `day` lies within the plan's period.
    pub fn in_period(&self, day: Date) -> bool {
        self.start <= day && day <= self.end
    }

    /// The category's Japanese and English names.
    pub fn category_names(&self) -> (&'static str, &'static str) {
        CATEGORIES
            .get(usize::from(self.category.saturating_sub(1)))
            .copied()
            .unwrap_or(("", ""))
    }
}

/// The confidentiality class a detected marker declares, from its text:
/// 機密性N → N; 極秘, 厳秘, 秘, ㊙, マル秘 (secret documents) → 3; the handling
/// markings (取扱注意, 部外秘, 関係者限り, 要機密情報, …) → 2.
pub fn marker_class(marker: &str) -> u8 {
    let normalised: String =
        unicode_normalization::UnicodeNormalization::nfkc(marker).collect::<String>();
    if normalised.contains("機密性") {
        if let Some(d) = normalised.chars().find_map(|c| c.to_digit(10)) {
            return u8::try_from(d).unwrap_or(3).clamp(1, 3);
        }
    }
    let secret = ["極秘", "厳秘", "マル秘", "㊙"];
    if secret.iter().any(|s| normalised.contains(s)) || normalised.trim_matches(is_bracket) == "秘"
    {
        return 3;
    }
    2
}

fn is_bracket(c: char) -> bool {
    matches!(
        c,
        '【' | '】'
            | '('
            | ')'
            | '['
            | ']'
            | '〔'
            | '〕'
            | '「'
            | '」'
            | '<'
            | '>'
            | '〈'
            | '〉'
            | '《'
            | '》'
    ) || c.is_whitespace()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn colours_follow_domain_and_category() {
        for d in [
            Domain::Internal,
            Domain::CitizenServiceRelated,
            Domain::CitizenService,
        ] {
            assert_eq!(Colour::of(d, 5), Colour::Red);
        }
        assert_eq!(Colour::of(Domain::Internal, 1), Colour::Blue);
        assert_eq!(Colour::of(Domain::Internal, 4), Colour::Blue);
        assert_eq!(Colour::of(Domain::CitizenServiceRelated, 2), Colour::Blue);
        assert_eq!(Colour::of(Domain::CitizenServiceRelated, 4), Colour::Yellow);
        assert_eq!(Colour::of(Domain::CitizenService, 1), Colour::Yellow);
    }

    #[test]
    fn marker_classes() {
        assert_eq!(marker_class("機密性2"), 2);
        assert_eq!(marker_class("機密性３情報"), 3);
        assert_eq!(marker_class("機密性：２"), 2);
        assert_eq!(marker_class("極秘"), 3);
        assert_eq!(marker_class("【秘】"), 3);
        assert_eq!(marker_class("秘"), 3);
        assert_eq!(marker_class("㊙"), 3);
        assert_eq!(marker_class("取扱注意"), 2);
        assert_eq!(marker_class("部外秘"), 2);
        assert_eq!(marker_class("関係者限り"), 2);
    }
}
