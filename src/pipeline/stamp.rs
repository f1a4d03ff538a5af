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
//! part of the text. Nothing is held back to do this.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::config::{NoticePosition, Settings};
use crate::providers::Operation;

use super::auth::Caller;
use super::parse::ParsedRequest;
use super::scan::Tally;
use crate::scan::{Action, Direction, Finding, MaskMap, Policy};

/// Most output text kept for the audit log per answer.
pub const MAX_CAPTURED_OUTPUT: usize = 1024 * 1024;

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
    if caller.key.notice == NoticePosition::None
        || req.op == Operation::Embeddings
        || wants_json(req)
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

/// JSON mode or structured outputs: the content must stay parseable JSON.
fn wants_json(req: &ParsedRequest) -> bool {
    let format_type = req
        .json
        .get("response_format")
        .or_else(|| req.json.get("text").and_then(|t| t.get("format")))
        .and_then(|f| f.get("type"))
        .and_then(Value::as_str);
    matches!(format_type, Some("json_object" | "json_schema"))
}

/// Asks upstream for the final usage chunk when the caller did not, so logs
/// and metrics always have token counts. Returns whether mamori added it (and
/// must strip that chunk from what the caller sees).
pub fn request_stream_usage(req: &mut ParsedRequest) -> bool {
    if !req.stream || !matches!(req.op, Operation::ChatCompletions | Operation::Completions) {
        return false;
    }
    let asked = req
        .json
        .get("stream_options")
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if asked {
        return false;
    }
    match req.json.get_mut("stream_options") {
        Some(Value::Object(o)) => {
            o.insert("include_usage".into(), Value::Bool(true));
        }
        _ => {
            req.json
                .insert("stream_options".into(), json!({"include_usage": true}));
        }
    }
    true
}

/// Token counts reported by the provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Usage {
    /// Input tokens.
    pub prompt_tokens: u64,
    /// Output tokens.
    pub completion_tokens: u64,
    /// Sum as reported.
    pub total_tokens: u64,
}

impl Usage {
    /// Reads chat/completions (`prompt_tokens`) or Responses (`input_tokens`) usage.
    fn from_value(v: &Value) -> Option<Usage> {
        let obj = v.as_object()?;
        let get = |k: &str| obj.get(k).and_then(Value::as_u64);
        let prompt = get("prompt_tokens").or_else(|| get("input_tokens"))?;
        let completion = get("completion_tokens")
            .or_else(|| get("output_tokens"))
            .unwrap_or(0);
        let total = get("total_tokens").unwrap_or(prompt + completion);
        Some(Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: total,
        })
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
    policy: Arc<Policy>,
    restore: Option<MaskMap>,
    masks: MaskMap,
    /// Findings in the output, by type and action.
    pub tally: Tally,
}

impl OutputFilter {
    /// A filter for one answer; `restore` holds the request's placeholders.
    pub fn new(policy: Arc<Policy>, restore: Option<MaskMap>) -> Self {
        let masks = policy.mask_map();
        Self {
            policy,
            restore: restore.filter(|m| !m.is_empty()),
            masks,
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

    /// The message that replaces an answer withheld by the policy.
    fn block_message(&self) -> String {
        let types = self.tally.types_with(Action::Block).join(", ");
        format!(
            "※生成AIの回答に個人情報・秘匿情報が含まれていたため、表示を停止しました。 / The answer was withheld because it contained personal or confidential information ({types})."
        )
    }
}

/// Filters and stamps a whole JSON answer. Returns the new body if it changed.
pub fn stamp_whole(
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
    // 1. scan the output as the provider wrote it; the log keeps this (masked) text
    for_each_output_text(op, &mut v, &mut |text, _| {
        changed |= filter.scan(text);
        facts.capture(text);
    });
    if filter.blocked() {
        let msg = filter.block_message();
        for_each_output_text(op, &mut v, &mut |text, _| *text = msg.clone());
        for choice in choices_mut(&mut v) {
            choice.insert("finish_reason".into(), json!("content_filter"));
        }
        let body = serde_json::to_vec(&v).ok();
        return (body, facts);
    }
    // 2. restore the request's placeholders, 3. add the notice where text is for a person
    let mut noticed = false;
    for_each_output_text(op, &mut v, &mut |text, machine| {
        changed |= filter.restore(text);
        if let (Some(n), false) = (notice, machine) {
            *text = n.apply(text);
            noticed = true;
        }
    });
    if op == Operation::Responses {
        if let (Some(Value::String(t)), Some(n)) = (v.get_mut("output_text"), notice) {
            filter.restore(t);
            *t = n.apply(t);
            noticed = true;
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
            for item in v
                .get_mut("output")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if item.get("type").and_then(Value::as_str) != Some("message") {
                    continue;
                }
                for part in item
                    .get_mut("content")
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                {
                    if part.get("type").and_then(Value::as_str) != Some("output_text") {
                        continue;
                    }
                    if let Some(Value::String(text)) = part.get_mut("text") {
                        f(text, false);
                    }
                }
            }
        }
        Operation::Embeddings => {}
    }
}

fn choices_mut(v: &mut Value) -> impl Iterator<Item = &mut Map<String, Value>> {
    v.get_mut("choices")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

/// Stamps every `output_text` part of the message items in a Responses `output` array.
fn stamp_response_output(
    output: &mut Value,
    notice: Option<&Notice>,
    mut facts: Option<&mut AnswerFacts>,
) -> bool {
    let mut changed = false;
    for item in output.as_array_mut().into_iter().flatten() {
        changed |= stamp_response_item(item, notice, facts.as_deref_mut());
    }
    changed
}

fn stamp_response_item(
    item: &mut Value,
    notice: Option<&Notice>,
    mut facts: Option<&mut AnswerFacts>,
) -> bool {
    if item.get("type").and_then(Value::as_str) != Some("message") {
        return false;
    }
    let mut changed = false;
    for part in item
        .get_mut("content")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        changed |= stamp_part(part, notice, facts.as_deref_mut());
    }
    changed
}

fn stamp_part(part: &mut Value, notice: Option<&Notice>, facts: Option<&mut AnswerFacts>) -> bool {
    if part.get("type").and_then(Value::as_str) != Some("output_text") {
        return false;
    }
    let Some(Value::String(text)) = part.get_mut("text") else {
        return false;
    };
    if let Some(f) = facts {
        f.capture(text);
    }
    match notice {
        Some(n) => {
            *text = n.apply(text);
            true
        }
        None => false,
    }
}

/// One Server-Sent Event: name (empty for the default `message`) and data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// `event:` field; empty for plain `data:` events.
    pub event: String,
    /// `data:` payload.
    pub data: String,
}

