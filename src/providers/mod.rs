//! Upstream providers. All of them speak the OpenAI wire format; they differ
//! in how the URL and credentials are built ([`openai`], [`azure`]) or, for
//! [`mock`], in answering in process with no network at all.
//!
//! A provider returns an [`UpstreamResponse`] whose body is either whole or a
//! byte stream; the pipeline decides what to do with it, so every provider
//! kind goes through the same scanning, stamping and SSE relay.

pub mod azure;
pub mod mock;
pub mod openai;

use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http::StatusCode;

use crate::config::{ModelRoute, ProviderKind, ProviderSettings, Timeouts};
use crate::error::GatewayError;

/// The model operations mamori proxies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `chat/completions`
    ChatCompletions,
    /// `completions` (legacy)
    Completions,
    /// `embeddings`
    Embeddings,
    /// `responses`
    Responses,
}

impl Operation {
    /// Path segment after the API base.
    pub fn path(self) -> &'static str {
        match self {
            Self::ChatCompletions => "chat/completions",
            Self::Completions => "completions",
            Self::Embeddings => "embeddings",
            Self::Responses => "responses",
        }
    }

    /// Short label for metrics and the audit log.
    pub fn label(self) -> &'static str {
        match self {
            Self::ChatCompletions => "chat",
            Self::Completions => "completions",
            Self::Embeddings => "embeddings",
            Self::Responses => "responses",
        }
    }
}

/// A fallible stream of body bytes from upstream.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, GatewayError>> + Send>>;

/// What came back from upstream, headers read, body still arriving.
pub struct UpstreamResponse {
    /// Upstream status, relayed to the client.
    pub status: StatusCode,
    /// Upstream `content-type`, if any.
    pub content_type: Option<http::HeaderValue>,
    /// Whether the body is a Server-Sent Events stream.
    pub is_sse: bool,
    /// The body, as it arrives.
    pub body: ByteStream,
}

/// A request ready to send: operation, final body, and whether it streams.
pub struct UpstreamRequest<'a> {
    /// Which operation.
    pub op: Operation,
    /// The route resolved from the model name.
    pub route: &'a ModelRoute,
    /// JSON body exactly as it goes upstream.
    pub body: Bytes,
    /// `"stream": true` was requested.
    pub stream: bool,
}

/// A configured upstream, ready to send requests.
pub struct Provider {
    settings: ProviderSettings,
    client: Option<reqwest::Client>,
    base: Option<reqwest::Url>,
    first_byte: Duration,
}

impl Provider {
    /// Builds the provider and its connection pool.
    pub fn new(
        settings: ProviderSettings,
        timeouts: &Timeouts,
    ) -> Result<Provider, reqwest::Error> {
        let client = match settings.kind {
            ProviderKind::Mock => None,
            _ => Some(
                reqwest::Client::builder()
                    .connect_timeout(timeouts.connect)
                    .pool_idle_timeout(Duration::from_secs(90))
                    .tcp_nodelay(true)
                    // Never follow redirects: the key must only ever go to the configured host.
                    .redirect(reqwest::redirect::Policy::none())
                    .build()?,
            ),
        };
        // Validated at config load; a mock has no URL.
        let base = reqwest::Url::parse(&settings.base_url).ok();
        Ok(Provider {
            settings,
            client,
            base,
            first_byte: timeouts.first_byte,
        })
    }

    /// The provider's settings.
    pub fn settings(&self) -> &ProviderSettings {
        &self.settings
    }

    /// Whether the upstream body should carry the upstream model name in `model`.
    pub fn wants_model_in_body(&self) -> bool {
        self.settings.kind != ProviderKind::Azure
    }

    /// Sends the request and returns once response headers arrived.
    pub async fn send(&self, req: UpstreamRequest<'_>) -> Result<UpstreamResponse, GatewayError> {
        let client = match (&self.client, self.settings.kind) {
            (_, ProviderKind::Mock) | (None, _) => {
                return mock::respond(&self.settings.mock, &req).await;
            }
            (Some(c), _) => c,
        };
        let base = self.base.as_ref().ok_or(GatewayError::Internal)?;
        let builder = match self.settings.kind {
            ProviderKind::Azure => azure::build(client, base, &self.settings, &req)?,
            _ => openai::build(client, base, &self.settings, &req)?,
        };
        let sent =
            tokio::time::timeout(self.first_byte, builder.body(req.body.clone()).send()).await;
        let resp = match sent {
            Err(_) => return Err(GatewayError::UpstreamTimeout("first_byte")),
            Ok(Err(e)) if e.is_timeout() => return Err(GatewayError::UpstreamTimeout("connect")),
            Ok(Err(e)) => {
                tracing::warn!(provider = %self.settings.name, error = %e.without_url(), "upstream request failed");
                return Err(GatewayError::UpstreamConnect);
            }
            Ok(Ok(r)) => r,
        };
        let status = resp.status();
        let content_type = resp.headers().get(http::header::CONTENT_TYPE).cloned();
        let is_sse = content_type
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let provider = self.settings.name.clone();
        let body = resp.bytes_stream().map(move |r| {
            r.map_err(|e| {
                tracing::warn!(provider = %provider, error = %e.without_url(), "upstream body failed");
                GatewayError::UpstreamConnect
            })
        });
        Ok(UpstreamResponse {
            status,
            content_type,
            is_sse,
            body: Box::pin(body),
        })
    }
}
