//! OpenAI and OpenAI-compatible upstreams: `{base_url}/{operation}` with an
//! optional Bearer key (required for api.openai.com, checked at config load).

use http::Uri;

use super::Operation;

/// The upstream URI of an operation; built once per provider at start-up.
pub fn uri(base: &reqwest::Url, op: Operation) -> Option<Uri> {
    let mut url = base.clone();
    url.path_segments_mut()
        .ok()?
        .pop_if_empty()
        .extend(op.path().split('/'));
    Uri::try_from(url.as_str()).ok()
}
