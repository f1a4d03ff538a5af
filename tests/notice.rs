//! The "AI generated" notice, in whole answers and streams, and stream usage
//! accounting (issue 6, items 1 and 3).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::{json, Value};

async fn gateway() -> (Gateway, upstream::Upstream) {
    let extra = [
        key_block("mk-test-prefix", "pre", "notice = \"prefix\""),
        key_block("mk-test-none", "none", "notice = \"none\""),
        key_block("mk-test-public", "pub", "public = true"),
    ]
    .concat();
    start_with(&extra).await
}

async fn chat(gw: &Gateway, key: &str, body: Value) -> (reqwest::header::HeaderMap, String) {
    let resp = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    (headers, resp.text().await.unwrap())
}

#[tokio::test]
async fn whole_answers_carry_header_and_notice_by_position() {
    let (gw, _up) = gateway().await;
    let (h, body) = chat(&gw, ALICE, chat_body("gpt-4o-mini", "本文", false)).await;
    assert_eq!(h["x-ai-generated"], "true");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        without_notice(v["choices"][0]["message"]["content"].as_str().unwrap()),
        "本文"
    );

    let (_, body) = chat(
        &gw,
        "mk-test-prefix",
        chat_body("gpt-4o-mini", "本文", false),
    )
    .await;
    let v: Value = serde_json::from_str(&body).unwrap();
    let content = v["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(content.starts_with("※この回答は生成AI"), "{content}");
    assert!(content.ends_with("\n\n本文"), "{content}");

    let (h, body) = chat(&gw, "mk-test-none", chat_body("gpt-4o-mini", "本文", false)).await;
    assert_eq!(
        h["x-ai-generated"], "true",
        "header even when the visible notice is off"
    );
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "本文");

    // Public use (Q16): refused until consent is on record, then the trial line is added.
    let refused = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth("mk-test-public")
        .json(&chat_body("gpt-4o-mini", "本文", false))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let v: Value = refused.json().await.unwrap();
    assert_eq!(v["error"]["code"], "consent_required");
    let consent = mamori::store::Consent {
        time: time::OffsetDateTime::now_utc(),
        text_version: mamori::pipeline::consent_text_version(&gw.state.settings),
    };
    gw.state.store.record_consent("user:pub", consent).unwrap();
    let (_, body) = chat(
        &gw,
        "mk-test-public",
        chat_body("gpt-4o-mini", "本文", false),
    )
    .await;
    let v: Value = serde_json::from_str(&body).unwrap();
    let content = v["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(
        content.contains("検証段階"),
        "public keys get the trial-stage line: {content}"
    );
}

