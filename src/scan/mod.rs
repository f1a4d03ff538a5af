//! Detection of personal data, secrets, confidentiality markers and prompt injection.
//!
//! The scanner knows nothing about HTTP: it takes a `&str`, returns [`Finding`]s with byte
//! offsets into that exact string, and lets a [`Policy`] say what to do with each type.
//!
//! Shape, and why:
//! - Text is NFKC-normalised first ([`normalize`]), so full-width digits and dashes look like
//!   ASCII to the detectors; every finding is mapped back to the original bytes so masking
//!   replaces exactly what the user typed.
//! - One combined pass: digits are walked once ([`numbers`]) and every other detector is
//!   triggered by literal anchors found in one pass ([`anchors`], dispatched by [`engine`]);
//!   targeted regexes only run around those anchors.
//! - Validators (check digits, Luhn, dates, amounts, context windows) remove false positives.
//! - Policies ([`policy`]) are compiled once, immutable and shared through `Arc`.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

mod anchors;
mod engine;
mod mask;
mod names;
mod normalize;
mod numbers;
mod policy;

pub use mask::{MaskMap, PlaceholderFormat};
pub use policy::{Policy, PolicyError, PolicySet};

/// What the gateway does with a finding; ordered by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Forward unchanged, record only.
    Allow,
    /// Forward, with a warning header naming the categories.
    Warn,
    /// Replace the value by a typed placeholder before forwarding.
    Mask,
    /// Refuse the request.
    Block,
}

impl Action {
    /// The lowercase name used in policies and `mamori scan` output.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Warn => "warn",
            Action::Mask => "mask",
            Action::Block => "block",
        }
    }

    /// Parses the lowercase name.
    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "allow" => Some(Action::Allow),
            "warn" => Some(Action::Warn),
            "mask" => Some(Action::Mask),
            "block" => Some(Action::Block),
            _ => None,
        }
    }
}

/// Which way the text travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From staff to the provider.
    Request,
    /// From the provider back to staff.
    Response,
}

impl Direction {
    /// The lowercase name used in logs, metrics and policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Request => "request",
            Direction::Response => "response",
        }
    }
}

/// Coarse categories that policies can address at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// Personal information.
    Pii,
    /// Credentials and keys.
    Secrets,
    /// Confidentiality markers and custom confidential keywords.
    Confidential,
    /// Prompt injection and jailbreak attempts.
    Injection,
}

impl Group {
    /// The lowercase name used in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Pii => "pii",
            Group::Secrets => "secrets",
            Group::Confidential => "confidential",
            Group::Injection => "injection",
        }
    }

    /// Parses the lowercase name.
    pub fn parse(s: &str) -> Option<Group> {
        match s {
            "pii" => Some(Group::Pii),
            "secrets" => Some(Group::Secrets),
            "confidential" => Some(Group::Confidential),
            "injection" => Some(Group::Injection),
            _ => None,
        }
    }
}

macro_rules! kinds {
    ($( $v:ident => $name:literal, $group:ident, $label:literal; )*) => {
        /// A built-in detector; the declaration order is the priority when spans overlap.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind { $(
            #[doc = concat!("`", $name, "`")]
            $v,
        )* }

        impl Kind {
            /// Every built-in detector.
            pub const ALL: &'static [Kind] = &[$(Kind::$v),*];

            /// The stable type name used in policies, logs, metrics and `mamori scan`.
            pub fn name(self) -> &'static str {
                match self { $(Kind::$v => $name),* }
            }

            /// The policy group the detector belongs to.
            pub fn group(self) -> Group {
                match self { $(Kind::$v => Group::$group),* }
            }

            /// The default Japanese placeholder label.
            pub fn label(self) -> &'static str {
                match self { $(Kind::$v => $label),* }
            }

            /// Looks a detector up by its type name.
            pub fn from_name(s: &str) -> Option<Kind> {
                match s { $($name => Some(Kind::$v),)* _ => None }
            }
        }
    };
}

