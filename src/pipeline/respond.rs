//! Phase 6, respond: relay the upstream answer to the client.
//!
//! Whole answers are read within the total deadline and a size cap, then
//! relayed with upstream's status. Streams are parsed into Server-Sent Events
//! and re-emitted one by one as they arrive, never buffered whole: a task
//! reads upstream and feeds a small bounded channel, so a slow client slows
//! the read instead of growing memory, and the task still reaches the end of
//! the exchange (for the log) when the client goes away. An upstream failure
//! after the headers went out ends the stream with an OpenAI-shaped error
//! event, so SDKs raise instead of hanging.

use std::convert::Infallible;
use std::time::Instant;

use axum::body::Body;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use eventsource_stream::Eventsource;
use futures_util::{stream, StreamExt};
use http::{HeaderValue, StatusCode};
use tokio::sync::mpsc;

use super::stamp::{AnswerFacts, SseEvent, StreamStamper};
use crate::error::GatewayError;
use crate::providers::UpstreamResponse;

/// Largest whole (non-streamed) upstream body mamori will hold.
pub const MAX_UPSTREAM_BODY: usize = 64 * 1024 * 1024;

/// Frames buffered between the upstream reader and the client.
const STREAM_BUFFER: usize = 16;

/// Header every proxied model answer carries (Q11 disclosure).
pub const AI_GENERATED: &str = "x-ai-generated";

/// Reads a whole upstream body within the deadline.
pub async fn read_whole(
    up: &mut UpstreamResponse,
    deadline: Instant,
) -> Result<Bytes, GatewayError> {
    let mut buf = BytesMut::new();
    loop {
        let next = tokio::time::timeout_at(deadline.into(), up.body.next()).await;
        match next {
            Err(_) => return Err(GatewayError::UpstreamTimeout("total")),
            Ok(None) => return Ok(buf.freeze()),
            Ok(Some(Err(e))) => return Err(e),
            Ok(Some(Ok(chunk))) => {
                if buf.len() + chunk.len() > MAX_UPSTREAM_BODY {
                    return Err(GatewayError::UpstreamProtocol);
                }
                buf.extend_from_slice(&chunk);
            }
        }
    }
}

/// A whole answer, relayed with upstream's status and content type.
pub fn whole(status: StatusCode, content_type: Option<HeaderValue>, body: Bytes) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    let ct = content_type.unwrap_or_else(|| HeaderValue::from_static("application/json"));
    resp.headers_mut().insert(http::header::CONTENT_TYPE, ct);
    resp.headers_mut()
        .insert(AI_GENERATED, HeaderValue::from_static("true"));
    resp
}

/// How a relayed stream ended, for the log and metrics.
#[derive(Debug, Default)]
pub struct StreamOutcome {
    /// Events relayed.
    pub events: u64,
    /// The error that ended it early, if any.
    pub error: Option<&'static str>,
    /// Whether the client went away before the end.
    pub client_gone: bool,
    /// When the first event was handed to the client.
    pub first_event: Option<Instant>,
}

/// Relays an upstream SSE stream event by event through the stamper.
///
/// `on_end` runs once the stream is over, whatever ended it.
pub fn stream<F, Fut>(
    up: UpstreamResponse,
    deadline: Instant,
    mut stamper: StreamStamper,
    on_end: F,
) -> Response
where
    F: FnOnce(StreamOutcome, AnswerFacts) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let (tx, rx) = mpsc::channel::<Event>(STREAM_BUFFER);
    let status = up.status;
    tokio::spawn(async move {
        let mut outcome = StreamOutcome::default();
        let mut done: Option<SseEvent> = None;
        let mut events = up.body.eventsource();
        loop {
            let next = tokio::time::timeout_at(deadline.into(), events.next()).await;
            let event = match next {
                Err(_) => {
                    outcome.error = Some(GatewayError::UpstreamTimeout("total").kind());
                    let _ = tx
                        .send(error_event(&GatewayError::UpstreamTimeout("total")))
                        .await;
                    break;
                }
                Ok(None) => {
                    // EOF without [DONE]: still close open choices with the notice.
                    for ev in stamper.finish() {
                        if tx.send(to_axum(&ev)).await.is_err() {
                            outcome.client_gone = true;
                            break;
                        }
                    }
                    break;
                }
                Ok(Some(Err(e))) => {
                    tracing::warn!(error = %e, "upstream stream ended with an error");
                    let err = GatewayError::UpstreamConnect;
                    outcome.error = Some(err.kind());
                    let _ = tx.send(error_event(&err)).await;
                    break;
                }
                Ok(Some(Ok(ev))) => ev,
            };
            outcome.events += 1;
            let incoming = SseEvent {
                event: if event.event == "message" {
                    String::new()
                } else {
                    event.event
                },
                data: event.data,
            };
            let mut gone = false;
            for ev in stamper.on_event(incoming) {
                if ev.data == "[DONE]" {
                    // Released only after the exchange is logged (strict durability).
                    done = Some(ev);
                    continue;
                }
                if tx.send(to_axum(&ev)).await.is_err() {
                    gone = true;
                    break;
                }
                outcome.first_event.get_or_insert_with(Instant::now);
            }
            if gone {
                outcome.client_gone = true;
                // Keep nothing more from upstream: dropping `events` closes the connection.
                break;
            }
            if stamper.ended() {
                // Blocked by the output policy: the stamper sent the final
                // events; stop reading (dropping `events` closes upstream).
                break;
            }
        }
        drop(events);
        let gone = outcome.client_gone;
        on_end(outcome, stamper.into_facts()).await;
        if let (Some(ev), false) = (done, gone) {
            let _ = tx.send(to_axum(&ev)).await;
        }
    });
    let body = stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|ev| (Ok::<_, Infallible>(ev), rx))
    });
    let mut resp = Sse::new(body).into_response();
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(AI_GENERATED, HeaderValue::from_static("true"));
    resp.headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    resp
}

/// Frames an event for the client.
fn to_axum(ev: &SseEvent) -> Event {
    // `event:` goes before `data:`, as OpenAI writes it. axum refuses (panics
    // on) CR and LF in the event name; the parser never yields them there, and
    // such a name is dropped rather than trusted.
    let out = Event::default();
    let out = if !ev.event.is_empty() && is_field_safe(&ev.event) {
        out.event(&ev.event)
    } else {
        out
    };
    out.data(&ev.data)
}

fn is_field_safe(s: &str) -> bool {
    !s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0))
}

/// The error event that ends a stream whose headers are already out.
pub fn error_event(err: &GatewayError) -> Event {
    Event::default().data(err.to_json().to_string())
}
