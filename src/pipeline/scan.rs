//! Phase 4, scan the request: find personal and secret information in every
//! text the request carries and apply the policy (個人・秘匿情報の入力禁止).
//!
//! Every string the provider receives is scanned, whatever the route: chat
//! messages, tool and function-call arguments and results, completion prompts,
//! Responses-API input and instructions, embeddings input, predicted output,
//! but also message names, tool and schema descriptions, metadata and `user`.
//! Only identifiers the request needs verbatim (model, role, type, ids) and
//! base64 payloads are left alone. The conversation texts are what the audit
//! log keeps as the prompt. The highest action wins:
//! - `block`: the request is refused with 400 `policy_violation`, naming the
//!   categories found and never the values;
//! - `mask`: each value is replaced by a typed placeholder (`[電話番号_1]`)
//!   before forwarding; the same value gets the same placeholder across the
//!   request, so the answer can be restored (`restore_masked`);
//! - `warn`: forwarded, with an `x-mamori-warning` header.
//!
//! Blocked findings are masked too, so what the audit log keeps of a blocked
//! prompt never holds the value that caused the block.

use std::collections::BTreeMap;

use std::borrow::Cow;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::config::plans::marker_class;
use crate::error::{FindingCount, GatewayError, PlanRefusal};
use crate::scan::{Action, Direction, Finding, MaskMap, Policy};

use super::parse::ParsedRequest;
use super::Verdict;

/// Findings of one type in one direction, with the action taken (never values).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FindingSummary {
    /// Detector type name.
    #[serde(rename = "type")]
    pub kind: String,
    /// How many.
    pub count: u32,
    /// What the policy did.
    pub action: Action,
    /// `request` or `response`.
    pub direction: Direction,
}

/// Tally of findings by (type, action).
#[derive(Debug, Default)]
pub struct Tally {
    counts: BTreeMap<(String, Action), u32>,
}

impl Tally {
    /// Counts a finding with its action.
    pub fn add(&mut self, kind: &str, action: Action) {
        *self.counts.entry((kind.to_owned(), action)).or_default() += 1;
    }

    /// The highest action seen (`Allow` when none).
    pub fn max_action(&self) -> Action {
        self.counts
            .keys()
            .map(|(_, a)| *a)
            .max()
            .unwrap_or(Action::Allow)
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Summaries for the log and metrics.
    pub fn summaries(&self, direction: Direction) -> Vec<FindingSummary> {
        self.counts
            .iter()
            .map(|((kind, action), count)| FindingSummary {
                kind: kind.clone(),
                count: *count,
                action: *action,
                direction,
            })
            .collect()
    }

    /// Type names with the given action (deduplicated, sorted).
    pub fn types_with(&self, action: Action) -> Vec<String> {
        let mut v: Vec<String> = self
            .counts
            .keys()
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| k.clone())
            .collect();
        v.dedup();
        v
    }
}

/// The detector whose findings carry a confidentiality class.
const CONFIDENTIAL_MARKER: &str = "confidential_marker";

/// The highest confidentiality class a use plan may handle (issue 7).
#[derive(Debug, Clone, Copy)]
pub struct ClassCeiling<'a> {
    /// Plan id, for the refusal message.
    pub plan: &'a str,
    /// Highest class allowed (1 or 2).
    pub class: u8,
}

/// The scan phase's result.
#[derive(Debug)]
pub struct RequestScan {
    /// What the policy decided.
    pub verdict: Verdict,
    /// Findings by type and action.
    pub findings: Vec<FindingSummary>,
    /// Placeholders given out, for restoring the answer.
    pub mask_map: MaskMap,
    /// Whether the JSON changed (masking).
    pub changed: bool,
    /// Types with a `warn` action, for the warning header.
    pub warned: Vec<String>,
    /// The prompt as forwarded (masked), for the audit log.
    pub prompt: String,
}

/// Scans and, where the policy says so, masks the request in place.
///
/// Texts are read from the request's bytes first; the JSON tree is built only
/// when a value must be masked (or the bytes hold a shape the byte reader
/// leaves to the tree), and then every text is scanned again on the tree.
/// Returns `Err(PolicyViolation)` as the second element when something must be
/// blocked; the request JSON is left masked so the caller can still log it
/// safely. The outer `Err` is a body the tree cannot hold.
pub fn scan_request(
    policy: &Policy,
    req: &mut ParsedRequest,
    ceiling: Option<ClassCeiling<'_>>,
) -> Result<(RequestScan, Option<GatewayError>), GatewayError> {
    if req.built_tree().is_none() {
        let mut judge = Judge::new(policy, ceiling);
        // parse() checked the body is UTF-8 before taking the byte path.
        let read = for_each_text_in(&req.raw, &mut |text: &str, logged: bool| {
            if !judge.must_rewrite && judge.judge(text).is_empty() {
                if logged {
                    judge.capture(text);
                }
            } else {
                judge.must_rewrite = true;
            }
        });
        if read.is_ok() && !judge.must_rewrite {
            return Ok(judge.finish());
        }
    }
    let mut judge = Judge::new(policy, ceiling);
    for_each_text(req.tree()?, &mut |text: &mut String, logged: bool| {
        let to_mask = judge.judge(text);
        if !to_mask.is_empty() {
            *text = judge.mask_map.mask(text, &to_mask);
            judge.changed = true;
        }
        if logged {
            judge.capture(text);
        }
    });
    Ok(judge.finish())
}

