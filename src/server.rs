//! Listeners, the router and graceful shutdown.
//!
//! The accept loop is ours rather than `axum::serve` because a gateway needs
//! what that helper does not offer: TLS via rustls, a header read timeout for
//! slow clients, a cap on concurrent connections, the peer address for the
//! audit log, and a bounded drain on shutdown. Routing itself is axum's.
//!
//! Shutdown: when `shutdown` resolves, every listener stops accepting, open
//! connections are asked to finish (in-flight requests and streams run to
//! their end), and whatever is still open after `shutdown_grace` is dropped.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Path as UrlPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use http::{HeaderMap, HeaderValue};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::error::GatewayError;
use crate::pipeline::{self, parse::RouteStyle, RequestMeta};
use crate::providers::Operation;
use crate::state::AppState;

/// Header carrying the request id (a ULID, also the audit record id).
pub const REQUEST_ID: &str = "x-request-id";

/// Builds the main router; /metrics is on it unless an admin listener is configured.
pub fn router(state: Arc<AppState>) -> Router {
    let mut r = Router::new().merge(crate::admin::staff_routes());
    if state.settings.admin_listen.is_none() {
        r = r
            .route("/metrics", get(metrics))
            .merge(crate::admin::admin_routes());
    }
    r.route("/v1/chat/completions", post(openai_chat))
        .route("/v1/completions", post(openai_completions))
        .route("/v1/embeddings", post(openai_embeddings))
        .route("/v1/responses", post(openai_responses))
        .route("/v1/models", get(models))
        .route(
            "/openai/deployments/{deployment}/chat/completions",
            post(azure_chat),
        )
        .route(
            "/openai/deployments/{deployment}/completions",
            post(azure_completions),
        )
        .route(
            "/openai/deployments/{deployment}/embeddings",
            post(azure_embeddings),
        )
        .route("/openai/responses", post(azure_responses))
        .route("/openai/models", get(models))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(|| async { GatewayError::NotFound })
        .method_not_allowed_fallback(|| async { GatewayError::MethodNotAllowed })
        .layer(middleware::from_fn(request_id))
        .with_state(state)
}

/// Gives every request a ULID (a well-formed one from the client is kept) and
/// echoes it on the response.
async fn request_id(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| ulid::Ulid::from_string(s).ok())
        .unwrap_or_else(ulid::Ulid::new)
        .to_string();
    let client = req.extensions().get::<PeerAddr>().map(|p| p.0);
    req.extensions_mut().insert(RequestMeta {
        request_id: id.clone(),
        client,
        received: Instant::now(),
    });
    let mut resp = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    resp
}

/// The connection's peer address, put on every request by the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// Marks a request that arrived over TLS (the console sets `Secure` cookies then).
#[derive(Debug, Clone, Copy)]
pub struct OverTls;

fn meta_of(req: &Request) -> RequestMeta {
    req.extensions()
        .get::<RequestMeta>()
        .cloned()
        .unwrap_or_else(|| RequestMeta {
            request_id: ulid::Ulid::new().to_string(),
            client: None,
            received: Instant::now(),
        })
}

async fn model_call(
    state: Arc<AppState>,
    op: Operation,
    style: RouteStyle,
    req: Request,
) -> Response {
    let meta = meta_of(&req);
    let (parts, body) = req.into_parts();
    pipeline::handle(state, meta, op, style, parts.headers, body).await
}

async fn openai_chat(State(s): State<Arc<AppState>>, req: Request) -> Response {
    model_call(s, Operation::ChatCompletions, RouteStyle::OpenAi, req).await
}
async fn openai_completions(State(s): State<Arc<AppState>>, req: Request) -> Response {
    model_call(s, Operation::Completions, RouteStyle::OpenAi, req).await
}
async fn openai_embeddings(State(s): State<Arc<AppState>>, req: Request) -> Response {
    model_call(s, Operation::Embeddings, RouteStyle::OpenAi, req).await
}
async fn openai_responses(State(s): State<Arc<AppState>>, req: Request) -> Response {
    model_call(s, Operation::Responses, RouteStyle::OpenAi, req).await
}
async fn azure_responses(State(s): State<Arc<AppState>>, req: Request) -> Response {
    if !has_api_version(&req) {
        return GatewayError::MissingApiVersion.into_response();
    }
    model_call(s, Operation::Responses, RouteStyle::AzureUnscoped, req).await
}

