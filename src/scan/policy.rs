//! Policies: which action each detector type gets, per direction, plus custom detectors.
//!
//! A policy is a TOML file (see `policies/default.toml` for a commented example):
//!
//! ```toml
//! name = "default"                      # optional; defaults to the file stem
//! default_action = "warn"               # for types no entry covers
//! restore_masked = true                 # gateway: put masked values back into responses
//!
//! [groups]                              # pii, secrets, confidential, injection
//! pii = "mask"                          # one action for both directions …
//! injection = { request = "warn", response = "allow" }   # … or one per direction
//!
//! [types]                               # type entries override group entries
//! my_number = "block"
//!
//! [placeholder]
//! format = "[{label}_{n}]"
//! labels = { phone_jp = "電話番号" }
//!
//! [[keywords]]                          # custom keyword list, matched with Aho-Corasick
//! name = "project_codenames"
//! group = "confidential"
//! file = "keywords/codenames.txt"       # relative to the policy file; one word per line
//! words = ["さくら計画"]                 # and/or inline
//! case_sensitive = false
//!
//! [[escalate]]                          # raise the action for particular values of a type
//! type = "confidential_marker"
//! values = ["機密性3", "極秘"]
//! action = "block"
//!
//! [[regex]]                             # custom regex
//! name = "employee_id"
//! group = "pii"
//! pattern = 'EMP-[0-9]{6}'
//! ```
//!
//! The file is walked by hand rather than through serde derive so that every error names
//! the file, the exact key and the problem.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::{Regex, RegexSet};
use toml::{Table, Value};

use super::engine::{engine, Engine};
use super::mask::{MaskMap, PlaceholderFormat};
use super::normalize::normalize;
use super::{Action, CustomDetector, DetectorId, Direction, Finding, Group, Kind};

/// Why a policy could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file or directory could not be read.
    #[error("policy {file}: cannot read: {source}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("policy {file}: invalid TOML: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// The parser's message.
        message: String,
    },
    /// A key has a value the policy cannot use.
    #[error("policy {file}: key `{key}`: {problem}")]
    Invalid {
        /// The file.
        file: String,
        /// The dotted key.
        key: String,
        /// What is wrong.
        problem: String,
    },
    /// The built-in detectors failed to build (a bug).
    #[error("scanner internal error: {0}")]
    Internal(String),
}

/// Actions for (request, response).
type Pair = [Action; 2];

fn dir_idx(d: Direction) -> usize {
    match d {
        Direction::Request => 0,
        Direction::Response => 1,
    }
}

/// The policy's own keyword lists and regexes.
#[derive(Default)]
pub(crate) struct CustomMatchers {
    /// One automaton per case mode, each with the detector of every pattern.
    acs: Vec<(AhoCorasick, Vec<(DetectorId, bool)>)>,
    set: Option<RegexSet>,
    regexes: Vec<(Regex, DetectorId)>,
}

impl CustomMatchers {
    /// Reports every custom match in the normalised text.
    pub(crate) fn scan(&self, t: &str, f: &mut dyn FnMut(DetectorId, usize, usize)) {
        let b = t.as_bytes();
        for (ac, ids) in &self.acs {
            for m in ac.find_iter(t) {
                let Some((id, ascii_word)) = ids.get(m.pattern().as_usize()) else {
                    continue;
                };
                // ASCII words must stand alone: "ABC" is not in "ABCD".
                if *ascii_word
                    && ((m.start() > 0 && b[m.start() - 1].is_ascii_alphanumeric())
                        || b.get(m.end()).is_some_and(u8::is_ascii_alphanumeric))
                {
                    continue;
                }
                f(id.clone(), m.start(), m.end());
            }
        }
        if let Some(set) = &self.set {
            for i in set.matches(t).iter() {
                if let Some((re, id)) = self.regexes.get(i) {
                    for m in re.find_iter(t) {
                        if m.end() > m.start() {
                            f(id.clone(), m.start(), m.end());
                        }
                    }
                }
            }
        }
    }
}