/// The request scan's running state: what was found, what was given a placeholder.
struct Judge<'p> {
    policy: &'p Policy,
    ceiling: Option<ClassCeiling<'p>>,
    tally: Tally,
    mask_map: MaskMap,
    changed: bool,
    prompt: String,
    above_plan: Option<u8>,
    /// The byte reader met a value to mask: the tree must be built.
    must_rewrite: bool,
}

impl<'p> Judge<'p> {
    fn new(policy: &'p Policy, ceiling: Option<ClassCeiling<'p>>) -> Self {
        Judge {
            policy,
            ceiling,
            tally: Tally::default(),
            mask_map: policy.mask_map(),
            changed: false,
            prompt: String::new(),
            above_plan: None,
            must_rewrite: false,
        }
    }

    /// Scans one text, counts its findings and returns those to mask (masked or blocked).
    fn judge(&mut self, text: &str) -> Vec<Finding> {
        let mut to_mask = Vec::new();
        for f in self.policy.scan(text) {
            let mut action = self.policy.finding_action(text, &f, Direction::Request);
            if let Some(c) = self.ceiling {
                // A marking above the plan's class blocks whatever the policy says.
                if f.type_name() == CONFIDENTIAL_MARKER {
                    let class = text.get(f.start..f.end).map_or(3, marker_class);
                    if class > c.class {
                        action = Action::Block;
                        self.above_plan = self.above_plan.max(Some(class));
                    }
                }
            }
            self.tally.add(f.type_name(), action);
            if matches!(action, Action::Mask | Action::Block) {
                to_mask.push(f);
            }
        }
        to_mask
    }

    /// Keeps the text (as forwarded) for the audit log, up to the capture limit.
    fn capture(&mut self, text: &str) {
        if self.prompt.len() < super::stamp::MAX_CAPTURED_OUTPUT {
            if !self.prompt.is_empty() {
                self.prompt.push('\n');
            }
            self.prompt.push_str(text);
        }
    }

    fn finish(self) -> (RequestScan, Option<GatewayError>) {
        let Judge {
            policy,
            ceiling,
            tally,
            mask_map,
            changed,
            prompt,
            above_plan,
            must_rewrite: _,
        } = self;
        let verdict = match tally.max_action() {
            Action::Block => Verdict::Blocked,
            Action::Mask => Verdict::Masked,
            Action::Warn => Verdict::Warned,
            Action::Allow => Verdict::Allowed,
        };
        let plan_error = match (above_plan, ceiling) {
            (Some(found), Some(c)) => {
                Some(GatewayError::PlanViolation(PlanRefusal::ClassAbovePlan {
                    plan: c.plan.to_owned(),
                    found,
                    allowed: c.class,
                }))
            }
            _ => None,
        };
        let error = plan_error.or_else(|| {
            (verdict == Verdict::Blocked).then(|| {
                let mut by_type: BTreeMap<String, u32> = BTreeMap::new();
                for s in tally.summaries(Direction::Request) {
                    if s.action == Action::Block {
                        *by_type.entry(s.kind).or_default() += s.count;
                    }
                }
                GatewayError::PolicyViolation(
                    by_type
                        .into_iter()
                        .map(|(kind, count)| FindingCount {
                            label: policy.placeholder_format().label(&kind).to_owned(),
                            kind,
                            count,
                        })
                        .collect(),
                )
            })
        });
        let scan = RequestScan {
            verdict,
            findings: tally.summaries(Direction::Request),
            mask_map,
            changed,
            warned: tally.types_with(Action::Warn),
            prompt,
        };
        (scan, error)
    }
}

/// How the scan treats a string, from the key it sits under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Conversation text (messages, prompts, inputs, tool arguments and results,
    /// predicted output): scanned, and kept as the prompt in the audit log.
    Text,
    /// Any other string the provider receives (message names, tool and schema
    /// descriptions, metadata, `user`, stop sequences…): scanned, not logged.
    Other,
    /// Identifiers and enumerations the request needs verbatim (model, role, type,
    /// ids) and encoded payloads: never changed, so not scanned.
    Skip,
}