/// Whether the query carries a non-empty `api-version`, as Azure OpenAI requires; mamori
/// refuses its absence the way Azure would instead of silently choosing a version.
fn has_api_version(req: &Request) -> bool {
    req.uri().query().is_some_and(|q| {
        q.split('&').any(|pair| {
            pair.strip_prefix("api-version=")
                .is_some_and(|v| !v.is_empty())
        })
    })
}

async fn azure_call(
    state: Arc<AppState>,
    op: Operation,
    path: Result<UrlPath<String>, axum::extract::rejection::PathRejection>,
    req: Request,
) -> Response {
    match path {
        Ok(_) if !has_api_version(&req) => GatewayError::MissingApiVersion.into_response(),
        Ok(UrlPath(deployment)) => {
            model_call(state, op, RouteStyle::Azure { deployment }, req).await
        }
        Err(_) => GatewayError::NotFound.into_response(),
    }
}
async fn azure_chat(
    State(s): State<Arc<AppState>>,
    path: Result<UrlPath<String>, axum::extract::rejection::PathRejection>,
    req: Request,
) -> Response {
    azure_call(s, Operation::ChatCompletions, path, req).await
}
async fn azure_completions(
    State(s): State<Arc<AppState>>,
    path: Result<UrlPath<String>, axum::extract::rejection::PathRejection>,
    req: Request,
) -> Response {
    azure_call(s, Operation::Completions, path, req).await
}
async fn azure_embeddings(
    State(s): State<Arc<AppState>>,
    path: Result<UrlPath<String>, axum::extract::rejection::PathRejection>,
    req: Request,
) -> Response {
    azure_call(s, Operation::Embeddings, path, req).await
}

async fn models(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    pipeline::list_models(s, headers).await
}

/// The admin listener's router: metrics and health, away from staff traffic.
pub fn admin_router(state: Arc<AppState>) -> Router {
    Router::new()
        .merge(crate::admin::admin_routes())
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(|| async { GatewayError::NotFound })
        .method_not_allowed_fallback(|| async { GatewayError::MethodNotAllowed })
        .layer(middleware::from_fn(request_id))
        .with_state(state)
}

