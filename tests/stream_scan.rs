//! Output scanning in streams (issue 6, item 2): values split across chunks
//! are still masked, placeholders split across chunks are still restored, a
//! blocked stream ends with `content_filter` then `[DONE]`, and a long stream
//! is relayed as it comes with a bounded hold-back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use futures_util::StreamExt;
use mamori::pipeline::stamp::{OutputFilter, SseEvent, StreamStamper};
use mamori::pipeline::stream_filter::{MAX_HELD_CHARS, MIN_TAIL_CHARS};
use mamori::providers::Operation;
use mamori::scan::Policy;
use serde_json::{json, Value};

const OUTMASK: &str = "name = \"outmask\"\ndefault_action = \"allow\"\nrestore_masked = false\n[groups]\npii = { request = \"allow\", response = \"mask\" }\nsecrets = { request = \"allow\", response = \"mask\" }\n";
const OUTBLOCK: &str = "name = \"outblock\"\ndefault_action = \"allow\"\n[types]\nmy_number = { request = \"allow\", response = \"block\" }\n";

async fn gateway() -> (Gateway, upstream::Upstream, tempfile::TempDir) {
    let policies = policies_with(&[("outmask.toml", OUTMASK), ("outblock.toml", OUTBLOCK)]);
    let extra = [
        key_block("mk-test-outmask", "om", "policy = \"outmask\""),
        key_block("mk-test-outblock", "ob", "policy = \"outblock\""),
    ]
    .concat();
    let (gw, up) = start_with_policies(policies.path(), &extra).await;
    (gw, up, policies)
}

async fn post(gw: &Gateway, key: &str, path: &str, body: &Value) -> String {
    let resp = client()
        .post(gw.url(path))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.text().await.unwrap()
}

/// The upstream streams `text` in two chunks cut after `n` characters.
fn split_body(n: usize, text: &str) -> Value {
    chat_body("gpt-4o-mini", &format!("split:{n}:{text}"), true)
}

#[tokio::test]
async fn values_split_at_every_boundary_never_reach_the_client_unmasked() {
    let (gw, _up, _p) = gateway().await;
    let key = upstream::LEAKED_KEY;
    let cases = [
        ("090-1234-5678", "電話は090-1234-5678です。".to_owned()),
        (
            "taro.yamada@example.jp",
            "連絡先: taro.yamada@example.jp まで".to_owned(),
        ),
        (key, format!("APIキーは{key}です")),
    ];
    for (value, text) in &cases {
        // The whole answer, masked by the same policy, is the reference.
        let whole: Value = serde_json::from_str(
            &post(
                &gw,
                "mk-test-outmask",
                "/v1/chat/completions",
                &chat_body("gpt-4o-mini", text, false),
            )
            .await,
        )
        .unwrap();
        let expect =
            without_notice(whole["choices"][0]["message"]["content"].as_str().unwrap()).to_owned();
        assert!(!expect.contains(value), "{expect}");
        assert!(expect.contains('['), "{expect}");
        // Every split point; the values are ASCII, so inside them every char
        // boundary is a byte boundary (a JSON string cannot split a UTF-8 char).
        for n in 1..text.chars().count() {
            let body = post(
                &gw,
                "mk-test-outmask",
                "/v1/chat/completions",
                &split_body(n, text),
            )
            .await;
            assert!(
                !body.contains(value),
                "split {n} of {text:?} leaked: {body}"
            );
            let streamed = chat_text(&sse_json(&body));
            assert_eq!(without_notice(&streamed), expect, "split {n} of {text:?}");
            assert_eq!(sse_data(&body).last().unwrap(), "[DONE]");
        }
    }
}

#[tokio::test]
async fn placeholders_split_across_chunks_are_restored() {
    let (gw, up, _p) = gateway().await;
    let text = "電話は090-1234-5678です";
    let masked = "電話は[電話番号_1]です";
    for n in 1..masked.chars().count() {
        let body = post(&gw, ALICE, "/v1/chat/completions", &split_body(n, text)).await;
        let sent = up.last().json();
        assert_eq!(
            sent["messages"][1]["content"],
            format!("split:{n}:{masked}"),
            "the value was masked upstream"
        );
        let streamed = chat_text(&sse_json(&body));
        assert_eq!(without_notice(&streamed), text, "split {n}");
    }
}

