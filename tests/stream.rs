//! Streaming: relayed event by event, upstream resets end the client's stream
//! with an error, and shutdown lets an in-flight stream finish (issue 3).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use futures_util::StreamExt;
use serde_json::Value;

#[tokio::test]
async fn first_event_arrives_before_upstream_sends_the_last() {
    let (gw, up) = start().await;
    let resp = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(ALICE)
        .json(&chat_body("gpt-4o-mini", "gate", true))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let mut body = resp.bytes_stream();
    // The upstream holds every chunk after the first until the gate opens.
    let first = tokio::time::timeout(Duration::from_secs(3), body.next())
        .await
        .expect("first event must arrive while upstream is still holding the rest")
        .unwrap()
        .unwrap();
    assert!(!up.sent_last());
    assert!(String::from_utf8_lossy(&first).starts_with("data: "));
    up.open_gate();
    let mut rest = Vec::from(&first[..]);
    while let Some(chunk) = body.next().await {
        rest.extend_from_slice(&chunk.unwrap());
    }
    let text = String::from_utf8(rest).unwrap();
    let data = sse_data(&text);
    assert_eq!(data.last().unwrap(), "[DONE]");
    assert!(up.sent_last());
}

#[tokio::test]
async fn upstream_reset_mid_stream_ends_with_an_error_event() {
    let (gw, _up) = start().await;
    let resp = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(ALICE)
        .json(&chat_body("m-reset", "hello", true))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let text = tokio::time::timeout(Duration::from_secs(5), resp.text())
        .await
        .expect("the stream must end, not hang")
        .unwrap();
    let data = sse_data(&text);
    let last: Value = serde_json::from_str(data.last().unwrap()).unwrap();
    assert_eq!(last["error"]["code"], "upstream_connect");
    assert!(!text.contains(PROVIDER_KEY));
}

#[tokio::test]
async fn azure_style_streaming_relays_every_chunk() {
    let (gw, _up) = start().await;
    let text = client()
        .post(gw.url("/openai/deployments/azure-chat/chat/completions?api-version=2024-10-21"))
        .header("api-key", ALICE)
        .json(&serde_json::json!({"stream": true, "messages": [{"role": "user", "content": "ストリーム"}]}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let data = sse_data(&text);
    let content: String = data
        .iter()
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(without_notice(&content), "ストリーム");
    assert_eq!(data.last().unwrap(), "[DONE]");
}

#[tokio::test]
async fn graceful_shutdown_lets_an_in_flight_stream_finish() {
    let (mut gw, _up) = start().await;
    let resp = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(ALICE)
        .json(&chat_body("gpt-4o-mini", "slow-stream", true))
        .send()
        .await
        .unwrap();
    let mut body = resp.bytes_stream();
    let first = body.next().await.unwrap().unwrap();
    let task = gw.begin_shutdown();
    // New connections are refused once shutdown began.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let refused = client().get(gw.url("/healthz")).send().await;
    assert!(refused.is_err(), "no new connections after shutdown");
    let mut all = Vec::from(&first[..]);
    while let Some(chunk) = body.next().await {
        all.extend_from_slice(&chunk.unwrap());
    }
    let text = String::from_utf8(all).unwrap();
    assert!(text.contains("part9"), "stream ran to its end: {text}");
    assert_eq!(sse_data(&text).last().unwrap(), "[DONE]");
    let served = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
    assert!(served.is_ok());
}
