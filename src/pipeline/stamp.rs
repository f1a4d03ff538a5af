//! Phase 6, stamp the response: the "AI generated" notice (Q11 disclosure,
//! Q12 secondary use on the user's responsibility), plus what the log needs
//! from the answer (output text and token usage).
//!
//! Every proxied model answer gets the `x-ai-generated: true` header. Where the
//! output is text for a person the notice is also put in the content, so it
//! survives copy and paste: in each chat choice, each legacy completion, and
//! each Responses-API output text. Where the output must stay machine-readable
//! (tool calls, JSON mode, structured outputs) only the header is set, and
//! embeddings never carry text.
//!
//! Streams are stamped as they pass ([`StreamStamper`]): one extra content
//! delta right before the chunk carrying `finish_reason` (or before `[DONE]`),
//! built from that chunk's own id, model and created, so SDKs receive it as
//! part of the text. Streamed text is scanned and restored on the way
//! ([`super::stream_filter`]): only a bounded tail is held back, and flushed
//! before the notice. A `block` finding ends the stream early: chat and
//! completions get a final chunk with `finish_reason: "content_filter"` and
//! the message, then `[DONE]`; Responses streams get the message as a delta,
//! the `.done` events, then `response.completed` with status `incomplete`
//! (`incomplete_details.reason = "content_filter"`), which the OpenAI SDKs
//! parse without raising. Responses `.done` events and `response.completed`
//! repeat exactly the text the client received (mamori keeps what it sent of
//! each part for that, as the protocol itself repeats it).

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::config::{NoticePosition, Settings};
use crate::providers::Operation;

use super::auth::Caller;
use super::parse::ParsedRequest;
use super::scan::Tally;
use super::stream_filter::TextFilter;
use crate::scan::{Action, Direction, Finding, MaskMap, Policy};

/// Most output text kept for the audit log per answer.
pub const MAX_CAPTURED_OUTPUT: usize = 1024 * 1024;

/// Most bytes of tool-call arguments and refusal one stream choice may hold back to scan
/// whole; past it the stream ends with an error rather than relay what was not scanned.
pub const MAX_HELD_WHOLE_BYTES: usize = 1024 * 1024;

/// The notice to put in this answer's text, if any.
#[derive(Debug, Clone)]
pub struct Notice {
    /// Full notice text (lines joined by newlines).
    pub text: String,
    /// Before or after the answer.
    pub position: NoticePosition,
}

impl Notice {
    /// Applies the notice to a whole text.
    fn apply(&self, text: &str) -> String {
        match self.position {
            NoticePosition::Prefix => format!("{}\n\n{text}", self.text),
            _ => format!("{text}\n\n{}", self.text),
        }
    }

    /// The piece added to a stream before the first content (prefix).
    fn prefix_piece(&self) -> String {
        format!("{}\n\n", self.text)
    }

    /// The piece added to a stream after the last content (suffix).
    fn suffix_piece(&self) -> String {
        format!("\n\n{}", self.text)
    }
}

/// Decides whether (and which) visible notice this request's answer gets.
pub fn notice_for(settings: &Settings, caller: &Caller, req: &ParsedRequest) -> Option<Notice> {
    if caller.key.notice == NoticePosition::None || req.op == Operation::Embeddings || req.json_mode
    {
        return None;
    }
    let text = if caller.key.public {
        settings.notice.public_text.clone()
    } else {
        settings.notice.text.clone()
    };
    Some(Notice {
        text,
        position: caller.key.notice,
    })
}

/// Asks upstream for the final usage chunk when the caller did not, so logs
/// and metrics always have token counts. Returns whether mamori added it (and
/// must strip that chunk from what the caller sees).
pub fn request_stream_usage(req: &mut ParsedRequest) -> bool {
    if !req.stream || !matches!(req.op, Operation::ChatCompletions | Operation::Completions) {
        return false;
    }
    // A body the tree cannot hold goes upstream as it came, without the option.
    let Ok(tree) = req.tree() else {
        return false;
    };
    let asked = tree
        .get("stream_options")
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if asked {
        return false;
    }
    match tree.get_mut("stream_options") {
        Some(Value::Object(o)) => {
            o.insert("include_usage".into(), Value::Bool(true));
        }
        _ => {
            tree.insert("stream_options".into(), json!({"include_usage": true}));
        }
    }
    true
}

/// Token counts reported by the provider: the audit record's own type.
pub use crate::store::Usage;

impl Usage {
    /// Reads chat/completions (`prompt_tokens`) or Responses (`input_tokens`) usage.
    fn from_value(v: &Value) -> Option<Usage> {
        let obj = v.as_object()?;
        let get = |k: &str| obj.get(k).and_then(Value::as_u64);
        super::answer::UsageIn {
            prompt_tokens: get("prompt_tokens"),
            input_tokens: get("input_tokens"),
            completion_tokens: get("completion_tokens"),
            output_tokens: get("output_tokens"),
            total_tokens: get("total_tokens"),
        }
        .into_usage()
    }
}

/// What the log needs from an answer.
#[derive(Debug, Default, Clone)]
pub struct AnswerFacts {
    /// Output text (capped at [`MAX_CAPTURED_OUTPUT`]).
    pub output: String,
    /// Token usage, when the provider reported it.
    pub usage: Option<Usage>,
    /// Whether the visible notice went into the content.
    pub notice_applied: bool,
    /// Streams: findings in the output (direction `response`).
    pub findings: Vec<super::scan::FindingSummary>,
    /// Streams: the output was withheld (a `block` finding).
    pub blocked: bool,
}

impl AnswerFacts {
    fn capture(&mut self, text: &str) {
        if self.output.len() >= MAX_CAPTURED_OUTPUT {
            return;
        }
        let room = MAX_CAPTURED_OUTPUT - self.output.len();
        if text.len() <= room {
            self.output.push_str(text);
        } else {
            let mut cut = room;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            self.output.push_str(&text[..cut]);
        }
    }
}

/// Scans the provider's output with the policy (direction `response`) and
/// puts back values the request had masked (`restore_masked`).
pub struct OutputFilter {
    pub(super) policy: Arc<Policy>,
    pub(super) restore: Option<MaskMap>,
    pub(super) masks: MaskMap,
    /// Opening and closing literals of the placeholder template (`[`, `]`).
    pub(super) ph_open: String,
    pub(super) ph_close: String,
    /// Findings in the output, by type and action.
    pub tally: Tally,
}

impl OutputFilter {
    /// A filter for one answer; `restore` holds the request's placeholders.
    ///
    /// Output values are masked with a copy of the request's map, so a new
    /// value never gets a placeholder the request already gave out (which
    /// restoring would then turn into the request's value).
    pub fn new(policy: Arc<Policy>, restore: Option<MaskMap>) -> Self {
        let restore = restore.filter(|m| !m.is_empty());
        let masks = restore.clone().unwrap_or_else(|| policy.mask_map());
        let template = &policy.placeholder_format().template;
        let ph_open = template
            .find('{')
            .map_or_else(String::new, |i| template[..i].to_owned());
        let ph_close = template
            .rfind('}')
            .map_or_else(String::new, |i| template[i + 1..].to_owned());
        Self {
            policy,
            restore,
            masks,
            ph_open,
            ph_close,
            tally: Tally::default(),
        }
    }

    /// Whether some output finding must be blocked.
    pub fn blocked(&self) -> bool {
        self.tally.max_action() == Action::Block
    }

    /// Masks what the policy masks in `text`; returns whether anything changed.
    fn scan(&mut self, text: &mut String) -> bool {
        let findings = self.policy.scan(text);
        let mut to_mask: Vec<Finding> = Vec::new();
        for f in findings {
            let action = self.policy.finding_action(text, &f, Direction::Response);
            self.tally.add(f.type_name(), action);
            if matches!(action, Action::Mask | Action::Block) {
                to_mask.push(f);
            }
        }
        if to_mask.is_empty() {
            return false;
        }
        *text = self.masks.mask(text, &to_mask);
        true
    }