#[tokio::test]
async fn responses_stream_is_masked_and_restored_and_done_texts_match() {
    let (gw, _up, _p) = gateway().await;
    for (key, input, expect) in [
        // restore_masked: the mock echoes the placeholder, the user gets the value back
        (ALICE, "電話は090-1234-5678です", "電話は090-1234-5678です"),
        // output masking: the mock echoes the raw value, the user gets a placeholder
        (
            "mk-test-outmask",
            "電話は090-1234-5678です",
            "電話は[電話番号_1]です",
        ),
    ] {
        let body = post(
            &gw,
            key,
            "/v1/responses",
            &json!({"model": "m-mock", "input": input, "stream": true}),
        )
        .await;
        let events = sse_json(&body);
        let deltas: String = events
            .iter()
            .filter(|e| e["type"] == "response.output_text.delta")
            .map(|e| e["delta"].as_str().unwrap())
            .collect();
        assert_eq!(without_notice(&deltas), expect);
        let find = |t: &str| events.iter().find(|e| e["type"] == t).unwrap();
        assert_eq!(find("response.output_text.done")["text"], deltas);
        assert_eq!(find("response.content_part.done")["part"]["text"], deltas);
        assert_eq!(
            find("response.output_item.done")["item"]["content"][0]["text"],
            deltas
        );
        assert_eq!(
            find("response.completed")["response"]["output"][0]["content"][0]["text"],
            deltas
        );
        let seqs: Vec<u64> = events
            .iter()
            .map(|e| e["sequence_number"].as_u64().unwrap())
            .collect();
        assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    }
}

