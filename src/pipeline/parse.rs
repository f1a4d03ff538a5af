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
#[derive(Debug)]
pub struct ParsedRequest {
    /// Operation.
    pub op: Operation,
    /// Model or deployment name as the caller gave it.
    pub model: String,
    /// `"stream": true`.
    pub stream: bool,
    /// The JSON object.
    pub json: Map<String, Value>,
    /// The bytes as received (forwarded as-is when nothing changes).
    pub raw: Bytes,
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
pub fn parse(op: Operation, style: &RouteStyle, raw: Bytes) -> Result<ParsedRequest, GatewayError> {
    let value: Value =
        serde_json::from_slice(&raw).map_err(|e| GatewayError::MalformedJson(describe(&e)))?;
    let Value::Object(json) = value else {
        return Err(GatewayError::MalformedJson(
            "the body must be a JSON object".into(),
        ));
    };
    let body_model = match json.get("model") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(_) => {
            return Err(GatewayError::InvalidField {
                field: "model",
                problem: "must be a non-empty string",
            })
        }
    };
    let model = match style {
        RouteStyle::Azure { deployment } => deployment.clone(),
        RouteStyle::OpenAi | RouteStyle::AzureUnscoped => {
            body_model.ok_or(GatewayError::InvalidField {
                field: "model",
                problem: "is required",
            })?
        }
    };
    let stream = match json.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(GatewayError::InvalidField {
                field: "stream",
                problem: "must be a boolean",
            })
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
        json,
        raw,
    })
}

/// A short, value-free description of a JSON error (position and category).
fn describe(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "read error",
        Category::Syntax => "syntax error",
        Category::Data => "invalid data (e.g. invalid UTF-8)",
        Category::Eof => "unexpected end of input",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}
