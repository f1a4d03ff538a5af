//! The floor of the load benchmark: a bare HTTP/1.1 relay built from the
//! same parts as mamori (tokio's multi-thread runtime, hyper's server, the
//! pooled hyper-util client, mimalloc), doing nothing but relay.
//!
//! No staff key, no parse, no scan, no notice, no audit record, no metrics:
//! it reads the request body, sends it to the upstream with its content type,
//! reads the answer and sends it back. What it reaches on a machine is the
//! most any gateway on this stack can reach there; `benches/load/run.sh`
//! measures it as the `floor` target next to nginx and mamori.
//!
//! Run by `benches/load/run.sh` with `RELAY_LISTEN=127.0.0.1:PORT` and
//! `RELAY_UPSTREAM=http://127.0.0.1:PORT`; without them it prints how to use
//! it and exits (so `cargo bench` passes over it).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Upstream = Client<HttpConnector, Full<Bytes>>;

fn main() {
    let (Ok(listen), Ok(upstream)) = (
        std::env::var("RELAY_LISTEN"),
        std::env::var("RELAY_UPSTREAM"),
    ) else {
        println!(
            "relay_floor: set RELAY_LISTEN=ADDR:PORT and RELAY_UPSTREAM=http://ADDR:PORT \
             (benches/load/run.sh does); nothing to do"
        );
        return;
    };
    let listen: SocketAddr = listen.parse().expect("RELAY_LISTEN: ADDR:PORT");
    let base: Uri = upstream.parse().expect("RELAY_UPSTREAM: a URI");
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(serve(listen, base));
}

async fn serve(listen: SocketAddr, base: Uri) {
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    let client: Upstream = Client::builder(TokioExecutor::new()).build(http);
    let listener = TcpListener::bind(listen).await.expect("bind RELAY_LISTEN");
    println!("relay_floor: listening on {listen}, relaying to {base}");
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let client = client.clone();
        let base = base.clone();
        tokio::spawn(async move {
            let svc =
                hyper::service::service_fn(move |req| relay(client.clone(), base.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), svc)
                .await;
        });
    }
}

async fn relay(
    client: Upstream,
    base: Uri,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return Ok(status(StatusCode::BAD_REQUEST));
    };
    let mut uri = base.into_parts();
    uri.path_and_query = parts.uri.path_and_query().cloned();
    let Ok(uri) = Uri::from_parts(uri) else {
        return Ok(status(StatusCode::BAD_REQUEST));
    };
    let mut up = Request::builder().method(parts.method).uri(uri);
    if let Some(ct) = parts.headers.get(CONTENT_TYPE) {
        up = up.header(CONTENT_TYPE, ct);
    }
    let Ok(up) = up.body(Full::new(body)) else {
        return Ok(status(StatusCode::BAD_REQUEST));
    };
    let Ok(answer) = client.request(up).await else {
        return Ok(status(StatusCode::BAD_GATEWAY));
    };
    let (parts, body) = answer.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return Ok(status(StatusCode::BAD_GATEWAY));
    };
    let mut out = Response::builder().status(parts.status);
    if let Some(ct) = parts.headers.get(CONTENT_TYPE) {
        out = out.header(CONTENT_TYPE, ct);
    }
    Ok(out
        .body(Full::new(body))
        .unwrap_or_else(|_| status(StatusCode::BAD_GATEWAY)))
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = code;
    r
}
