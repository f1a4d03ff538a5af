//! The admin audit API: auditors search, read, export and verify the log;
//! staff keys get 403, no token 401; only the admin role may purge (issue 5).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::{json, Value};

const ADMIN: &str = "mk-admin-test-token";

fn admin_block() -> String {
    use sha2::Digest;
    format!(
        "[[admin_tokens]]\nname = \"test-admin\"\nrole = \"admin\"\nhash = \"sha256:{}\"\n",
        hex::encode(sha2::Sha256::digest(ADMIN.as_bytes()))
    )
}

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

async fn get(gw: &Gateway, token: Option<&str>, path: &str) -> reqwest::Response {
    let mut req = client().get(gw.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

async fn get_json(gw: &Gateway, token: &str, path: &str) -> Value {
    let resp = get(gw, Some(token), path).await;
    assert_eq!(resp.status().as_u16(), 200, "{path}");
    resp.json().await.unwrap()
}

/// alice: 2 allowed + 1 blocked; bob: 1 allowed. Returns (alice allowed ids, blocked id, bob id).
async fn traffic(gw: &Gateway) -> (Vec<String>, String, String) {
    let mut alice = Vec::new();
    for t in ["議事録の要約をお願いします", "挨拶文を書いてください"] {
        let (s, id) = ask(gw, ALICE, t).await;
        assert_eq!(s, 200);
        alice.push(id);
    }
    let (s, blocked) = ask(gw, ALICE, &format!("個人番号は{MY_NUMBER}です")).await;
    assert_eq!(s, 400);
    let (s, bob) = ask(gw, BOB, "予算の説明").await;
    assert_eq!(s, 200);
    (alice, blocked, bob)
}

#[tokio::test]
async fn auditor_searches_reads_exports_and_counts() {
    let (gw, _up) = start().await;
    let (alice, blocked, bob) = traffic(&gw).await;
    let resp = client()
        .post(gw.url("/v1/feedback"))
        .bearer_auth(ALICE)
        .json(&json!({"request_id": alice[0], "rating": "bad", "comment": "違う"}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());

    // All records, newest first.
    let all = get_json(&gw, AUDITOR, "/admin/logs").await;
    let ids: Vec<&str> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [bob.as_str(), &blocked, &alice[1], &alice[0]]);
    assert!(all["next_cursor"].is_null());

    // By user, and by user + verdict.
    let v = get_json(&gw, AUDITOR, "/admin/logs?user=alice").await;
    assert_eq!(v["data"].as_array().unwrap().len(), 3);
    let v = get_json(&gw, AUDITOR, "/admin/logs?user=alice&verdict=blocked").await;
    let data = v["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["id"], blocked.as_str());
    assert_eq!(data[0]["findings"][0]["type"], "my_number");
    assert!(!data[0].to_string().contains(MY_NUMBER), "no raw value");
    let v = get_json(&gw, AUDITOR, "/admin/logs?type=my_number").await;
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
    let v = get_json(&gw, AUDITOR, "/admin/logs?department=情報政策課").await;
    assert_eq!(v["data"][0]["id"], bob.as_str());
    let v = get_json(&gw, AUDITOR, "/admin/logs?q=議事録").await;
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
    let v = get_json(&gw, AUDITOR, "/admin/logs?from=2000-01-01&to=2000-01-02").await;
    assert!(v["data"].as_array().unwrap().is_empty());
    let v = get_json(&gw, AUDITOR, "/admin/logs?from=2000-01-01T00:00:00Z").await;
    assert_eq!(v["data"].as_array().unwrap().len(), 4);

    // Pagination with the cursor.
    let p1 = get_json(&gw, AUDITOR, "/admin/logs?limit=3").await;
    assert_eq!(p1["data"].as_array().unwrap().len(), 3);
    let cursor = p1["next_cursor"].as_str().unwrap();
    let p2 = get_json(
        &gw,
        AUDITOR,
        &format!("/admin/logs?limit=3&cursor={cursor}"),
    )
    .await;
    assert_eq!(p2["data"].as_array().unwrap().len(), 1);
    assert_eq!(p2["data"][0]["id"], alice[0].as_str());

    // Bad filters are 400.
    for q in ["verdict=nope", "from=yesterday", "limit=0", "cursor=abc"] {
        let resp = get(&gw, Some(AUDITOR), &format!("/admin/logs?{q}")).await;
        assert_eq!(resp.status().as_u16(), 400, "{q}");
    }

    // One record with its feedback.
    let rec = get_json(&gw, AUDITOR, &format!("/admin/logs/{}", alice[0])).await;
    assert_eq!(rec["user"], "alice");
    assert_eq!(rec["feedback"]["rating"], "bad");
    assert_eq!(rec["feedback"]["comment"], "違う");
    assert!(rec["hash"].as_str().unwrap().len() == 64);
    let resp = get(&gw, Some(AUDITOR), "/admin/logs/01JZZZZZZZZZZZZZZZZZZZZZZZ").await;
    assert_eq!(resp.status().as_u16(), 404);

    // Export: jsonl and csv, line counts match the search.
    let resp = get(
        &gw,
        Some(AUDITOR),
        "/admin/logs/export?format=jsonl&user=alice",
    )
    .await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "application/x-ndjson");
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let body = resp.text().await.unwrap();
    let lines: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["id"], alice[0].as_str(), "oldest first");
    assert!(!body.contains(MY_NUMBER));

    let resp = get(&gw, Some(AUDITOR), "/admin/logs/export?format=csv").await;
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = resp.text().await.unwrap();
    let mut rdr = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(rdr.records().count(), 4, "header + one row per record");
    let resp = get(&gw, Some(AUDITOR), "/admin/logs/export?format=xml").await;
    assert_eq!(resp.status().as_u16(), 400);

    // Stats.
    let st = get_json(&gw, AUDITOR, "/admin/stats").await;
    assert_eq!(st["total"], 4);
    assert_eq!(st["by_verdict"]["allowed"], 3);
    assert_eq!(st["by_verdict"]["blocked"], 1);
    assert_eq!(st["by_detector"]["my_number"], 1);
    assert_eq!(st["feedback"]["total"], 1);
    let st = get_json(&gw, AUDITOR, "/admin/stats?user=bob").await;
    assert_eq!(st["total"], 1);

    // Verify: intact.
    let rep = get_json(&gw, AUDITOR, "/admin/verify").await;
    assert_eq!(rep["intact"], true, "{rep}");
    assert_eq!(rep["checked"], 4);
    assert!(rep["first_break"].is_null());
}

#[tokio::test]
async fn staff_keys_and_missing_tokens_are_refused() {
    let (gw, _up) = start_with(&admin_block()).await;
    traffic(&gw).await;
    for path in [
        "/admin/logs",
        "/admin/logs/export?format=jsonl",
        "/admin/stats",
        "/admin/verify",
    ] {
        let resp = get(&gw, Some(ALICE), path).await;
        assert_eq!(resp.status().as_u16(), 403, "{path}");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["error"]["code"], "admin_only");
        let resp = get(&gw, None, path).await;
        assert_eq!(resp.status().as_u16(), 401, "{path}");
        let resp = get(&gw, Some("mk-wrong"), path).await;
        assert_eq!(resp.status().as_u16(), 401, "{path}");
        let resp = get(&gw, Some(ADMIN), path).await;
        assert_eq!(resp.status().as_u16(), 200, "{path}");
    }
}