kinds! {
    PrivateKey => "private_key", Secrets, "秘密鍵";
    Jwt => "jwt", Secrets, "JWT";
    ApiKeyOpenai => "api_key_openai", Secrets, "APIキー";
    AwsAccessKey => "aws_access_key", Secrets, "AWSアクセスキー";
    AwsSecretKey => "aws_secret_key", Secrets, "AWSシークレットキー";
    GithubToken => "github_token", Secrets, "GitHubトークン";
    SlackToken => "slack_token", Secrets, "Slackトークン";
    GoogleApiKey => "google_api_key", Secrets, "GoogleAPIキー";
    StripeKey => "stripe_key", Secrets, "Stripeキー";
    AzureKey => "azure_key", Secrets, "Azureキー";
    CreditCard => "credit_card", Pii, "クレジットカード番号";
    MyNumber => "my_number", Pii, "個人番号";
    CorporateNumber => "corporate_number", Pii, "法人番号";
    DriversLicense => "drivers_license_jp", Pii, "運転免許証番号";
    PensionNumber => "pension_number_jp", Pii, "基礎年金番号";
    ResidenceCard => "residence_card_jp", Pii, "在留カード番号";
    Passport => "passport_jp", Pii, "旅券番号";
    BankAccount => "bank_account_jp", Pii, "口座番号";
    Phone => "phone_jp", Pii, "電話番号";
    Email => "email", Pii, "メールアドレス";
    IpAddress => "ip_address", Pii, "IPアドレス";
    PostalCode => "postal_code_jp", Pii, "郵便番号";
    Address => "address_jp", Pii, "住所";
    PersonName => "person_name_jp", Pii, "氏名";
    Password => "password", Secrets, "パスワード";
    GenericSecret => "generic_secret", Secrets, "秘匿情報";
    ConfidentialMarker => "confidential_marker", Confidential, "機密表示";
    PromptInjection => "prompt_injection", Injection, "指示文";
}

/// A user-defined detector from a policy (keyword list or regex).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomDetector {
    /// The type name, as written in the policy.
    pub name: String,
    /// The group it belongs to.
    pub group: Group,
}

/// Which detector produced a finding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DetectorId {
    /// A built-in detector.
    Builtin(Kind),
    /// A keyword list or regex defined by the policy.
    Custom(Arc<CustomDetector>),
}

impl DetectorId {
    /// The stable type name.
    pub fn type_name(&self) -> &str {
        match self {
            DetectorId::Builtin(k) => k.name(),
            DetectorId::Custom(c) => &c.name,
        }
    }

    /// The policy group.
    pub fn group(&self) -> Group {
        match self {
            DetectorId::Builtin(k) => k.group(),
            DetectorId::Custom(c) => c.group,
        }
    }
}

/// One detection: byte offsets into the original text, on char boundaries, end exclusive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Finding {
    /// The detector that found it.
    pub detector: DetectorId,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
}

impl Finding {
    /// The stable type name, e.g. `my_number`, or the custom list/regex name.
    pub fn type_name(&self) -> &str {
        self.detector.type_name()
    }

    /// The policy group of the detector.
    pub fn group(&self) -> Group {
        self.detector.group()
    }

    #[cfg(test)]
    pub(crate) fn type_name_static(&self) -> &'static str {
        match &self.detector {
            DetectorId::Builtin(k) => k.name(),
            DetectorId::Custom(_) => "custom",
        }
    }
}

/// Converts a finding's byte offsets into Unicode scalar (character) offsets.
pub fn char_span(text: &str, f: &Finding) -> (usize, usize) {
    let start = text.get(..f.start).map_or(0, |s| s.chars().count());
    let len = text.get(f.start..f.end).map_or(0, |s| s.chars().count());
    (start, start + len)
}

/// Scans with the built-in detectors only (no policy needed); sorted by start.
pub fn scan_builtin(text: &str) -> Result<Vec<Finding>, PolicyError> {
    let eng = engine::engine().map_err(|e| PolicyError::Internal(e.to_string()))?;
    Ok(eng.scan(text, None))
}

/// Per-phase timings of one scan (for tuning only; not a stable API).
#[doc(hidden)]
pub fn profile_phases(text: &str) -> Vec<(&'static str, std::time::Duration)> {
    engine::engine()
        .map(|e| e.profile(text))
        .unwrap_or_default()
}
