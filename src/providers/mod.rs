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
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http::header::HeaderName;
use http::{HeaderValue, StatusCode, Uri};
use http_body_util::{BodyDataStream, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

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

/// The pooled HTTP/1.1 client (plain or rustls) every non-mock provider uses.
type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The provider's HTTP client could not be built (TLS set-up).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ClientError(#[from] rustls::Error);

/// A configured upstream, ready to send requests.
///
/// The upstream leg is a hyper-util pooled client (keep-alive, `TCP_NODELAY`,
/// connect timeout, never following redirects: the key only ever goes to the
/// configured host). URIs are built once at start-up where they do not depend
/// on the request (OpenAI kinds: one per operation), and the credential header
/// is built once, so a request costs no URL parsing or formatting.
pub struct Provider {
    settings: ProviderSettings,
    client: Option<HttpsClient>,
    base: Option<reqwest::Url>,
    /// OpenAI kinds: the upstream URI of each operation, indexed by [`op_index`].
    op_uris: [Option<Uri>; 4],
    /// `authorization: Bearer …` (OpenAI kinds) or `api-key: …` (Azure), marked sensitive.
    auth: Option<(HeaderName, HeaderValue)>,
    first_byte: Duration,
}

fn op_index(op: Operation) -> usize {
    match op {
        Operation::ChatCompletions => 0,
        Operation::Completions => 1,
        Operation::Embeddings => 2,
        Operation::Responses => 3,
    }
}

const ALL_OPS: [Operation; 4] = [
    Operation::ChatCompletions,
    Operation::Completions,
    Operation::Embeddings,
    Operation::Responses,
];

impl Provider {
    /// Builds the provider and its connection pool.
    pub fn new(settings: ProviderSettings, timeouts: &Timeouts) -> Result<Provider, ClientError> {
        let client = match settings.kind {
            ProviderKind::Mock => None,
            _ => Some(build_client(timeouts)?),
        };
        // Validated at config load; a mock has no URL.
        let base = reqwest::Url::parse(&settings.base_url).ok();
        let mut op_uris = [None, None, None, None];
        if settings.kind != ProviderKind::Azure {
            if let Some(base) = &base {
                for op in ALL_OPS {
                    op_uris[op_index(op)] = openai::uri(base, op);
                }
            }
        }
        let auth = settings.api_key.as_ref().and_then(|key| {
            let (name, value) = match settings.kind {
                ProviderKind::Azure => {
                    (HeaderName::from_static("api-key"), key.expose().to_owned())
                }
                _ => (
                    http::header::AUTHORIZATION,
                    format!("Bearer {}", key.expose()),
                ),
            };
            let mut value = HeaderValue::from_str(&value).ok()?;
            value.set_sensitive(true);
            Some((name, value))
        });
        Ok(Provider {
            settings,
            client,
            base,
            op_uris,
            auth,
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

    /// The upstream URI for this request.
    fn uri(&self, req: &UpstreamRequest<'_>) -> Result<Uri, GatewayError> {
        match self.settings.kind {
            ProviderKind::Azure => {
                let base = self.base.as_ref().ok_or(GatewayError::Internal)?;
                azure::uri(base, &self.settings, req).ok_or(GatewayError::Internal)
            }
            _ => self.op_uris[op_index(req.op)]
                .clone()
                .ok_or(GatewayError::Internal),
        }
    }

    /// Sends the request and returns once response headers arrived.
    pub async fn send(&self, req: UpstreamRequest<'_>) -> Result<UpstreamResponse, GatewayError> {
        let client = match (&self.client, self.settings.kind) {
            (_, ProviderKind::Mock) | (None, _) => {
                return mock::respond(&self.settings.mock, &req).await;
            }
            (Some(c), _) => c,
        };
        let mut up = http::Request::new(Full::new(req.body.clone()));
        *up.method_mut() = http::Method::POST;
        *up.uri_mut() = self.uri(&req)?;
        let headers = up.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            http::header::ACCEPT,
            HeaderValue::from_static(if req.stream {
                "text/event-stream"
            } else {
                "*/*"
            }),
        );
        if let Some((name, value)) = &self.auth {
            headers.insert(name.clone(), value.clone());
        }
        let sent = tokio::time::timeout(self.first_byte, client.request(up)).await;
        let resp = match sent {
            Err(_) => return Err(GatewayError::UpstreamTimeout("first_byte")),
            Ok(Err(e)) if is_timeout(&e) => return Err(GatewayError::UpstreamTimeout("connect")),
            Ok(Err(e)) => {
                tracing::warn!(provider = %self.settings.name, error = %ErrorChain(&e), "upstream request failed");
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
        let body = BodyDataStream::new(resp.into_body()).map(move |r| {
            r.map_err(|e| {
                tracing::warn!(provider = %provider, error = %ErrorChain(&e), "upstream body failed");
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

/// The pooled client: HTTP/1.1 over plain TCP or rustls (ring, webpki roots).
fn build_client(timeouts: &Timeouts) -> Result<HttpsClient, ClientError> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(timeouts.connect));
    // TCP keepalive as reqwest's defaults had it, so idle pooled and long-streaming
    // connections behave as before.
    http.set_keepalive(Some(Duration::from_secs(15)));
    http.set_keepalive_interval(Some(Duration::from_secs(15)));
    http.set_keepalive_retries(Some(3));
    let https = HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(Arc::new(rustls::crypto::ring::default_provider()))?
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .build(https))
}

/// Whether the request failed because connecting timed out.
fn is_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return true;
            }
        }
        cur = err.source();
    }
    false
}

/// Displays an error with its causes (`a: b: c`); upstream errors never carry headers or keys.
struct ErrorChain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cur = self.0.source();
        while let Some(e) = cur {
            write!(f, ": {e}")?;
            cur = e.source();
        }
        Ok(())
    }
}
