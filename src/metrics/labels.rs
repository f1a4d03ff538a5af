//! Keeping label values bounded.
//!
//! Every distinct label value is a new time series that Prometheus keeps for weeks,
//! so a label fed from request input (a model name a client typed, a rating, a user
//! id) is both a memory leak and a way for one caller to blind the dashboards. The
//! helpers here map anything outside a known set to [`OTHER`]:
//! - config-bounded values (model, department, provider) through [`LabelBounds`],
//!   built from the configuration and swapped on reload;
//! - caller-supplied values with a fixed vocabulary (`rating`, `status`) through
//!   [`rating_label`] and [`status_label`];
//! - names that come from policy files (custom detector types) through
//!   [`token_label`], which only lets short identifier-like strings through.
//!
//! An empty set in [`LabelBounds`] means "nothing configured", so everything is
//! [`OTHER`]: failing closed keeps cardinality bounded even if wiring is forgotten.

use std::collections::HashSet;

/// The label value for anything outside the known set.
pub const OTHER: &str = "other";

/// Longest label value let through by [`token_label`] and per-user labels.
pub const MAX_LABEL_LEN: usize = 64;

/// The configured models, departments and providers: the only values those labels take.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelBounds {
    models: HashSet<String>,
    departments: HashSet<String>,
    providers: HashSet<String>,
}

impl LabelBounds {
    /// Empty bounds: every model, department and provider is reported as [`OTHER`].
    pub fn new() -> LabelBounds {
        LabelBounds::default()
    }

    /// Adds the configured model (and Azure deployment) names.
    pub fn with_models<I, S>(mut self, models: I) -> LabelBounds
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.models.extend(models.into_iter().map(Into::into));
        self
    }

    /// Adds the departments that staff keys (or plans) name.
    pub fn with_departments<I, S>(mut self, departments: I) -> LabelBounds
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.departments
            .extend(departments.into_iter().map(Into::into));
        self
    }

    /// Adds the configured provider names.
    pub fn with_providers<I, S>(mut self, providers: I) -> LabelBounds
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.providers.extend(providers.into_iter().map(Into::into));
        self
    }

    /// `model` if configured, else [`OTHER`].
    pub fn model<'a>(&'a self, model: &str) -> &'a str {
        bounded(&self.models, model)
    }

    /// `department` if configured, else [`OTHER`].
    pub fn department<'a>(&'a self, department: &str) -> &'a str {
        bounded(&self.departments, department)
    }

    /// `provider` if configured, else [`OTHER`].
    pub fn provider<'a>(&'a self, provider: &str) -> &'a str {
        bounded(&self.providers, provider)
    }
}

fn bounded<'a>(set: &'a HashSet<String>, value: &str) -> &'a str {
    set.get(value).map(String::as_str).unwrap_or(OTHER)
}

/// The feedback rating as a label: `good`, `bad`, `1`…`5`, else [`OTHER`].
pub fn rating_label(rating: &str) -> &'static str {
    match rating.trim() {
        "good" => "good",
        "bad" => "bad",
        "1" => "1",
        "2" => "2",
        "3" => "3",
        "4" => "4",
        "5" => "5",
        _ => OTHER,
    }
}

/// The HTTP status as its numeric code (`"200"`, `"403"`), or [`OTHER`] outside 100–599.
pub fn status_label(status: u16) -> String {
    if (100..=599).contains(&status) {
        status.to_string()
    } else {
        OTHER.to_owned()
    }
}

/// A name from policy files (detector type, keyword list) if it looks like an
/// identifier (`[A-Za-z0-9_.:-]`, 1–64 bytes), else [`OTHER`].
pub fn token_label(name: &str) -> &str {
    let ok = !name.is_empty()
        && name.len() <= MAX_LABEL_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'));
    if ok {
        name
    } else {
        OTHER
    }
}

/// A per-user label value: the user id, cut to [`MAX_LABEL_LEN`] characters.
pub fn user_label(user: &str) -> &str {
    match user.char_indices().nth(MAX_LABEL_LEN) {
        Some((cut, _)) => &user[..cut],
        None if user.is_empty() => OTHER,
        None => user,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_become_other() {
        let b = LabelBounds::new()
            .with_models(["gpt-4o-mini"])
            .with_departments(["総務課"])
            .with_providers(["mock"]);
        assert_eq!(b.model("gpt-4o-mini"), "gpt-4o-mini");
        assert_eq!(b.model("gpt-5-made-up"), OTHER);
        assert_eq!(b.department("総務課"), "総務課");
        assert_eq!(b.department("x"), OTHER);
        assert_eq!(b.provider("mock"), "mock");
        assert_eq!(LabelBounds::new().provider("mock"), OTHER);
    }

    #[test]
    fn fixed_vocabularies() {
        assert_eq!(rating_label("good"), "good");
        assert_eq!(rating_label("5"), "5");
        assert_eq!(rating_label("6"), OTHER);
        assert_eq!(rating_label("<script>"), OTHER);
        assert_eq!(status_label(403), "403");
        assert_eq!(status_label(42), OTHER);
        assert_eq!(token_label("my_number"), "my_number");
        assert_eq!(token_label("custom:keywords-1"), "custom:keywords-1");
        assert_eq!(token_label("a b"), OTHER);
        assert_eq!(token_label(""), OTHER);
        assert_eq!(token_label(&"x".repeat(65)), OTHER);
    }

    #[test]
    fn user_label_is_cut_on_a_char_boundary() {
        let long = "あ".repeat(100);
        assert_eq!(user_label(&long).chars().count(), MAX_LABEL_LEN);
        assert_eq!(user_label("alice"), "alice");
        assert_eq!(user_label(""), OTHER);
    }
}