/// A compiled policy: immutable, `Send + Sync`, shared through `Arc`.
pub struct Policy {
    name: String,
    engine: Arc<Engine>,
    default_action: Pair,
    types: HashMap<String, Pair>,
    groups: HashMap<Group, Pair>,
    custom_groups: HashMap<String, Group>,
    custom: CustomMatchers,
    placeholder: PlaceholderFormat,
    restore_masked: bool,
    escalations: Vec<Escalation>,
}

/// Raises the action of findings of one type whose normalised text is one of `values`.
struct Escalation {
    type_name: String,
    values: HashSet<String>,
    action: Pair,
}

/// The comparable form of a finding's text: normalised, without whitespace.
fn value_key(s: &str) -> String {
    normalize(s)
        .text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

struct Ctx<'a> {
    file: &'a str,
}

impl Ctx<'_> {
    fn err(&self, key: impl Into<String>, problem: impl Into<String>) -> PolicyError {
        PolicyError::Invalid {
            file: self.file.to_string(),
            key: key.into(),
            problem: problem.into(),
        }
    }

    fn action(&self, key: &str, v: &Value) -> Result<Action, PolicyError> {
        let s = v
            .as_str()
            .ok_or_else(|| self.err(key, "expected a string: block, mask, warn or allow"))?;
        Action::parse(s).ok_or_else(|| {
            self.err(
                key,
                format!("unknown action \"{s}\" (expected block, mask, warn or allow)"),
            )
        })
    }

    fn pair(&self, key: &str, v: &Value) -> Result<Pair, PolicyError> {
        match v {
            Value::String(_) => {
                let a = self.action(key, v)?;
                Ok([a, a])
            }
            Value::Table(t) => {
                for k in t.keys() {
                    if k != "request" && k != "response" {
                        return Err(self.err(
                            format!("{key}.{k}"),
                            "unknown key (expected request or response)",
                        ));
                    }
                }
                let get = |d: &str| -> Result<Action, PolicyError> {
                    let k = format!("{key}.{d}");
                    t.get(d)
                        .ok_or_else(|| self.err(&k, "missing"))
                        .and_then(|v| self.action(&k, v))
                };
                Ok([get("request")?, get("response")?])
            }
            _ => Err(self.err(
                key,
                "expected an action string or { request = …, response = … }",
            )),
        }
    }

    fn string(&self, key: &str, v: &Value) -> Result<String, PolicyError> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| self.err(key, "expected a string"))
    }

    fn group(&self, key: &str, v: &Value) -> Result<Group, PolicyError> {
        let s = self.string(key, v)?;
        Group::parse(&s).ok_or_else(|| {
            self.err(
                key,
                format!("unknown group \"{s}\" (expected pii, secrets, confidential or injection)"),
            )
        })
    }
}

fn check_keys(ctx: &Ctx<'_>, prefix: &str, t: &Table, allowed: &[&str]) -> Result<(), PolicyError> {
    for k in t.keys() {
        if !allowed.contains(&k.as_str()) {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            return Err(ctx.err(
                key,
                format!("unknown key (expected one of: {})", allowed.join(", ")),
            ));
        }
    }
    Ok(())
}

fn array_of_tables<'v>(
    ctx: &Ctx<'_>,
    key: &str,
    v: &'v Value,
) -> Result<Vec<&'v Table>, PolicyError> {
    let arr = v
        .as_array()
        .ok_or_else(|| ctx.err(key, format!("expected [[{key}]] tables")))?;
    arr.iter()
        .enumerate()
        .map(|(i, x)| {
            x.as_table()
                .ok_or_else(|| ctx.err(format!("{key}[{i}]"), "expected a table"))
        })
        .collect()
}

