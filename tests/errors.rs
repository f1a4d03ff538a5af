//! Each error status in OpenAI's JSON shape, Japanese first (issue 3).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn error_of(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    assert!(!text.contains(PROVIDER_KEY), "provider key leaked: {text}");
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains(" / "), "Japanese / English message: {msg}");
    assert!(!msg.is_ascii(), "Japanese first: {msg}");
    assert!(v["error"]["type"].is_string() && v["error"]["code"].is_string());
    (status, v)
}

#[tokio::test]
async fn status_codes() {
    let (gw, _up) = start().await;
    let c = client();
    let chat = gw.url("/v1/chat/completions");

    let (s, v) = error_of(
        c.post(&chat)
            .json(&chat_body("gpt-4o-mini", "x", false))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str().unwrap()),
        (401, "missing_api_key")
    );
    let (s, _) = error_of(
        c.post(&chat)
            .bearer_auth("mk-nope")
            .json(&chat_body("gpt-4o-mini", "x", false))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 401);
    // An admin token cannot call models.
    let (s, _) = error_of(
        c.post(&chat)
            .bearer_auth(AUDITOR)
            .json(&chat_body("gpt-4o-mini", "x", false))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 401);
    let (s, v) = error_of(
        c.post(&chat)
            .bearer_auth(BOB)
            .json(&chat_body("gpt-4o", "x", false))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, v["error"]["param"].as_str().unwrap()), (403, "model"));
    let (s, v) = error_of(
        c.post(&chat)
            .bearer_auth(ALICE)
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str().unwrap()),
        (400, "malformed_json")
    );
    let (s, _) = error_of(
        c.post(&chat)
            .bearer_auth(ALICE)
            .body(vec![b'"', 0xff, 0xfe, b'"'])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400, "invalid UTF-8");
    let (s, v) = error_of(
        c.post(&chat)
            .bearer_auth(ALICE)
            .json(&json!({"messages": []}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, v["error"]["param"].as_str().unwrap()), (400, "model"));
    let (s, _) = error_of(
        c.post(&chat)
            .bearer_auth(ALICE)
            .json(&json!(["array"]))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = error_of(
        c.post(&chat)
            .bearer_auth(ALICE)
            .json(&json!({"model": "gpt-4o-mini", "stream": "yes"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    let (s, v) = error_of(
        c.post(&chat)
            .bearer_auth(ALICE)
            .json(&chat_body("no-such-model", "x", false))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str().unwrap()),
        (404, "model_not_found")
    );
    let (s, _) = error_of(
        c.post(gw.url("/openai/deployments/nope/chat/completions?api-version=1"))
            .header("api-key", ALICE)
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 404);
    // Azure routes need ?api-version= (Azure itself refuses its absence); an empty one too.
    for url in [
        "/openai/deployments/gpt-4o-mini/chat/completions",
        "/openai/deployments/gpt-4o-mini/embeddings?api-version=",
        "/openai/responses?foo=1",
    ] {
        let (s, v) = error_of(
            c.post(gw.url(url))
                .header("api-key", ALICE)
                .json(&chat_body("gpt-4o-mini", "x", false))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (s, v["error"]["code"].as_str().unwrap()),
            (400, "missing_api_version"),
            "{url}"
        );
        assert_eq!(v["error"]["param"], "api-version");
        assert!(v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Azure OpenAI 形式"));
    }
    let (s, _) = error_of(c.get(gw.url("/v2/unknown")).send().await.unwrap()).await;
    assert_eq!(s, 404);
    let (s, _) = error_of(c.get(&chat).bearer_auth(ALICE).send().await.unwrap()).await;
    assert_eq!(s, 405);
    let big = "x".repeat(70_000);
    let (s, _) = error_of(
        c.post(&chat)
            .bearer_auth(ALICE)
            .json(&chat_body("gpt-4o-mini", &big, false))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 413);
}

#[tokio::test]
async fn body_limit_is_enforced_while_reading_chunked_bodies() {
    let (gw, _up) = start().await;
    // No content-length: the limit must still hold while the body streams in.
    let chunks =
        futures_util::stream::iter((0..100).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024])));
    let resp = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(ALICE)
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    let (s, _) = error_of(resp).await;
    assert_eq!(s, 413);
}

#[tokio::test]
async fn upstream_errors_map_to_502_504_and_relay() {
    let (gw, _up) = start().await;
    let c = client();
    let chat = gw.url("/v1/chat/completions");
    let (s, _) = error_of(
        c.post(&chat)
            .bearer_auth(ALICE)
            .json(&chat_body("m-down", "x", false))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 502);
    let (s, v) = error_of(
        c.post(&chat)
            .bearer_auth(ALICE)
            .json(&chat_body("m-slow", "x", false))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str().unwrap()),
        (504, "upstream_timeout")
    );
    // Upstream 4xx is relayed with its status and body.
    let resp = c
        .post(&chat)
        .bearer_auth(ALICE)
        .json(&chat_body("m-status", "x", false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["code"], "rate_limit_exceeded");
}

#[tokio::test]
async fn slow_client_body_times_out() {
    let (gw, _up) = start().await;
    let mut s = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {ALICE}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"model\""
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
}

#[tokio::test]
async fn slow_client_headers_are_cut_off() {
    let (gw, _up) = start().await;
    let mut s = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    s.write_all(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 1024];
    // The header read timeout (2 s in the test config) closes the connection.
    let r = tokio::time::timeout(Duration::from_secs(6), s.read(&mut buf))
        .await
        .unwrap();
    // A reset (Err) is fine too; if bytes come back they must be a 408.
    if let Ok(n) = r {
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(n == 0 || text.starts_with("HTTP/1.1 408"), "{text}");
    }
}

#[tokio::test]
async fn a_body_a_provider_cannot_read_gets_its_400_not_a_gateway_error() {
    // 1e999 is valid JSON that mamori relays untouched, but no provider can hold it in a
    // number; the built-in mock answers as OpenAI does, and the status and body are relayed.
    let (gw, _up) = start().await;
    let resp = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(ALICE)
        .header("content-type", "application/json")
        .body(r#"{"model":"m-mock","max_tokens":1e999,"messages":[{"role":"user","content":"x"}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["type"], "invalid_request_error");
}