#[tokio::test]
async fn blocked_stream_ends_with_content_filter_then_done() {
    let (gw, _up, _p) = gateway().await;
    let body = post(
        &gw,
        "mk-test-outblock",
        "/v1/chat/completions",
        &chat_body("gpt-4o-mini", "leak-mynumber", true),
    )
    .await;
    assert!(!body.contains("1234"), "no part of the value: {body}");
    let data = sse_data(&body);
    assert_eq!(data.last().unwrap(), "[DONE]");
    let chunks = sse_json(&body);
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"][0]["finish_reason"], "content_filter");
    let msg = last["choices"][0]["delta"]["content"].as_str().unwrap();
    assert!(
        msg.trim_start().starts_with("※生成AIの回答に個人情報"),
        "{msg}"
    );
    for k in ["id", "model", "created", "object"] {
        assert_eq!(last[k], chunks[0][k], "final chunk shares {k}");
    }
    assert_eq!(
        chunks
            .iter()
            .filter(|c| c["choices"][0]["finish_reason"].is_string())
            .count(),
        1,
        "one final chunk"
    );
    assert!(
        !chat_text(&chunks).contains("生成AIによって作成"),
        "no notice on a withheld answer"
    );

    // Responses API: ends with response.completed, status incomplete.
    let body = post(
        &gw,
        "mk-test-outblock",
        "/v1/responses",
        &json!({"model": "m-mock", "input": format!("番号は{MY_NUMBER}です"), "stream": true}),
    )
    .await;
    assert!(
        !body.contains(MY_NUMBER) && !body.contains("1234"),
        "{body}"
    );
    let events = sse_json(&body);
    let last = events.last().unwrap();
    assert_eq!(last["type"], "response.completed");
    assert_eq!(last["response"]["status"], "incomplete");
    assert_eq!(
        last["response"]["incomplete_details"]["reason"],
        "content_filter"
    );
    let deltas: String = events
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert!(deltas.contains("※生成AIの回答に個人情報"), "{deltas}");
    assert_eq!(last["response"]["output"][0]["content"][0]["text"], deltas);
    let seqs: Vec<u64> = events
        .iter()
        .map(|e| e["sequence_number"].as_u64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
}

#[tokio::test]
async fn long_stream_is_relayed_as_it_comes() {
    // 20,000 chunks in a debug build on a busy CI machine can take longer than
    // the suite's 5 s total timeout; this test is about relaying, not timeouts.
    let up = upstream::Upstream::start().await;
    let config = config_for(up.addr, "").replace("total_ms = 5000", "total_ms = 120000");
    assert!(config.contains("total_ms = 120000"));
    let gw = start_gateway(&config).await;
    let n = 20_000;
    let piece = "あいう。";
    let resp = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(ALICE)
        .json(&chat_body(
            "gpt-4o-mini",
            &format!("many:{n}:{piece}"),
            true,
        ))
        .send()
        .await
        .unwrap();
    let mut body = resp.bytes_stream();
    let mut raw = Vec::new();
    // The upstream holds chunk 100 (of 20,000) until the gate opens: text
    // must already have reached the client by then.
    loop {
        let next = tokio::time::timeout(Duration::from_secs(3), body.next())
            .await
            .expect("text must arrive while upstream holds the rest")
            .unwrap()
            .unwrap();
        raw.extend_from_slice(&next);
        let text = String::from_utf8_lossy(&raw).into_owned();
        let complete = &text[..text.rfind("\n\n").unwrap_or(0)];
        if chat_text(&sse_json(complete)).contains(piece) {
            break;
        }
    }
    assert!(!up.sent_last());
    up.open_gate();
    while let Some(chunk) = body.next().await {
        raw.extend_from_slice(&chunk.unwrap());
    }
    let text = String::from_utf8(raw).unwrap();
    let streamed = chat_text(&sse_json(&text));
    assert_eq!(without_notice(&streamed), piece.repeat(n));
}

fn chunk(piece: &str) -> SseEvent {
    SseEvent::data(
        json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": null}]})
        .to_string(),
    )
}

#[test]
fn the_stampers_hold_back_stays_bounded_over_20000_chunks() {
    let policy = Arc::new(Policy::from_toml_str("p", OUTMASK, std::path::Path::new(".")).unwrap());
    let filter = OutputFilter::new(policy, None);
    let mut st = StreamStamper::new(Operation::ChatCompletions, None, false, filter);
    let mut out_chars = 0usize;
    let mut first_out = None;
    for i in 0..20_000 {
        // Japanese prose, identifiers and a phone number now and then.
        let piece = match i % 5 {
            0 => "本日の会議では",
            1 => "ID abc-123_x ",
            2 => "電話090-",
            3 => "1234-5678。",
            _ => "\n",
        };
        for ev in st.on_event(chunk(piece)) {
            let v: Value = serde_json::from_str(&ev.data).unwrap();
            let t = v["choices"][0]["delta"]["content"].as_str().unwrap_or("");
            assert!(!t.contains("5678"), "{t}");
            if !t.is_empty() {
                first_out.get_or_insert(i);
            }
            out_chars += t.chars().count();
        }
        assert!(st.peak_held_chars() <= MAX_HELD_CHARS);
    }
    st.finish();
    assert!(
        st.peak_held_chars() <= MIN_TAIL_CHARS + 16,
        "held {}",
        st.peak_held_chars()
    );
    assert!(first_out.unwrap() < 10, "text flows from the start");
    assert!(out_chars > 100_000);
    let facts = st.into_facts();
    assert_eq!(facts.findings[0].kind, "phone_jp");
    assert_eq!(facts.findings[0].count, 4000);
}

/// Tool-call arguments of a chat stream, concatenated per call as an SDK does.
fn streamed_arguments(chunks: &[Value]) -> String {
    chunks
        .iter()
        .filter_map(|c| c.pointer("/choices/0/delta/tool_calls/0/function/arguments"))
        .filter_map(Value::as_str)
        .collect()
}

#[tokio::test]
async fn streamed_tool_call_arguments_are_scanned_whole_and_stay_valid_json() {
    let (gw, _up, _p) = gateway().await;
    let body = post(
        &gw,
        "mk-test-outmask",
        "/v1/chat/completions",
        &chat_body("gpt-4o-mini", "tool-leak", true),
    )
    .await;
    assert!(!body.contains("123456789018"), "{body}");
    let chunks = sse_json(&body);
    let args: Value = serde_json::from_str(&streamed_arguments(&chunks)).unwrap();
    assert_eq!(args["q"], "マイナンバーは[個人番号_1]です");
    assert_eq!(args["note"], "say \"hi\"");
    let finish: Vec<&Value> = chunks
        .iter()
        .filter_map(|c| c.pointer("/choices/0/finish_reason"))
        .filter(|f| f.is_string())
        .collect();
    assert_eq!(finish, [&json!("tool_calls")]);
    assert_eq!(sse_data(&body).last().unwrap(), "[DONE]");
}

#[tokio::test]
async fn a_streamed_tool_call_the_policy_blocks_ends_with_content_filter() {
    let (gw, _up, _p) = gateway().await;
    let body = post(
        &gw,
        "mk-test-outblock",
        "/v1/chat/completions",
        &chat_body("gpt-4o-mini", "tool-leak", true),
    )
    .await;
    assert!(!body.contains("1234"), "no part of the value: {body}");
    let chunks = sse_json(&body);
    assert_eq!(streamed_arguments(&chunks), "");
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"][0]["finish_reason"], "content_filter");
    assert_eq!(sse_data(&body).last().unwrap(), "[DONE]");
}

#[tokio::test]
async fn streamed_tool_call_arguments_get_the_requests_values_back() {
    // The mock streams its tool call in pieces; the masked phone comes back restored.
    let (gw, _up, _p) = gateway().await;
    let text = "山田太郎様の電話は090-1234-5678です";
    let body = post(
        &gw,
        ALICE,
        "/v1/chat/completions",
        &json!({"model": "m-mock", "stream": true,
            "messages": [{"role": "user", "content": text}],
            "tools": [{"type": "function", "function": {"name": "call_back",
                "parameters": {"type": "object"}}}]}),
    )
    .await;
    let args: Value = serde_json::from_str(&streamed_arguments(&sse_json(&body))).unwrap();
    assert_eq!(args["input"], text);
}
