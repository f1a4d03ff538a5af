//! Every route in both styles reaches the right upstream with the right
//! credentials, and the body goes through untouched (issue 3).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn openai_chat_is_forwarded_untouched_with_provider_key() {
    let (gw, up) = start().await;
    let raw = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"こんにちは"}],"temperature":0.2}"#;
    let resp = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(ALICE)
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-ai-generated"], "true");
    let id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(
        ulid::Ulid::from_string(&id).is_ok(),
        "request id is a ULID: {id}"
    );
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        without_notice(body["choices"][0]["message"]["content"].as_str().unwrap()),
        "こんにちは"
    );
    let rec = up.last();
    assert_eq!(rec.path, "/ok/v1/chat/completions");
    assert_eq!(
        &rec.body[..],
        raw.as_bytes(),
        "body forwarded byte for byte"
    );
    assert_eq!(
        rec.headers["authorization"],
        format!("Bearer {PROVIDER_KEY}")
    );
}

#[tokio::test]
async fn every_openai_route_reaches_upstream() {
    let (gw, up) = start().await;
    let c = client();
    for (path, body, upstream_path) in [
        (
            "/v1/completions",
            json!({"model": "gpt-4o-mini", "prompt": "hi"}),
            "/ok/v1/completions",
        ),
        (
            "/v1/embeddings",
            json!({"model": "text-embedding-3-small", "input": "hi"}),
            "/ok/v1/embeddings",
        ),
        (
            "/v1/responses",
            json!({"model": "gpt-4o-mini", "input": "hi"}),
            "/ok/v1/responses",
        ),
    ] {
        let resp = c
            .post(gw.url(path))
            .bearer_auth(ALICE)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(up.last().path, upstream_path);
    }
}

#[tokio::test]
async fn upstream_model_name_is_rewritten_when_configured() {
    let (gw, up) = start().await;
    let resp = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(ALICE)
        .json(&chat_body("gpt-4o", "x", false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let sent = up.last().json();
    assert_eq!(sent["model"], "gpt-4o-2024-08-06");
    assert_eq!(sent["messages"][1]["content"], "x");
}

#[tokio::test]
async fn azure_route_with_api_key_reaches_openai_kind_provider() {
    let (gw, up) = start().await;
    let resp = client()
        .post(gw.url("/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21"))
        .header("api-key", BOB)
        .json(&json!({"messages": [{"role": "user", "content": "azure caller"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        without_notice(body["choices"][0]["message"]["content"].as_str().unwrap()),
        "azure caller"
    );
    // The OpenAI-kind upstream needs the model in the body: mamori adds it.
    assert_eq!(up.last().json()["model"], "gpt-4o-mini");
    assert_eq!(up.last().path, "/ok/v1/chat/completions");
}

#[tokio::test]
async fn openai_caller_reaches_azure_provider_with_deployment_and_version() {
    let (gw, up) = start().await;
    let resp = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(ALICE)
        .json(&chat_body("azure-chat", "to azure", false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let rec = up.last();
    assert_eq!(
        rec.path,
        "/az/openai/deployments/chat-deployment/chat/completions"
    );
    assert_eq!(rec.query.as_deref(), Some("api-version=2024-10-21"));
    assert_eq!(rec.headers["api-key"], PROVIDER_KEY);
    assert!(rec.headers.get("authorization").is_none());
}

#[tokio::test]
async fn azure_routes_for_completions_and_embeddings() {
    let (gw, up) = start().await;
    let c = client();
    let resp = c
        .post(
            gw.url("/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21"),
        )
        .bearer_auth(ALICE)
        .json(&json!({"input": ["a", "b"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(up.last().path, "/ok/v1/embeddings");
    let resp = c
        .post(gw.url("/openai/deployments/gpt-4o-mini/completions?api-version=2024-10-21"))
        .header("api-key", ALICE)
        .json(&json!({"prompt": "p"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(up.last().path, "/ok/v1/completions");
}

#[tokio::test]
async fn models_lists_what_the_key_may_use() {
    let (gw, _up) = start().await;
    let c = client();
    let bob: Value = c
        .get(gw.url("/v1/models"))
        .bearer_auth(BOB)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = bob["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["gpt-4o-mini", "text-embedding-3-small"]);
    let alice: Value = c
        .get(gw.url("/v1/models"))
        .bearer_auth(ALICE)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(alice["data"].as_array().unwrap().len() > 2);
    let anon = c.get(gw.url("/v1/models")).send().await.unwrap();
    assert_eq!(anon.status(), 401);
}

#[tokio::test]
async fn client_request_id_is_kept_when_well_formed() {
    let (gw, _up) = start().await;
    let mine = ulid::Ulid::new().to_string();
    let resp = client()
        .get(gw.url("/healthz"))
        .header("x-request-id", &mine)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], mine.as_str());
    let resp = client()
        .get(gw.url("/healthz"))
        .header("x-request-id", "not-a-ulid")
        .send()
        .await
        .unwrap();
    let got = resp.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(got, "not-a-ulid");
    assert!(ulid::Ulid::from_string(got).is_ok());
}

#[tokio::test]
async fn health_and_readiness() {
    let (gw, _up) = start().await;
    assert_eq!(
        client()
            .get(gw.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client()
            .get(gw.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn builtin_mock_answers_every_operation() {
    let (gw, _up) = start().await;
    let c = client();
    let chat: Value = c
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(ALICE)
        .json(&chat_body("m-mock", "echo me", false))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        without_notice(chat["choices"][0]["message"]["content"].as_str().unwrap()),
        "echo me"
    );
    assert!(chat["usage"]["total_tokens"].as_u64().unwrap() > 0);
    let emb: Value = c
        .post(gw.url("/v1/embeddings"))
        .bearer_auth(ALICE)
        .json(&json!({"model": "m-mock", "input": "x", "dimensions": 8}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(emb["data"][0]["embedding"].as_array().unwrap().len(), 8);
    let resp: Value = c
        .post(gw.url("/v1/responses"))
        .bearer_auth(ALICE)
        .json(&json!({"model": "m-mock", "input": "response text"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        without_notice(resp["output"][0]["content"][0]["text"].as_str().unwrap()),
        "response text"
    );
    let stream = c
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(ALICE)
        .json(&chat_body("m-mock", "streamed echo", true))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let data = sse_data(&stream);
    assert_eq!(data.last().unwrap(), "[DONE]");
    let text: String = data
        .iter()
        .filter(|d| *d != "[DONE]")
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(without_notice(&text), "streamed echo");
}

#[tokio::test]
async fn azure_models_route_and_sse_field_order() {
    let (gw, _up) = start().await;
    let c = client();
    let v: Value = c
        .get(gw.url("/openai/models?api-version=2024-10-21"))
        .header("api-key", BOB)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["data"].as_array().unwrap().len(), 2);
    let text = c
        .post(gw.url("/v1/responses"))
        .bearer_auth(ALICE)
        .json(&json!({"model": "m-mock", "input": "x", "stream": true}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.starts_with("event: response.created\ndata: {"),
        "event before data: {text}"
    );
}
