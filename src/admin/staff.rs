//! Staff routes: feedback on one's own answers (Q15) and consent to the
//! public-use trial terms (Q16). See the module docs of [`crate::admin`].

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::{blocking, read_json};
use crate::config::Settings;
use crate::error::GatewayError;
use crate::metrics::events::FeedbackReceived;
use crate::pipeline::auth::Caller;
use crate::pipeline::{consent_is_current, consent_subject, consent_text_version};
use crate::state::AppState;
use crate::store::{Consent, Feedback, Rating};

/// Longest accepted feedback comment, in characters.
const MAX_COMMENT_CHARS: usize = 4000;
/// Most categories on one feedback.
const MAX_CATEGORIES: usize = 20;
/// Longest category, in characters.
const MAX_CATEGORY_CHARS: usize = 64;

/// `POST /v1/feedback`: rate one of the caller's own answers.
pub(super) async fn post_feedback(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, GatewayError> {
    let caller = state.keys.staff(&headers)?;
    let v: Value = read_json(body).await?;
    let obj = v.as_object().ok_or(GatewayError::InvalidField {
        field: "body",
        problem: "expected a JSON object",
    })?;
    let request_id = match obj.get("request_id") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => {
            return Err(GatewayError::InvalidField {
                field: "request_id",
                problem: "required: the x-request-id of the answer",
            })
        }
    };
    let rating: Rating = obj
        .get("rating")
        .and_then(|r| serde_json::from_value(r.clone()).ok())
        .ok_or(GatewayError::InvalidField {
            field: "rating",
            problem: "expected \"good\", \"bad\" or an integer 1..5",
        })?;
    let comment = match obj.get("comment") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.chars().count() <= MAX_COMMENT_CHARS => Some(s.clone()),
        Some(_) => {
            return Err(GatewayError::InvalidField {
                field: "comment",
                problem: "expected a string of at most 4000 characters",
            })
        }
    };
    let categories = parse_categories(obj.get("categories"))?;
    let id = request_id.clone();
    let user = caller.user().to_owned();
    let store = state.store.clone();
    let fb = blocking("feedback.put", move || {
        if !owned_by(&store, &id, &user)? {
            return Ok(None);
        }
        let fb = Feedback {
            rating,
            comment,
            categories,
            time: OffsetDateTime::now_utc(),
            user,
        };
        store.put_feedback(&id, fb.clone())?;
        Ok(Some(fb))
    })
    .await?
    .ok_or(GatewayError::NotFound)?;
    FeedbackReceived {
        rating: &fb.rating.label(),
    }
    .emit(&state.metrics);
    tracing::info!(request_id = %request_id, rating = %fb.rating.label(), "feedback stored");
    Ok((
        axum::http::StatusCode::CREATED,
        Json(feedback_json(&request_id, &fb)),
    )
        .into_response())
}

/// `GET /v1/feedback/{request_id}`: the caller's feedback on one of their answers.
pub(super) async fn get_feedback(
    State(state): State<Arc<AppState>>,
    Path(request_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, GatewayError> {
    let caller = state.keys.staff(&headers)?;
    let id = request_id.clone();
    let user = caller.user().to_owned();
    let store = state.store.clone();
    let fb = blocking("feedback.get", move || {
        if !owned_by(&store, &id, &user)? {
            return Ok(None);
        }
        store.get_feedback(&id)
    })
    .await?
    .ok_or(GatewayError::NotFound)?;
    Ok(Json(feedback_json(&request_id, &fb)))
}

/// `POST /v1/consent`: records the caller's consent to the trial terms.
pub(super) async fn post_consent(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, GatewayError> {
    let caller = state.keys.staff(&headers)?;
    let v: Value = read_json(body).await?;
    if v.get("accept") != Some(&Value::Bool(true)) {
        return Err(GatewayError::InvalidField {
            field: "accept",
            problem: "send {\"accept\": true} to consent to the trial terms",
        });
    }
    let consent = Consent {
        time: OffsetDateTime::now_utc(),
        text_version: text_version(&state),
    };
    let subject = consent_subject(&caller);
    let store = state.store.clone();
    let c = consent.clone();
    blocking("consent.put", move || store.record_consent(&subject, c)).await?;
    tracing::info!(user = caller.user(), "consent recorded");
    Ok(Json(consent_json(&state.settings, &caller, Some(&consent))))
}

/// `GET /v1/consent`: the caller's consent status.
pub(super) async fn get_consent(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Value>, GatewayError> {
    let caller = state.keys.staff(&headers)?;
    let subject = consent_subject(&caller);
    let store = state.store.clone();
    let c = blocking("consent.get", move || store.get_consent(&subject)).await?;
    Ok(Json(consent_json(&state.settings, &caller, c.as_ref())))
}

/// Whether record `id` exists and was made by `user` (false for both "missing" and "not yours").
fn owned_by(
    store: &crate::store::AuditStore,
    id: &str,
    user: &str,
) -> Result<bool, crate::store::StoreError> {
    Ok(store.get(id)?.is_some_and(|r| r.record.user == user))
}

/// Validates the optional `categories` list.
fn parse_categories(v: Option<&Value>) -> Result<Vec<String>, GatewayError> {
    const BAD: GatewayError = GatewayError::InvalidField {
        field: "categories",
        problem: "expected a list of at most 20 strings of at most 64 characters",
    };
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) if items.len() <= MAX_CATEGORIES => items
            .iter()
            .map(|i| match i {
                Value::String(s) if s.chars().count() <= MAX_CATEGORY_CHARS => Ok(s.clone()),
                _ => Err(BAD),
            })
            .collect(),
        Some(_) => Err(BAD),
    }
}

/// The feedback as returned to its author.
fn feedback_json(request_id: &str, fb: &Feedback) -> Value {
    json!({
        "object": "feedback",
        "request_id": request_id,
        "rating": fb.rating,
        "comment": fb.comment,
        "categories": fb.categories,
        "time": rfc3339(fb.time),
        "user": fb.user,
    })
}

/// The consent status of a caller.
fn consent_json(settings: &Settings, caller: &Caller, c: Option<&Consent>) -> Value {
    json!({
        "object": "consent",
        "user": caller.user(),
        "required": caller.key.public,
        // Consent to an older trial text does not count: the user must agree again.
        "consented": c.is_some_and(|c| consent_is_current(settings, c)),
        "time": c.map(|c| rfc3339(c.time)),
        "text_version": c.map(|c| c.text_version.clone()),
    })
}

fn text_version(state: &AppState) -> String {
    consent_text_version(&state.settings)
}

/// RFC 3339 text of a time (empty on the impossible formatting failure).
fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