#[tokio::test]
async fn json_mode_and_tool_calls_stay_valid_json() {
    let (gw, _up) = gateway().await;
    let mut body = chat_body("gpt-4o-mini", r#"{"answer": 42}"#, false);
    body["response_format"] = json!({"type": "json_object"});
    let (h, text) = chat(&gw, ALICE, body).await;
    assert_eq!(h["x-ai-generated"], "true");
    let v: Value = serde_json::from_str(&text).unwrap();
    let content: Value =
        serde_json::from_str(v["choices"][0]["message"]["content"].as_str().unwrap()).unwrap();
    assert_eq!(content["answer"], 42);

    let mut body = chat_body("gpt-4o-mini", r#"{"answer": 42}"#, true);
    body["response_format"] =
        json!({"type": "json_schema", "json_schema": {"name": "x", "schema": {}}});
    let (_, text) = chat(&gw, ALICE, body).await;
    let streamed = chat_text(&sse_json(&text));
    assert_eq!(
        serde_json::from_str::<Value>(&streamed).unwrap()["answer"],
        42
    );

    let (_, text) = chat(&gw, ALICE, chat_body("gpt-4o-mini", "tool", false)).await;
    let v: Value = serde_json::from_str(&text).unwrap();
    assert!(v["choices"][0]["message"]["content"].is_null());
    assert_eq!(
        v["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"],
        r#"{"q":"x"}"#
    );

    let (_, text) = chat(&gw, ALICE, chat_body("gpt-4o-mini", "tool", true)).await;
    let chunks = sse_json(&text);
    assert!(
        chat_text(&chunks).is_empty(),
        "no notice text in a tool-call stream"
    );
    let args: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str())
        .collect();
    assert_eq!(args, r#"{"q":"x"}"#);
}

#[tokio::test]
async fn stream_gets_one_notice_delta_right_before_the_finish_chunk() {
    let (gw, up) = gateway().await;
    let (_, text) = chat(&gw, ALICE, chat_body("gpt-4o-mini", "abc", true)).await;
    let chunks = sse_json(&text);
    let finish_at = chunks
        .iter()
        .position(|c| c["choices"][0]["finish_reason"].is_string())
        .unwrap();
    let notice = &chunks[finish_at - 1];
    assert_eq!(notice["choices"][0]["delta"]["content"], NOTICE_SUFFIX);
    for k in ["id", "model", "created", "object"] {
        assert_eq!(notice[k], chunks[0][k], "notice chunk shares {k}");
    }
    assert_eq!(without_notice(&chat_text(&chunks)), "abc");
    assert_eq!(sse_data(&text).last().unwrap(), "[DONE]");
    // mamori asked upstream for usage, and stripped that chunk again.
    assert_eq!(up.last().json()["stream_options"]["include_usage"], true);
    assert!(chunks
        .iter()
        .all(|c| !c["choices"].as_array().unwrap().is_empty()));
}

#[tokio::test]
async fn usage_chunk_is_kept_when_the_caller_asked_for_it() {
    let (gw, _up) = gateway().await;
    let mut body = chat_body("gpt-4o-mini", "abc", true);
    body["stream_options"] = json!({"include_usage": true});
    let (_, text) = chat(&gw, ALICE, body).await;
    let chunks = sse_json(&text);
    let last = chunks.last().unwrap();
    assert_eq!(last["usage"]["total_tokens"], 12);
    assert!(last["choices"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn prefix_notice_in_streams() {
    let (gw, _up) = gateway().await;
    let (_, text) = chat(&gw, "mk-test-prefix", chat_body("gpt-4o-mini", "xyz", true)).await;
    let streamed = chat_text(&sse_json(&text));
    assert!(
        streamed.starts_with("※この回答は生成AI") && streamed.ends_with("\n\nxyz"),
        "{streamed}"
    );
}

#[tokio::test]
async fn responses_api_notice_whole_and_streamed() {
    let (gw, _up) = gateway().await;
    let c = client();
    let v: Value = c
        .post(gw.url("/v1/responses"))
        .bearer_auth(ALICE)
        .json(&json!({"model": "m-mock", "input": "応答"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        without_notice(v["output"][0]["content"][0]["text"].as_str().unwrap()),
        "応答"
    );

    let text = c
        .post(gw.url("/v1/responses"))
        .bearer_auth(ALICE)
        .json(&json!({"model": "m-mock", "input": "応答ストリーム", "stream": true}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events = sse_json(&text);
    let deltas: String = events
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(without_notice(&deltas), "応答ストリーム");
    let done = events
        .iter()
        .find(|e| e["type"] == "response.output_text.done")
        .unwrap();
    assert_eq!(done["text"].as_str().unwrap(), deltas);
    let completed = events
        .iter()
        .find(|e| e["type"] == "response.completed")
        .unwrap();
    assert_eq!(
        completed["response"]["output"][0]["content"][0]["text"]
            .as_str()
            .unwrap(),
        deltas
    );
    let seqs: Vec<u64> = events
        .iter()
        .map(|e| e["sequence_number"].as_u64().unwrap())
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "sequence numbers stay contiguous: {seqs:?}"
    );
}

#[tokio::test]
async fn embeddings_get_the_header_only() {
    let (gw, _up) = gateway().await;
    let resp = client()
        .post(gw.url("/v1/embeddings"))
        .bearer_auth(ALICE)
        .json(&json!({"model": "text-embedding-3-small", "input": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-ai-generated"], "true");
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["data"][0]["embedding"], json!([0.1, 0.2, 0.3]));
}
