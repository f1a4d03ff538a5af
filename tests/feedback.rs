//! Feedback (Q15) and consent (Q16) endpoints: a staff member can rate and
//! read only their own answers; public keys need recorded consent (issue 5).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::{json, Value};

/// Sends a chat request; returns (status, x-request-id).
async fn ask(gw: &Gateway, key: &str, text: &str) -> (u16, String) {
    let resp = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&chat_body("gpt-4o-mini", text, false))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    resp.text().await.unwrap();
    (status, id)
}

async fn rate(gw: &Gateway, key: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = client().post(gw.url("/v1/feedback")).json(&body);
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn read(gw: &Gateway, key: &str, id: &str) -> (u16, Value) {
    let resp = client()
        .get(gw.url(&format!("/v1/feedback/{id}")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

fn feedback_count(metrics: &str, rating: &str) -> f64 {
    let prefix = format!("mamori_feedback_total{{rating=\"{rating}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0.0)
}

async fn metrics_text(gw: &Gateway) -> String {
    client()
        .get(gw.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn alice_rates_and_reads_her_own_answer() {
    let (gw, _up) = start().await;
    let before = metrics_text(&gw).await;
    let (s, id) = ask(&gw, ALICE, "議事録の要約をお願いします").await;
    assert_eq!(s, 200);

    let (s, v) = rate(
        &gw,
        Some(ALICE),
        json!({"request_id": id, "rating": "good", "comment": "助かりました", "categories": ["accurate"]}),
    )
    .await;
    assert!(s == 200 || s == 201, "{s} {v}");
    assert_eq!(v["request_id"], id.as_str());
    assert_eq!(v["rating"], "good");
    assert_eq!(v["comment"], "助かりました");
    assert_eq!(v["categories"], json!(["accurate"]));
    assert_eq!(v["user"], "alice");

    let (s, v) = read(&gw, ALICE, &id).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["rating"], "good");

    for n in 1..=5 {
        let (s, v) = rate(&gw, Some(ALICE), json!({"request_id": id, "rating": n})).await;
        assert!(s == 200 || s == 201, "{s} {v}");
        let (_, v) = read(&gw, ALICE, &id).await;
        assert_eq!(v["rating"], n);
    }
    // Stored with the record.
    let rec = gw.state.store.get(&id).unwrap().unwrap();
    assert_eq!(
        rec.feedback.unwrap().rating,
        mamori::store::Rating::Score(5)
    );

    let after = metrics_text(&gw).await;
    assert_eq!(
        feedback_count(&after, "good") - feedback_count(&before, "good"),
        1.0
    );
    assert_eq!(
        feedback_count(&after, "3") - feedback_count(&before, "3"),
        1.0
    );
}

#[tokio::test]
async fn no_access_to_other_users_records_or_unknown_ids() {
    let (gw, _up) = start().await;
    let (s, bobs) = ask(&gw, BOB, "予算の説明文を書いてください").await;
    assert_eq!(s, 200);
    let (s, alices) = ask(&gw, ALICE, "挨拶文を書いてください").await;
    assert_eq!(s, 200);

    // alice cannot rate bob's record: 404, same as a random id.
    let (s, v_other) = rate(
        &gw,
        Some(ALICE),
        json!({"request_id": bobs, "rating": "bad"}),
    )
    .await;
    assert_eq!(s, 404, "{v_other}");
    let (s, v_random) = rate(
        &gw,
        Some(ALICE),
        json!({"request_id": "01JZZZZZZZZZZZZZZZZZZZZZZZ", "rating": "bad"}),
    )
    .await;
    assert_eq!(s, 404);
    assert_eq!(v_other, v_random, "no enumeration: same answer");
    assert!(gw.state.store.get_feedback(&bobs).unwrap().is_none());

    // bob rates his own; alice still cannot read it.
    let (s, _) = rate(&gw, Some(BOB), json!({"request_id": bobs, "rating": 4})).await;
    assert!(s == 200 || s == 201);
    let (s, v) = read(&gw, ALICE, &bobs).await;
    assert_eq!(s, 404);
    assert_eq!(v["error"]["code"], "not_found");
    let (s, _) = read(&gw, ALICE, "01JZZZZZZZZZZZZZZZZZZZZZZZ").await;
    assert_eq!(s, 404);
    // Her own record without feedback yet: 404 too.
    let (s, _) = read(&gw, ALICE, &alices).await;
    assert_eq!(s, 404);
    let (s, v) = read(&gw, BOB, &bobs).await;
    assert_eq!((s, v["rating"].clone()), (200, json!(4)));
}

#[tokio::test]
async fn bad_input_and_missing_auth() {
    let (gw, _up) = start().await;
    let (_, id) = ask(&gw, ALICE, "こんにちは").await;
    for bad in [
        json!(0),
        json!(6),
        json!("great"),
        json!(2.5),
        json!(null),
        json!("3"),
    ] {
        let (s, v) = rate(&gw, Some(ALICE), json!({"request_id": id, "rating": bad})).await;
        assert_eq!(s, 400, "{bad}: {v}");
        assert_eq!(v["error"]["param"], "rating");
    }
    let (s, _) = rate(&gw, Some(ALICE), json!({"rating": "good"})).await;
    assert_eq!(s, 400);
    let resp = client()
        .post(gw.url("/v1/feedback"))
        .bearer_auth(ALICE)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);

    let (s, v) = rate(&gw, None, json!({"request_id": id, "rating": "good"})).await;
    assert_eq!(s, 401, "{v}");
    let (s, _) = rate(
        &gw,
        Some("mk-not-a-key"),
        json!({"request_id": id, "rating": "good"}),
    )
    .await;
    assert_eq!(s, 401);
    let resp = client()
        .get(gw.url(&format!("/v1/feedback/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let resp = client().get(gw.url("/v1/consent")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 401);
}

#[tokio::test]
async fn consent_flow_for_a_public_key() {
    const CAROL: &str = "mk-test-carol-public";
    let (gw, _up) = start_with(&key_block(CAROL, "carol", "public = true")).await;

    let resp = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(CAROL)
        .json(&chat_body("gpt-4o-mini", "こんにちは", false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["code"], "consent_required");

    let status: Value = client()
        .get(gw.url("/v1/consent"))
        .bearer_auth(CAROL)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["consented"], false);
    assert_eq!(status["required"], true);

    for bad in [
        json!({}),
        json!({"accept": false}),
        json!({"accept": "yes"}),
    ] {
        let resp = client()
            .post(gw.url("/v1/consent"))
            .bearer_auth(CAROL)
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{bad}");
    }

    let resp = client()
        .post(gw.url("/v1/consent"))
        .bearer_auth(CAROL)
        .json(&json!({"accept": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["consented"], true);
    assert_eq!(v["user"], "carol");
    assert!(v["time"].as_str().unwrap().contains('T'));

    let (s, _) = ask(&gw, CAROL, "こんにちは").await;
    assert_eq!(s, 200);
    let status: Value = client()
        .get(gw.url("/v1/consent"))
        .bearer_auth(CAROL)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["consented"], true);
    assert_eq!(status["time"], v["time"]);

    // Consent is per user: alice's status is untouched.
    let alice: Value = client()
        .get(gw.url("/v1/consent"))
        .bearer_auth(ALICE)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (alice["consented"].clone(), alice["required"].clone()),
        (json!(false), json!(false))
    );
}
