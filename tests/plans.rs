//! Use plans (issue 7): each load-time refusal with its message, and each
//! request-time rule over HTTP against the real server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::{json, Value};

/// A `[[plans]]` block: sensible defaults, each overridable (`("key", "toml value")`).
fn plan_block(id: &str, overrides: &[(&str, &str)]) -> String {
    let defaults = [
        ("service", "\"テスト業務\""),
        ("provider", "\"mock\""),
        ("purpose", "\"文書の下書き\""),
        ("confidentiality_class", "1"),
        ("start", "2026-01-01"),
        ("end", "2099-12-31"),
        ("departments", "[\"テスト課\"]"),
        ("approver", "\"情報政策課長\""),
        ("domain", "\"internal\""),
        ("category", "1"),
        ("models", "[\"m-mock\"]"),
    ];
    let mut out = format!("[[plans]]\nid = \"{id}\"\n");
    for (k, v) in defaults {
        let v = overrides
            .iter()
            .find(|(ok, _)| *ok == k)
            .map(|(_, ov)| *ov)
            .unwrap_or(v);
        out.push_str(&format!("{k} = {v}\n"));
    }
    for (k, v) in overrides {
        if !defaults.iter().any(|(dk, _)| dk == k) {
            out.push_str(&format!("{k} = {v}\n"));
        }
    }
    out
}

/// A contracted mock provider and its model, for class-2 plans.
const CONTRACTED: &str = "[[providers]]\nname = \"mock-contract\"\nkind = \"mock\"\ncontracted = true\n\n[[models]]\nname = \"m-contract\"\nprovider = \"mock-contract\"\n";

/// Loads a test config with `extra` appended and returns the config error.
fn load_error(extra: &str) -> mamori::config::ConfigError {
    let addr: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    match mamori::config::Settings::from_toml(
        &config_for(addr, extra),
        "<test>",
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
    ) {
        Ok(_) => panic!("config was accepted:\n{extra}"),
        Err(e) => e,
    }
}

#[test]
fn red_plans_are_refused_at_load() {
    for domain in ["internal", "citizen_service", "citizen_service_related"] {
        let e = load_error(&plan_block(
            "auto",
            &[("domain", &format!("\"{domain}\"")), ("category", "5")],
        ));
        assert_eq!(e.key, "plans[0].category", "{e}");
        assert!(e.problem.contains("赤"), "{e}");
        assert!(e.problem.contains("autonomous decision"), "{e}");
    }
}

#[test]
fn class_3_plans_are_refused_at_load() {
    let e = load_error(&plan_block("secret", &[("confidentiality_class", "3")]));
    assert_eq!(e.key, "plans[0].confidentiality_class");
    assert!(e.problem.contains("機密性3"), "{e}");
    let e = load_error(&plan_block("odd", &[("confidentiality_class", "4")]));
    assert!(e.problem.contains("not a confidentiality class"), "{e}");
}

#[test]
fn class_2_plans_need_a_contracted_provider() {
    let e = load_error(&plan_block(
        "c2",
        &[
            ("confidentiality_class", "2"),
            ("provider", "\"ok\""),
            ("models", "[\"gpt-4o-mini\"]"),
        ],
    ));
    assert_eq!(e.key, "plans[0].provider");
    assert!(e.problem.contains("contracted = true"), "{e}");
    assert!(e.problem.contains("'ok'"), "{e}");
    // The same plan on a contracted provider loads.
    let addr: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    let ok = format!(
        "{CONTRACTED}\n{}",
        plan_block(
            "c2",
            &[
                ("confidentiality_class", "2"),
                ("provider", "\"mock-contract\""),
                ("models", "[\"m-contract\"]")
            ]
        )
    );
    mamori::config::Settings::from_toml(
        &config_for(addr, &ok),
        "<test>",
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
    )
    .unwrap();
}

