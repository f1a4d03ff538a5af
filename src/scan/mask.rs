//! Typed placeholders for masking, and putting the originals back.
//!
//! One [`MaskMap`] lives for one request: the same value of the same type always gets the same
//! placeholder across every text of that request (messages, tool arguments…), so the model sees
//! consistent references and [`MaskMap::restore`] can undo them in the response.

use std::borrow::Cow;
use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};

use super::{Finding, Kind};

/// How placeholders look: a template with `{label}` and `{n}`, and labels per type name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceholderFormat {
    /// Template, e.g. `[{label}_{n}]`.
    pub template: String,
    /// Label per type name; built-in types fall back to their Japanese label.
    pub labels: HashMap<String, String>,
}

impl Default for PlaceholderFormat {
    fn default() -> Self {
        PlaceholderFormat {
            template: "[{label}_{n}]".to_string(),
            labels: HashMap::new(),
        }
    }
}

impl PlaceholderFormat {
    /// The label used for a type name.
    pub fn label<'a>(&'a self, type_name: &'a str) -> &'a str {
        if let Some(l) = self.labels.get(type_name) {
            return l;
        }
        match Kind::from_name(type_name) {
            Some(k) => k.label(),
            None => type_name,
        }
    }

    /// Renders the `n`-th placeholder of a type.
    pub fn render(&self, type_name: &str, n: usize) -> String {
        self.template
            .replace("{label}", self.label(type_name))
            .replace("{n}", &n.to_string())
    }
}

/// Per-request placeholder assignments.
#[derive(Debug, Clone, Default)]
pub struct MaskMap {
    format: PlaceholderFormat,
    by_value: HashMap<(String, String), String>,
    originals: HashMap<String, String>,
    counters: HashMap<String, usize>,
}

impl MaskMap {
    /// An empty map using `format`.
    pub fn new(format: &PlaceholderFormat) -> Self {
        MaskMap {
            format: format.clone(),
            ..MaskMap::default()
        }
    }

    fn placeholder_for(&mut self, type_name: &str, value: &str) -> String {
        let key = (type_name.to_string(), value.to_string());
        if let Some(p) = self.by_value.get(&key) {
            return p.clone();
        }
        let label = self.format.label(type_name).to_string();
        let n = self.counters.entry(label).or_insert(0);
        *n += 1;
        let p = self.format.render(type_name, *n);
        self.by_value.insert(key, p.clone());
        self.originals.insert(p.clone(), value.to_string());
        p
    }

    /// Replaces exactly the original characters of each finding (overlaps merged) by placeholders.
    pub fn mask(&mut self, text: &str, findings: &[Finding]) -> String {
        let mut spans: Vec<(usize, usize, &str)> = findings
            .iter()
            .filter(|f| {
                f.start < f.end
                    && f.end <= text.len()
                    && text.is_char_boundary(f.start)
                    && text.is_char_boundary(f.end)
            })
            .map(|f| (f.start, f.end, f.type_name()))
            .collect();
        spans.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut merged: Vec<(usize, usize, &str)> = Vec::with_capacity(spans.len());
        for s in spans {
            match merged.last_mut() {
                Some(last) if s.0 < last.1 => last.1 = last.1.max(s.1),
                _ => merged.push(s),
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut pos = 0;
        for (s, e, ty) in merged {
            out.push_str(&text[pos..s]);
            let p = self.placeholder_for(ty, &text[s..e]);
            out.push_str(&p);
            pos = e;
        }
        out.push_str(&text[pos..]);
        out
    }

    /// Puts the original values back wherever one of this map's placeholders appears.
    pub fn restore<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.originals.is_empty() {
            return Cow::Borrowed(text);
        }
        let keys: Vec<&String> = self.originals.keys().collect();
        let Ok(ac) = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&keys)
        else {
            return Cow::Borrowed(text);
        };
        if !ac.is_match(text) {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        ac.replace_all_with(text, &mut out, |m, _, dst| {
            if let Some(v) = keys
                .get(m.pattern().as_usize())
                .and_then(|k| self.originals.get(*k))
            {
                dst.push_str(v);
            }
            true
        });
        Cow::Owned(out)
    }

    /// True when nothing has been masked yet.
    pub fn is_empty(&self) -> bool {
        self.originals.is_empty()
    }

    /// Number of distinct masked values.
    pub fn len(&self) -> usize {
        self.originals.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::scan::DetectorId;

    fn f(kind: Kind, s: usize, e: usize) -> Finding {
        Finding {
            detector: DetectorId::Builtin(kind),
            start: s,
            end: e,
        }
    }

    #[test]
    fn same_value_same_placeholder() {
        let mut m = MaskMap::new(&PlaceholderFormat::default());
        let t = "a 090 b 090";
        let out = m.mask(t, &[f(Kind::Phone, 2, 5), f(Kind::Phone, 8, 11)]);
        assert_eq!(out, "a [電話番号_1] b [電話番号_1]");
        assert_eq!(m.restore(&out), t);
        let out2 = m.mask("x 091", &[f(Kind::Phone, 2, 5)]);
        assert_eq!(out2, "x [電話番号_2]");
    }

    #[test]
    fn overlaps_merge() {
        let mut m = MaskMap::new(&PlaceholderFormat::default());
        let out = m.mask("abcdef", &[f(Kind::Email, 0, 4), f(Kind::Phone, 2, 6)]);
        assert_eq!(out, "[メールアドレス_1]");
    }
}
