//! Phase 4, scan the request: find personal and secret information in every
//! text the request carries and apply the policy (個人・秘匿情報の入力禁止).
//!
//! Texts come from chat messages (string content and text parts), tool and
//! function-call arguments and results, completion prompts, Responses-API
//! input and instructions, and embeddings input. Every text is scanned;
//! the highest action wins:
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
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::config::plans::marker_class;
use crate::error::{FindingCount, GatewayError, PlanRefusal};
use crate::providers::Operation;
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
        let read = for_each_text_in(req.op, &req.raw, &mut |text: &str| {
            if !judge.must_rewrite && judge.judge(text).is_empty() {
                judge.capture(text);
            } else {
                judge.must_rewrite = true;
            }
        });
        if read.is_ok() && !judge.must_rewrite {
            return Ok(judge.finish());
        }
    }
    let mut judge = Judge::new(policy, ceiling);
    let op = req.op;
    for_each_text(op, req.tree()?, &mut |text: &mut String| {
        let to_mask = judge.judge(text);
        if !to_mask.is_empty() {
            *text = judge.mask_map.mask(text, &to_mask);
            judge.changed = true;
        }
        judge.capture(text);
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

/// Calls `f` on every text a request carries, mutably.
pub fn for_each_text(op: Operation, json: &mut Map<String, Value>, f: &mut dyn FnMut(&mut String)) {
    match op {
        Operation::ChatCompletions => {
            for msg in json
                .get_mut("messages")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                let Some(msg) = msg.as_object_mut() else {
                    continue;
                };
                if let Some(content) = msg.get_mut("content") {
                    content_texts(content, f);
                }
                for call in msg
                    .get_mut("tool_calls")
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                {
                    if let Some(Value::String(args)) = call.pointer_mut("/function/arguments") {
                        f(args);
                    }
                }
                if let Some(Value::String(args)) = msg
                    .get_mut("function_call")
                    .and_then(|c| c.get_mut("arguments"))
                {
                    f(args);
                }
            }
        }
        Operation::Completions => {
            if let Some(prompt) = json.get_mut("prompt") {
                strings(prompt, f);
            }
            if let Some(Value::String(s)) = json.get_mut("suffix") {
                f(s);
            }
        }
        Operation::Embeddings => {
            if let Some(input) = json.get_mut("input") {
                strings(input, f);
            }
        }
        Operation::Responses => {
            if let Some(Value::String(s)) = json.get_mut("instructions") {
                f(s);
            }
            match json.get_mut("input") {
                Some(Value::String(s)) => f(s),
                Some(Value::Array(items)) => {
                    for item in items.iter_mut().filter_map(Value::as_object_mut) {
                        if let Some(content) = item.get_mut("content") {
                            content_texts(content, f);
                        }
                        for key in ["arguments", "output"] {
                            if let Some(Value::String(s)) = item.get_mut(key) {
                                f(s);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// A message content: a string, or parts whose `text` is scanned.
fn content_texts(content: &mut Value, f: &mut dyn FnMut(&mut String)) {
    match content {
        Value::String(s) => f(s),
        Value::Array(parts) => {
            for part in parts.iter_mut() {
                if let Some(Value::String(s)) = part.get_mut("text") {
                    f(s);
                }
            }
        }
        _ => {}
    }
}

/// A string or an array of strings (token arrays are skipped: no text to scan).
fn strings(v: &mut Value, f: &mut dyn FnMut(&mut String)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(items) => {
            for item in items.iter_mut() {
                if let Value::String(s) = item {
                    f(s);
                }
            }
        }
        _ => {}
    }
}

/// The byte reader met a shape it leaves to the tree (a duplicated key, say).
#[derive(Debug)]
struct Reshape;

/// A JSON value as far as the scan cares: a string (borrowed from the body when it
/// holds no escapes), an array of `E`, an object read as `O`, or anything else.
enum Node<'a, E, O> {
    Str(Cow<'a, str>),
    Seq(Vec<E>),
    Obj(O),
    Other,
}

impl<'de: 'a, 'a, E: Deserialize<'de>, O: Deserialize<'de>> Deserialize<'de> for Node<'a, E, O> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor(PhantomData))
    }
}

struct NodeVisitor<'a, E, O>(PhantomData<(&'a (), E, O)>);

impl<'de: 'a, 'a, E: Deserialize<'de>, O: Deserialize<'de>> Visitor<'de> for NodeVisitor<'a, E, O> {
    type Value = Node<'a, E, O>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<X: de::Error>(self, s: &'de str) -> Result<Self::Value, X> {
        Ok(Node::Str(Cow::Borrowed(s)))
    }
    fn visit_str<X: de::Error>(self, s: &str) -> Result<Self::Value, X> {
        Ok(Node::Str(Cow::Owned(s.to_owned())))
    }
    fn visit_string<X: de::Error>(self, s: String) -> Result<Self::Value, X> {
        Ok(Node::Str(Cow::Owned(s)))
    }
    fn visit_bool<X: de::Error>(self, _: bool) -> Result<Self::Value, X> {
        Ok(Node::Other)
    }
    fn visit_i64<X: de::Error>(self, _: i64) -> Result<Self::Value, X> {
        Ok(Node::Other)
    }
    fn visit_u64<X: de::Error>(self, _: u64) -> Result<Self::Value, X> {
        Ok(Node::Other)
    }
    fn visit_f64<X: de::Error>(self, _: f64) -> Result<Self::Value, X> {
        Ok(Node::Other)
    }
    fn visit_unit<X: de::Error>(self) -> Result<Self::Value, X> {
        Ok(Node::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        O::deserialize(MapAccessDeserializer::new(map)).map(Node::Obj)
    }
}

/// A string, or anything else (skipped).
type Str<'a> = Node<'a, IgnoredAny, IgnoredAny>;
/// An object read as `O`, or anything else.
type Obj<'a, O> = Node<'a, IgnoredAny, O>;
/// A string, or an array whose objects are read as `O`.
type StrOrObjects<'a, O> = Node<'a, Obj<'a, O>, IgnoredAny>;
/// A string, or an array of strings.
type Strings<'a> = Node<'a, Str<'a>, IgnoredAny>;

/// The texts a request may carry, read in one pass over its bytes (see [`for_each_text`]).
#[derive(Deserialize)]
struct TopTexts<'a> {
    #[serde(borrow)]
    messages: Option<StrOrObjects<'a, MessageTexts<'a>>>,
    #[serde(borrow)]
    prompt: Option<Strings<'a>>,
    #[serde(borrow)]
    suffix: Option<Str<'a>>,
    #[serde(borrow)]
    input: Option<StrOrObjects<'a, ItemTexts<'a>>>,
    #[serde(borrow)]
    instructions: Option<Str<'a>>,
}

/// A chat message's text-bearing fields.
#[derive(Deserialize)]
struct MessageTexts<'a> {
    #[serde(borrow)]
    content: Option<StrOrObjects<'a, PartTexts<'a>>>,
    #[serde(borrow)]
    tool_calls: Option<StrOrObjects<'a, CallTexts<'a>>>,
    #[serde(borrow)]
    function_call: Option<Obj<'a, ArgumentTexts<'a>>>,
}

/// A tool call's `function`.
#[derive(Deserialize)]
struct CallTexts<'a> {
    #[serde(borrow)]
    function: Option<Obj<'a, ArgumentTexts<'a>>>,
}

