//! Azure OpenAI upstreams: the deployment goes in the path, the version in the
//! `api-version` query, and the key in the `api-key` header.

use http::Uri;

use super::{Operation, UpstreamRequest};
use crate::config::ProviderSettings;

/// The upstream URI for this request (the deployment comes from the route).
pub fn uri(base: &reqwest::Url, p: &ProviderSettings, req: &UpstreamRequest<'_>) -> Option<Uri> {
    // Parsed once at start-up; cloning skips re-parsing (and IDNA) per request.
    let mut url = base.clone();
    {
        let mut segs = url.path_segments_mut().ok()?;
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
    Uri::try_from(url.as_str()).ok()
}