    /// Puts back the request's masked values; returns whether anything changed.
    fn restore(&self, text: &mut String) -> bool {
        let Some(map) = &self.restore else {
            return false;
        };
        match map.restore(text) {
            std::borrow::Cow::Borrowed(_) => false,
            std::borrow::Cow::Owned(t) => {
                *text = t;
                true
            }
        }
    }

    /// [`Self::scan`] on a piece released whole: tool-call arguments (`json`) string by
    /// string, so they stay valid JSON; other text (a refusal) as it is.
    fn scan_whole(&mut self, text: &mut String, json: bool) -> bool {
        if json {
            edit_strings(text, &mut |s| self.scan(s))
        } else {
            self.scan(text)
        }
    }

    /// [`Self::restore`] on a piece released whole, like [`Self::scan_whole`].
    fn restore_whole(&self, text: &mut String, json: bool) -> bool {
        if json {
            edit_strings(text, &mut |s| self.restore(s))
        } else {
            self.restore(text)
        }
    }

    /// The message that replaces an answer withheld by the policy.
    pub(super) fn block_message(&self) -> String {
        let types = self.tally.types_with(Action::Block).join(", ");
        format!(
            "※生成AIの回答に個人情報・秘匿情報が含まれていたため、表示を停止しました。 / The answer was withheld because it contained personal or confidential information ({types})."
        )
    }
}

/// Filters and stamps a whole JSON answer. Returns the new body if it changed.
///
/// Answers of the usual shape are handled on their bytes ([`super::answer`]): only the
/// texts that change are rewritten. Anything else goes through a `serde_json::Value` tree.
pub fn stamp_whole(
    op: Operation,
    body: &[u8],
    notice: Option<&Notice>,
    filter: &mut OutputFilter,
) -> (Option<Vec<u8>>, AnswerFacts) {
    match super::answer::locate(op, body) {
        Some(located) => stamp_located(op, body, located, notice, filter),
        None => stamp_tree(op, body, notice, filter),
    }
}

fn stamp_located(
    op: Operation,
    body: &[u8],
    located: super::answer::Located,
    notice: Option<&Notice>,
    filter: &mut OutputFilter,
) -> (Option<Vec<u8>>, AnswerFacts) {
    let mut facts = AnswerFacts {
        usage: located.usage,
        ..AnswerFacts::default()
    };
    let mut texts = located.texts;
    let mut changed = vec![false; texts.len()];
    // 1. scan the output as the provider wrote it; the log keeps this (masked) text
    for (slot, c) in texts.iter_mut().zip(changed.iter_mut()) {
        *c = filter.scan(&mut slot.text);
        facts.capture(&slot.text);
    }
    if filter.blocked() {
        return (blocked_body(op, body, &filter.block_message()), facts);
    }
    // 2. restore the request's placeholders, 3. add the notice (answers with tool calls,
    // the machine-readable ones, take the tree path)
    let mut noticed = false;
    for (slot, c) in texts.iter_mut().zip(changed.iter_mut()) {
        *c |= filter.restore(&mut slot.text);
        if let Some(n) = notice {
            slot.text = n.apply(&slot.text);
            noticed = true;
            *c = true;
        }
    }
    let mut edits: Vec<(std::ops::Range<usize>, &str)> = texts
        .iter()
        .zip(&changed)
        .filter(|(_, c)| **c)
        .map(|(slot, _)| (slot.span.clone(), slot.text.as_str()))
        .collect();
    let mut output_text = located.output_text;
    if let Some(slot) = output_text.as_mut() {
        let restored = filter.restore(&mut slot.text);
        if let Some(n) = notice {
            slot.text = n.apply(&slot.text);
            noticed = true;
        }
        if restored || notice.is_some() {
            edits.push((slot.span.clone(), slot.text.as_str()));
        }
    }
    facts.notice_applied = noticed;
    if edits.is_empty() {
        return (None, facts);
    }
    (super::answer::splice(body, edits), facts)
}

/// The answer with every output text replaced by `msg` and each choice finished as
/// `content_filter` (a `block` finding in the output).
fn blocked_body(op: Operation, body: &[u8], msg: &str) -> Option<Vec<u8>> {
    let mut v = serde_json::from_slice::<Value>(body).ok()?;
    for_each_output_text(op, &mut v, &mut |text, _| *text = msg.to_owned());
    for choice in choices_mut(&mut v) {
        choice.insert("finish_reason".into(), json!("content_filter"));
        // A withheld tool call must not reach the caller's tools: the message says why.
        if let Some(m) = choice.get_mut("message").and_then(Value::as_object_mut) {
            let calls = m.shift_remove("tool_calls").is_some();
            if m.shift_remove("function_call").is_some() || calls {
                m.insert("content".into(), json!(msg));
            }
        }
    }
    if let Some(items) = v.get_mut("output").and_then(Value::as_array_mut) {
        let before = items.len();
        items.retain(|i| i.get("type").and_then(Value::as_str) != Some("function_call"));
        let has_message = items
            .iter()
            .any(|i| i.get("type").and_then(Value::as_str) == Some("message"));
        if items.len() != before && !has_message {
            items.push(
                json!({"type": "message", "role": "assistant", "status": "completed",
                "content": [{"type": "output_text", "text": msg, "annotations": []}]}),
            );
        }
    }
    serde_json::to_vec(&v).ok()
}

/// The tree path, for answers [`super::answer::locate`] does not read.
fn stamp_tree(
    op: Operation,
    body: &[u8],
    notice: Option<&Notice>,
    filter: &mut OutputFilter,
) -> (Option<Vec<u8>>, AnswerFacts) {
    let mut facts = AnswerFacts::default();
    let Ok(mut v) = serde_json::from_slice::<Value>(body) else {
        return (None, facts);
    };
    if let Some(u) = v.get("usage").and_then(Usage::from_value) {
        facts.usage = Some(u);
    }
    let mut changed = false;
    for_each_output_text(op, &mut v, &mut |text, _| {
        changed |= filter.scan(text);
        facts.capture(text);
    });
    for_each_tool_arguments(op, &mut v, &mut |args| {
        changed |= filter.scan_whole(args, true);
        facts.capture(args);
    });
    if filter.blocked() {
        return (blocked_body(op, body, &filter.block_message()), facts);
    }
    let mut noticed = false;
    for_each_output_text(op, &mut v, &mut |text, machine| {
        changed |= filter.restore(text);
        if let (Some(n), false) = (notice, machine) {
            *text = n.apply(text);
            noticed = true;
        }
    });
    for_each_tool_arguments(op, &mut v, &mut |args| {
        changed |= filter.restore_whole(args, true);
    });
    if op == Operation::Responses {
        if let Some(Value::String(t)) = v.get_mut("output_text") {
            changed |= filter.restore(t);
            if let Some(n) = notice {
                *t = n.apply(t);
                noticed = true;
            }
        }
    }
    facts.notice_applied = noticed;
    let body = if changed || noticed {
        serde_json::to_vec(&v).ok()
    } else {
        None
    };
    (body, facts)
}

/// Calls `f(text, machine_readable)` on every output text of a whole answer.
/// Tool-call messages count as machine-readable: they get no notice.
fn for_each_output_text(op: Operation, v: &mut Value, f: &mut dyn FnMut(&mut String, bool)) {
    match op {
        Operation::ChatCompletions => {
            for choice in choices_mut(v) {
                let Some(msg) = choice.get_mut("message").and_then(Value::as_object_mut) else {
                    continue;
                };
                let has_tools = msg
                    .get("tool_calls")
                    .and_then(Value::as_array)
                    .is_some_and(|a| !a.is_empty());
                if let Some(Value::String(content)) = msg.get_mut("content") {
                    f(content, has_tools);
                }
                // A refusal is the model's own words: scanned, with no notice.
                if let Some(Value::String(refusal)) = msg.get_mut("refusal") {
                    f(refusal, true);
                }
            }
        }
        Operation::Completions => {
            for choice in choices_mut(v) {
                if let Some(Value::String(text)) = choice.get_mut("text") {
                    f(text, false);
                }
            }
        }
        Operation::Responses => {
            for item in output_items_mut(v) {
                if item.get("type").and_then(Value::as_str) != Some("message") {
                    continue;
                }
                for part in item
                    .get_mut("content")
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                {
                    let (field, machine) = match part.get("type").and_then(Value::as_str) {
                        Some("output_text") => ("text", false),
                        Some("refusal") => ("refusal", true),
                        _ => continue,
                    };
                    if let Some(Value::String(text)) = part.get_mut(field) {
                        f(text, machine);
                    }
                }
            }
        }
        Operation::Embeddings => {}
    }
}