#[test]
fn plan_fields_are_validated_at_load() {
    let cases: Vec<(String, &str, &str)> = vec![
        (
            plan_block("p", &[("models", "[\"gpt-4o-mini\"]")]),
            "plans[0].models[0]",
            "not to the plan's provider",
        ),
        (
            plan_block("p", &[("models", "[\"nope\"]")]),
            "plans[0].models[0]",
            "no model named",
        ),
        (
            plan_block("p", &[("provider", "\"nope\"")]),
            "plans[0].provider",
            "no provider named",
        ),
        (
            plan_block("p", &[("departments", "[]")]),
            "plans[0].users",
            "Q13",
        ),
        (
            plan_block("p", &[("start", "2027-01-01"), ("end", "2026-12-31")]),
            "plans[0].end",
            "ends before it starts",
        ),
        (
            plan_block("p", &[("start", "\"April\"")]),
            "plans[0].start",
            "not a date",
        ),
        (
            plan_block("p", &[("domain", "\"outer_space\"")]),
            "plans[0].domain",
            "internal",
        ),
        (
            plan_block("p", &[("category", "0")]),
            "plans[0].category",
            "1 to 5",
        ),
        (
            plan_block("p", &[("approver", "\"\"")]),
            "plans[0].approver",
            "must not be empty",
        ),
        (plan_block("bad id", &[]), "plans[0].id", "characters"),
        (
            format!("{}{}", plan_block("p", &[]), plan_block("p", &[])),
            "plans[1].id",
            "duplicate plan id",
        ),
    ];
    for (extra, key, problem) in cases {
        let e = load_error(&extra);
        assert_eq!(e.key, key, "{e}\n{extra}");
        assert!(e.problem.contains(problem), "{e}");
    }
}

#[test]
fn keys_in_a_plan_take_its_settings() {
    let plan = plan_block("p", &[]);
    let e = load_error(&format!(
        "{plan}\n{}",
        key_block("mk-t", "t", "plan = \"p\"\npolicy = \"strict\"")
    ));
    assert_eq!(e.key, "keys[2].policy");
    assert!(e.problem.contains("set by plan 'p'"), "{e}");
    let e = load_error(&format!(
        "{plan}\n{}",
        key_block("mk-t", "t", "plan = \"p\"\npublic = true")
    ));
    assert_eq!(e.key, "keys[2].public");
    let e = load_error(&format!(
        "{plan}\n{}",
        key_block("mk-t", "t", "plan = \"p\"\nmodels = [\"gpt-4o-mini\"]")
    ));
    assert_eq!(e.key, "keys[2].models[0]");
    assert!(
        e.problem.contains("not among the models of plan 'p'"),
        "{e}"
    );
    let e = load_error(&key_block("mk-t", "t", "plan = \"ghost\""));
    assert_eq!(e.key, "keys[2].plan");
    assert!(e.problem.contains("no plan with id 'ghost'"), "{e}");
    let e = load_error("[governance]\nrequire_plan = true\n");
    assert_eq!(e.key, "keys[0].plan");
    let e = load_error("[governance]\nutc_offset = \"JST\"\n");
    assert_eq!(e.key, "governance.utc_offset");
}

#[test]
fn check_config_names_the_refused_plan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let addr: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    std::fs::write(
        &path,
        config_for(addr, &plan_block("robot", &[("category", "5")])),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mamori"))
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("plans[0].category"), "{err}");
    assert!(err.contains("赤"), "{err}");
}

const KEY: &str = "mk-test-plan";