/// An object whose `arguments` is text (a function or a function call).
#[derive(Deserialize)]
struct ArgumentTexts<'a> {
    #[serde(borrow)]
    arguments: Option<Str<'a>>,
}

/// A content part's `text`.
#[derive(Deserialize)]
struct PartTexts<'a> {
    #[serde(borrow)]
    text: Option<Str<'a>>,
}

/// A Responses-API input item's text-bearing fields.
#[derive(Deserialize)]
struct ItemTexts<'a> {
    #[serde(borrow)]
    content: Option<StrOrObjects<'a, PartTexts<'a>>>,
    #[serde(borrow)]
    arguments: Option<Str<'a>>,
    #[serde(borrow)]
    output: Option<Str<'a>>,
}

/// Calls `f` on the same texts as [`for_each_text`], in the same order, read
/// from the body's bytes in one pass. A body the byte reader would read
/// differently from the tree (a duplicated key) is `Err`, and the caller
/// falls back to the tree.
fn for_each_text_in(op: Operation, body: &[u8], f: &mut dyn FnMut(&str)) -> Result<(), Reshape> {
    let top: TopTexts<'_> = serde_json::from_slice(body).map_err(|_| Reshape)?;
    match op {
        Operation::ChatCompletions => {
            for msg in objects(top.messages) {
                content_texts_in(msg.content, f);
                for call in objects(msg.tool_calls) {
                    if let Some(Node::Obj(func)) = call.function {
                        text_in(func.arguments, f);
                    }
                }
                if let Some(Node::Obj(call)) = msg.function_call {
                    text_in(call.arguments, f);
                }
            }
        }
        Operation::Completions => {
            strings_in(top.prompt, f);
            text_in(top.suffix, f);
        }
        Operation::Embeddings => match top.input {
            Some(Node::Str(s)) => f(&s),
            Some(Node::Seq(items)) => {
                for item in items {
                    if let Node::Str(s) = item {
                        f(&s);
                    }
                }
            }
            _ => {}
        },
        Operation::Responses => {
            text_in(top.instructions, f);
            match top.input {
                Some(Node::Str(s)) => f(&s),
                input => {
                    for item in objects(input) {
                        content_texts_in(item.content, f);
                        text_in(item.arguments, f);
                        text_in(item.output, f);
                    }
                }
            }
        }
    }
    Ok(())
}