/// Calls `f(arguments)` on the arguments of every tool or function call in a whole answer
/// (chat `tool_calls` and legacy `function_call`, Responses `function_call` items).
fn for_each_tool_arguments(op: Operation, v: &mut Value, f: &mut dyn FnMut(&mut String)) {
    match op {
        Operation::ChatCompletions => {
            for choice in choices_mut(v) {
                let Some(msg) = choice.get_mut("message").and_then(Value::as_object_mut) else {
                    continue;
                };
                if let Some(calls) = msg.get_mut("tool_calls").and_then(Value::as_array_mut) {
                    for call in calls {
                        if let Some(Value::String(a)) = call.pointer_mut("/function/arguments") {
                            f(a);
                        }
                    }
                }
                if let Some(Value::String(a)) = msg
                    .get_mut("function_call")
                    .and_then(|c| c.get_mut("arguments"))
                {
                    f(a);
                }
            }
        }
        Operation::Responses => {
            for item in output_items_mut(v) {
                if item.get("type").and_then(Value::as_str) != Some("function_call") {
                    continue;
                }
                if let Some(Value::String(a)) = item.get_mut("arguments") {
                    f(a);
                }
            }
        }
        Operation::Completions | Operation::Embeddings => {}
    }
}

/// Applies `f` to every string value inside tool-call `args` (JSON text), so a placeholder
/// or a restored value is escaped as JSON needs and the arguments stay valid; arguments
/// that are not JSON are edited as plain text. Returns whether anything changed.
fn edit_strings(args: &mut String, f: &mut dyn FnMut(&mut String) -> bool) -> bool {
    let Ok(mut tree) = serde_json::from_str::<Value>(args) else {
        return f(args);
    };
    let mut changed = false;
    visit_strings(&mut tree, &mut |s| changed |= f(s));
    if changed {
        if let Ok(text) = serde_json::to_string(&tree) {
            *args = text;
        }
    }
    changed
}

/// Every string value of `v`, at any depth (object keys are left alone).
fn visit_strings(v: &mut Value, f: &mut dyn FnMut(&mut String)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter_mut().for_each(|i| visit_strings(i, f)),
        Value::Object(map) => map.values_mut().for_each(|i| visit_strings(i, f)),
        _ => {}
    }
}

/// The items of a Responses answer's `output` array.
fn output_items_mut(v: &mut Value) -> impl Iterator<Item = &mut Value> {
    v.get_mut("output")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

fn choices_mut(v: &mut Value) -> impl Iterator<Item = &mut Map<String, Value>> {
    v.get_mut("choices")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

/// Stamps every `output_text` part of the message items in a Responses `output` array.
/// One Server-Sent Event: name (empty for the default `message`) and data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// `event:` field; empty for plain `data:` events.
    pub event: String,
    /// `data:` payload.
    pub data: String,
}

impl SseEvent {
    /// A plain `data:` event.
    pub fn data(data: String) -> Self {
        Self {
            event: String::new(),
            data,
        }
    }

    fn named(event: &str, data: Value) -> Self {
        Self {
            event: event.to_owned(),
            data: data.to_string(),
        }
    }
}

#[derive(Default)]
struct ChoiceState {
    prefixed: bool,
    suffixed: bool,
    tools: bool,
    had_content: bool,
    /// Text was already sent for this choice.
    released: bool,
    /// `finish_reason` seen (or the stream was closed for it).
    finished: bool,
    text: TextFilter,
    /// Tool-call arguments and refusal text held back: a fragment cannot be scanned
    /// alone, so each is sent whole when the choice ends.
    held: Vec<(Held, String)>,
}

/// What a chat stream holds back until its choice ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    /// A tool call's arguments, by tool-call index.
    Tool(u64),
    /// The legacy `function_call`'s arguments.
    Function,
    /// The `refusal` text.
    Refusal,
}

/// One Responses-API text part: `(item_id, content_index)`.
struct PartState {
    key: (String, u64),
    output_index: Value,
    text: TextFilter,
    /// What the client received for this part (the `.done` events repeat it).
    streamed: String,
    prefixed: bool,
    flushed: bool,
}

/// Stamps (and scans) a stream event by event; see the module docs and
/// [`super::stream_filter`].
pub struct StreamStamper {
    op: Operation,
    notice: Option<Notice>,
    strip_usage: bool,
    choices: Vec<ChoiceState>,
    /// Top-level fields of the first chat/completions chunk (id, model,
    /// created…), the template for inserted chunks.
    template: Option<Map<String, Value>>,
    /// Responses API: events inserted so far, added to later sequence numbers.
    seq_shift: u64,
    /// Responses function-call arguments (by item id) and refusals (by item id and
    /// content index) as released.
    whole: Vec<(String, String)>,
    /// Responses API: per text part state.
    parts: Vec<PartState>,
    /// Responses API: the `response` object of `response.created`.
    resp_template: Option<Value>,
    filter: OutputFilter,
    facts: AnswerFacts,
    done: bool,
    blocked: bool,
}

impl StreamStamper {
    /// A stamper for one stream; `strip_usage` removes the usage chunk mamori
    /// asked for; `filter` scans the output and restores the request's
    /// placeholders, as for whole answers.
    pub fn new(
        op: Operation,
        notice: Option<Notice>,
        strip_usage: bool,
        filter: OutputFilter,
    ) -> Self {
        Self {
            op,
            notice,
            strip_usage,
            choices: Vec::new(),
            template: None,
            seq_shift: 0,
            whole: Vec::new(),
            parts: Vec::new(),
            resp_template: None,
            filter,
            facts: AnswerFacts::default(),
            done: false,
            blocked: false,
        }
    }

    /// Processes one upstream event; returns what to send to the client, in order.
    pub fn on_event(&mut self, ev: SseEvent) -> Vec<SseEvent> {
        if self.ended() {
            return Vec::new();
        }
        if ev.data.trim() == "[DONE]" {
            let mut out = self.finish();
            if !self.blocked {
                out.push(ev);
            }
            return out;
        }
        match self.op {
            Operation::Responses => self.on_responses_event(ev),
            _ => self.on_choice_chunk(ev),
        }
    }

    /// True once the stream was blocked: nothing more is relayed, and the
    /// caller should stop reading upstream.
    pub fn ended(&self) -> bool {
        self.blocked
    }

    /// Called once at the end of the stream (at `[DONE]`, or EOF without it):
    /// flushes held-back text, and the suffix for choices that never sent
    /// `finish_reason`.
    pub fn finish(&mut self) -> Vec<SseEvent> {
        if self.done {
            return Vec::new();
        }
        self.done = true;
        let mut out = Vec::new();
        if self.op == Operation::Responses {
            for pi in 0..self.parts.len() {
                if self.flush_part(pi, None, &mut out).is_err() {
                    return self.block_responses(pi, None);
                }
            }
            return out;
        }
        for idx in 0..self.choices.len() {
            if self.choices[idx].finished {
                continue;
            }
            if self.close_choice(idx as u64, &mut out).is_err() {
                return self.block_choices();
            }
        }
        out
    }

    /// What the log needs, once the stream is over.
    pub fn facts(&self) -> &AnswerFacts {
        &self.facts
    }

    /// Most characters any text stream held back so far (debug accessor).
    pub fn peak_held_chars(&self) -> usize {
        let c = self.choices.iter().map(|c| c.text.peak_held_chars());
        let p = self.parts.iter().map(|p| p.text.peak_held_chars());
        c.chain(p).max().unwrap_or(0)
    }

