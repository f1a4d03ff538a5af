//! Admin audit API: search, read, export, stats, verify (auditor and admin)
//! and retention purge (admin only). See the module docs of [`crate::admin`].

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, Time, UtcOffset};
use tokio::sync::mpsc;

use super::{blocking, read_json};
use crate::config::AdminRole;
use crate::error::GatewayError;
use crate::pipeline::auth::AdminCaller;
use crate::state::AppState;
use crate::store::{ExportFormat, Filter, StoreError, Verdict};

/// Page size when `limit` is not given.
const DEFAULT_LIMIT: usize = 50;
/// Largest page (the store clamps to the same bound).
const MAX_LIMIT: usize = 1000;
/// Bytes gathered before an export chunk is handed to the client.
const EXPORT_CHUNK: usize = 64 * 1024;
/// Chunks in flight between the export thread and the response (bounds memory).
const EXPORT_CHUNKS_IN_FLIGHT: usize = 4;

/// Authenticates a reader (auditor or admin) and logs the action.
pub(super) fn reader(
    state: &AppState,
    headers: &HeaderMap,
    action: &str,
) -> Result<AdminCaller, GatewayError> {
    let who = state.keys.admin(headers)?;
    tracing::info!(token = %who.name, role = ?who.role, action, "admin api");
    Ok(who)
}

/// Authenticates an admin-role caller; auditors get 403 `admin_only`.
fn admin_only(
    state: &AppState,
    headers: &HeaderMap,
    action: &str,
) -> Result<AdminCaller, GatewayError> {
    let who = state.keys.admin(headers)?;
    if who.role != AdminRole::Admin {
        tracing::warn!(token = %who.name, action, "admin api: refused, auditor role");
        return Err(GatewayError::AdminOnly);
    }
    tracing::info!(token = %who.name, role = ?who.role, action, "admin api");
    Ok(who)
}

/// Builds a store filter from query parameters.
///
/// `from`/`to` take RFC 3339 or `YYYY-MM-DD`; a date means that whole day at the
/// store's stats offset (so `to=2026-11-23` includes the 23rd).
pub(super) fn filter_from(
    q: &HashMap<String, String>,
    offset: UtcOffset,
) -> Result<Filter, GatewayError> {
    let text = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
    let verdict = match text("verdict") {
        None => None,
        Some(v) => Some(
            v.parse::<Verdict>()
                .map_err(|_| GatewayError::InvalidField {
                    field: "verdict",
                    problem: "expected allowed, masked, warned, blocked, upstream_error or error",
                })?,
        ),
    };
    let from = match text("from") {
        None => None,
        Some(v) => Some(
            parse_time(&v, offset, false).ok_or(GatewayError::InvalidField {
                field: "from",
                problem: "expected RFC 3339 or YYYY-MM-DD",
            })?,
        ),
    };
    let to = match text("to") {
        None => None,
        Some(v) => Some(
            parse_time(&v, offset, true).ok_or(GatewayError::InvalidField {
                field: "to",
                problem: "expected RFC 3339 or YYYY-MM-DD",
            })?,
        ),
    };
    Ok(Filter {
        user: text("user"),
        department: text("department"),
        plan: text("plan"),
        model: text("model"),
        verdict,
        detector: text("type").or_else(|| text("detector")),
        from,
        to,
        text: text("q"),
    })
}

/// RFC 3339, or a date (start of day; with `end_of_day`, start of the next day).
pub(super) fn parse_time(v: &str, offset: UtcOffset, end_of_day: bool) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(v, &Rfc3339) {
        return Some(t);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = Date::parse(v, &fmt).ok()?;
    let d = if end_of_day { d.next_day()? } else { d };
    Some(d.with_time(Time::MIDNIGHT).assume_offset(offset))
}

/// The offset dates in filters are read at (the store's stats offset).
pub(super) fn date_offset(state: &AppState) -> UtcOffset {
    state.store.shared.cfg.stats_utc_offset
}

