//! Phase 3, parse: read the body within limits and understand just enough of
//! it (model, stream flag) to route; the JSON stays whole for the scan phase.
//!
//! The body is read under `max_body_bytes` while it arrives (a lying or absent
//! `content-length` cannot make mamori buffer more) and under a read timeout,
//! so a slow client cannot hold a request open forever.

use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http::HeaderMap;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::GatewayError;
use crate::providers::Operation;

/// How the caller addressed the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteStyle {
    /// `/v1/...`, model in the body.
    OpenAi,
    /// `/openai/deployments/{deployment}/...`, deployment in the path.
    Azure {
        /// Deployment name from the path.
        deployment: String,
    },
    /// `/openai/responses` (Azure's deployment-less route), model in the body.
    AzureUnscoped,
}

impl RouteStyle {
    /// Label for metrics and the audit log (`openai.chat`, `azure.embeddings`).
    pub fn label(&self, op: Operation) -> &'static str {
        let azure = !matches!(self, Self::OpenAi);
        match (azure, op) {
            (false, Operation::ChatCompletions) => "openai.chat",
            (false, Operation::Completions) => "openai.completions",
            (false, Operation::Embeddings) => "openai.embeddings",
            (false, Operation::Responses) => "openai.responses",
            (true, Operation::ChatCompletions) => "azure.chat",
            (true, Operation::Completions) => "azure.completions",
            (true, Operation::Embeddings) => "azure.embeddings",
            (true, Operation::Responses) => "azure.responses",
        }
    }
}

/// A request understood well enough to route and scan.
///
/// Most requests go upstream byte for byte, so the JSON tree (a `serde_json::Value`
/// per node, about 5% of a request's instructions) is built only when something must
/// change: masking, another upstream model name, or a stream's usage option.
#[derive(Debug)]
pub struct ParsedRequest {
    /// Operation.
    pub op: Operation,
    /// Model or deployment name as the caller gave it.
    pub model: String,
    /// `"stream": true`.
    pub stream: bool,
    /// The bytes as received (forwarded as-is when nothing changes).
    pub raw: Bytes,
    /// JSON mode or structured outputs (`response_format` or `text.format` of type
    /// `json_object`/`json_schema`): the answer's content must stay parseable JSON.
    pub json_mode: bool,
    /// The body's own `model` field, when it is a string.
    body_model: Option<String>,
    /// The JSON tree, once something needed it.
    tree: Option<Map<String, Value>>,
}

impl ParsedRequest {
    /// The JSON tree, parsed from the bytes on first use.
    pub fn tree(&mut self) -> Result<&mut Map<String, Value>, GatewayError> {
        match &mut self.tree {
            Some(t) => Ok(t),
            slot => Ok(slot.insert(parse_tree(&self.raw)?)),
        }
    }

    /// The tree, if something built it.
    pub fn built_tree(&self) -> Option<&Map<String, Value>> {
        self.tree.as_ref()
    }

    /// The body's `model` field as it stands now.
    pub fn body_model(&self) -> Option<&str> {
        match &self.tree {
            Some(t) => t.get("model").and_then(Value::as_str),
            None => self.body_model.as_deref(),
        }
    }
}

/// The top-level fields routing needs, borrowed from the bytes.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    model: Option<&'a RawValue>,
    #[serde(borrow)]
    stream: Option<&'a RawValue>,
    response_format: Option<Value>,
    text: Option<Value>,
}

/// Reads the body with the size limit and read timeout.
pub async fn read_body(
    headers: &HeaderMap,
    body: Body,
    max: usize,
    timeout: Duration,
) -> Result<Bytes, GatewayError> {
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(GatewayError::BodyTooLarge(max));
    }
    match tokio::time::timeout(timeout, Limited::new(body, max).collect()).await {
        Err(_) => Err(GatewayError::ClientTimeout),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(GatewayError::BodyTooLarge(max))
        }
        Ok(Err(_)) => Err(GatewayError::ClientBody),
    }
}