async fn metrics(State(s): State<Arc<AppState>>) -> Response {
    crate::metrics::events::AuditQueueSampled {
        depth: s.store.queue_depth(),
        capacity: s.settings.audit.queue_capacity,
    }
    .emit(&s.metrics);
    (
        [(http::header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        s.metrics.render(),
    )
        .into_response()
}

async fn healthz() -> Response {
    axum::Json(serde_json::json!({"status": "ok"})).into_response()
}

async fn readyz(State(s): State<Arc<AppState>>) -> Response {
    let upstreams = !s.settings.models.is_empty() && !s.providers.is_empty();
    let store = s.store.health();
    let policies = s.policies.load().get(&s.settings.default_policy).is_some();
    let ready = upstreams && policies && (store.healthy || s.settings.audit.fail_open);
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not_ready" },
        "checks": {
            "upstreams": upstreams,
            "policies": policies,
            "audit_store": store.healthy,
            "audit_queue_depth": store.queue_depth,
            "audit_last_error": store.last_error,
        },
    });
    let status = if ready {
        http::StatusCode::OK
    } else {
        http::StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

/// A bound listener, plain or TLS.
pub struct Listener {
    /// The socket.
    pub tcp: TcpListener,
    /// TLS acceptor for HTTPS listeners.
    pub tls: Option<TlsAcceptor>,
    /// Serves the admin router instead of the main one.
    pub admin: bool,
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read.
    #[error("{path}: {problem}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        problem: String,
    },
    /// rustls refused the certificate or key.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Loads a PEM certificate chain and key into a rustls acceptor.
pub fn tls_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let file_err = |p: &Path, problem: String| TlsError::File {
        path: p.display().to_string(),
        problem,
    };
    let cert_pem = std::fs::read(cert).map_err(|e| file_err(cert, format!("cannot read: {e}")))?;
    let key_pem = std::fs::read(key).map_err(|e| file_err(key, format!("cannot read: {e}")))?;
    let certs = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_err(cert, format!("invalid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(file_err(cert, "no CERTIFICATE block found".into()));
    }
    let key_der = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(|e| file_err(key, format!("invalid PEM: {e}")))?
        .ok_or_else(|| file_err(key, "no PRIVATE KEY block found".into()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(certs, key_der)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The leaf certificate's notAfter (Unix seconds), for the expiry alert.
pub fn cert_not_after(cert: &Path) -> Option<i64> {
    let pem = std::fs::read(cert).ok()?;
    let der = rustls_pemfile::certs(&mut pem.as_slice()).next()?.ok()?;
    let (_, parsed) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
    Some(parsed.validity().not_after.timestamp())
}

/// Serves one plain listener until `shutdown` resolves (tests use this).
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    serve_all(
        vec![Listener {
            tcp: listener,
            tls: None,
            admin: false,
        }],
        state,
        shutdown,
    )
    .await
}

/// Serves every listener until `shutdown` resolves, then drains within the grace period.
pub async fn serve_all(
    listeners: Vec<Listener>,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let app = router(state.clone());
    let admin_app = admin_router(state.clone());
    let graceful = Arc::new(GracefulShutdown::new());
    let (stop_tx, stop_rx) = watch::channel(false);
    let conn = ConnSettings {
        header_read_timeout: state.settings.limits.header_read_timeout,
        max_connections: state.settings.max_connections,
    };
    let mut loops = Vec::new();
    for l in listeners {
        let router = if l.admin {
            admin_app.clone()
        } else {
            app.clone()
        };
        loops.push(tokio::spawn(accept_loop(
            l,
            router,
            conn.clone(),
            graceful.clone(),
            stop_rx.clone(),
        )));
    }
    shutdown.await;
    tracing::info!("shutting down: no longer accepting connections");
    let _ = stop_tx.send(true);
    for l in loops {
        let _ = l.await;
    }
    let grace = state.settings.shutdown_grace;
    let Ok(graceful) = Arc::try_unwrap(graceful) else {
        // Unreachable once every accept loop has ended; wait out the grace period anyway.
        tokio::time::sleep(grace).await;
        state.close_audit().await;
        return Ok(());
    };
    let drained = tokio::select! {
        _ = graceful.shutdown() => { tracing::info!("all connections finished"); true }
        _ = tokio::time::sleep(grace) => { tracing::warn!(grace_secs = grace.as_secs(), "grace period over; dropping remaining connections"); false }
    };
    if !drained {
        // Streams cut off by the grace period still log their exchange; give them a moment.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    state.close_audit().await;
    Ok(())
}

#[derive(Clone)]
struct ConnSettings {
    header_read_timeout: Duration,
    max_connections: usize,
}

async fn accept_loop(
    listener: Listener,
    app: Router,
    conn: ConnSettings,
    graceful: Arc<GracefulShutdown>,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(conn.max_connections));
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = stop.changed() => break,
        };
        let accepted = tokio::select! {
            r = listener.tcp.accept() => r,
            _ = stop.changed() => break,
        };
        let (tcp, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let app = app.clone();
        let tls = listener.tls.clone();
        let watcher = graceful.watcher();
        let timeout = conn.header_read_timeout;
        let over_tls = tls.is_some();
        tokio::spawn(async move {
            let _permit = permit;
            let svc =
                hyper::service::service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(PeerAddr(peer));
                    if over_tls {
                        req.extensions_mut().insert(OverTls);
                    }
                    app.clone().oneshot(req.map(Body::new))
                });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(timeout);
            match tls {
                None => {
                    let c = builder.serve_connection(TokioIo::new(tcp), svc);
                    if let Err(e) = watcher.watch(c).await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                }
                Some(acceptor) => {
                    let stream = match tokio::time::timeout(timeout, acceptor.accept(tcp)).await {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            tracing::debug!(error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => return,
                    };
                    let c = builder.serve_connection(TokioIo::new(stream), svc);
                    if let Err(e) = watcher.watch(c).await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                }
            }
        });
    }
}