#[tokio::test]
async fn only_the_admin_role_may_purge_and_the_chain_stays_verifiable() {
    let (gw, _up) = start_with(&admin_block()).await;
    traffic(&gw).await;
    let purge = |token: Option<&'static str>, body: Value| {
        let mut req = client().post(gw.url("/admin/retention/purge")).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    let resp = purge(Some(AUDITOR), json!({"before": "2100-01-01T00:00:00Z"}))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["code"], "admin_only");
    let resp = purge(Some(ALICE), json!({"before": "2100-01-01T00:00:00Z"}))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let resp = purge(None, json!({"before": "2100-01-01T00:00:00Z"}))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(gw.state.store.len().unwrap(), 4, "nothing purged");

    let resp = purge(Some(ADMIN), json!({"before": "yesterday"}))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let resp = purge(Some(ADMIN), json!({"before": "2000-01-01T00:00:00Z"}))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap()["purged"], 0);

    let resp = purge(Some(ADMIN), json!({"before": "2100-01-01T00:00:00Z"}))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap()["purged"], 4);

    // New traffic after the purge; the chain verifies from the anchor.
    let (s, _) = ask(&gw, ALICE, "こんにちは").await;
    assert_eq!(s, 200);
    let rep = get_json(&gw, AUDITOR, "/admin/verify").await;
    assert_eq!(rep["intact"], true, "{rep}");
    assert_eq!(rep["checked"], 1);
    assert!(rep["anchor"].is_object());
}

fn bulk_record(i: usize) -> mamori::store::AuditRecord {
    use mamori::store::{AuditRecord, Verdict};
    AuditRecord {
        id: ulid::Ulid::new().to_string(),
        time: time::OffsetDateTime::now_utc(),
        user: format!("bulk{}", i % 7),
        department: "テスト課".into(),
        plan: None,
        route: "openai.chat".into(),
        model: "gpt-4o-mini".into(),
        provider: "mock".into(),
        upstream_status: Some(200),
        latency_ms: 1.0,
        upstream_ms: Some(0.5),
        usage: None,
        verdict: Verdict::Allowed,
        findings: vec![],
        prompt: Some(format!("{i}: {}", "議事録".repeat(100))),
        output: Some("要約".repeat(50)),
        notice_applied: true,
        stream: false,
        client_ip: None,
        user_agent: None,
        status: Some(200),
        error: None,
    }
}

#[tokio::test]
async fn export_streams_in_chunks() {
    const N: usize = 3000;
    let (gw, _up) = start().await;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..N {
        let store = gw.state.store.clone();
        set.spawn(async move { store.append(bulk_record(i)).await.unwrap() });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }

    let mut resp = get(&gw, Some(AUDITOR), "/admin/logs/export?format=jsonl").await;
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.headers().get("content-length").is_none(),
        "streamed, not buffered"
    );
    let (mut chunks, mut bytes, mut lines) = (0usize, 0usize, 0usize);
    while let Some(c) = resp.chunk().await.unwrap() {
        chunks += 1;
        bytes += c.len();
        lines += c.iter().filter(|b| **b == b'\n').count();
    }
    assert_eq!(lines, N);
    assert!(bytes > 2 * 1024 * 1024, "{bytes}");
    assert!(chunks > 4, "arrived in {chunks} chunks");

    let body = get(
        &gw,
        Some(AUDITOR),
        "/admin/logs/export?format=csv&user=bulk0",
    )
    .await
    .text()
    .await
    .unwrap();
    let rows = csv::Reader::from_reader(body.as_bytes()).records().count();
    assert_eq!(rows, N.div_ceil(7));
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let (gw, _up) = start_with(&admin_block()).await;
    let big = json!({"before": "2000-01-01T00:00:00Z", "pad": "x".repeat(100_000)});
    let resp = client()
        .post(gw.url("/admin/retention/purge"))
        .bearer_auth(ADMIN)
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
}