/// `GET /admin/logs`: one page of matching records, newest first.
pub(super) async fn list_logs(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, GatewayError> {
    reader(&state, &headers, "logs.search")?;
    let filter = filter_from(&q, date_offset(&state))?;
    let limit = match q.get("limit").filter(|v| !v.is_empty()) {
        None => DEFAULT_LIMIT,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or(GatewayError::InvalidField {
                field: "limit",
                problem: "expected an integer 1..1000",
            })?,
    };
    let cursor = q.get("cursor").filter(|v| !v.is_empty()).cloned();
    if cursor.as_deref().is_some_and(|c| c.parse::<u64>().is_err()) {
        return Err(GatewayError::InvalidField {
            field: "cursor",
            problem: "expected the next_cursor of a previous page",
        });
    }
    let store = state.store.clone();
    let page = blocking("logs.search", move || {
        store.search(&filter, cursor.as_deref(), limit)
    })
    .await?;
    Ok(Json(json!({
        "object": "list",
        "data": page.records,
        "next_cursor": page.next_cursor,
    })))
}

/// `GET /admin/logs/{id}`: one record with its chain position and feedback.
pub(super) async fn get_log(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, GatewayError> {
    reader(&state, &headers, "logs.show")?;
    let store = state.store.clone();
    let rec = blocking("logs.show", move || store.get(&id))
        .await?
        .ok_or(GatewayError::NotFound)?;
    serde_json::to_value(rec)
        .map(Json)
        .map_err(|_| GatewayError::Internal)
}

/// `GET /admin/logs/export?format=jsonl|csv&…`: every matching record, oldest
/// first, streamed: a blocking thread writes into a bounded channel of chunks,
/// so memory stays bounded whatever the number of records.
pub(super) async fn export_logs(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, GatewayError> {
    reader(&state, &headers, "logs.export")?;
    export_response(&state, &q)
}

/// Whether the query asks for a UTF-8 byte order mark before CSV (`bom=1` or `bom=true`),
/// for spreadsheets that otherwise guess the code page.
pub(crate) fn bom_requested(q: &HashMap<String, String>) -> Result<bool, GatewayError> {
    match q.get("bom").map(String::as_str) {
        None | Some("" | "0" | "false") => Ok(false),
        Some("1" | "true") => Ok(true),
        Some(_) => Err(GatewayError::InvalidField {
            field: "bom",
            problem: "expected 1, true, 0 or false",
        }),
    }
}

/// The export download for query `q` (`format`, `bom` and filters), after authentication;
/// shared by the API and the console.
pub(super) fn export_response(
    state: &AppState,
    q: &HashMap<String, String>,
) -> Result<Response, GatewayError> {
    let format = match q.get("format").map(String::as_str) {
        None | Some("") | Some("jsonl") => ExportFormat::Jsonl,
        Some("csv") => ExportFormat::Csv,
        Some(_) => {
            return Err(GatewayError::InvalidField {
                field: "format",
                problem: "expected jsonl or csv",
            })
        }
    };
    let bom = format == ExportFormat::Csv && bom_requested(q)?;
    let filter = filter_from(q, date_offset(state))?;
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(EXPORT_CHUNKS_IN_FLIGHT);
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || {
        let mut buf = Vec::with_capacity(EXPORT_CHUNK);
        if bom {
            buf.extend_from_slice(crate::store::UTF8_BOM.as_bytes());
        }
        let mut w = ChunkWriter {
            tx: tx.clone(),
            buf,
        };
        match store.export(&filter, format, &mut w).and_then(|n| {
            w.send_buf()
                .map(|()| n)
                .map_err(|e| StoreError::Export(e.to_string()))
        }) {
            Ok(n) => tracing::info!(records = n, "export finished"),
            Err(e) => {
                tracing::error!(error = %e, "export failed; aborting the response");
                // An error item aborts the body, so the client sees a failed
                // download rather than a silently truncated file.
                let _ = tx.blocking_send(Err(std::io::Error::other("export failed")));
            }
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let (ctype, ext) = match format {
        ExportFormat::Jsonl => ("application/x-ndjson", "jsonl"),
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
    };
    let stamp = OffsetDateTime::now_utc().unix_timestamp();
    let disposition = format!("attachment; filename=\"mamori-audit-{stamp}.{ext}\"");
    let mut resp = Response::new(Body::from_stream(stream));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// `io::Write` that hands fixed-size chunks to the response stream, blocking
/// while the client is slow (back-pressure) and failing once it has gone.
struct ChunkWriter {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl ChunkWriter {
    /// Sends what is buffered.
    fn send_buf(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(EXPORT_CHUNK));
        self.tx
            .blocking_send(Ok(Bytes::from(chunk)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= EXPORT_CHUNK {
            self.send_buf()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send_buf()
    }
}

/// `GET /admin/stats`: counts by verdict, detector, department, model, day; feedback summary.
pub(super) async fn stats(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, GatewayError> {
    reader(&state, &headers, "stats")?;
    let filter = filter_from(&q, date_offset(&state))?;
    let store = state.store.clone();
    let st = blocking("stats", move || store.stats(&filter)).await?;
    serde_json::to_value(st)
        .map(Json)
        .map_err(|_| GatewayError::Internal)
}

/// `GET /admin/verify`: walks the hash chain and returns the report.
pub(super) async fn verify(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Value>, GatewayError> {
    reader(&state, &headers, "verify")?;
    let store = state.store.clone();
    let report = blocking("verify", move || store.verify()).await?;
    if !report.intact {
        tracing::error!(break_ = ?report.first_break, "audit chain verification failed");
    }
    serde_json::to_value(report)
        .map(Json)
        .map_err(|_| GatewayError::Internal)
}

/// `POST /admin/retention/purge` `{"before": RFC 3339}`: removes older records (admin role only).
pub(super) async fn purge(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, GatewayError> {
    let who = admin_only(&state, &headers, "retention.purge")?;
    let v: Value = read_json(body).await?;
    let before = v
        .get("before")
        .and_then(Value::as_str)
        .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
        .ok_or(GatewayError::InvalidField {
            field: "before",
            problem: "expected an RFC 3339 time",
        })?;
    let store = state.store.clone();
    let purged = blocking("retention.purge", move || store.purge_before(before)).await?;
    tracing::warn!(token = %who.name, purged, "audit records purged by admin");
    let before_text = before.format(&Rfc3339).unwrap_or_default();
    Ok((
        StatusCode::OK,
        Json(json!({"object": "purge", "before": before_text, "purged": purged})),
    )
        .into_response())
}
