//! The built-in mock provider: deterministic answers with no network and no
//! key, so the demo, the tests and the benchmarks run anywhere.
//!
//! It echoes the last user message (after mamori's own changes, such as
//! masking), in every operation's real response shape, streaming and not,
//! with a `usage` block. Latency and chunking are configurable so benchmarks
//! can stand it in for a real provider.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use bytes::Bytes;
use futures_util::stream;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{Operation, UpstreamRequest, UpstreamResponse};
use crate::config::MockSettings;
use crate::error::GatewayError;

/// Answers a request as a provider would.
pub async fn respond(
    cfg: &MockSettings,
    req: &UpstreamRequest<'_>,
) -> Result<UpstreamResponse, GatewayError> {
    if !cfg.latency.is_zero() {
        tokio::time::sleep(cfg.latency).await;
    }
    // A body mamori relays but serde_json cannot hold (a number such as 1e999) gets the
    // provider's answer, a 400 the client can act on, not a gateway error.
    let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
        return Ok(json_response(
            http::StatusCode::BAD_REQUEST,
            &json!({"error": {
                "message": "We could not parse the JSON body of your request. (mock provider)",
                "type": "invalid_request_error",
                "param": null,
                "code": null,
            }}),
        ));
    };
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or(&req.route.upstream_model)
        .to_owned();
    let echo = last_user_text(req.op, &body);
    let prompt_tokens = approx_tokens(&echo).max(1);
    let completion_tokens = approx_tokens(&echo);
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let id_seed = hex::encode(&Sha256::digest(echo.as_bytes())[..12]);
    let usage = json!({
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    });
    // With tools offered (and not refused), the mock calls the first function with the echo.
    let tool = (req.op == Operation::ChatCompletions
        && body.get("tool_choice").and_then(Value::as_str) != Some("none"))
    .then(|| {
        body.pointer("/tools/0/function/name")
            .and_then(Value::as_str)
    })
    .flatten()
    .map(str::to_owned);
    let ctx = Answer {
        tool,
        model,
        echo,
        created,
        id_seed,
        usage,
        prompt_tokens,
        completion_tokens,
    };

    if req.stream && req.op != Operation::Embeddings {
        let include_usage = body
            .pointer("/stream_options/include_usage")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let events = match req.op {
            Operation::Responses => ctx.responses_events(cfg.stream_chunks),
            Operation::Completions => ctx.completion_chunks(cfg.stream_chunks, include_usage),
            _ => ctx.chat_chunks(cfg.stream_chunks, include_usage),
        };
        let delay = cfg.chunk_delay;
        let s = stream::unfold(events.into_iter().enumerate(), move |mut it| async move {
            let (i, frame) = it.next()?;
            if i > 0 && !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            Some((Ok(Bytes::from(frame)), it))
        });
        return Ok(UpstreamResponse {
            status: http::StatusCode::OK,
            content_type: Some(http::HeaderValue::from_static("text/event-stream")),
            is_sse: true,
            body: Box::pin(s),
        });
    }

    let value = match req.op {
        Operation::ChatCompletions => ctx.chat(),
        Operation::Completions => ctx.completion(),
        Operation::Embeddings => embeddings(&body, &ctx),
        Operation::Responses => ctx.response(),
    };
    Ok(json_response(http::StatusCode::OK, &value))
}

/// A whole JSON answer with `status`.
fn json_response(status: http::StatusCode, value: &Value) -> UpstreamResponse {
    let bytes = Bytes::from(value.to_string());
    UpstreamResponse {
        status,
        content_type: Some(http::HeaderValue::from_static("application/json")),
        is_sse: false,
        body: Box::pin(stream::once(async move { Ok(bytes) })),
    }
}

struct Answer {
    tool: Option<String>,
    model: String,
    echo: String,
    created: u64,
    id_seed: String,
    usage: Value,
    prompt_tokens: usize,
    completion_tokens: usize,
}

impl Answer {
    fn tool_arguments(&self) -> String {
        json!({"input": self.echo}).to_string()
    }