async fn post(gw: &Gateway, key: &str, body: Value) -> (u16, Value) {
    let resp = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

/// Boots a gateway with one plan `p` and the key [`KEY`] (user pat, テスト課) in it.
async fn with_plan(plan_overrides: &[(&str, &str)], extra: &str) -> (Gateway, upstream::Upstream) {
    start_with(&format!(
        "{CONTRACTED}\n{extra}\n{}\n{}",
        plan_block("p", plan_overrides),
        key_block(KEY, "pat", "plan = \"p\"")
    ))
    .await
}

fn assert_plan_refusal(status: u16, body: &Value, code: &str, ja: &str) {
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["type"], "plan_violation", "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.contains(ja), "{msg}");
    assert!(msg.contains(" / "), "Japanese then English: {msg}");
}

#[tokio::test]
async fn outside_the_period_is_refused() {
    for (start, end) in [("2020-04-01", "2021-03-31"), ("2099-01-01", "2099-12-31")] {
        let (gw, _up) = with_plan(&[("start", start), ("end", end)], "").await;
        let (status, body) = post(&gw, KEY, chat_body("m-mock", "こんにちは", false)).await;
        assert_plan_refusal(status, &body, "plan_out_of_period", "利用期間");
        assert!(body["error"]["message"].as_str().unwrap().contains(start));
    }
    let (gw, _up) = with_plan(&[], "").await;
    let (status, body) = post(&gw, KEY, chat_body("m-mock", "こんにちは", false)).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn outside_the_user_scope_is_refused() {
    let (gw, _up) = with_plan(&[("departments", "[\"広報課\"]")], "").await;
    let (status, body) = post(&gw, KEY, chat_body("m-mock", "こんにちは", false)).await;
    assert_plan_refusal(status, &body, "plan_out_of_scope", "利用者範囲");
    // The attempt is on record for the auditors, under the plan, with the refusal's code.
    let page = gw
        .state
        .store
        .search(
            &mamori::store::Filter {
                plan: Some("p".into()),
                ..Default::default()
            },
            None,
            10,
        )
        .unwrap();
    assert_eq!(page.records.len(), 1);
    let rec = &page.records[0].record;
    assert_eq!(rec.verdict, mamori::store::Verdict::Error);
    assert_eq!(rec.error.as_deref(), Some("plan_violation"));
    assert_eq!((rec.user.as_str(), rec.status), ("pat", Some(403)));
    assert_eq!(rec.prompt, None);
    let metrics = client()
        .get(gw.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("mamori_auth_failures_total{reason=\"plan_violation\"} 1"),
        "{metrics}"
    );
    // A named user is in scope whatever their department.
    let (gw, _up) = with_plan(&[("departments", "[]"), ("users", "[\"pat\"]")], "").await;
    let (status, body) = post(&gw, KEY, chat_body("m-mock", "こんにちは", false)).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn models_outside_the_plan_are_refused() {
    let (gw, _up) = with_plan(&[], "").await;
    let (status, body) = post(&gw, KEY, chat_body("gpt-4o-mini", "こんにちは", false)).await;
    assert_plan_refusal(status, &body, "plan_model_not_allowed", "利用計画「p」");
    assert_eq!(body["error"]["param"], "model");
    let models: Value = client()
        .get(gw.url("/v1/models"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["m-mock"]);
}

const PHONE: &str = "折り返しは 03-1234-5678 まで";

#[tokio::test]
async fn yellow_plans_use_the_strict_policy_unless_one_is_named() {
    // 青: the default policy masks a phone number.
    let (gw, _up) = with_plan(&[], "").await;
    let (status, body) = post(&gw, KEY, chat_body("m-mock", PHONE, false)).await;
    assert_eq!(status, 200, "{body}");
    // 黄 (citizen service): the strict policy blocks it.
    let yellow = [("domain", "\"citizen_service\""), ("category", "2")];
    let (gw, _up) = with_plan(&yellow, "").await;
    let (status, body) = post(&gw, KEY, chat_body("m-mock", PHONE, false)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "sensitive_data_detected");
    // 黄 with a named policy uses that policy.
    let named = [
        ("domain", "\"citizen_service\""),
        ("category", "2"),
        ("policy", "\"default\""),
    ];
    let (gw, _up) = with_plan(&named, "").await;
    let (status, body) = post(&gw, KEY, chat_body("m-mock", PHONE, false)).await;
    assert_eq!(status, 200, "{body}");
    // Research in citizen-facing work is 黄 too.
    let related = [("domain", "\"citizen_service_related\""), ("category", "4")];
    let (gw, _up) = with_plan(&related, "").await;
    let (status, _) = post(&gw, KEY, chat_body("m-mock", PHONE, false)).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn markings_above_the_plan_class_are_blocked() {
    // Class 1: 機密性2 and the class-2 handling markings are above it.
    let (gw, _up) = with_plan(&[], "").await;
    for text in [
        "【機密性2】来年度予算の説明資料",
        "取扱注意\n人事異動の案",
        "機密性３情報を含む",
    ] {
        let (status, body) = post(&gw, KEY, chat_body("m-mock", text, false)).await;
        assert_plan_refusal(status, &body, "classification_above_plan", "機密性1まで");
    }
    let (status, body) = post(&gw, KEY, chat_body("m-mock", "機密性の確保について", false)).await;
    assert_eq!(status, 200, "not a marking: {body}");

    // Class 2: 機密性2 passes, 機密性3 and 極秘 do not.
    let class2 = [
        ("confidentiality_class", "2"),
        ("provider", "\"mock-contract\""),
        ("models", "[\"m-contract\"]"),
    ];
    let (gw, _up) = with_plan(&class2, "").await;
    let (status, body) = post(
        &gw,
        KEY,
        chat_body("m-contract", "【機密性2】予算資料", false),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for text in ["機密性3 人事案", "【極秘】交渉方針"] {
        let (status, body) = post(&gw, KEY, chat_body("m-contract", text, false)).await;
        assert_plan_refusal(status, &body, "classification_above_plan", "機密性3の表示");
    }
    // The blocked exchange is on record with its plan and the marker's type, never the text.
    let page = gw
        .state
        .store
        .search(
            &mamori::store::Filter {
                plan: Some("p".into()),
                verdict: Some(mamori::store::Verdict::Blocked),
                ..Default::default()
            },
            None,
            10,
        )
        .unwrap();
    assert_eq!(page.records.len(), 2);
    let rec = &page.records[0].record;
    assert_eq!(rec.plan.as_deref(), Some("p"));
    assert!(rec
        .findings
        .iter()
        .any(|f| f.kind == "confidential_marker" && f.action == "block"));
    assert!(!rec.prompt.as_deref().unwrap_or("").contains("極秘"));
}

#[tokio::test]
async fn the_class_ceiling_holds_whatever_the_policy_says() {
    let lenient = policies_with(&[(
        "lenient.toml",
        "name = \"lenient\"\ndefault_action = \"allow\"\n[groups]\nconfidential = \"allow\"\n",
    )]);
    let config_extra = format!(
        "{CONTRACTED}\n{}\n{}",
        plan_block(
            "p",
            &[
                ("confidentiality_class", "2"),
                ("provider", "\"mock-contract\""),
                ("models", "[\"m-contract\"]"),
                ("policy", "\"lenient\""),
            ]
        ),
        key_block(KEY, "pat", "plan = \"p\"")
    );
    let (gw, _up) = start_with_policies(lenient.path(), &config_extra).await;
    let (status, body) = post(&gw, KEY, chat_body("m-contract", "【機密性2】資料", false)).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(&gw, KEY, chat_body("m-contract", "機密性3 人事案", false)).await;
    assert_plan_refusal(status, &body, "classification_above_plan", "機密性2まで");
}

#[tokio::test]
async fn public_plans_require_consent_and_add_the_trial_notice() {
    let public = [("public", "true"), ("domain", "\"citizen_service\"")];
    let (gw, _up) = with_plan(&public, "").await;
    let (status, body) = post(&gw, KEY, chat_body("m-mock", "ごみの収集日は？", false)).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "consent_required");
    let resp = client()
        .post(gw.url("/v1/consent"))
        .bearer_auth(KEY)
        .json(&json!({"accept": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (status, body) = post(&gw, KEY, chat_body("m-mock", "ごみの収集日は？", false)).await;
    assert_eq!(status, 200, "{body}");
    let text = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(text.starts_with("ごみの収集日は？"), "{text}");
    assert!(
        text.contains("※この回答は生成AIによって作成されました"),
        "{text}"
    );
    assert!(text.contains("検証段階（試行）"), "trial notice: {text}");
}

#[tokio::test]
async fn the_demo_config_carries_the_demo_plans() {
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let s = mamori::config::Settings::demo(&base).unwrap();
    let internal = s.plan("demo-internal").unwrap();
    assert_eq!(internal.colour.label_ja(), "青");
    assert_eq!(internal.class, 2);
    assert!(s
        .providers
        .iter()
        .any(|p| p.name == internal.provider && p.contracted));
    let public = s.plan("demo-public").unwrap();
    assert_eq!(public.colour.label_ja(), "黄");
    assert!(public.public);
    assert_eq!(public.policy, "strict");
    let owner = |user: &str| {
        s.keys
            .iter()
            .find(|k| k.user == user)
            .and_then(|k| s.plan_of(k))
            .map(|p| p.id.as_str())
    };
    assert_eq!(owner("alice"), Some("demo-internal"));
    assert_eq!(owner("bob"), Some("demo-internal"));
    assert_eq!(owner("carol"), Some("demo-public"));
    let carol = s.keys.iter().find(|k| k.user == "carol").unwrap();
    assert_eq!(carol.department, "広報課");
    use sha2::Digest;
    let digest: [u8; 32] = sha2::Sha256::digest(b"mk-demo-carol").into();
    assert_eq!(carol.hash, digest);
}

#[tokio::test]
async fn admin_reports_and_plans_api() {
    let (gw, _up) = start_with(&format!(
        "{}\n{}",
        plan_block("p", &[]),
        key_block(KEY, "pat", "plan = \"p\"")
    ))
    .await;
    let (status, _) = post(&gw, KEY, chat_body("m-mock", PHONE, false)).await;
    assert_eq!(status, 200);
    let get = |path: &str, token: &str| client().get(gw.url(path)).bearer_auth(token).send();
    let plans: Value = get("/admin/plans", AUDITOR)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(plans["data"][0]["id"], "p");
    assert_eq!(plans["data"][0]["colour_ja"], "青");
    assert_eq!(plans["data"][0]["keys"], 1);

    let report: Value = get("/admin/reports/p", AUDITOR)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["plan"]["id"], "p");
    assert_eq!(report["usage"]["requests"], 1);
    assert_eq!(report["usage"]["by_verdict"]["masked"], 1);
    assert_eq!(report["usage"]["findings"][0]["type"], "phone_jp");
    assert_eq!(report["measures"].as_array().unwrap().len(), 6);

    let md = get("/admin/reports/p?format=md", AUDITOR).await.unwrap();
    assert_eq!(md.status(), 200);
    assert!(md.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/markdown"));
    assert!(md
        .text()
        .await
        .unwrap()
        .contains("## 2. 必要な措置 / Required measures"));
    let csv = get("/admin/reports/p?format=csv&from=2026-01-01", AUDITOR)
        .await
        .unwrap();
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("mamori-report-p.csv"));
    assert!(csv
        .text()
        .await
        .unwrap()
        .starts_with("section,item,metric,value\n"));

    let missing = get("/admin/reports/nope", AUDITOR).await.unwrap();
    assert_eq!(missing.status(), 404);
    let bad = get("/admin/reports/p?from=yesterday", AUDITOR)
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let staff = get("/admin/reports/p", KEY).await.unwrap();
    assert_eq!(staff.status(), 403);
    let anon = client()
        .get(gw.url("/admin/reports/p"))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 401);
}

#[test]
fn plan_retention_is_a_minimum_the_store_honours() {
    let addr: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    let load = |extra: &str| {
        mamori::config::Settings::from_toml(
            &config_for(addr, extra),
            "<test>",
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
        )
        .unwrap()
    };
    let long = plan_block("p", &[("retention_days", "730")]);
    let s = load(&format!("[audit]\nretention_days = 365\n{long}"));
    assert_eq!(s.effective_retention_days(), Some(730));
    let short = plan_block("p", &[("retention_days", "30")]);
    let s = load(&format!("[audit]\nretention_days = 365\n{short}"));
    assert_eq!(s.effective_retention_days(), Some(365));
    // Without a global retention nothing is purged, which keeps every plan's minimum.
    assert_eq!(load(&long).effective_retention_days(), None);
    let e = load_error(&plan_block("p", &[("retention_days", "0")]));
    assert_eq!(e.key, "plans[0].retention_days");
}

#[tokio::test]
async fn consent_to_an_older_trial_text_must_be_given_again() {
    let public = [("public", "true"), ("domain", "\"citizen_service\"")];
    let (gw, _up) = with_plan(&public, "").await;
    gw.state
        .store
        .record_consent(
            "user:pat",
            mamori::store::Consent {
                time: time::OffsetDateTime::now_utc(),
                text_version: "sha256:0000000000000000".into(),
            },
        )
        .unwrap();
    let (status, body) = post(&gw, KEY, chat_body("m-mock", "質問", false)).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "consent_required");
    let status: Value = client()
        .get(gw.url("/v1/consent"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["consented"], false, "{status}");
    let resp = client()
        .post(gw.url("/v1/consent"))
        .bearer_auth(KEY)
        .json(&json!({"accept": true}))
        .send()
        .await
        .unwrap();
    let given: Value = resp.json().await.unwrap();
    assert_eq!(given["consented"], true);
    let (status, body) = post(&gw, KEY, chat_body("m-mock", "質問", false)).await;
    assert_eq!(status, 200, "{body}");
}