/// The objects of an array (none for anything else).
fn objects<'a, O>(node: Option<StrOrObjects<'a, O>>) -> impl Iterator<Item = O> + 'a
where
    O: 'a,
{
    let items = match node {
        Some(Node::Seq(items)) => items,
        _ => Vec::new(),
    };
    items.into_iter().filter_map(|item| match item {
        Node::Obj(o) => Some(o),
        _ => None,
    })
}

fn text_in(node: Option<Str<'_>>, f: &mut dyn FnMut(&str)) {
    if let Some(Node::Str(s)) = node {
        f(&s);
    }
}

/// Like [`content_texts`]: a string, or parts whose `text` is scanned.
fn content_texts_in(node: Option<StrOrObjects<'_, PartTexts<'_>>>, f: &mut dyn FnMut(&str)) {
    if let Some(Node::Str(s)) = &node {
        return f(s);
    }
    for part in objects(node) {
        text_in(part.text, f);
    }
}

/// Like [`strings`]: a string or the strings of an array.
fn strings_in(node: Option<Strings<'_>>, f: &mut dyn FnMut(&str)) {
    match node {
        Some(Node::Str(s)) => f(&s),
        Some(Node::Seq(items)) => {
            for item in items {
                if let Node::Str(s) = item {
                    f(&s);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_tree(op: Operation, body: &str) -> Vec<String> {
        let mut json: Map<String, Value> = serde_json::from_str(body).unwrap();
        let mut out = Vec::new();
        for_each_text(op, &mut json, &mut |t: &mut String| out.push(t.clone()));
        out
    }

    fn by_bytes(op: Operation, body: &str) -> Result<Vec<String>, Reshape> {
        let mut out = Vec::new();
        for_each_text_in(op, body.as_bytes(), &mut |t: &str| out.push(t.to_owned()))?;
        Ok(out)
    }

    #[test]
    fn the_byte_reader_finds_the_texts_the_tree_finds() {
        let cases = [
            (
                Operation::ChatCompletions,
                r#"{"model":"m","messages":[
                    {"role":"system","content":"sys \u00e9\n\"q\""},
                    {"role":"user","content":[{"type":"text","text":"part1"},{"type":"image_url","image_url":{"url":"x"}},"bare",{"text":7},{"text":"part2"}]},
                    7, null, "msg",
                    {"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":\"090-1234-5678\"}"}},{"function":"x"},5]},
                    {"role":"assistant","function_call":{"name":"g","arguments":"args"}},
                    {"role":"tool","content":"結果 山田様"}
                ],"stream":false}"#,
            ),
            (
                Operation::ChatCompletions,
                r#"{"model":"m","messages":{"content":"not an array"}}"#,
            ),
            (
                Operation::Completions,
                r#"{"model":"m","prompt":["a","b",[1,2],3,"c\td"],"suffix":"s"}"#,
            ),
            (
                Operation::Completions,
                r#"{"model":"m","prompt":"one","suffix":null}"#,
            ),
            (Operation::Completions, r#"{"model":"m","prompt":[1,2,3]}"#),
            (Operation::Embeddings, r#"{"model":"m","input":["x","y"]}"#),
            (
                Operation::Embeddings,
                r#"{"model":"m","input":"\ud83d\ude00 emoji"}"#,
            ),
            (
                Operation::Responses,
                r#"{"model":"m","instructions":"ins","input":[{"role":"user","content":[{"type":"input_text","text":"t"}]},{"type":"function_call_output","output":"out"},{"type":"function_call","arguments":"{}"},"skip",{"content":"plain"}]}"#,
            ),
            (Operation::Responses, r#"{"model":"m","input":"just text"}"#),
            (
                Operation::Responses,
                r#"{"model":"m","input":{"content":"object"}}"#,
            ),
        ];
        for (op, body) in cases {
            assert_eq!(by_bytes(op, body).unwrap(), by_tree(op, body), "{body}");
        }
    }

    #[test]
    fn duplicated_keys_are_left_to_the_tree() {
        // The tree keeps the last of duplicated keys, as most JSON readers do; the byte
        // reader must not pick another, so it steps aside.
        for body in [
            r#"{"messages":[{"content":"a","content":"b"}]}"#,
            r#"{"messages":[],"messages":[{"content":"b"}]}"#,
            r#"{"messages":[{"tool_calls":[{"function":{"arguments":"a","arguments":"b"}}]}]}"#,
        ] {
            assert!(
                by_bytes(Operation::ChatCompletions, body).is_err(),
                "{body}"
            );
        }
    }
}