    fn chat(&self) -> Value {
        if let Some(name) = &self.tool {
            return json!({
                "id": format!("chatcmpl-mock{}", self.id_seed),
                "object": "chat.completion",
                "created": self.created,
                "model": self.model,
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": null, "refusal": null, "tool_calls": [{
                        "id": format!("call_mock{}", self.id_seed),
                        "type": "function",
                        "function": {"name": name, "arguments": self.tool_arguments()},
                    }]},
                    "logprobs": null,
                    "finish_reason": "tool_calls",
                }],
                "usage": self.usage,
                "system_fingerprint": "mamori-mock",
            });
        }
        json!({
            "id": format!("chatcmpl-mock{}", self.id_seed),
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": self.echo, "refusal": null},
                "logprobs": null,
                "finish_reason": "stop",
            }],
            "usage": self.usage,
            "system_fingerprint": "mamori-mock",
        })
    }

    fn completion(&self) -> Value {
        json!({
            "id": format!("cmpl-mock{}", self.id_seed),
            "object": "text_completion",
            "created": self.created,
            "model": self.model,
            "choices": [{"text": self.echo, "index": 0, "logprobs": null, "finish_reason": "stop"}],
            "usage": self.usage,
        })
    }

    fn response(&self) -> Value {
        json!({
            "id": format!("resp_mock{}", self.id_seed),
            "object": "response",
            "created_at": self.created,
            "status": "completed",
            "model": self.model,
            "output": [self.response_message("completed", &self.echo)],
            "parallel_tool_calls": true,
            "tool_choice": "auto",
            "tools": [],
            "usage": {
                "input_tokens": self.prompt_tokens,
                "output_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens_details": {"reasoning_tokens": 0},
            },
        })
    }

    fn response_message(&self, status: &str, text: &str) -> Value {
        json!({
            "type": "message",
            "id": format!("msg_mock{}", self.id_seed),
            "status": status,
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        })
    }

    fn chat_chunks(&self, chunks: usize, include_usage: bool) -> Vec<String> {
        let id = format!("chatcmpl-mock{}", self.id_seed);
        let frame = |choices: Value, usage: Value| {
            sse_data(&json!({
                "id": id, "object": "chat.completion.chunk", "created": self.created,
                "model": self.model, "system_fingerprint": "mamori-mock",
                "choices": choices, "usage": usage,
            }))
        };
        let mut out = vec![frame(
            json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": null, "finish_reason": null}]),
            Value::Null,
        )];
        if let Some(name) = &self.tool {
            out[0] = frame(
                json!([{"index": 0, "delta": {"role": "assistant", "content": null, "tool_calls": [{
                    "index": 0, "id": format!("call_mock{}", self.id_seed), "type": "function",
                    "function": {"name": name, "arguments": ""}}]}, "logprobs": null, "finish_reason": null}]),
                Value::Null,
            );
            for piece in split_chars(&self.tool_arguments(), chunks) {
                out.push(frame(
                    json!([{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]},
                            "logprobs": null, "finish_reason": null}]),
                    Value::Null,
                ));
            }
            out.push(frame(
                json!([{"index": 0, "delta": {}, "logprobs": null, "finish_reason": "tool_calls"}]),
                Value::Null,
            ));
            if include_usage {
                out.push(frame(json!([]), self.usage.clone()));
            }
            out.push("data: [DONE]\n\n".to_owned());
            return out;
        }
        for piece in split_chars(&self.echo, chunks) {
            out.push(frame(
                json!([{"index": 0, "delta": {"content": piece}, "logprobs": null, "finish_reason": null}]),
                Value::Null,
            ));
        }
        out.push(frame(
            json!([{"index": 0, "delta": {}, "logprobs": null, "finish_reason": "stop"}]),
            Value::Null,
        ));
        if include_usage {
            out.push(frame(json!([]), self.usage.clone()));
        }
        out.push("data: [DONE]\n\n".to_owned());
        out
    }

    fn completion_chunks(&self, chunks: usize, include_usage: bool) -> Vec<String> {
        let id = format!("cmpl-mock{}", self.id_seed);
        let frame = |choices: Value, usage: Value| {
            sse_data(&json!({
                "id": id, "object": "text_completion", "created": self.created,
                "model": self.model, "choices": choices, "usage": usage,
            }))
        };
        let mut out = Vec::new();
        for piece in split_chars(&self.echo, chunks) {
            out.push(frame(
                json!([{"text": piece, "index": 0, "logprobs": null, "finish_reason": null}]),
                Value::Null,
            ));
        }
        out.push(frame(
            json!([{"text": "", "index": 0, "logprobs": null, "finish_reason": "stop"}]),
            Value::Null,
        ));
        if include_usage {
            out.push(frame(json!([]), self.usage.clone()));
        }
        out.push("data: [DONE]\n\n".to_owned());
        out
    }

    fn responses_events(&self, chunks: usize) -> Vec<String> {
        let mut seq = 0u64;
        let mut ev = |kind: &str, mut v: Value| {
            if let Some(o) = v.as_object_mut() {
                o.insert("type".into(), json!(kind));
                o.insert("sequence_number".into(), json!(seq));
            }
            seq += 1;
            format!("event: {kind}\n{}", sse_data(&v))
        };
        let mut in_progress = self.response();
        in_progress["status"] = json!("in_progress");
        in_progress["output"] = json!([]);
        in_progress["usage"] = Value::Null;
        let item_id = format!("msg_mock{}", self.id_seed);
        let mut out = vec![
            ev("response.created", json!({"response": in_progress.clone()})),
            ev("response.in_progress", json!({"response": in_progress})),
            ev(
                "response.output_item.added",
                json!({"output_index": 0, "item": self.response_message("in_progress", "")}),
            ),
            ev(
                "response.content_part.added",
                json!({"item_id": item_id, "output_index": 0, "content_index": 0,
                       "part": {"type": "output_text", "text": "", "annotations": []}}),
            ),
        ];
        for piece in split_chars(&self.echo, chunks) {
            out.push(ev(
                "response.output_text.delta",
                json!({"item_id": item_id, "output_index": 0, "content_index": 0, "delta": piece}),
            ));
        }
        out.push(ev(
            "response.output_text.done",
            json!({"item_id": item_id, "output_index": 0, "content_index": 0, "text": self.echo}),
        ));
        out.push(ev(
            "response.content_part.done",
            json!({"item_id": item_id, "output_index": 0, "content_index": 0,
                   "part": {"type": "output_text", "text": self.echo, "annotations": []}}),
        ));
        out.push(ev(
            "response.output_item.done",
            json!({"output_index": 0, "item": self.response_message("completed", &self.echo)}),
        ));
        out.push(ev(
            "response.completed",
            json!({"response": self.response()}),
        ));
        out
    }
}

