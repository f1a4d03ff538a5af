//! The optional HTTPS listener (rustls, PEM cert and key) (issue 3).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::*;
use mamori::server::{self, Listener};

#[tokio::test]
async fn tls_listener_serves_model_requests() {
    let up = upstream::Upstream::start().await;
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();

    let acceptor = server::tls_acceptor(&cert_path, &key_path).unwrap();
    let not_after = server::cert_not_after(&cert_path).expect("notAfter parsed");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(not_after > now, "expiry {not_after} is in the future");
    let settings = mamori::config::Settings::from_toml(
        &config_for(up.addr, ""),
        "<test>",
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
    )
    .unwrap();
    let state = Arc::new(mamori::state::AppState::new(settings).unwrap());
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server::serve_all(
        vec![Listener {
            tcp,
            tls: Some(acceptor),
            admin: false,
        }],
        state,
        async {
            let _ = rx.await;
        },
    ));

    let client = reqwest::Client::builder()
        .no_proxy()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .resolve("localhost", addr)
        .build()
        .unwrap();
    let url = format!("https://localhost:{}/v1/chat/completions", addr.port());
    let resp = client
        .post(url)
        .bearer_auth(ALICE)
        .json(&chat_body("gpt-4o-mini", "over TLS", false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        without_notice(v["choices"][0]["message"]["content"].as_str().unwrap()),
        "over TLS"
    );

    // Plain HTTP on the TLS port is refused, not served.
    let plain = reqwest::Client::builder().no_proxy().build().unwrap();
    assert!(plain
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .is_err());

    let _ = tx.send(());
    task.await.unwrap().unwrap();
}

#[test]
fn bad_pem_files_give_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("empty.pem");
    std::fs::write(&p, "not a pem").unwrap();
    let err = server::tls_acceptor(&p, &p).err().unwrap().to_string();
    assert!(err.contains("empty.pem"), "{err}");
}