/// Parses the JSON body and finds the model and stream flag.
///
/// The fast path reads only `model` and `stream` from the bytes (every other
/// field is checked for syntax and skipped). Anything it does not expect, such
/// as a duplicated key or a body that is not UTF-8, goes through the tree,
/// which gives the same answers and errors as before the fast path existed.
pub fn parse(op: Operation, style: &RouteStyle, raw: Bytes) -> Result<ParsedRequest, GatewayError> {
    let head = std::str::from_utf8(&raw)
        .ok()
        .and_then(|text| serde_json::from_str::<Head<'_>>(text).ok())
        .filter(|_| raw.trim_ascii_start().first() == Some(&b'{'));
    let (body_model, stream, json_mode, tree) = match head {
        Some(head) => (
            model_of(head.model.map_or(Field::Absent, Field::raw))?,
            stream_of(head.stream.map_or(Field::Absent, Field::raw))?,
            asks_json(head.response_format.as_ref(), head.text.as_ref()),
            None,
        ),
        None => {
            let tree = parse_tree(&raw)?;
            (
                model_of(Field::value(tree.get("model")))?,
                stream_of(Field::value(tree.get("stream")))?,
                asks_json(tree.get("response_format"), tree.get("text")),
                Some(tree),
            )
        }
    };
    let model = match style {
        RouteStyle::Azure { deployment } => deployment.clone(),
        RouteStyle::OpenAi | RouteStyle::AzureUnscoped => {
            body_model.clone().ok_or(GatewayError::InvalidField {
                field: "model",
                problem: "is required",
            })?
        }
    };
    if stream && op == Operation::Embeddings {
        return Err(GatewayError::InvalidField {
            field: "stream",
            problem: "embeddings cannot be streamed",
        });
    }
    Ok(ParsedRequest {
        op,
        model,
        stream,
        raw,
        json_mode,
        body_model,
        tree,
    })
}

/// Whether `response_format` (or the Responses API's `text.format`) asks for JSON.
fn asks_json(response_format: Option<&Value>, text: Option<&Value>) -> bool {
    let format_type = response_format
        .or_else(|| text.and_then(|t| t.get("format")))
        .and_then(|f| f.get("type"))
        .and_then(Value::as_str);
    matches!(format_type, Some("json_object" | "json_schema"))
}

/// Parses the whole body into a tree.
fn parse_tree(raw: &[u8]) -> Result<Map<String, Value>, GatewayError> {
    let value: Value =
        serde_json::from_slice(raw).map_err(|e| GatewayError::MalformedJson(describe(&e)))?;
    match value {
        Value::Object(json) => Ok(json),
        _ => Err(GatewayError::MalformedJson(
            "the body must be a JSON object".into(),
        )),
    }
}

/// A top-level field as routing sees it, read from the bytes or from the tree.
enum Field {
    /// Absent or `null`.
    Absent,
    /// A string.
    Str(String),
    /// A boolean.
    Bool(bool),
    /// Anything else.
    Other,
}

impl Field {
    fn raw(r: &RawValue) -> Field {
        match r.get() {
            "null" => Field::Absent,
            "true" => Field::Bool(true),
            "false" => Field::Bool(false),
            s if s.starts_with('"') => serde_json::from_str(s).map_or(Field::Other, Field::Str),
            _ => Field::Other,
        }
    }

    fn value(v: Option<&Value>) -> Field {
        match v {
            None | Some(Value::Null) => Field::Absent,
            Some(Value::Bool(b)) => Field::Bool(*b),
            Some(Value::String(s)) => Field::Str(s.clone()),
            Some(_) => Field::Other,
        }
    }
}

/// `model`: absent, or a non-empty string.
fn model_of(f: Field) -> Result<Option<String>, GatewayError> {
    match f {
        Field::Absent => Ok(None),
        Field::Str(s) if !s.is_empty() => Ok(Some(s)),
        _ => Err(GatewayError::InvalidField {
            field: "model",
            problem: "must be a non-empty string",
        }),
    }
}

/// `stream`: absent, or a boolean.
fn stream_of(f: Field) -> Result<bool, GatewayError> {
    match f {
        Field::Absent => Ok(false),
        Field::Bool(b) => Ok(b),
        _ => Err(GatewayError::InvalidField {
            field: "stream",
            problem: "must be a boolean",
        }),
    }
}

/// A short, value-free description of a JSON error (position and category).
fn describe(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "read error",
        // serde_json's own limit; say so, a "syntax error" would send the caller hunting.
        Category::Syntax if e.to_string().starts_with("recursion limit exceeded") => {
            "nested more than 128 levels deep"
        }
        Category::Syntax => "syntax error",
        Category::Data => "invalid data (e.g. invalid UTF-8)",
        Category::Eof => "unexpected end of input",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}
