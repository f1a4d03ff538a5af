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
/// Returns `Err(PolicyViolation)` when something must be blocked; the request
/// JSON is left masked so the caller can still log it safely.
pub fn scan_request(
    policy: &Policy,
    req: &mut ParsedRequest,
    ceiling: Option<ClassCeiling<'_>>,
) -> (RequestScan, Option<GatewayError>) {
    let mut tally = Tally::default();
    let mut mask_map = policy.mask_map();
    let mut changed = false;
    let mut prompt = String::new();
    let mut above_plan: Option<u8> = None;
    for_each_text(req.op, &mut req.json, &mut |text: &mut String| {
        let findings = policy.scan(text);
        let mut to_mask: Vec<Finding> = Vec::new();
        for f in findings {
            let mut action = policy.finding_action(text, &f, Direction::Request);
            if let Some(c) = ceiling {
                // A marking above the plan's class blocks whatever the policy says.
                if f.type_name() == CONFIDENTIAL_MARKER {
                    let class = text.get(f.start..f.end).map_or(3, marker_class);
                    if class > c.class {
                        action = Action::Block;
                        above_plan = above_plan.max(Some(class));
                    }
                }
            }
            tally.add(f.type_name(), action);
            if matches!(action, Action::Mask | Action::Block) {
                to_mask.push(f);
            }
        }
        if !to_mask.is_empty() {
            *text = mask_map.mask(text, &to_mask);
            changed = true;
        }
        if prompt.len() < super::stamp::MAX_CAPTURED_OUTPUT {
            if !prompt.is_empty() {
                prompt.push('\n');
            }
            prompt.push_str(text);
        }
    });
    let verdict = match tally.max_action() {
        Action::Block => Verdict::Blocked,
        Action::Mask => Verdict::Masked,
        Action::Warn => Verdict::Warned,
        Action::Allow => Verdict::Allowed,
    };
    let plan_error = match (above_plan, ceiling) {
        (Some(found), Some(c)) => Some(GatewayError::PlanViolation(PlanRefusal::ClassAbovePlan {
            plan: c.plan.to_owned(),
            found,
            allowed: c.class,
        })),
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