impl Policy {
    /// Loads a policy file; the name defaults to the file stem.
    pub fn from_file(path: &Path) -> Result<Policy, PolicyError> {
        let file = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|source| PolicyError::Io {
            file: file.clone(),
            source,
        })?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("policy");
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        Self::build(stem, &file, &src, base)
    }

    /// Compiles a policy from TOML text; keyword files are resolved against `base_dir`.
    pub fn from_toml_str(name: &str, src: &str, base_dir: &Path) -> Result<Policy, PolicyError> {
        Self::build(name, name, src, base_dir)
    }

    fn build(
        default_name: &str,
        file: &str,
        src: &str,
        base_dir: &Path,
    ) -> Result<Policy, PolicyError> {
        let ctx = Ctx { file };
        let root: Table = src
            .parse()
            .map_err(|e: toml::de::Error| PolicyError::Syntax {
                file: file.to_string(),
                message: e.message().to_string(),
            })?;
        check_keys(
            &ctx,
            "",
            &root,
            &[
                "name",
                "description",
                "default_action",
                "restore_masked",
                "groups",
                "types",
                "placeholder",
                "keywords",
                "regex",
                "escalate",
            ],
        )?;
        let name = match root.get("name") {
            Some(v) => ctx.string("name", v)?,
            None => default_name.to_string(),
        };
        let default_action = match root.get("default_action") {
            Some(v) => ctx.pair("default_action", v)?,
            None => [Action::Allow, Action::Allow],
        };
        let restore_masked = match root.get("restore_masked") {
            Some(v) => v
                .as_bool()
                .ok_or_else(|| ctx.err("restore_masked", "expected true or false"))?,
            None => false,
        };
        let mut groups = HashMap::new();
        if let Some(v) = root.get("groups") {
            let t = v
                .as_table()
                .ok_or_else(|| ctx.err("groups", "expected a table"))?;
            for (k, v) in t {
                let key = format!("groups.{k}");
                let g = Group::parse(k).ok_or_else(|| {
                    ctx.err(
                        &key,
                        "unknown group (expected pii, secrets, confidential or injection)",
                    )
                })?;
                groups.insert(g, ctx.pair(&key, v)?);
            }
        }

        // Custom detectors first: [types] may name them.
        let mut custom_groups: HashMap<String, Group> = HashMap::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut new_name = |key: &str, n: &str| -> Result<(), PolicyError> {
            if n.is_empty() || Kind::from_name(n).is_some() || !seen.insert(n.to_string()) {
                return Err(ctx.err(
                    key,
                    format!("name \"{n}\" is empty, a built-in type or used twice"),
                ));
            }
            Ok(())
        };
        // Index 0: case-insensitive lists, 1: case-sensitive lists.
        let mut patterns: [Vec<String>; 2] = [Vec::new(), Vec::new()];
        let mut ids: [Vec<(DetectorId, bool)>; 2] = [Vec::new(), Vec::new()];
        if let Some(v) = root.get("keywords") {
            for (i, t) in array_of_tables(&ctx, "keywords", v)?
                .into_iter()
                .enumerate()
            {
                let key = format!("keywords[{i}]");
                check_keys(
                    &ctx,
                    &key,
                    t,
                    &["name", "group", "file", "words", "case_sensitive", "label"],
                )?;
                let n = ctx.string(
                    &format!("{key}.name"),
                    t.get("name")
                        .ok_or_else(|| ctx.err(format!("{key}.name"), "missing"))?,
                )?;
                new_name(&format!("{key}.name"), &n)?;
                let g = ctx.group(
                    &format!("{key}.group"),
                    t.get("group")
                        .ok_or_else(|| ctx.err(format!("{key}.group"), "missing"))?,
                )?;
                let cs = match t.get("case_sensitive") {
                    Some(v) => v.as_bool().ok_or_else(|| {
                        ctx.err(format!("{key}.case_sensitive"), "expected true or false")
                    })?,
                    None => false,
                };
                let mut words: Vec<String> = Vec::new();
                if let Some(w) = t.get("words") {
                    let arr = w.as_array().ok_or_else(|| {
                        ctx.err(format!("{key}.words"), "expected an array of strings")
                    })?;
                    for (j, x) in arr.iter().enumerate() {
                        words.push(ctx.string(&format!("{key}.words[{j}]"), x)?);
                    }
                }
                if let Some(f) = t.get("file") {
                    let rel = ctx.string(&format!("{key}.file"), f)?;
                    let path = base_dir.join(&rel);
                    let text = std::fs::read_to_string(&path).map_err(|e| {
                        ctx.err(
                            format!("{key}.file"),
                            format!("cannot read {}: {e}", path.display()),
                        )
                    })?;
                    words.extend(
                        text.lines()
                            .map(str::trim)
                            .filter(|l| !l.is_empty() && !l.starts_with('#'))
                            .map(str::to_string),
                    );
                }
                if words.is_empty() {
                    return Err(ctx.err(&key, "no words (give `words` or a non-empty `file`)"));
                }
                let id = DetectorId::Custom(Arc::new(CustomDetector {
                    name: n.clone(),
                    group: g,
                }));
                for w in words {
                    let w = normalize(&w).text.into_owned();
                    let ascii_word = w
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'_' || b == b'-');
                    patterns[usize::from(cs)].push(w);
                    ids[usize::from(cs)].push((id.clone(), ascii_word));
                }
                custom_groups.insert(n, g);
            }
        }
        let mut placeholder = PlaceholderFormat::default();
        let mut regexes: Vec<(Regex, DetectorId)> = Vec::new();
        if let Some(v) = root.get("regex") {
            for (i, t) in array_of_tables(&ctx, "regex", v)?.into_iter().enumerate() {
                let key = format!("regex[{i}]");
                check_keys(&ctx, &key, t, &["name", "group", "pattern", "label"])?;
                let n = ctx.string(
                    &format!("{key}.name"),
                    t.get("name")
                        .ok_or_else(|| ctx.err(format!("{key}.name"), "missing"))?,
                )?;
                new_name(&format!("{key}.name"), &n)?;
                let g = ctx.group(
                    &format!("{key}.group"),
                    t.get("group")
                        .ok_or_else(|| ctx.err(format!("{key}.group"), "missing"))?,
                )?;
                let p = ctx.string(
                    &format!("{key}.pattern"),
                    t.get("pattern")
                        .ok_or_else(|| ctx.err(format!("{key}.pattern"), "missing"))?,
                )?;
                let re = Regex::new(&p).map_err(|e| {
                    ctx.err(format!("{key}.pattern"), format!("invalid regex: {e}"))
                })?;
                if let Some(l) = t.get("label") {
                    placeholder
                        .labels
                        .insert(n.clone(), ctx.string(&format!("{key}.label"), l)?);
                }
                regexes.push((
                    re,
                    DetectorId::Custom(Arc::new(CustomDetector {
                        name: n.clone(),
                        group: g,
                    })),
                ));
                custom_groups.insert(n, g);
            }
        }
        if let Some(v) = root.get("keywords") {
            for (i, t) in array_of_tables(&ctx, "keywords", v)?
                .into_iter()
                .enumerate()
            {
                if let (Some(l), Some(n)) = (t.get("label"), t.get("name").and_then(Value::as_str))
                {
                    placeholder.labels.insert(
                        n.to_string(),
                        ctx.string(&format!("keywords[{i}].label"), l)?,
                    );
                }
            }
        }

        let mut escalations = Vec::new();
        if let Some(v) = root.get("escalate") {
            for (i, t) in array_of_tables(&ctx, "escalate", v)?
                .into_iter()
                .enumerate()
            {
                let key = format!("escalate[{i}]");
                check_keys(&ctx, &key, t, &["type", "values", "action"])?;
                let ty = ctx.string(
                    &format!("{key}.type"),
                    t.get("type")
                        .ok_or_else(|| ctx.err(format!("{key}.type"), "missing"))?,
                )?;
                if Kind::from_name(&ty).is_none() && !custom_groups.contains_key(&ty) {
                    return Err(ctx.err(format!("{key}.type"), "unknown detector type"));
                }
                let arr = t.get("values").and_then(Value::as_array).ok_or_else(|| {
                    ctx.err(format!("{key}.values"), "expected an array of strings")
                })?;
                let mut values = HashSet::new();
                for (j, x) in arr.iter().enumerate() {
                    values.insert(value_key(&ctx.string(&format!("{key}.values[{j}]"), x)?));
                }
                let action = ctx.pair(
                    &format!("{key}.action"),
                    t.get("action")
                        .ok_or_else(|| ctx.err(format!("{key}.action"), "missing"))?,
                )?;
                escalations.push(Escalation {
                    type_name: ty,
                    values,
                    action,
                });
            }
        }

        let mut types = HashMap::new();
        if let Some(v) = root.get("types") {
            let t = v
                .as_table()
                .ok_or_else(|| ctx.err("types", "expected a table"))?;
            for (k, v) in t {
                let key = format!("types.{k}");
                if Kind::from_name(k).is_none() && !custom_groups.contains_key(k) {
                    return Err(ctx.err(&key, "unknown detector type"));
                }
                types.insert(k.clone(), ctx.pair(&key, v)?);
            }
        }
        if let Some(v) = root.get("placeholder") {
            let t = v
                .as_table()
                .ok_or_else(|| ctx.err("placeholder", "expected a table"))?;
            check_keys(&ctx, "placeholder", t, &["format", "labels"])?;
            if let Some(f) = t.get("format") {
                let f = ctx.string("placeholder.format", f)?;
                if !f.contains("{label}") || !f.contains("{n}") {
                    return Err(ctx.err(
                        "placeholder.format",
                        "must contain {label} and {n} so placeholders are distinct",
                    ));
                }
                placeholder.template = f;
            }
            if let Some(l) = t.get("labels") {
                let lt = l
                    .as_table()
                    .ok_or_else(|| ctx.err("placeholder.labels", "expected a table"))?;
                for (k, v) in lt {
                    let key = format!("placeholder.labels.{k}");
                    if Kind::from_name(k).is_none() && !custom_groups.contains_key(k) {
                        return Err(ctx.err(&key, "unknown detector type"));
                    }
                    placeholder.labels.insert(k.clone(), ctx.string(&key, v)?);
                }
            }
        }

        let mut acs = Vec::new();
        for (cs, (pats, pids)) in patterns.into_iter().zip(ids).enumerate() {
            if pats.is_empty() {
                continue;
            }
            let ac = AhoCorasickBuilder::new()
                .ascii_case_insensitive(cs == 0)
                .match_kind(MatchKind::LeftmostLongest)
                .build(&pats)
                .map_err(|e| ctx.err("keywords", format!("cannot build keyword matcher: {e}")))?;
            acs.push((ac, pids));
        }
        let set = if regexes.is_empty() {
            None
        } else {
            Some(
                RegexSet::new(regexes.iter().map(|(r, _)| r.as_str()))
                    .map_err(|e| ctx.err("regex", format!("invalid regex: {e}")))?,
            )
        };
        let engine = engine().map_err(PolicyError::Internal)?;
        Ok(Policy {
            name,
            engine,
            default_action,
            types,
            groups,
            custom_groups,
            custom: CustomMatchers { acs, set, regexes },
            placeholder,
            restore_masked,
            escalations,
        })
    }

    /// The policy's name (file stem unless `name` is set).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every detection of every detector, custom ones included, sorted by start.
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        self.engine.scan(text, Some(&self.custom))
    }

    /// The action for a type name in a direction: type entry, else group entry, else default.
    pub fn action(&self, type_name: &str, dir: Direction) -> Action {
        let i = dir_idx(dir);
        if let Some(p) = self.types.get(type_name) {
            return p[i];
        }
        let group = Kind::from_name(type_name)
            .map(Kind::group)
            .or_else(|| self.custom_groups.get(type_name).copied());
        if let Some(p) = group.and_then(|g| self.groups.get(&g)) {
            return p[i];
        }
        self.default_action[i]
    }

    /// The action for one finding of `text`: [`Policy::action`], raised by `[[escalate]]` entries
    /// (e.g. 機密性3 among confidential markers). The gateway should prefer this.
    pub fn finding_action(&self, text: &str, f: &Finding, dir: Direction) -> Action {
        let base = self.action(f.type_name(), dir);
        if self.escalations.is_empty() {
            return base;
        }
        let Some(v) = text.get(f.start..f.end) else {
            return base;
        };
        let key = value_key(v);
        self.escalations
            .iter()
            .filter(|e| e.type_name == f.type_name() && e.values.contains(&key))
            .map(|e| e.action[dir_idx(dir)])
            .fold(base, Action::max)
    }

    /// The placeholder format for masking.
    pub fn placeholder_format(&self) -> &PlaceholderFormat {
        &self.placeholder
    }

    /// A fresh per-request mask map using this policy's placeholder format.
    pub fn mask_map(&self) -> MaskMap {
        MaskMap::new(&self.placeholder)
    }

    /// Whether the gateway should put masked values back into responses.
    pub fn restore_masked(&self) -> bool {
        self.restore_masked
    }

    /// The highest action among the findings of `text` in a direction (`Allow` when none).
    pub fn verdict(&self, text: &str, findings: &[Finding], dir: Direction) -> Action {
        findings
            .iter()
            .map(|f| self.finding_action(text, f, dir))
            .max()
            .unwrap_or(Action::Allow)
    }
}

