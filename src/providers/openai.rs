//! OpenAI and OpenAI-compatible upstreams: `{base_url}/{operation}` with an
//! optional Bearer key (required for api.openai.com, checked at config load).

use super::UpstreamRequest;
use crate::config::ProviderSettings;
use crate::error::GatewayError;

/// Builds the upstream request (URL and credentials; the body is added by the caller).
pub fn build(
    client: &reqwest::Client,
    base: &reqwest::Url,
    p: &ProviderSettings,
    req: &UpstreamRequest<'_>,
) -> Result<reqwest::RequestBuilder, GatewayError> {
    // Parsed once at start-up; cloning skips re-parsing (and IDNA) per request.
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|_| GatewayError::Internal)?
        .pop_if_empty()
        .extend(req.op.path().split('/'));
    let mut b = client
        .post(url)
        .header(http::header::CONTENT_TYPE, "application/json");
    if req.stream {
        b = b.header(http::header::ACCEPT, "text/event-stream");
    }
    if let Some(key) = &p.api_key {
        b = b.bearer_auth(key.expose());
    }
    Ok(b)
}