impl SseEvent {
    fn data(data: String) -> Self {
        Self {
            event: String::new(),
            data,
        }
    }
}

#[derive(Default)]
struct ChoiceState {
    prefixed: bool,
    suffixed: bool,
    tools: bool,
    had_content: bool,
}

/// Stamps a stream event by event; see the module docs.
pub struct StreamStamper {
    op: Operation,
    notice: Option<Notice>,
    strip_usage: bool,
    choices: Vec<ChoiceState>,
    /// Last chat/completions chunk seen, the template for inserted chunks.
    template: Option<Map<String, Value>>,
    /// Responses API: events inserted so far, added to later sequence numbers.
    seq_shift: u64,
    /// Responses API: (item_id, content_index) already prefixed.
    prefixed_parts: Vec<(String, u64)>,
    facts: AnswerFacts,
    done: bool,
}

impl StreamStamper {
    /// A stamper for one stream; `strip_usage` removes the usage chunk mamori asked for.
    pub fn new(op: Operation, notice: Option<Notice>, strip_usage: bool) -> Self {
        Self {
            op,
            notice,
            strip_usage,
            choices: Vec::new(),
            template: None,
            seq_shift: 0,
            prefixed_parts: Vec::new(),
            facts: AnswerFacts::default(),
            done: false,
        }
    }

    /// Processes one upstream event; returns what to send to the client, in order.
    pub fn on_event(&mut self, ev: SseEvent) -> Vec<SseEvent> {
        if ev.data.trim() == "[DONE]" {
            let mut out = self.finish();
            out.push(ev);
            return out;
        }
        match self.op {
            Operation::Responses => self.on_responses_event(ev),
            _ => self.on_choice_chunk(ev),
        }
    }

    /// Called once at the end of the stream (at `[DONE]`, or EOF without it):
    /// the suffix for choices that never sent `finish_reason`.
    pub fn finish(&mut self) -> Vec<SseEvent> {
        if self.done {
            return Vec::new();
        }
        self.done = true;
        let mut out = Vec::new();
        if let Some(n) = self.notice.clone() {
            if n.position != NoticePosition::Prefix {
                for idx in 0..self.choices.len() {
                    let c = &self.choices[idx];
                    if c.had_content && !c.suffixed && !c.tools {
                        if let Some(ev) = self.notice_chunk(idx as u64, &n.suffix_piece()) {
                            out.push(ev);
                        }
                        self.choices[idx].suffixed = true;
                        self.facts.notice_applied = true;
                    }
                }
            }
        }
        out
    }

    /// What the log needs, once the stream is over.
    pub fn facts(&self) -> &AnswerFacts {
        &self.facts
    }

    /// Consumes the stamper, returning what the log needs.
    pub fn into_facts(self) -> AnswerFacts {
        self.facts
    }