impl Role {
    /// The role of a value under `key`.
    fn of_key(key: &str) -> Role {
        match key {
            "content" | "text" | "arguments" | "output" | "prompt" | "suffix" | "input"
            | "instructions" => Role::Text,
            "model" | "role" | "type" | "object" | "id" | "call_id" | "tool_call_id"
            | "previous_response_id" | "response_id" | "item_id" | "file_id" | "encoding_format"
            // base64 payloads: audio, files, images
            | "data" | "file_data" | "b64_json" => Role::Skip,
            _ => Role::Other,
        }
    }

    /// Whether `s`, found in this role, is scanned; data URLs carry base64, not text.
    fn scans(self, s: &str) -> bool {
        self != Role::Skip && !(s.starts_with("data:") && s.contains(";base64,"))
    }
}

/// Calls `f` on every string a request carries that the provider could read as
/// text, in document order, mutably; the flag says whether it is conversation
/// text (kept for the audit log). Object keys, identifiers and base64 payloads
/// are left alone (see [`Role`]).
pub fn for_each_text(json: &mut Map<String, Value>, f: &mut dyn FnMut(&mut String, bool)) {
    for (key, v) in json.iter_mut() {
        walk_tree(v, Role::of_key(key), f);
    }
}

fn walk_tree(v: &mut Value, role: Role, f: &mut dyn FnMut(&mut String, bool)) {
    match v {
        Value::String(s) if role.scans(s) => f(s, role == Role::Text),
        Value::Array(items) => items.iter_mut().for_each(|item| walk_tree(item, role, f)),
        Value::Object(map) => for_each_text(map, f),
        _ => {}
    }
}

/// The byte reader met a body it leaves to the tree (not JSON, nested too deep).
#[derive(Debug)]
struct Reshape;

/// Calls `f` on the same strings as [`for_each_text`], in the same order, read
/// from the body's bytes in one pass, borrowed where they hold no escapes. Every
/// copy of a duplicated key is visited (the tree keeps only the last), so a
/// value cannot hide behind a key the provider's reader might pick instead.
fn for_each_text_in(body: &[u8], f: &mut dyn FnMut(&str, bool)) -> Result<(), Reshape> {
    let mut de = serde_json::Deserializer::from_slice(body);
    Walk {
        role: Role::Other,
        f,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end())
    .map_err(|_| Reshape)
}

/// Visits one JSON value in `role` (serde seed: the state rides along).
struct Walk<'f> {
    role: Role,
    f: &'f mut dyn FnMut(&str, bool),
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<X: de::Error>(self, s: &str) -> Result<(), X> {
        if self.role.scans(s) {
            (self.f)(s, self.role == Role::Text);
        }
        Ok(())
    }
    fn visit_bool<X: de::Error>(self, _: bool) -> Result<(), X> {
        Ok(())
    }
    fn visit_i64<X: de::Error>(self, _: i64) -> Result<(), X> {
        Ok(())
    }
    fn visit_u64<X: de::Error>(self, _: u64) -> Result<(), X> {
        Ok(())
    }
    fn visit_f64<X: de::Error>(self, _: f64) -> Result<(), X> {
        Ok(())
    }
    fn visit_unit<X: de::Error>(self) -> Result<(), X> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let role = self.role;
        while seq
            .next_element_seed(Walk {
                role,
                f: &mut *self.f,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let role = Role::of_key(&key.0);
            map.next_value_seed(Walk {
                role,
                f: &mut *self.f,
            })?;
        }
        Ok(())
    }
}

