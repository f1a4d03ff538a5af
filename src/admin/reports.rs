//! `GET /admin/plans` and `GET /admin/reports/{plan}`: the use plans and their
//! filled-in reports (issue 7), for auditors and admins.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::api::reader;
use crate::error::GatewayError;
use crate::report::{self, DayRange, PlanReport, ReportError, ReportFormat};
use crate::state::AppState;

/// `GET /admin/plans`: every plan with its colour, period, scope and key count.
pub(super) async fn list_plans(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Value>, GatewayError> {
    reader(&state, &headers, "plans.list")?;
    let s = &state.settings;
    let today = s.today();
    let data: Vec<Value> = s
        .plans
        .iter()
        .map(|p| {
            json!({
                "id": p.id,
                "service": p.service,
                "purpose": p.purpose,
                "provider": p.provider,
                "confidentiality_class": p.class,
                "start": p.start.to_string(),
                "end": p.end.to_string(),
                "in_period": p.in_period(today),
                "departments": p.departments,
                "users": p.users,
                "approver": p.approver,
                "domain": p.domain.as_str(),
                "category": p.category,
                "colour": p.colour.as_str(),
                "colour_ja": p.colour.label_ja(),
                "public": p.public,
                "models": p.models,
                "policy": p.policy,
                "keys": s.plan_keys(&p.id).count(),
            })
        })
        .collect();
    Ok(Json(json!({"object": "list", "data": data})))
}

/// `GET /admin/reports/{plan}?from=&to=&format=json|md|csv[&bom=1]`: the plan's report.
pub(super) async fn plan_report(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(plan): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, GatewayError> {
    reader(&state, &headers, "plans.report")?;
    let text = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
    let format = match text("format") {
        None => ReportFormat::Json,
        Some(f) => f
            .parse::<ReportFormat>()
            .map_err(|_| GatewayError::InvalidField {
                field: "format",
                problem: "expected json, md or csv",
            })?,
    };
    let day = |field: &'static str| -> Result<_, GatewayError> {
        match text(field) {
            None => Ok(None),
            Some(v) => report::parse_day(&v)
                .map(Some)
                .map_err(|_| GatewayError::InvalidField {
                    field,
                    problem: "expected YYYY-MM-DD",
                }),
        }
    };
    let range = DayRange {
        from: day("from")?,
        to: day("to")?,
    };
    let built = match build_report(&state, plan, range).await? {
        Ok(r) => r,
        Err(ReportError::UnknownPlan(p)) => return Err(GatewayError::UnknownPlan(p)),
        Err(ReportError::EmptyRange { .. }) => {
            return Err(GatewayError::InvalidField {
                field: "from",
                problem: "from is after to",
            })
        }
        Err(ReportError::Store(e)) => return Err(super::store_error("plans.report", e)),
    };
    if format == ReportFormat::Json {
        return serde_json::to_value(&built)
            .map(|v| Json(v).into_response())
            .map_err(|_| GatewayError::Internal);
    }
    report_file(&built, format, super::api::bom_requested(&q)?)
}

/// Builds a plan's report on a blocking thread (it walks the store). The outer error is a
/// failed blocking task; the inner one is the report's own, for the caller to word.
pub(crate) async fn build_report(
    state: &Arc<AppState>,
    plan: String,
    range: DayRange,
) -> Result<Result<PlanReport, ReportError>, GatewayError> {
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        report::build(
            &st.settings,
            &st.store,
            &plan,
            range,
            OffsetDateTime::now_utc(),
        )
    })
    .await
    .map_err(|_| GatewayError::Internal)
}

/// A rendered report as a download (`md` or `csv`, CSV with a UTF-8 BOM when `bom`);
/// shared by the API and the console.
pub(crate) fn report_file(
    r: &PlanReport,
    format: ReportFormat,
    bom: bool,
) -> Result<Response, GatewayError> {
    let mut body = report::render(r, format).map_err(|e| {
        tracing::error!(error = %e, "report rendering failed");
        GatewayError::Internal
    })?;
    if format == ReportFormat::Csv && bom {
        body.insert_str(0, crate::store::UTF8_BOM);
    }
    let (content_type, ext) = match format {
        ReportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        _ => ("text/markdown; charset=utf-8", "md"),
    };
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The plan id is validated at config load (ASCII letters, digits, - and _).
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"mamori-report-{}.{ext}\"",
        r.plan.id
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}