    fn choice(&mut self, idx: u64) -> &mut ChoiceState {
        let i = usize::try_from(idx).unwrap_or(usize::MAX).min(1024);
        if self.choices.len() <= i {
            self.choices.resize_with(i + 1, ChoiceState::default);
        }
        &mut self.choices[i]
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
        let mut before = Vec::new();
        let mut changed = false;
        let notice = self.notice.clone();
        let mut finishing = Vec::new();
        if let Some(choices) = chunk.get_mut("choices").and_then(Value::as_array_mut) {
            for choice in choices.iter_mut().filter_map(Value::as_object_mut) {
                let idx = choice.get("index").and_then(Value::as_u64).unwrap_or(0);
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
                let state = self.choice(idx);
                state.tools |= tools;
                if let Some(s) = piece {
                    self.facts.capture(s);
                    let state = self.choice(idx);
                    state.had_content |= !s.is_empty() || is_chat;
                    if let Some(n) = &notice {
                        if n.position == NoticePosition::Prefix && !state.prefixed && !state.tools {
                            state.prefixed = true;
                            s.insert_str(0, &n.prefix_piece());
                            changed = true;
                            self.facts.notice_applied = true;
                        }
                    }
                }
                if finish.is_some() {
                    finishing.push((idx, finish.as_deref() == Some("tool_calls")));
                }
            }
        }
        if let Some(n) = notice.filter(|n| n.position != NoticePosition::Prefix) {
            self.template = Some(chunk.clone());
            for (idx, tool_finish) in finishing {
                let state = self.choice(idx);
                if state.suffixed || state.tools || tool_finish {
                    continue;
                }
                state.suffixed = true;
                if let Some(ev) = self.notice_chunk(idx, &n.suffix_piece()) {
                    before.push(ev);
                    self.facts.notice_applied = true;
                }
            }
        } else if self.template.is_none() {
            self.template = Some(chunk.clone());
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
    fn notice_chunk(&self, idx: u64, text: &str) -> Option<SseEvent> {
        let mut chunk = self.template.clone()?;
        let choice = if self.op == Operation::ChatCompletions {
            json!({"index": idx, "delta": {"content": text}, "logprobs": null, "finish_reason": null})
        } else {
            json!({"index": idx, "text": text, "logprobs": null, "finish_reason": null})
        };
        chunk.insert("choices".into(), json!([choice]));
        if chunk.contains_key("usage") {
            chunk.insert("usage".into(), Value::Null);
        }
        Some(SseEvent::data(Value::Object(chunk).to_string()))
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
        let notice = self.notice.clone();
        let mut out = Vec::new();
        let mut changed = false;
        match kind.as_str() {
            "response.output_text.delta" => {
                let key = part_key(&obj);
                if let Some(Value::String(d)) = obj.get_mut("delta") {
                    self.facts.capture(d);
                    if let Some(n) = notice
                        .as_ref()
                        .filter(|n| n.position == NoticePosition::Prefix)
                    {
                        if !self.prefixed_parts.contains(&key) {
                            self.prefixed_parts.push(key);
                            d.insert_str(0, &n.prefix_piece());
                            changed = true;
                            self.facts.notice_applied = true;
                        }
                    }
                }
            }
            "response.output_text.done" => {
                if let Some(n) = &notice {
                    if n.position != NoticePosition::Prefix {
                        // The extra delta, shaped like upstream's own.
                        let mut delta = Map::new();
                        for k in ["item_id", "output_index", "content_index"] {
                            if let Some(v) = obj.get(k) {
                                delta.insert(k.into(), v.clone());
                            }
                        }
                        delta.insert("type".into(), json!("response.output_text.delta"));
                        delta.insert("delta".into(), json!(n.suffix_piece()));
                        if let Some(seq) = obj.get("sequence_number").and_then(Value::as_u64) {
                            delta.insert("sequence_number".into(), json!(seq + self.seq_shift));
                            self.seq_shift += 1;
                        }
                        out.push(SseEvent {
                            event: "response.output_text.delta".into(),
                            data: Value::Object(delta).to_string(),
                        });
                    }
                    if let Some(Value::String(t)) = obj.get_mut("text") {
                        *t = n.apply(t);
                        changed = true;
                        self.facts.notice_applied = true;
                    }
                }
            }
            "response.content_part.done" => {
                if let Some(part) = obj.get_mut("part") {
                    changed |= stamp_part(part, notice.as_ref(), None);
                }
            }
            "response.output_item.done" => {
                if let Some(item) = obj.get_mut("item") {
                    changed |= stamp_response_item(item, notice.as_ref(), None);
                }
            }
            "response.completed" | "response.incomplete" => {
                if let Some(resp) = obj.get_mut("response") {
                    if let Some(u) = resp.get("usage").and_then(Usage::from_value) {
                        self.facts.usage = Some(u);
                    }
                    if let Some(output) = resp.get_mut("output") {
                        changed |= stamp_response_output(output, notice.as_ref(), None);
                    }
                }
            }
            _ => {}
        }
        if self.seq_shift > 0 {
            if let Some(seq) = obj.get("sequence_number").and_then(Value::as_u64) {
                obj.insert("sequence_number".into(), json!(seq + self.seq_shift));
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