/// An object key, borrowed from the body when it holds no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<X: de::Error>(self, s: &'de str) -> Result<Key<'de>, X> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<X: de::Error>(self, s: &str) -> Result<Key<'de>, X> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_tree(body: &str) -> Vec<(String, bool)> {
        let mut json: Map<String, Value> = serde_json::from_str(body).unwrap();
        let mut out = Vec::new();
        for_each_text(&mut json, &mut |t: &mut String, logged| {
            out.push((t.clone(), logged))
        });
        out
    }

    fn by_bytes(body: &str) -> Result<Vec<(String, bool)>, Reshape> {
        let mut out = Vec::new();
        for_each_text_in(body.as_bytes(), &mut |t: &str, logged| {
            out.push((t.to_owned(), logged))
        })?;
        Ok(out)
    }

    fn texts(found: &[(String, bool)], logged: bool) -> Vec<&str> {
        found
            .iter()
            .filter(|(_, l)| *l == logged)
            .map(|(t, _)| t.as_str())
            .collect()
    }

    const CHAT: &str = r#"{"model":"m","messages":[
        {"role":"system","content":"sys \u00e9\n\"q\""},
        {"role":"user","name":"yamada_taro","content":[{"type":"text","text":"part1"},{"type":"image_url","image_url":{"url":"data:image/png;base64,QUtJQTEyMzQ1Njc4OTAxMjM0NTY="}},{"type":"image_url","image_url":{"url":"https://example.jp/a.png"}},"bare",{"text":7},{"text":"part2"}]},
        7, null, "msg",
        {"role":"assistant","content":null,"tool_calls":[{"id":"call_abc","type":"function","function":{"name":"f","arguments":"{\"a\":\"090-1234-5678\"}"}},{"function":"x"},5]},
        {"role":"assistant","function_call":{"name":"g","arguments":"args"}},
        {"role":"tool","tool_call_id":"call_abc","content":"結果 山田様"},
        {"role":"user","content":[{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}}]}
    ],"stream":false,"user":"taro@example.jp","metadata":{"case":"相談 090-1111-2222"},
    "prediction":{"type":"content","content":"予測の本文"},
    "tools":[{"type":"function","function":{"name":"lookup","description":"住民を探す","parameters":{"type":"object","properties":{"content":{"type":"string","description":"本文"}}}}}],
    "stop":["END"],"x_vendor":{"deep":[{"note":"n"}]}}"#;

    #[test]
    fn every_string_the_provider_reads_is_visited_and_conversation_text_is_told_apart() {
        let found = by_tree(CHAT);
        assert_eq!(
            texts(&found, true),
            [
                "sys \u{e9}\n\"q\"",
                "part1",
                "bare",
                "part2",
                "{\"a\":\"090-1234-5678\"}",
                "args",
                "結果 山田様",
                "予測の本文",
            ]
        );
        assert_eq!(
            texts(&found, false),
            [
                "yamada_taro",
                "https://example.jp/a.png",
                "msg",
                "f",
                "x",
                "g",
                "wav",
                "taro@example.jp",
                "相談 090-1111-2222",
                "lookup",
                "住民を探す",
                "本文",
                "END",
                "n",
            ]
        );
        let all: Vec<&str> = found.iter().map(|(t, _)| t.as_str()).collect();
        for verbatim in [
            "m", "system", "user", "call_abc", "function", "text", "UklGRg==",
        ] {
            assert!(!all.contains(&verbatim), "{verbatim} must be left alone");
        }
        assert!(
            !all.iter().any(|t| t.starts_with("data:")),
            "base64 data URLs are not text"
        );
    }

    #[test]
    fn the_byte_reader_finds_the_texts_the_tree_finds() {
        let cases = [
            CHAT,
            r#"{"model":"m","messages":{"content":"not an array"}}"#,
            r#"{"model":"m","prompt":["a","b",[1,2],3,"c\td"],"suffix":"s"}"#,
            r#"{"model":"m","prompt":"one","suffix":null}"#,
            r#"{"model":"m","prompt":[1,2,3]}"#,
            r#"{"model":"m","input":["x","y"]}"#,
            r#"{"model":"m","input":"\ud83d\ude00 emoji"}"#,
            r#"{"model":"m","instructions":"ins","input":[{"role":"user","content":[{"type":"input_text","text":"t"}]},{"type":"function_call_output","call_id":"c1","output":"out"},{"type":"function_call","arguments":"{}"},"skip",{"content":"plain"}],"prompt":{"id":"pmpt_1","variables":{"name":"山田"}}}"#,
            r#"{"model":"m","input":"just text"}"#,
            r#"{"model":"m","input":{"content":"object"}}"#,
            r#"{"con\u0074ent":"escaped key","\u006dodel":"m"}"#,
        ];
        for body in cases {
            assert_eq!(by_bytes(body).unwrap(), by_tree(body), "{body}");
        }
    }

    #[test]
    fn an_escaped_key_is_read_as_the_key_it_spells() {
        let found = by_bytes(r#"{"con\u0074ent":"a","\u006dodel":"m"}"#).unwrap();
        assert_eq!(found, [("a".to_owned(), true)]);
    }

    #[test]
    fn every_copy_of_a_duplicated_key_is_read_from_the_bytes() {
        // The tree keeps the last copy, as most JSON readers do; some keep the first.
        // The byte reader visits both, so neither can carry an unscanned value.
        let body = r#"{"messages":[{"content":"a","content":"b"}],"messages":[{"content":"c"}]}"#;
        let found = by_bytes(body).unwrap();
        assert_eq!(texts(&found, true), ["a", "b", "c"]);
        assert_eq!(texts(&by_tree(body), true), ["c"]);
    }

    #[test]
    fn a_body_nested_beyond_the_reader_limit_is_left_to_the_tree() {
        let deep = format!(
            r#"{{"messages":[{{"content":{}"x"{}}}]}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        assert!(by_bytes(&deep).is_err());
        assert!(serde_json::from_str::<Map<String, Value>>(&deep).is_err());
    }
}
