//! Where the texts of a whole (non-streamed) answer lie in its bytes.
//!
//! The stamp phase needs the output texts and the usage, and sometimes has to
//! rewrite a text. Parsing the answer into a `serde_json::Value` tree for that
//! costs more than the rest of the phase and re-serialises fields mamori never
//! touches. Instead the answer is read into small borrowed shapes that keep
//! each text as a `RawValue`: its byte range in the body. Unchanged answers are
//! forwarded as they came; a changed text is spliced into the original bytes.
//! Answers that do not fit these shapes fall back to the tree (the caller's job), and so do
//! answers with tool or function calls (whose arguments are JSON inside a string) or a
//! refusal.

use std::ops::Range;

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::providers::Operation;
use crate::store::Usage;

/// One output text of an answer.
#[derive(Debug)]
pub struct TextSlot {
    /// Byte range of the JSON string (quotes included) in the body.
    pub span: Range<usize>,
    /// The decoded text.
    pub text: String,
}

/// The output texts and usage of an answer, in the order the tree walk visits them.
#[derive(Debug, Default)]
pub struct Located {
    /// Texts shown to the person (choices, completions, Responses output parts).
    pub texts: Vec<TextSlot>,
    /// Responses' top-level `output_text` convenience field, when present.
    pub output_text: Option<TextSlot>,
    /// Token usage, when reported.
    pub usage: Option<Usage>,
}

/// Token counts as providers report them: chat/completions (`prompt_tokens`) or
/// Responses (`input_tokens`) names.
#[derive(Deserialize)]
pub(super) struct UsageIn {
    pub(super) prompt_tokens: Option<u64>,
    pub(super) input_tokens: Option<u64>,
    pub(super) completion_tokens: Option<u64>,
    pub(super) output_tokens: Option<u64>,
    pub(super) total_tokens: Option<u64>,
}

impl UsageIn {
    /// The usage, when prompt (or input) tokens are reported; total defaults to the sum.
    pub(super) fn into_usage(self) -> Option<Usage> {
        let prompt = self.prompt_tokens.or(self.input_tokens)?;
        let completion = self.completion_tokens.or(self.output_tokens).unwrap_or(0);
        Some(Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: self.total_tokens.unwrap_or(prompt + completion),
        })
    }
}

#[derive(Deserialize)]
struct Chat<'a> {
    #[serde(borrow, default)]
    choices: Vec<ChatChoice<'a>>,
    usage: Option<UsageIn>,
}

#[derive(Deserialize)]
struct ChatChoice<'a> {
    #[serde(borrow)]
    message: Option<ChatMessage<'a>>,
}

#[derive(Deserialize)]
struct ChatMessage<'a> {
    #[serde(borrow)]
    content: Option<&'a RawValue>,
    tool_calls: Option<Vec<IgnoredAny>>,
    function_call: Option<IgnoredAny>,
    refusal: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct Completion<'a> {
    #[serde(borrow, default)]
    choices: Vec<CompletionChoice<'a>>,
    usage: Option<UsageIn>,
}

#[derive(Deserialize)]
struct CompletionChoice<'a> {
    #[serde(borrow)]
    text: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Responses<'a> {
    #[serde(borrow, default)]
    output: Vec<ResponsesItem<'a>>,
    #[serde(borrow)]
    output_text: Option<&'a RawValue>,
    usage: Option<UsageIn>,
}

#[derive(Deserialize)]
struct ResponsesItem<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<&'a str>,
    /// Kept raw: only message items have an array of parts here.
    #[serde(borrow)]
    content: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct ResponsesPart<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<&'a str>,
    #[serde(borrow)]
    text: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct UsageOnly {
    usage: Option<UsageIn>,
}

/// Reads the answer's texts and usage; `None` when it does not have the expected shape.
pub fn locate(op: Operation, body: &[u8]) -> Option<Located> {
    let mut out = Located::default();
    match op {
        Operation::ChatCompletions => {
            let chat: Chat<'_> = serde_json::from_slice(body).ok()?;
            out.usage = chat.usage.and_then(UsageIn::into_usage);
            for msg in chat.choices.into_iter().filter_map(|c| c.message) {
                if msg.tool_calls.is_some_and(|t| !t.is_empty())
                    || msg.function_call.is_some()
                    || msg.refusal.is_some()
                {
                    return None;
                }
                if let Some(raw) = msg.content {
                    out.texts.extend(slot(body, raw).ok()?);
                }
            }
        }
        Operation::Completions => {
            let comp: Completion<'_> = serde_json::from_slice(body).ok()?;
            out.usage = comp.usage.and_then(UsageIn::into_usage);
            for raw in comp.choices.into_iter().filter_map(|c| c.text) {
                out.texts.extend(slot(body, raw).ok()?);
            }
        }
        Operation::Responses => {
            let resp: Responses<'_> = serde_json::from_slice(body).ok()?;
            out.usage = resp.usage.and_then(UsageIn::into_usage);
            for item in resp.output {
                if item.kind == Some("function_call") {
                    return None;
                }
                let (Some("message"), Some(content)) = (item.kind, item.content) else {
                    continue;
                };
                let parts: Vec<ResponsesPart<'_>> = serde_json::from_str(content.get()).ok()?;
                for part in parts {
                    if part.kind == Some("refusal") {
                        return None;
                    }
                    let (Some("output_text"), Some(raw)) = (part.kind, part.text) else {
                        continue;
                    };
                    out.texts.extend(slot(body, raw).ok()?);
                }
            }
            if let Some(raw) = resp.output_text {
                out.output_text = slot(body, raw).ok()?;
            }
        }
        Operation::Embeddings => {
            let only: UsageOnly = serde_json::from_slice(body).ok()?;
            out.usage = only.usage.and_then(UsageIn::into_usage);
        }
    }
    Some(out)
}

