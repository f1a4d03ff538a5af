//! A scripted OpenAI-compatible upstream on loopback. The path prefix picks
//! the behaviour: `/ok` answers, `/az` is Azure-shaped, `/reset` drops the
//! connection mid-stream, `/status` answers 429, `/slow` never answers in time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures_util::stream;
use serde_json::{json, Value};
use tokio::sync::Notify;

/// A secret the upstream "leaks" in its output when asked with `leak-key`.
pub const LEAKED_KEY: &str = "sk-proj-Ab3dEf6hIj9lMn2pQr5tUv8xYz1AbCdEfGhIjKlMnOp";

/// A request as the upstream received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub query: Option<String>,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Recorded>>,
    gate: Notify,
    sent_last: Mutex<bool>,
}

/// Handle on the running upstream.
#[derive(Clone)]
pub struct Upstream {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Upstream {
    pub async fn start() -> Upstream {
        let shared = Arc::new(Shared::default());
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Upstream { addr, shared }
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// The last request received.
    pub fn last(&self) -> Recorded {
        self.requests()
            .last()
            .cloned()
            .expect("no upstream request")
    }

    /// Lets a gated stream send the rest of its chunks.
    pub fn open_gate(&self) {
        self.shared.gate.notify_one();
    }

    /// Whether a gated stream has sent its last chunk.
    pub fn sent_last(&self) -> bool {
        *self.shared.sent_last.lock().unwrap()
    }
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_owned();
    shared.requests.lock().unwrap().push(Recorded {
        path: path.clone(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers.clone(),
        body: body.clone(),
    });
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let stream = json.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let mut text = last_user(&json);
    // Canned "model output" that the request itself did not contain.
    if text == "leak-key" {
        text = format!("APIキーは {LEAKED_KEY} です");
    } else if text == "leak-mynumber" {
        text = "マイナンバーは123456789018です".to_owned();
    }
    let model = json
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("deployment")
        .to_owned();

    if path.starts_with("/az/") {
        if parts.headers.get("api-key").and_then(|v| v.to_str().ok()) != Some(super::PROVIDER_KEY) {
            return (
                http::StatusCode::UNAUTHORIZED,
                axum::Json(json!({"error": {"message": "bad key"}})),
            )
                .into_response();
        }
    } else if parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {}", super::PROVIDER_KEY))
    {
        return (
            http::StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": {"message": "bad key"}})),
        )
            .into_response();
    }

    if path.starts_with("/status/") {
        return (
            http::StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded", "param": null}})),
        )
            .into_response();
    }
    if path.starts_with("/slow/") {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    if path.ends_with("/embeddings") {
        return axum::Json(json!({
            "object": "list",
            "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
            "model": model,
            "usage": {"prompt_tokens": 2, "total_tokens": 2},
        }))
        .into_response();
    }
    if path.starts_with("/reset/") {
        let first = chunk(&model, &text);
        // Send a first chunk, let it reach the client, then fail the connection.
        let s = stream::unfold(0u8, move |i| {
            let first = first.clone();
            async move {
                match i {
                    0 => Some((Ok::<_, std::io::Error>(Bytes::from(first)), 1)),
                    1 => {
                        tokio::time::sleep(Duration::from_millis(150)).await;
                        Some((Err(std::io::Error::other("reset")), 2))
                    }
                    _ => None,
                }
            }
        });
        return sse(Body::from_stream(s));
    }
    if (text == "tool" || text == "tool-leak") && !stream {
        // `tool-leak`: the model puts a My Number and a quote into the call's arguments.
        let arguments = if text == "tool" {
            "{\"q\":\"x\"}".to_owned()
        } else {
            leak_arguments()
        };
        return axum::Json(json!({
            "id": "chatcmpl-test", "object": "chat.completion", "created": 1, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": arguments}}
            ]}, "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6},
        }))
        .into_response();
    }
    if !stream {
        return axum::Json(json!({
            "id": "chatcmpl-test", "object": "chat.completion", "created": 1, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6},
        }))
        .into_response();
    }
    // `split:N:text` streams text in two chunks, cut after N characters;
    // `many:N:piece` streams N copies of piece, holding chunk 100 until the gate opens.
    let split = text
        .strip_prefix("split:")
        .and_then(|r| r.split_once(':'))
        .and_then(|(n, rest)| Some((n.parse::<usize>().ok()?, rest.to_owned())));
    let many = text
        .strip_prefix("many:")
        .and_then(|r| r.split_once(':'))
        .and_then(|(n, piece)| Some((n.parse::<usize>().ok()?, piece.to_owned())));
    let pieces: Vec<String> = if let Some((n, rest)) = &split {
        let cut = rest.char_indices().nth(*n).map_or(rest.len(), |(i, _)| i);
        vec![rest[..cut].to_owned(), rest[cut..].to_owned()]
    } else if let Some((n, piece)) = &many {
        vec![piece.clone(); *n]
    } else if text == "slow-stream" {
        (0..10).map(|i| format!("part{i} ")).collect()
    } else {
        text.chars().map(String::from).collect()
    };
    let gate_at = if text == "gate" {
        Some(1)
    } else if many.is_some() {
        Some(100)
    } else {
        None
    };
    let delay = if text == "slow-stream" {
        Duration::from_millis(100)
    } else {
        Duration::ZERO
    };
    let include_usage = json
        .pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut frames: Vec<String> = if text == "tool" {
        vec![tool_chunk(&model, "{\"q\":"), tool_chunk(&model, "\"x\"}")]
    } else if text == "tool-leak" {
        // Cut inside the My Number, so no fragment holds it whole.
        let a = leak_arguments();
        let cut = a.find("1234").map_or(0, |i| i + 4);
        vec![tool_chunk(&model, &a[..cut]), tool_chunk(&model, &a[cut..])]
    } else {
        pieces.iter().map(|p| chunk(&model, p)).collect()
    };
    frames.push(if text == "tool" || text == "tool-leak" {
        finish_with(&model, "tool_calls")
    } else {
        finish(&model)
    });
    if include_usage {
        let v = json!({"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1, "model": model,
            "choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}});
        frames.push(format!("data: {v}\n\n"));
    }
    frames.push("data: [DONE]\n\n".to_owned());
    let n = frames.len();
    let s = stream::unfold(
        (0usize, frames, shared.clone()),
        move |(i, frames, shared)| async move {
            if i >= n {
                return None;
            }
            if Some(i) == gate_at {
                shared.gate.notified().await;
            }
            if i > 0 && !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if i == n - 1 {
                *shared.sent_last.lock().unwrap() = true;
            }
            let frame = Bytes::from(frames[i].clone());
            Some((Ok::<_, Infallible>(frame), (i + 1, frames, shared)))
        },
    );
    sse(Body::from_stream(s))
}

fn sse(body: Body) -> Response {
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(body)
        .unwrap()
}

fn chunk(model: &str, piece: &str) -> String {
    let v = json!({"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1, "model": model,
        "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": null}]});
    format!("data: {v}\n\n")
}

fn finish(model: &str) -> String {
    finish_with(model, "stop")
}

fn finish_with(model: &str, reason: &str) -> String {
    let v = json!({"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1, "model": model,
        "choices": [{"index": 0, "delta": {}, "finish_reason": reason}]});
    format!("data: {v}\n\n")
}

/// Tool-call arguments with a My Number and an escaped quote in them.
fn leak_arguments() -> String {
    json!({"q": "マイナンバーは123456789018です", "note": "say \"hi\"", "n": [1, {"k": "v"}]})
        .to_string()
}

fn tool_chunk(model: &str, args: &str) -> String {
    let v = json!({"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1, "model": model,
        "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": args}}]}, "finish_reason": null}]});
    format!("data: {v}\n\n")
}

fn last_user(v: &Value) -> String {
    if let Some(msgs) = v.get("messages").and_then(Value::as_array) {
        return msgs
            .iter()
            .rev()
            .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
            .and_then(|m| m.get("content").and_then(Value::as_str))
            .unwrap_or_default()
            .to_owned();
    }
    v.get("prompt")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}