    /// Consumes the stamper, returning what the log needs.
    pub fn into_facts(mut self) -> AnswerFacts {
        self.facts.findings = self.filter.tally.summaries(Direction::Response);
        self.facts.blocked = self.blocked;
        self.facts
    }

    fn choice_index(&mut self, idx: u64) -> usize {
        let i = usize::try_from(idx).unwrap_or(usize::MAX).min(1024);
        if self.choices.len() <= i {
            self.choices.resize_with(i + 1, ChoiceState::default);
        }
        i
    }

    /// Flushes a choice's held text and adds its suffix notice (as chunks).
    fn close_choice(&mut self, idx: u64, out: &mut Vec<SseEvent>) -> Result<(), Blocked> {
        let i = self.choice_index(idx);
        let step = self.choices[i].text.finish(&mut self.filter);
        self.facts.capture(&step.masked);
        if step.blocked {
            return Err(Blocked);
        }
        self.choices[i].finished = true;
        if !step.text.is_empty() {
            let text = self.with_prefix(i, step.text);
            self.choices[i].released = true;
            out.extend(self.text_chunk(idx, &text, None));
        }
        self.release_held(i, idx, out)?;
        self.suffix(i, false, out);
        Ok(())
    }

    /// Takes tool-call argument and refusal fragments out of a chat delta and holds them;
    /// returns whether the delta changed, or `Err` past [`MAX_HELD_WHOLE_BYTES`].
    fn hold_back(&mut self, i: usize, delta: &mut Map<String, Value>) -> Result<bool, Oversized> {
        let mut pieces: Vec<(Held, &mut String)> = Vec::new();
        for (key, value) in delta.iter_mut() {
            match (key.as_str(), value) {
                ("tool_calls", Value::Array(calls)) => {
                    for call in calls {
                        let tidx = call.get("index").and_then(Value::as_u64).unwrap_or(0);
                        if let Some(Value::String(p)) = call.pointer_mut("/function/arguments") {
                            pieces.push((Held::Tool(tidx), p));
                        }
                    }
                }
                ("function_call", value) => {
                    if let Some(Value::String(p)) = value.get_mut("arguments") {
                        pieces.push((Held::Function, p));
                    }
                }
                ("refusal", Value::String(p)) => pieces.push((Held::Refusal, p)),
                _ => {}
            }
        }
        let mut changed = false;
        for (kind, piece) in pieces {
            if piece.is_empty() {
                continue;
            }
            let held = &mut self.choices[i].held;
            match held.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, a)) => a.push_str(piece),
                None => held.push((kind, piece.clone())),
            }
            piece.clear();
            changed = true;
        }
        // Only a delta that added something can cross the cap.
        if changed
            && self.choices[i]
                .held
                .iter()
                .map(|(_, h)| h.len())
                .sum::<usize>()
                > MAX_HELD_WHOLE_BYTES
        {
            return Err(Oversized);
        }
        Ok(changed)
    }

    /// Ends a stream whose held-back output grew past [`MAX_HELD_WHOLE_BYTES`]: it cannot
    /// be scanned whole, so none of it is relayed.
    fn cut_off(&mut self) -> Vec<SseEvent> {
        self.blocked = true;
        self.done = true;
        self.choices.iter_mut().for_each(|c| c.held.clear());
        vec![SseEvent::data(
            crate::error::GatewayError::UpstreamProtocol
                .to_json()
                .to_string(),
        )]
    }

    /// Scans what choice `i` held back (arguments as JSON, so they stay valid), restores
    /// the request's values and sends each piece whole as one delta.
    fn release_held(&mut self, i: usize, idx: u64, out: &mut Vec<SseEvent>) -> Result<(), Blocked> {
        let mut held = std::mem::take(&mut self.choices[i].held);
        for (kind, text) in &mut held {
            self.filter.scan_whole(text, *kind != Held::Refusal);
            self.facts.capture(text);
        }
        if self.filter.blocked() {
            return Err(Blocked);
        }
        for (kind, mut text) in held {
            let Some(mut chunk) = self.template.clone() else {
                continue;
            };
            self.filter.restore_whole(&mut text, kind != Held::Refusal);
            let delta = match kind {
                Held::Tool(t) => {
                    json!({"tool_calls": [{"index": t, "function": {"arguments": text}}]})
                }
                Held::Function => json!({"function_call": {"arguments": text}}),
                Held::Refusal => json!({"refusal": text}),
            };
            chunk.insert(
                "choices".into(),
                json!([{"index": idx, "delta": delta, "logprobs": null, "finish_reason": null}]),
            );
            out.push(SseEvent::data(Value::Object(chunk).to_string()));
        }
        Ok(())
    }

    /// Puts the prefix notice before a choice's first text.
    fn with_prefix(&mut self, i: usize, mut text: String) -> String {
        if let Some(n) = &self.notice {
            let c = &mut self.choices[i];
            if n.position == NoticePosition::Prefix && !c.prefixed && !c.tools {
                c.prefixed = true;
                text.insert_str(0, &n.prefix_piece());
                self.facts.notice_applied = true;
            }
        }
        text
    }

    /// The suffix notice chunk of a choice, once.
    fn suffix(&mut self, i: usize, tool_finish: bool, out: &mut Vec<SseEvent>) {
        let Some(n) = self.notice.clone() else {
            return;
        };
        let c = &self.choices[i];
        if n.position == NoticePosition::Prefix || c.suffixed || c.tools || tool_finish {
            return;
        }
        if !c.had_content {
            return;
        }
        self.choices[i].suffixed = true;
        if let Some(ev) = self.text_chunk(i as u64, &n.suffix_piece(), None) {
            out.push(ev);
            self.facts.notice_applied = true;
        }
    }

    fn on_choice_chunk(&mut self, ev: SseEvent) -> Vec<SseEvent> {
        let Ok(Value::Object(mut chunk)) = serde_json::from_str::<Value>(&ev.data) else {
            return vec![ev];
        };
        let is_chat = self.op == Operation::ChatCompletions;
        let usage_only = chunk
            .get("choices")
            .and_then(Value::as_array)
            .is_some_and(|c| c.is_empty());
        if let Some(u) = chunk.get("usage").and_then(Usage::from_value) {
            self.facts.usage = Some(u);
        }
        if usage_only {
            return if self.strip_usage {
                Vec::new()
            } else {
                vec![ev]
            };
        }
        if self.template.is_none() {
            let mut t: Map<String, Value> = chunk
                .iter()
                .filter(|(k, _)| *k != "choices")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if t.contains_key("usage") {
                t.insert("usage".into(), Value::Null);
            }
            self.template = Some(t);
        }
        let mut before = Vec::new();
        let mut changed = false;
        let suffix_mode = self
            .notice
            .as_ref()
            .is_some_and(|n| n.position != NoticePosition::Prefix);
        let Some(choices) = chunk.get_mut("choices").and_then(Value::as_array_mut) else {
            return vec![ev];
        };
        for choice in choices.iter_mut().filter_map(Value::as_object_mut) {
            let idx = choice.get("index").and_then(Value::as_u64).unwrap_or(0);
            let i = self.choice_index(idx);
            if let (true, Some(d)) = (
                is_chat,
                choice.get_mut("delta").and_then(Value::as_object_mut),
            ) {
                match self.hold_back(i, d) {
                    Ok(c) => changed |= c,
                    Err(Oversized) => return self.cut_off(),
                }
            }
            let finish = choice
                .get("finish_reason")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let text_slot = if is_chat {
                choice
                    .get_mut("delta")
                    .and_then(Value::as_object_mut)
                    .map(|d| {
                        let tools = d.get("tool_calls").is_some_and(|t| !t.is_null());
                        (tools, d.get_mut("content"))
                    })
            } else {
                Some((false, choice.get_mut("text")))
            };
            let mut piece = None;
            let mut tools = false;
            if let Some((t, slot)) = text_slot {
                tools = t;
                if let Some(Value::String(s)) = slot {
                    piece = Some(s);
                }
            }
            self.choices[i].tools |= tools;
            let tool_finish = finish.as_deref() == Some("tool_calls");
            if let Some(s) = piece {
                self.choices[i].had_content |= !s.is_empty() || is_chat;
                let mut step = self.choices[i].text.push(&mut self.filter, s);
                self.facts.capture(&step.masked);
                if step.blocked {
                    return self.block_choices();
                }
                if finish.is_some() {
                    let last = self.choices[i].text.finish(&mut self.filter);
                    self.facts.capture(&last.masked);
                    if last.blocked {
                        return self.block_choices();
                    }
                    step.text.push_str(&last.text);
                    self.choices[i].finished = true;
                }
                let text = self.with_prefix(i, step.text);
                self.choices[i].released |= !text.is_empty();
                if finish.is_some() && suffix_mode && !text.is_empty() {
                    // The text goes before the notice, the finish chunk after it.
                    before.extend(self.text_chunk(idx, &text, None));
                    s.clear();
                    changed = true;
                } else if *s != text {
                    *s = text;
                    changed = true;
                }
                if finish.is_some() {
                    if self.release_held(i, idx, &mut before).is_err() {
                        return self.block_choices();
                    }
                    self.suffix(i, tool_finish, &mut before);
                }
            } else if finish.is_some() {
                let last = self.choices[i].text.finish(&mut self.filter);
                self.facts.capture(&last.masked);
                if last.blocked {
                    return self.block_choices();
                }
                self.choices[i].finished = true;
                if !last.text.is_empty() {
                    let text = self.with_prefix(i, last.text);
                    self.choices[i].released = true;
                    before.extend(self.text_chunk(idx, &text, None));
                }
                if self.release_held(i, idx, &mut before).is_err() {
                    return self.block_choices();
                }
                self.suffix(i, tool_finish, &mut before);
            }
        }
        let this = if changed {
            SseEvent {
                event: ev.event,
                data: Value::Object(chunk).to_string(),
            }
        } else {
            ev
        };
        before.push(this);
        before
    }

    /// A chunk like the template carrying only `text` for choice `idx`.
    fn text_chunk(&self, idx: u64, text: &str, finish: Option<&str>) -> Option<SseEvent> {
        let mut chunk = self.template.clone()?;
        let choice = if self.op == Operation::ChatCompletions {
            json!({"index": idx, "delta": {"content": text}, "logprobs": null, "finish_reason": finish})
        } else {
            json!({"index": idx, "text": text, "logprobs": null, "finish_reason": finish})
        };
        chunk.insert("choices".into(), json!([choice]));
        Some(SseEvent::data(Value::Object(chunk).to_string()))
    }

    /// Ends a chat/completions stream withheld by the policy: a final chunk
    /// per open choice with `finish_reason: "content_filter"` and the message
    /// (never the value), then `[DONE]`.
    fn block_choices(&mut self) -> Vec<SseEvent> {
        self.blocked = true;
        self.done = true;
        let msg = self.filter.block_message();
        let mut open: Vec<u64> = (0..self.choices.len())
            .filter(|&i| !self.choices[i].finished)
            .map(|i| i as u64)
            .collect();
        if open.is_empty() {
            open.push(0);
        }
        let mut out = Vec::new();
        for idx in open {
            let released = self.choices.get(idx as usize).is_some_and(|c| c.released);
            let text = if released {
                format!("\n\n{msg}")
            } else {
                msg.clone()
            };
            out.extend(self.text_chunk(idx, &text, Some("content_filter")));
        }
        if out.is_empty() {
            // No chunk seen to copy id/model from: still close the stream.
            out.push(SseEvent::data(
                json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": msg}, "finish_reason": "content_filter"}]}).to_string(),
            ));
        }
        out.push(SseEvent::data("[DONE]".into()));
        out
    }

    fn part_index(&mut self, key: (String, u64), output_index: Option<&Value>) -> usize {
        if let Some(i) = self.parts.iter().position(|p| p.key == key) {
            return i;
        }
        self.parts.push(PartState {
            key,
            output_index: output_index.cloned().unwrap_or(json!(0)),
            text: TextFilter::new(),
            streamed: String::new(),
            prefixed: false,
            flushed: false,
        });
        self.parts.len() - 1
    }

    /// Applies the prefix notice to a part's first text and records what was sent.
    fn part_release(&mut self, pi: usize, mut text: String) -> String {
        if let Some(n) = &self.notice {
            if n.position == NoticePosition::Prefix && !self.parts[pi].prefixed {
                self.parts[pi].prefixed = true;
                text.insert_str(0, &n.prefix_piece());
                self.facts.notice_applied = true;
            }
        }
        self.parts[pi].streamed.push_str(&text);
        text
    }

    /// A synthetic event numbered before upstream event `seq`.
    fn synth(&mut self, kind: &str, mut fields: Map<String, Value>, seq: Option<u64>) -> SseEvent {
        fields.insert("type".into(), json!(kind));
        if let Some(s) = seq {
            fields.insert("sequence_number".into(), json!(s + self.seq_shift));
            self.seq_shift += 1;
        }
        SseEvent::named(kind, Value::Object(fields))
    }

    fn delta_event(&mut self, pi: usize, text: &str, seq: Option<u64>) -> SseEvent {
        let p = &self.parts[pi];
        let mut m = Map::new();
        m.insert("item_id".into(), json!(p.key.0));
        m.insert("output_index".into(), p.output_index.clone());
        m.insert("content_index".into(), json!(p.key.1));
        m.insert("delta".into(), json!(text));
        m.insert("logprobs".into(), json!([]));
        self.synth("response.output_text.delta", m, seq)
    }

    /// Flushes a part (once): held text, then the suffix notice, as deltas.
    fn flush_part(
        &mut self,
        pi: usize,
        seq: Option<u64>,
        out: &mut Vec<SseEvent>,
    ) -> Result<(), Blocked> {
        if self.parts[pi].flushed {
            return Ok(());
        }
        let step = self.parts[pi].text.finish(&mut self.filter);
        self.facts.capture(&step.masked);
        if step.blocked {
            return Err(Blocked);
        }
        self.parts[pi].flushed = true;
        if !step.text.is_empty() {
            let text = self.part_release(pi, step.text);
            let ev = self.delta_event(pi, &text, seq);
            out.push(ev);
        }
        if let Some(n) = self.notice.clone() {
            if n.position != NoticePosition::Prefix {
                self.parts[pi].streamed.push_str(&n.suffix_piece());
                let ev = self.delta_event(pi, &n.suffix_piece(), seq);
                out.push(ev);
                self.facts.notice_applied = true;
            }
        }
        Ok(())
    }

    /// The final text of a part as the client received it; a part never seen
    /// as deltas is filtered (and sent as deltas) here.
    fn final_text(
        &mut self,
        key: (String, u64),
        output_index: Option<&Value>,
        upstream: &str,
        seq: Option<u64>,
        out: &mut Vec<SseEvent>,
    ) -> Result<String, Withheld> {
        let known = self.parts.iter().any(|p| p.key == key);
        let pi = self.part_index(key, output_index);
        if !known {
            let step = self.parts[pi].text.push(&mut self.filter, upstream);
            self.facts.capture(&step.masked);
            if step.blocked {
                return Err(Withheld::Part(pi));
            }
            if !step.text.is_empty() {
                let text = self.part_release(pi, step.text);
                let ev = self.delta_event(pi, &text, seq);
                out.push(ev);
            }
        }
        self.flush_part(pi, seq, out)
            .map_err(|Blocked| Withheld::Part(pi))?;
        Ok(self.parts[pi].streamed.clone())
    }

    /// Rewrites the `output_text` parts of a message item with what was streamed.
    fn fix_item(
        &mut self,
        item: &mut Value,
        output_index: Option<&Value>,
        seq: Option<u64>,
        out: &mut Vec<SseEvent>,
    ) -> Result<(), Withheld> {
        if item.get("type").and_then(Value::as_str) == Some("function_call") {
            let id = item.get("id").and_then(Value::as_str).unwrap_or_default();
            let upstream = item
                .get("arguments")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let args = self.release_whole(id.to_owned(), upstream, true)?;
            item["arguments"] = json!(args);
            return Ok(());
        }
        if item.get("type").and_then(Value::as_str) != Some("message") {
            return Ok(());
        }
        let id = item
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        for (ci, part) in item
            .get_mut("content")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if part.get("type").and_then(Value::as_str) == Some("refusal") {
                let upstream = part
                    .get("refusal")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let text = self.release_whole(refusal_key(&id, ci as u64), upstream, false)?;
                part["refusal"] = json!(text);
                continue;
            }
            if part.get("type").and_then(Value::as_str) != Some("output_text") {
                continue;
            }
            let upstream = part.get("text").and_then(Value::as_str).unwrap_or_default();
            let upstream = upstream.to_owned();
            let text =
                self.final_text((id.clone(), ci as u64), output_index, &upstream, seq, out)?;
            part["text"] = json!(text);
        }
        Ok(())
    }

    fn on_responses_event(&mut self, ev: SseEvent) -> Vec<SseEvent> {
        let Ok(Value::Object(mut obj)) = serde_json::from_str::<Value>(&ev.data) else {
            return vec![ev];
        };
        let kind = obj
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or(ev.event.as_str())
            .to_owned();
        let seq = obj.get("sequence_number").and_then(Value::as_u64);
        let mut out = Vec::new();
        let mut changed = false;
        let result: Result<(), Withheld> = (|| {
            match kind.as_str() {
                "response.created" | "response.in_progress" if self.resp_template.is_none() => {
                    self.resp_template = obj.get("response").cloned();
                }
                "response.output_text.delta" => {
                    let key = part_key(&obj);
                    let pi = self.part_index(key, obj.get("output_index"));
                    if let Some(Value::String(d)) = obj.get_mut("delta") {
                        let step = self.parts[pi].text.push(&mut self.filter, d);
                        self.facts.capture(&step.masked);
                        if step.blocked {
                            return Err(Withheld::Part(pi));
                        }
                        let text = self.part_release(pi, step.text);
                        if *d != text {
                            *d = text;
                            changed = true;
                        }
                    }
                }
                "response.output_text.done" => {
                    let key = part_key(&obj);
                    let upstream = obj
                        .get("text")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    let oi = obj.get("output_index").cloned();
                    let text = self.final_text(key, oi.as_ref(), &upstream, seq, &mut out)?;
                    obj.insert("text".into(), json!(text));
                    changed = true;
                }
                "response.content_part.done" => {
                    let key = part_key(&obj);
                    let oi = obj.get("output_index").cloned();
                    let is_text = obj
                        .get("part")
                        .and_then(|p| p.get("type"))
                        .and_then(Value::as_str)
                        == Some("output_text");
                    if is_text {
                        let upstream = obj
                            .get("part")
                            .and_then(|p| p.get("text"))
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned();
                        let text = self.final_text(key, oi.as_ref(), &upstream, seq, &mut out)?;
                        if let Some(p) = obj.get_mut("part") {
                            p["text"] = json!(text);
                        }
                        changed = true;
                    } else if let Some(Value::String(r)) =
                        obj.get("part").and_then(|p| p.get("refusal"))
                    {
                        let (item, ci) = key;
                        let text = self.release_whole(refusal_key(&item, ci), r, false)?;
                        if let Some(p) = obj.get_mut("part") {
                            p["refusal"] = json!(text);
                        }
                        changed = true;
                    }
                }
                // A fragment of a call's arguments or of a refusal cannot be scanned alone:
                // the deltas go out empty and `.done` brings the whole, scanned, as one delta.
                "response.function_call_arguments.delta" | "response.refusal.delta" => {
                    if let Some(Value::String(d)) = obj.get_mut("delta") {
                        if !d.is_empty() {
                            d.clear();
                            changed = true;
                        }
                    }
                }
                "response.function_call_arguments.done" | "response.refusal.done" => {
                    let call = kind == "response.function_call_arguments.done";
                    let (field, delta_kind) = if call {
                        ("arguments", "response.function_call_arguments.delta")
                    } else {
                        ("refusal", "response.refusal.delta")
                    };
                    let (item, ci) = part_key(&obj);
                    let key = if call { item } else { refusal_key(&item, ci) };
                    let upstream = obj.get(field).and_then(Value::as_str).unwrap_or_default();
                    let text = self.release_whole(key, upstream, call)?;
                    let mut m = Map::new();
                    for k in ["item_id", "output_index", "content_index"] {
                        if let Some(v) = obj.get(k) {
                            m.insert(k.into(), v.clone());
                        }
                    }
                    m.insert("delta".into(), json!(text));
                    out.push(self.synth(delta_kind, m, seq));
                    obj.insert(field.into(), json!(text));
                    changed = true;
                }
                "response.output_item.done" => {
                    let oi = obj.get("output_index").cloned();
                    if let Some(mut item) = obj.remove("item") {
                        let r = self.fix_item(&mut item, oi.as_ref(), seq, &mut out);
                        obj.insert("item".into(), item);
                        r?;
                        changed = true;
                    }
                }
                "response.completed" | "response.incomplete" => {
                    if let Some(mut resp) = obj.remove("response") {
                        if let Some(u) = resp.get("usage").and_then(Usage::from_value) {
                            self.facts.usage = Some(u);
                        }
                        let mut texts = Vec::new();
                        let mut r = Ok(());
                        if let Some(items) = resp.get_mut("output").and_then(Value::as_array_mut) {
                            for (oi, item) in items.iter_mut().enumerate() {
                                r = self.fix_item(item, Some(&json!(oi)), seq, &mut out);
                                if r.is_err() {
                                    break;
                                }
                                for part in item
                                    .get("content")
                                    .and_then(Value::as_array)
                                    .into_iter()
                                    .flatten()
                                {
                                    if part.get("type").and_then(Value::as_str)
                                        == Some("output_text")
                                    {
                                        texts.push(
                                            part["text"].as_str().unwrap_or_default().to_owned(),
                                        );
                                    }
                                }
                            }
                        }
                        if resp.get("output_text").is_some_and(Value::is_string) {
                            resp["output_text"] = json!(texts.concat());
                        }
                        obj.insert("response".into(), resp);
                        r?;
                        changed = true;
                    }
                }
                _ => {}
            }
            Ok(())
        })();
        match result {
            Err(Withheld::Part(pi)) => return self.block_responses(pi, seq),
            Err(Withheld::Whole) if !self.parts.is_empty() => {
                return self.block_responses(self.parts.len() - 1, seq);
            }
            Err(Withheld::Whole) => return self.block_whole(seq),
            Ok(()) => {}
        }
        if self.seq_shift > 0 {
            if let Some(s) = seq {
                obj.insert("sequence_number".into(), json!(s + self.seq_shift));
                changed = true;
            }
        }
        if changed {
            out.push(SseEvent {
                event: ev.event,
                data: Value::Object(obj).to_string(),
            });
        } else {
            out.push(ev);
        }
        out
    }

    /// A function call's arguments (`json`) or a refusal as the client gets them: scanned
    /// whole and restored once, under `key`, since the `.done` event, the item and the
    /// final response repeat them.
    fn release_whole(
        &mut self,
        key: String,
        upstream: &str,
        json: bool,
    ) -> Result<String, Withheld> {
        if let Some((_, a)) = self.whole.iter().find(|(k, _)| *k == key) {
            return Ok(a.clone());
        }
        let mut text = upstream.to_owned();
        self.filter.scan_whole(&mut text, json);
        self.facts.capture(&text);
        if self.filter.blocked() {
            return Err(Withheld::Whole);
        }
        self.filter.restore_whole(&mut text, json);
        self.whole.push((key, text.clone()));
        Ok(text)
    }

    /// Ends a Responses stream whose function call or refusal the policy withholds before
    /// any text was streamed: an `error` event with the message (never the value), so a
    /// call never reaches the caller's tools.
    fn block_whole(&mut self, seq: Option<u64>) -> Vec<SseEvent> {
        self.blocked = true;
        self.done = true;
        let mut m = Map::new();
        m.insert("code".into(), json!("content_filter"));
        m.insert("message".into(), json!(self.filter.block_message()));
        m.insert("param".into(), Value::Null);
        vec![numbered("error", m, seq.unwrap_or(0) + self.seq_shift)]
    }

    /// Ends a Responses stream withheld by the policy. The OpenAI SDKs parse
    /// every event of this sequence without raising, and
    /// `responses.stream(...).get_final_response()` gets a response (it
    /// requires `response.completed`): the message as one more
    /// `response.output_text.delta` of the part that was blocked, the `.done`
    /// events of every open part and item with the text as streamed, then
    /// `response.completed` whose response has `status: "incomplete"` and
    /// `incomplete_details.reason: "content_filter"`.
    fn block_responses(&mut self, blocked_part: usize, seq: Option<u64>) -> Vec<SseEvent> {
        self.blocked = true;
        self.done = true;
        let msg = self.filter.block_message();
        let mut out = Vec::new();
        let mut n = seq.unwrap_or(0) + self.seq_shift;
        let mut next = move || {
            n += 1;
            n - 1
        };
        let text = if self.parts[blocked_part].streamed.is_empty() {
            msg
        } else {
            format!("\n\n{msg}")
        };
        self.parts[blocked_part].streamed.push_str(&text);
        let p = &self.parts[blocked_part];
        let mut m = Map::new();
        m.insert("item_id".into(), json!(p.key.0));
        m.insert("output_index".into(), p.output_index.clone());
        m.insert("content_index".into(), json!(p.key.1));
        m.insert("delta".into(), json!(text));
        m.insert("logprobs".into(), json!([]));
        out.push(numbered("response.output_text.delta", m, next()));
        let mut items: Vec<(String, Value, Vec<Value>)> = Vec::new();
        for pi in 0..self.parts.len() {
            let p = &self.parts[pi];
            let (item_id, ci) = p.key.clone();
            let oi = p.output_index.clone();
            let text = p.streamed.clone();
            let part = json!({"type": "output_text", "text": text, "annotations": []});
            if !p.flushed {
                let mut m = Map::new();
                m.insert("item_id".into(), json!(item_id));
                m.insert("output_index".into(), oi.clone());
                m.insert("content_index".into(), json!(ci));
                m.insert("text".into(), json!(text));
                m.insert("logprobs".into(), json!([]));
                let s = next();
                out.push(numbered("response.output_text.done", m, s));
                let mut m = Map::new();
                m.insert("item_id".into(), json!(item_id));
                m.insert("output_index".into(), oi.clone());
                m.insert("content_index".into(), json!(ci));
                m.insert("part".into(), part.clone());
                let s = next();
                out.push(numbered("response.content_part.done", m, s));
            }
            match items.iter_mut().find(|(id, _, _)| *id == item_id) {
                Some((_, _, parts)) => parts.push(part),
                None => items.push((item_id, oi, vec![part])),
            }
        }
        let mut output = Vec::new();
        for (id, oi, content) in items {
            let item = json!({"type": "message", "id": id, "status": "incomplete", "role": "assistant", "content": content});
            let mut m = Map::new();
            m.insert("output_index".into(), oi);
            m.insert("item".into(), item.clone());
            let s = next();
            out.push(numbered("response.output_item.done", m, s));
            output.push(item);
        }
        let mut resp = self
            .resp_template
            .clone()
            .unwrap_or_else(|| json!({"object": "response"}));
        resp["status"] = json!("incomplete");
        resp["incomplete_details"] = json!({"reason": "content_filter"});
        resp["output"] = Value::Array(output);
        let mut m = Map::new();
        m.insert("response".into(), resp);
        let s = next();
        out.push(numbered("response.completed", m, s));
        out
    }
}

