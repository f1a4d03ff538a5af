//! Azure OpenAI upstreams: the deployment goes in the path, the version in the
//! `api-version` query, and the key in the `api-key` header.

use super::{Operation, UpstreamRequest};
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
    {
        let mut segs = url
            .path_segments_mut()
            .map_err(|_| GatewayError::Internal)?;
        segs.pop_if_empty().push("openai");
        // The Responses API on Azure is not per deployment; the model travels in the body.
        if req.op != Operation::Responses {
            segs.push("deployments").push(&req.route.upstream_model);
        }
        segs.extend(req.op.path().split('/'));
    }
    url.query_pairs_mut().append_pair(
        "api-version",
        p.api_version.as_deref().unwrap_or("2024-10-21"),
    );
    let mut b = client
        .post(url)
        .header(http::header::CONTENT_TYPE, "application/json");
    if req.stream {
        b = b.header(http::header::ACCEPT, "text/event-stream");
    }
    if let Some(key) = &p.api_key {
        b = b.header("api-key", key.expose());
    }
    Ok(b)
}