/// All policies of a directory, keyed by name (file stem).
#[derive(Debug, Default)]
pub struct PolicySet {
    policies: BTreeMap<String, Arc<Policy>>,
}

impl PolicySet {
    /// Loads every `*.toml` in `dir`; the first invalid file fails the whole set.
    pub fn load_dir(dir: &Path) -> Result<PolicySet, PolicyError> {
        let file = dir.display().to_string();
        let rd = std::fs::read_dir(dir).map_err(|source| PolicyError::Io {
            file: file.clone(),
            source,
        })?;
        let mut paths = Vec::new();
        for e in rd {
            let e = e.map_err(|source| PolicyError::Io {
                file: file.clone(),
                source,
            })?;
            let p = e.path();
            if p.extension().and_then(|x| x.to_str()) == Some("toml") && p.is_file() {
                paths.push(p);
            }
        }
        paths.sort();
        let mut policies = BTreeMap::new();
        for p in paths {
            let stem = p
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let pol = Policy::from_file(&p)?;
            policies.insert(stem, Arc::new(pol));
        }
        Ok(PolicySet { policies })
    }

    /// The policy of that name.
    pub fn get(&self, name: &str) -> Option<Arc<Policy>> {
        self.policies.get(name).cloned()
    }

    /// Policy names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.policies.keys().map(String::as_str)
    }

    /// Number of policies.
    pub fn len(&self) -> usize {
        self.policies.len()
    }

    /// True when the directory held no policy.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn errors_name_key() {
        let e = Policy::from_toml_str("p", "[types]\nmy_numbr = \"block\"", Path::new("."))
            .unwrap_err();
        assert!(e.to_string().contains("types.my_numbr"), "{e}");
        let e = Policy::from_toml_str("p", "[groups]\npii = \"blok\"", Path::new(".")).unwrap_err();
        assert!(e.to_string().contains("groups.pii"), "{e}");
        let e = Policy::from_toml_str("p", "[groups\n", Path::new(".")).unwrap_err();
        assert!(matches!(e, PolicyError::Syntax { .. }));
    }

    #[test]
    fn type_overrides_group() {
        let p = Policy::from_toml_str(
            "p",
            "default_action = \"warn\"\n[groups]\npii = \"mask\"\n[types]\nmy_number = { request = \"block\", response = \"mask\" }\n[[keywords]]\nname = \"codename\"\ngroup = \"confidential\"\nwords = [\"さくら計画\"]\n[groups.confidential]\nrequest = \"block\"\nresponse = \"warn\"",
            Path::new("."),
        )
        .unwrap();
        assert_eq!(p.action("my_number", Direction::Request), Action::Block);
        assert_eq!(p.action("my_number", Direction::Response), Action::Mask);
        assert_eq!(p.action("phone_jp", Direction::Request), Action::Mask);
        assert_eq!(p.action("jwt", Direction::Request), Action::Warn);
        assert_eq!(p.action("codename", Direction::Request), Action::Block);
        let f = p.scan("これはさくら計画の資料");
        assert!(f.iter().any(|f| f.type_name() == "codename"));
    }
}
