//! Record types: what one audited exchange looks like, plus the feedback and
//! consent that live beside it. Field order of [`AuditRecord`] is part of the
//! canonical serialisation (see the module docs of [`crate::store`]): append new
//! fields at the end, never reorder or rename.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;

/// The outcome of one exchange, as logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Forwarded unchanged.
    Allowed,
    /// Forwarded after masking detected values.
    Masked,
    /// Forwarded; the user was warned.
    Warned,
    /// Refused by policy; nothing was forwarded.
    Blocked,
    /// Forwarded, but the provider failed.
    UpstreamError,
    /// mamori itself failed.
    Error,
}

impl Verdict {
    /// All verdicts, in declaration order.
    pub const ALL: [Verdict; 6] = [
        Verdict::Allowed,
        Verdict::Masked,
        Verdict::Warned,
        Verdict::Blocked,
        Verdict::UpstreamError,
        Verdict::Error,
    ];

    /// The lowercase wire name ("allowed", "upstream_error", …).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Masked => "masked",
            Verdict::Warned => "warned",
            Verdict::Blocked => "blocked",
            Verdict::UpstreamError => "upstream_error",
            Verdict::Error => "error",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Verdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Verdict::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown verdict {s:?} (allowed, masked, warned, blocked, upstream_error, error)"))
    }
}

/// Token usage reported by the provider (response body or final stream chunk).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens in the prompt.
    pub prompt_tokens: u64,
    /// Tokens in the completion.
    pub completion_tokens: u64,
    /// Total tokens.
    pub total_tokens: u64,
}

/// One detector's findings in one direction — counts only, never raw values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingSummary {
    /// Detector type, e.g. "my_number", "phone", "api_key".
    #[serde(rename = "type")]
    pub kind: String,
    /// How many matches.
    pub count: u32,
    /// Action the policy applied: "block", "mask", "warn" or "allow".
    pub action: String,
    /// "request" or "response".
    pub direction: String,
}

/// One audited exchange. Serialised field order is the canonical order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// ULID, equal to the `x-request-id` response header.
    pub id: String,
    /// When the request arrived (stored as RFC 3339 UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// Authenticated staff user.
    pub user: String,
    /// The user's department.
    pub department: String,
    /// Use plan id, when plans exist.
    pub plan: Option<String>,
    /// Route, e.g. "openai.chat", "azure.chat", "openai.embeddings".
    pub route: String,
    /// Model (or Azure deployment) requested.
    pub model: String,
    /// Provider name from the config.
    pub provider: String,
    /// HTTP status from the provider, if it was reached.
    pub upstream_status: Option<u16>,
    /// Total time spent in mamori + provider, milliseconds.
    pub latency_ms: f64,
    /// Time spent waiting on the provider, milliseconds.
    pub upstream_ms: Option<f64>,
    /// Token usage, when the provider reported it.
    pub usage: Option<Usage>,
    /// Outcome.
    pub verdict: Verdict,
    /// Findings (type, count, action, direction).
    pub findings: Vec<FindingSummary>,
    /// Prompt as the policy allows it to be stored (default: as forwarded, i.e. masked).
    pub prompt: Option<String>,
    /// Output as the policy allows it to be stored.
    pub output: Option<String>,
    /// Whether the "AI generated" notice was applied.
    pub notice_applied: bool,
    /// Whether the response was streamed.
    pub stream: bool,
    /// Client address.
    pub client_ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
    /// HTTP status mamori returned to the client.
    #[serde(default)]
    pub status: Option<u16>,
    /// Free-form error text for `upstream_error` / `error` (never raw detected values).
    #[serde(default)]
    pub error: Option<String>,
}

/// A feedback rating: "good", "bad", or a score 1..=5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rating {
    /// Thumbs up.
    Good,
    /// Thumbs down.
    Bad,
    /// A score from 1 (worst) to 5 (best).
    Score(u8),
}

impl Rating {
    /// Key used in stats: "good", "bad", "1".."5".
    pub fn label(self) -> String {
        match self {
            Rating::Good => "good".into(),
            Rating::Bad => "bad".into(),
            Rating::Score(n) => n.to_string(),
        }
    }

    /// Whether the rating counts as negative: "bad" or a score of 1 or 2.
    pub fn is_bad(self) -> bool {
        matches!(self, Rating::Bad | Rating::Score(1) | Rating::Score(2))
    }
}

impl Serialize for Rating {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Rating::Good => s.serialize_str("good"),
            Rating::Bad => s.serialize_str("bad"),
            Rating::Score(n) => s.serialize_u8(*n),
        }
    }
}

impl<'de> Deserialize<'de> for Rating {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Num(i64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Num(n) if (1..=5).contains(&n) => Ok(Rating::Score(n as u8)),
            Raw::Num(n) => Err(serde::de::Error::custom(format!(
                "rating {n} out of range: expected \"good\", \"bad\" or 1..5"
            ))),
            Raw::Text(t) => match t.as_str() {
                "good" => Ok(Rating::Good),
                "bad" => Ok(Rating::Bad),
                other => Err(serde::de::Error::custom(format!(
                    "unknown rating {other:?}: expected \"good\", \"bad\" or 1..5"
                ))),
            },
        }
    }
}

/// Feedback a user gave on one answer (Q15).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    /// The rating.
    pub rating: Rating,
    /// Optional free-text comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// Optional categories, e.g. "inaccurate", "harmful".
    #[serde(default)]
    pub categories: Vec<String>,
    /// When the feedback was given.
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// Who gave it (the gateway checks it is the record's user).
    pub user: String,
}

/// A recorded consent to the public-use trial terms (Q16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// When consent was given.
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// Version of the notice text the user agreed to.
    pub text_version: String,
}

/// A record as stored: its place in the chain and any feedback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRecord {
    /// Sequence number (1-based, contiguous).
    pub seq: u64,
    /// Hex SHA-256 of the previous record (or of the anchor / zeros for the first).
    pub prev_hash: String,
    /// Hex SHA-256 of this record (see the chain format in [`crate::store`]).
    pub hash: String,
    /// The record itself (flattened into this object when serialised).
    #[serde(flatten)]
    pub record: AuditRecord,
    /// Feedback on this record, if any.
    pub feedback: Option<Feedback>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_are_lowercase_on_the_wire() {
        for v in Verdict::ALL {
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(json, format!("\"{}\"", v.as_str()));
            assert_eq!(serde_json::from_str::<Verdict>(&json).unwrap(), v);
            assert_eq!(v.as_str().parse::<Verdict>().unwrap(), v);
        }
        assert!("Allowed".parse::<Verdict>().is_err());
    }

    #[test]
    fn ratings_accept_good_bad_and_1_to_5() {
        let r = |s: &str| serde_json::from_str::<Rating>(s);
        assert_eq!(r("\"good\"").unwrap(), Rating::Good);
        assert_eq!(r("\"bad\"").unwrap(), Rating::Bad);
        assert_eq!(r("1").unwrap(), Rating::Score(1));
        assert_eq!(r("5").unwrap(), Rating::Score(5));
        for bad in ["0", "6", "-1", "2.5", "\"Good\"", "null", "\"3\""] {
            assert!(r(bad).is_err(), "{bad}");
        }
        assert!(Rating::Score(2).is_bad() && Rating::Bad.is_bad());
        assert!(!Rating::Score(3).is_bad() && !Rating::Good.is_bad());
    }

    #[test]
    fn finding_type_is_serialised_as_type() {
        let f = FindingSummary {
            kind: "my_number".into(),
            count: 1,
            action: "block".into(),
            direction: "request".into(),
        };
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["type"], "my_number");
    }
}