fn embeddings(body: &Value, ctx: &Answer) -> Value {
    let inputs: Vec<String> = match body.get("input") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        _ => vec![String::new()],
    };
    let dims = body
        .get("dimensions")
        .and_then(Value::as_u64)
        .map(|d| d.clamp(1, 3072) as usize)
        .unwrap_or(1536);
    let base64 = body.get("encoding_format").and_then(Value::as_str) == Some("base64");
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let vector = embed(text, dims);
            let embedding = if base64 {
                let bytes: Vec<u8> = vector.iter().flat_map(|f| f.to_le_bytes()).collect();
                json!(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                json!(vector)
            };
            json!({"object": "embedding", "index": i, "embedding": embedding})
        })
        .collect();
    let tokens: usize = inputs.iter().map(|t| approx_tokens(t).max(1)).sum();
    json!({
        "object": "list",
        "data": data,
        "model": ctx.model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    })
}

/// A deterministic unit vector derived from the text.
fn embed(text: &str, dims: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(dims);
    let mut block = Sha256::digest(text.as_bytes());
    while out.len() < dims {
        for pair in block.chunks_exact(2) {
            if out.len() == dims {
                break;
            }
            let v = u16::from_le_bytes([pair[0], pair[1]]) as f32 / 32768.0 - 1.0;
            out.push(v);
        }
        block = Sha256::digest(block);
    }
    let norm = out.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        out.iter_mut().for_each(|v| *v /= norm);
    }
    out
}

fn sse_data(v: &Value) -> String {
    format!("data: {v}\n\n")
}

/// Splits text into at most `n` pieces on character boundaries.
fn split_chars(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    let per = chars.len().div_ceil(n.max(1));
    chars.chunks(per).map(|c| c.iter().collect()).collect()
}

/// A rough token count: about four bytes of text per token.
fn approx_tokens(text: &str) -> usize {
    text.len().div_ceil(4)
}

/// The text the mock echoes: the last user message, prompt or input.
fn last_user_text(op: Operation, body: &Value) -> String {
    match op {
        Operation::ChatCompletions => body
            .get("messages")
            .and_then(Value::as_array)
            .and_then(|msgs| {
                msgs.iter()
                    .rev()
                    .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
            })
            .map(|m| content_text(m.get("content")))
            .unwrap_or_default(),
        Operation::Completions => match body.get("prompt") {
            Some(Value::Array(items)) => items
                .last()
                .map(|v| content_text(Some(v)))
                .unwrap_or_default(),
            other => content_text(other),
        },
        Operation::Embeddings => String::new(),
        Operation::Responses => match body.get("input") {
            Some(Value::Array(items)) => items
                .iter()
                .rev()
                .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
                .map(|m| content_text(m.get("content")))
                .unwrap_or_default(),
            other => content_text(other),
        },
    }
}

/// Text of a content value: a string, or the text parts of an array.
fn content_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}