/// A text that could not be placed in the body or decoded: the caller falls back.
struct Unplaced;

/// The slot of `raw` when it is a JSON string; `Ok(None)` when it is not (nothing to stamp).
fn slot(body: &[u8], raw: &RawValue) -> Result<Option<TextSlot>, Unplaced> {
    let json = raw.get();
    if !json.starts_with('"') {
        return Ok(None);
    }
    // `raw` borrows from `body`, so its address gives its position.
    let start = (json.as_ptr() as usize)
        .checked_sub(body.as_ptr() as usize)
        .ok_or(Unplaced)?;
    let span = start..start + json.len();
    if body.get(span.clone()) != Some(json.as_bytes()) {
        return Err(Unplaced);
    }
    let text: String = serde_json::from_str(json).map_err(|_| Unplaced)?;
    Ok(Some(TextSlot { span, text }))
}

/// The body with each `(span, text)` replacement (spans in any order, not overlapping)
/// written as a JSON string; every other byte is kept.
pub fn splice(body: &[u8], mut edits: Vec<(Range<usize>, &str)>) -> Option<Vec<u8>> {
    edits.sort_by_key(|(span, _)| span.start);
    let extra: usize = edits.iter().map(|(_, t)| t.len() + 2).sum();
    let mut out = Vec::with_capacity(body.len() + extra);
    let mut at = 0;
    for (span, text) in edits {
        out.extend_from_slice(body.get(at..span.start)?);
        serde_json::to_writer(&mut out, text).ok()?;
        at = span.end;
    }
    out.extend_from_slice(body.get(at..)?);
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn chat_texts_usage_and_tool_calls() {
        let body = br#"{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"\u3053\u3093\u306b\u3061\u306f \"hi\"","refusal":null},"finish_reason":"stop"},{"message":{"content":null,"tool_calls":[]}},{"message":{"content":"call"}}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,"prompt_tokens_details":{"cached_tokens":0}}}"#;
        let l = locate(Operation::ChatCompletions, body).unwrap();
        assert_eq!(l.texts.len(), 2);
        assert_eq!(l.texts[0].text, "こんにちは \"hi\"");
        assert_eq!(l.usage.unwrap().total_tokens, 7);
        // Tool and function calls carry arguments: the tree reads those.
        for calls in [
            r#"{"choices":[{"message":{"content":null,"tool_calls":[{"id":"t"}]}}]}"#,
            r#"{"choices":[{"message":{"content":null,"function_call":{"name":"f"}}}]}"#,
            r#"{"choices":[{"message":{"content":null,"refusal":"no"}}]}"#,
        ] {
            assert!(locate(Operation::ChatCompletions, calls.as_bytes()).is_none());
        }
        let out = splice(body, vec![(l.texts[0].span.clone(), "改\n")]).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["choices"][0]["message"]["content"], "改\n");
        assert_eq!(v["choices"][2]["message"]["content"], "call");
        assert_eq!(v["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
    }

    #[test]
    fn responses_parts_and_output_text() {
        let body = br#"{"output":[{"type":"reasoning","summary":[]},{"type":"message","content":[{"type":"output_text","text":"a"}]}],"output_text":"a","usage":{"input_tokens":1,"output_tokens":2}}"#;
        let l = locate(Operation::Responses, body).unwrap();
        for other in [
            &br#"{"output":[{"type":"function_call","arguments":"{}"}]}"#[..],
            br#"{"output":[{"type":"message","content":[{"type":"refusal","refusal":"no"}]}]}"#,
        ] {
            assert!(locate(Operation::Responses, other).is_none());
        }
        assert_eq!(l.texts.len(), 1);
        assert_eq!(&body[l.texts[0].span.clone()], b"\"a\"");
        assert_eq!(l.output_text.unwrap().text, "a");
        assert_eq!(l.usage.unwrap().total_tokens, 3);
    }

    #[test]
    fn odd_shapes_fall_back_and_nothing_panics() {
        for body in [
            &b"not json"[..],
            br#"{"choices":"x"}"#,
            br#"{"choices":[{"message":"x"}]}"#,
            br#"{"usage":{"prompt_tokens":-1}}"#,
            br#"[]"#,
        ] {
            assert!(locate(Operation::ChatCompletions, body).is_none());
        }
        // Non-string content is not a text (nothing to stamp), not a failure.
        let l = locate(
            Operation::ChatCompletions,
            br#"{"choices":[{"message":{"content":[{"type":"text"}]}}]}"#,
        )
        .unwrap();
        assert!(l.texts.is_empty());
        let l = locate(
            Operation::Embeddings,
            br#"{"data":[{"embedding":[0.1,-2e-3]}],"usage":{"prompt_tokens":5,"total_tokens":5}}"#,
        )
        .unwrap();
        assert_eq!(l.usage.unwrap().prompt_tokens, 5);
    }
}