/// An event of `kind` with an explicit sequence number.
fn numbered(kind: &str, mut fields: Map<String, Value>, seq: u64) -> SseEvent {
    fields.insert("type".into(), json!(kind));
    fields.insert("sequence_number".into(), json!(seq));
    SseEvent::named(kind, Value::Object(fields))
}

/// A released finding with action `block`: the stream ends.
#[derive(Debug)]
struct Blocked;

/// Held-back output past [`MAX_HELD_WHOLE_BYTES`]: the stream ends.
#[derive(Debug)]
struct Oversized;

/// What a Responses stream withheld: a text part (by index), or something released
/// whole (a function call's arguments, a refusal).
#[derive(Debug)]
enum Withheld {
    Part(usize),
    Whole,
}

/// The key a Responses refusal part is released under in [`StreamStamper::release_whole`].
fn refusal_key(item_id: &str, content_index: u64) -> String {
    format!("{item_id}/{content_index}")
}

fn part_key(obj: &Map<String, Value>) -> (String, u64) {
    (
        obj.get("item_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        obj.get("content_index")
            .and_then(Value::as_u64)
            .unwrap_or(0),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn filter(src: &str) -> OutputFilter {
        let p = Policy::from_toml_str("t", src, std::path::Path::new(".")).unwrap();
        OutputFilter::new(Arc::new(p), None)
    }

    const CALL: &str = r#"{"output":[{"type":"function_call","call_id":"c","name":"f","arguments":"{\"tel\":\"090-1234-5678\"}"}],"usage":{"input_tokens":1,"output_tokens":2}}"#;

    #[test]
    fn responses_function_call_arguments_are_masked_and_logged() {
        let mut f = filter("name = \"t\"\n[groups]\npii = \"mask\"\n");
        let (body, facts) = stamp_whole(Operation::Responses, CALL.as_bytes(), None, &mut f);
        let v: Value = serde_json::from_slice(&body.unwrap()).unwrap();
        let args: Value =
            serde_json::from_str(v["output"][0]["arguments"].as_str().unwrap()).unwrap();
        assert_eq!(args["tel"], "[電話番号_1]");
        assert_eq!(facts.output, r#"{"tel":"[電話番号_1]"}"#);
        assert_eq!(facts.usage.unwrap().total_tokens, 3);
    }

    #[test]
    fn a_blocked_responses_function_call_becomes_a_message() {
        let mut f = filter("name = \"t\"\n[groups]\npii = \"block\"\n");
        let (body, _) = stamp_whole(Operation::Responses, CALL.as_bytes(), None, &mut f);
        let v: Value = serde_json::from_slice(&body.unwrap()).unwrap();
        let items = v["output"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["type"], "message");
        let text = items[0]["content"][0]["text"].as_str().unwrap();
        assert!(text.contains("phone_jp") && !text.contains("090"), "{text}");
    }

    /// A Responses stream whose only output is a function call, its phone split in two deltas.
    fn call_stream() -> Vec<SseEvent> {
        let args = r#"{"tel":"090-1234-5678"}"#;
        let item = json!({"type": "function_call", "id": "fc_1", "call_id": "c", "name": "f",
            "arguments": args, "status": "completed"});
        let mut added = item.clone();
        added["arguments"] = json!("");
        [
            json!({"type": "response.created", "response": {"id": "r", "status": "in_progress", "output": []}}),
            json!({"type": "response.output_item.added", "output_index": 0, "item": added}),
            json!({"type": "response.function_call_arguments.delta", "item_id": "fc_1", "output_index": 0, "delta": &args[..14]}),
            json!({"type": "response.function_call_arguments.delta", "item_id": "fc_1", "output_index": 0, "delta": &args[14..]}),
            json!({"type": "response.function_call_arguments.done", "item_id": "fc_1", "output_index": 0, "arguments": args}),
            json!({"type": "response.output_item.done", "output_index": 0, "item": item}),
            json!({"type": "response.completed", "response": {"id": "r", "status": "completed", "output": [item],
                "usage": {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3}}}),
        ]
        .into_iter()
        .enumerate()
        .map(|(n, mut v)| {
            v["sequence_number"] = json!(n);
            SseEvent::named(v["type"].as_str().unwrap(), v.clone())
        })
        .collect()
    }

    fn run(policy: &str) -> Vec<Value> {
        let mut s = StreamStamper::new(Operation::Responses, None, false, filter(policy));
        let mut out = Vec::new();
        for ev in call_stream() {
            out.extend(s.on_event(ev));
        }
        out.extend(s.finish());
        out.iter()
            .map(|e| serde_json::from_str(&e.data).unwrap())
            .collect()
    }

    #[test]
    fn responses_stream_function_call_arguments_are_masked_whole() {
        let events = run("name = \"t\"\n[groups]\npii = \"mask\"\n");
        let text = format!("{events:?}");
        assert!(!text.contains("1234"), "{text}");
        let deltas: String = events
            .iter()
            .filter(|e| e["type"] == "response.function_call_arguments.delta")
            .map(|e| e["delta"].as_str().unwrap())
            .collect();
        assert_eq!(deltas, r#"{"tel":"[電話番号_1]"}"#);
        let find = |t: &str| events.iter().find(|e| e["type"] == t).unwrap();
        assert_eq!(
            find("response.function_call_arguments.done")["arguments"],
            deltas
        );
        assert_eq!(
            find("response.output_item.done")["item"]["arguments"],
            deltas
        );
        assert_eq!(
            find("response.completed")["response"]["output"][0]["arguments"],
            deltas
        );
        let seqs: Vec<u64> = events
            .iter()
            .map(|e| e["sequence_number"].as_u64().unwrap())
            .collect();
        assert_eq!(seqs, (0..seqs.len() as u64).collect::<Vec<_>>());
    }

    #[test]
    fn a_blocked_responses_stream_function_call_ends_with_an_error_event() {
        let events = run("name = \"t\"\n[groups]\npii = \"block\"\n");
        let text = format!("{events:?}");
        assert!(!text.contains("1234"), "{text}");
        let last = events.last().unwrap();
        assert_eq!(last["type"], "error");
        assert_eq!(last["code"], "content_filter");
        assert!(last["message"].as_str().unwrap().contains("phone_jp"));
        assert!(!events.iter().any(|e| e["type"] == "response.completed"));
    }

    #[test]
    fn legacy_function_call_arguments_in_chat_streams_are_held_and_masked() {
        let mut s = StreamStamper::new(
            Operation::ChatCompletions,
            None,
            false,
            filter("name = \"t\"\n[groups]\npii = \"mask\"\n"),
        );
        let chunk = |delta: Value, finish: Value| {
            SseEvent::data(
                json!({"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
                .to_string(),
            )
        };
        let mut out = Vec::new();
        out.extend(s.on_event(chunk(
            json!({"role": "assistant", "content": null, "function_call": {"name": "f", "arguments": "{\"tel\":\"090-12"}}),
            Value::Null,
        )));
        out.extend(s.on_event(chunk(
            json!({"function_call": {"arguments": "34-5678\"}"}}),
            Value::Null,
        )));
        out.extend(s.on_event(chunk(json!({}), json!("function_call"))));
        let events: Vec<Value> = out
            .iter()
            .map(|e| serde_json::from_str(&e.data).unwrap())
            .collect();
        let args: String = events
            .iter()
            .filter_map(|e| e.pointer("/choices/0/delta/function_call/arguments"))
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(args, r#"{"tel":"[電話番号_1]"}"#);
        assert_eq!(
            events[0]["choices"][0]["delta"]["function_call"]["name"],
            "f"
        );
        assert_eq!(
            events.last().unwrap()["choices"][0]["finish_reason"],
            "function_call"
        );
    }

    #[test]
    fn refusals_are_scanned_whole_and_streamed() {
        let mask = "name = \"t\"\n[groups]\npii = \"mask\"\n";
        // A whole chat answer.
        let body = br#"{"choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"090-1234-5678 is not mine to call"},"finish_reason":"stop"}]}"#;
        let (out, facts) = stamp_whole(Operation::ChatCompletions, body, None, &mut filter(mask));
        let v: Value = serde_json::from_slice(&out.unwrap()).unwrap();
        let refusal = v["choices"][0]["message"]["refusal"].as_str().unwrap();
        assert_eq!(refusal, "[電話番号_1] is not mine to call");
        assert_eq!(facts.output, refusal);
        // A chat stream: the refusal is held and sent whole.
        let mut s = StreamStamper::new(Operation::ChatCompletions, None, false, filter(mask));
        let chunk = |delta: Value, finish: Value| {
            SseEvent::data(
                json!({"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
                .to_string(),
            )
        };
        let mut out = s.on_event(chunk(json!({"refusal": "090-12"}), Value::Null));
        out.extend(s.on_event(chunk(json!({"refusal": "34-5678 no"}), Value::Null)));
        out.extend(s.on_event(chunk(json!({}), json!("stop"))));
        let streamed: String = out
            .iter()
            .map(|e| serde_json::from_str::<Value>(&e.data).unwrap())
            .filter_map(|v| {
                v.pointer("/choices/0/delta/refusal")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect();
        assert_eq!(streamed, "[電話番号_1] no");
        // A Responses stream.
        let part = |r: &str| json!({"type": "refusal", "refusal": r});
        let item = json!({"type": "message", "id": "m1", "role": "assistant", "content": [part("090-1234-5678 no")]});
        let events = [
            json!({"type": "response.refusal.delta", "item_id": "m1", "output_index": 0, "content_index": 0, "delta": "090-12"}),
            json!({"type": "response.refusal.delta", "item_id": "m1", "output_index": 0, "content_index": 0, "delta": "34-5678 no"}),
            json!({"type": "response.refusal.done", "item_id": "m1", "output_index": 0, "content_index": 0, "refusal": "090-1234-5678 no"}),
            json!({"type": "response.content_part.done", "item_id": "m1", "output_index": 0, "content_index": 0, "part": part("090-1234-5678 no")}),
            json!({"type": "response.output_item.done", "output_index": 0, "item": item}),
        ];
        let mut s = StreamStamper::new(Operation::Responses, None, false, filter(mask));
        let mut out = Vec::new();
        for (n, mut e) in events.into_iter().enumerate() {
            e["sequence_number"] = json!(n);
            out.extend(s.on_event(SseEvent::named(e["type"].as_str().unwrap(), e.clone())));
        }
        let out: Vec<Value> = out
            .iter()
            .map(|e| serde_json::from_str(&e.data).unwrap())
            .collect();
        assert!(!format!("{out:?}").contains("1234"), "{out:?}");
        let deltas: String = out
            .iter()
            .filter(|e| e["type"] == "response.refusal.delta")
            .map(|e| e["delta"].as_str().unwrap())
            .collect();
        assert_eq!(deltas, "[電話番号_1] no");
        assert_eq!(out[3]["refusal"], deltas);
        assert_eq!(out[4]["part"]["refusal"], deltas);
        assert_eq!(out[5]["item"]["content"][0]["refusal"], deltas);
    }

    #[test]
    fn arguments_too_large_to_hold_end_the_stream_unrelayed() {
        let mut s = StreamStamper::new(
            Operation::ChatCompletions,
            None,
            false,
            filter("name = \"t\"\n[groups]\npii = \"mask\"\n"),
        );
        let piece = "x".repeat(64 * 1024);
        let mut out = Vec::new();
        for _ in 0..(MAX_HELD_WHOLE_BYTES / piece.len() + 2) {
            let delta = json!({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]});
            out.extend(s.on_event(SseEvent::data(
                json!({"id": "x", "choices": [{"index": 0, "delta": delta, "finish_reason": null}]})
                    .to_string(),
            )));
        }
        assert!(s.ended());
        assert!(out.iter().all(|e| !e.data.contains("xxxx")));
        let last: Value = serde_json::from_str(&out.last().unwrap().data).unwrap();
        assert_eq!(last["error"]["code"], "upstream_protocol");
    }

    #[test]
    fn arguments_that_are_not_json_are_scanned_as_text() {
        let mut args = "tel 090-1234-5678".to_owned();
        let mut f = filter("name = \"t\"\n[groups]\npii = \"mask\"\n");
        assert!(edit_strings(&mut args, &mut |s| f.scan(s)));
        assert_eq!(args, "tel [電話番号_1]");
    }
}
