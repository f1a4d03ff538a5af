//! The auditors' web console (issue 9): sign-in and sessions, CSRF, roles,
//! security headers, and inert rendering of stored prompts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::*;

const ADMIN: &str = "mk-admin-test-token";
const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn admin_block() -> String {
    use sha2::Digest;
    format!(
        "[[admin_tokens]]\nname = \"test-admin\"\nrole = \"admin\"\nhash = \"sha256:{}\"\n",
        hex::encode(sha2::Sha256::digest(ADMIN.as_bytes()))
    )
}

/// A 青 use plan with one key (dave), for the 利用計画 pages.
pub const PLAN_KEY: &str = "mk-plan-dave";

fn plan_block() -> String {
    format!(
        r#"
[[plans]]
id = "p-test"
service = "テスト業務 <b>支援</b>"
provider = "mock"
purpose = "議事要旨の下書き"
confidentiality_class = 1
start = 2026-01-01
end = 2035-12-31
departments = ["テスト課"]
approver = "情報政策課長"
domain = "internal"
category = 1
public = false
models = ["m-mock"]

{}"#,
        key_block(PLAN_KEY, "dave", "plan = \"p-test\"")
    )
}

/// A cookie-keeping client that does not follow redirects.
struct Browser {
    base: String,
    http: reqwest::Client,
    cookies: HashMap<String, String>,
}

struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get("location")
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }
    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }
    fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a csrf field")
            + 19;
        self.body[at..at + 64].to_owned()
    }
}

impl Browser {
    fn new(gw: &Gateway) -> Browser {
        Self::at(
            format!("http://{}", gw.addr),
            client_builder().build().unwrap(),
        )
    }

    fn at(base: String, http: reqwest::Client) -> Browser {
        Browser {
            base,
            http,
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, resp: reqwest::Response) -> Page {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        for c in headers.get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (kv, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        let body = resp.text().await.unwrap();
        Page {
            status,
            headers,
            body,
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(resp).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.finish(resp).await
    }

    /// Opens the sign-in form and submits `token`.
    async fn sign_in(&mut self, token: &str) -> Page {
        let form = self.get("/admin/login").await;
        assert_eq!(form.status, 200);
        let csrf = form.csrf();
        self.post("/admin/login", &[("csrf", &csrf), ("token", token)])
            .await
    }

    /// Signs in and returns the CSRF token of the session.
    async fn signed_in(&mut self, token: &str) -> String {
        let p = self.sign_in(token).await;
        assert_eq!(p.status, 303, "{}", p.body);
        assert_eq!(p.location(), "/admin/ui/logs");
        let logs = self.get("/admin/ui/logs").await;
        assert_eq!(logs.status, 200);
        logs.csrf()
    }
}

fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
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

#[tokio::test]
async fn auditor_and_admin_sign_in_with_a_strict_session_cookie() {
    let (gw, _up) = start_with(&admin_block()).await;
    for token in [AUDITOR, ADMIN] {
        let mut b = Browser::new(&gw);
        let form = b.get("/admin/login").await;
        let login_cookie = form.set_cookies().join("\n");
        assert!(
            login_cookie.starts_with("mamori_console_login="),
            "{login_cookie}"
        );
        assert!(login_cookie.contains("HttpOnly; SameSite=Strict; Path=/admin"));
        let p = b
            .post("/admin/login", &[("csrf", &form.csrf()), ("token", token)])
            .await;
        assert_eq!(p.status, 303);
        assert_eq!(p.location(), "/admin/ui/logs");
        let session = p
            .set_cookies()
            .into_iter()
            .find(|c| c.starts_with("mamori_console="))
            .expect("a session cookie");
        let value = session
            .strip_prefix("mamori_console=")
            .unwrap()
            .split(';')
            .next()
            .unwrap();
        assert_eq!(value.len(), 64, "256 random bits, hex");
        assert!(value.bytes().all(|c| c.is_ascii_hexdigit()));
        assert!(
            session.ends_with("; HttpOnly; SameSite=Strict; Path=/admin"),
            "plain HTTP: no Secure, {session}"
        );
        assert!(!session.contains(token));
        let logs = b.get("/admin/ui/logs").await;
        assert_eq!(logs.status, 200);
        assert!(logs.body.contains("ログ一覧"));
        assert_eq!(
            logs.body.contains("/admin/ui/admin"),
            token == ADMIN,
            "the admin entry shows for admins only"
        );
        // Already signed in: the sign-in page sends you on.
        assert_eq!(b.get("/admin/login").await.location(), "/admin/ui/logs");
    }
}

#[tokio::test]
async fn staff_keys_and_wrong_tokens_cannot_sign_in() {
    let (gw, _up) = start().await;
    let mut b = Browser::new(&gw);
    let p = b.sign_in(ALICE).await;
    assert_eq!(p.status, 403);
    assert!(
        p.body.contains("職員用のAPIキーではサインインできません"),
        "{}",
        p.body
    );
    assert!(p.body.contains("Staff API keys cannot sign in"));
    assert!(!b.cookies.contains_key("mamori_console"));
    assert!(!p.body.contains(ALICE), "the key is not echoed");

    let p = b.sign_in("mk-not-a-token").await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains("トークンが正しくありません"));
    assert!(!b.cookies.contains_key("mamori_console"));
    let p = b.sign_in("").await;
    assert_eq!(p.status, 401);

    // Counted by reason (never with the token).
    let m = client()
        .get(gw.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(m.contains("mamori_auth_failures_total{reason=\"console_staff_key\"} 1"));
    assert!(m.contains("mamori_auth_failures_total{reason=\"console_invalid_token\"} 2"));
    assert!(!m.contains("mk-not-a-token"));

    // Without the sign-in form's token (cross-site post): refused.
    let mut fresh = Browser::new(&gw);
    let p = fresh
        .post("/admin/login", &[("csrf", "x"), ("token", AUDITOR)])
        .await;
    assert_eq!(p.status, 403);
    assert!(!fresh.cookies.contains_key("mamori_console"));
}

#[tokio::test]
async fn failed_sign_ins_are_limited() {
    let (gw, _up) = start().await;
    let mut b = Browser::new(&gw);
    for _ in 0..10 {
        assert_eq!(b.sign_in("mk-wrong").await.status, 401);
    }
    let p = b.sign_in(AUDITOR).await;
    assert_eq!(p.status, 429, "even the right token waits now");
    assert!(!b.cookies.contains_key("mamori_console"));
}

#[tokio::test]
async fn pages_require_a_session_and_the_json_api_keeps_bearer_auth() {
    let (gw, _up) = start().await;
    let (_, id) = ask(&gw, ALICE, "こんにちは").await;
    let mut b = Browser::new(&gw);
    for path in [
        "/admin/ui/logs".to_string(),
        format!("/admin/ui/logs/{id}"),
        "/admin/ui/stats".into(),
        "/admin/ui/audit".into(),
        "/admin/ui/admin".into(),
        "/admin/ui/export?format=csv".into(),
    ] {
        let p = b.get(&path).await;
        assert_eq!(p.status, 303, "{path}");
        assert_eq!(p.location(), "/admin/login", "{path}");
    }
    assert_eq!(b.get("/admin/").await.location(), "/admin/ui/logs");
    b.cookies.insert("mamori_console".into(), "0".repeat(64));
    assert_eq!(b.get("/admin/ui/logs").await.location(), "/admin/login");
    let p = b.post("/admin/ui/admin/reload", &[("csrf", "x")]).await;
    assert_eq!(p.location(), "/admin/login");

    // The JSON API is unchanged: bearer tokens, not cookies.
    let r = client().get(gw.url("/admin/logs")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = client()
        .get(gw.url("/admin/logs"))
        .bearer_auth(AUDITOR)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut signed = Browser::new(&gw);
    signed.signed_in(AUDITOR).await;
    let r = client()
        .get(gw.url("/admin/logs"))
        .header("cookie", signed.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "a console session is not an API credential"
    );
}

#[tokio::test]
async fn every_post_needs_the_session_csrf_token() {
    let (gw, _up) = start_with(&admin_block()).await;
    let mut b = Browser::new(&gw);
    let csrf = b.signed_in(ADMIN).await;
    let wrong = "f".repeat(64);
    for path in [
        "/admin/logout",
        "/admin/ui/audit/verify",
        "/admin/ui/admin/reload",
        "/admin/ui/admin/purge",
    ] {
        let p = b.post(path, &[]).await;
        assert_eq!(p.status, 403, "{path} without a token");
        let p = b
            .post(
                path,
                &[
                    ("csrf", &wrong),
                    ("before", "2000-01-01"),
                    ("confirm", "yes"),
                ],
            )
            .await;
        assert_eq!(p.status, 403, "{path} with a wrong token");
        assert!(p.body.contains("CSRF"));
    }
    // Another session's token does not work either.
    let mut other = Browser::new(&gw);
    let other_csrf = other.signed_in(ADMIN).await;
    assert_ne!(other_csrf, csrf);
    let p = b
        .post("/admin/ui/admin/reload", &[("csrf", &other_csrf)])
        .await;
    assert_eq!(p.status, 403);
    // Still signed in after all that.
    assert_eq!(b.get("/admin/ui/logs").await.status, 200);
    let p = b.post("/admin/ui/audit/verify", &[("csrf", &csrf)]).await;
    assert_eq!(p.status, 303);
}

#[tokio::test]
async fn auditors_read_but_cannot_run_admin_actions() {
    let (gw, _up) = start().await;
    ask(&gw, ALICE, "議事録").await;
    let mut b = Browser::new(&gw);
    let csrf = b.signed_in(AUDITOR).await;
    let p = b.get("/admin/ui/admin").await;
    assert_eq!(p.status, 403);
    assert!(p.body.contains("管理者（admin）だけ"));
    let p = b
        .post(
            "/admin/ui/admin/purge",
            &[
                ("csrf", &csrf),
                ("before", "2999-01-01"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(p.status, 403);
    let p = b.post("/admin/ui/admin/reload", &[("csrf", &csrf)]).await;
    assert_eq!(p.status, 403);
    assert_eq!(gw.state.store.len().unwrap(), 1, "nothing purged");
    // Reading works.
    for path in ["/admin/ui/logs", "/admin/ui/stats", "/admin/ui/audit"] {
        assert_eq!(b.get(path).await.status, 200, "{path}");
    }
    let p = b.post("/admin/ui/audit/verify", &[("csrf", &csrf)]).await;
    assert_eq!(p.status, 303, "verifying is reading");
}

#[tokio::test]
async fn admins_purge_and_reload() {
    let (gw, _up) = start_with(&admin_block()).await;
    ask(&gw, ALICE, "一件目").await;
    ask(&gw, BOB, "二件目").await;
    let mut b = Browser::new(&gw);
    let csrf = b.signed_in(ADMIN).await;
    let p = b.get("/admin/ui/admin").await;
    assert_eq!(p.status, 200);
    let p = b.post("/admin/ui/admin/reload", &[("csrf", &csrf)]).await;
    assert_eq!(p.status, 200);
    assert!(
        p.body.contains("件のポリシーを読み込みました"),
        "{}",
        p.body
    );
    // Without the confirmation box: refused, nothing purged.
    let p = b
        .post(
            "/admin/ui/admin/purge",
            &[("csrf", &csrf), ("before", "2999-01-01")],
        )
        .await;
    assert_eq!(p.status, 400);
    assert_eq!(gw.state.store.len().unwrap(), 2);
    let p = b
        .post(
            "/admin/ui/admin/purge",
            &[
                ("csrf", &csrf),
                ("before", "2999-01-01"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("2 件の記録を削除しました"), "{}", p.body);
    assert_eq!(gw.state.store.len().unwrap(), 0);
    let audit = b.get("/admin/ui/audit").await;
    assert!(
        audit.body.contains("改ざんは検出されませんでした"),
        "chain still verifies"
    );
}

#[tokio::test]
async fn idle_sessions_expire() {
    let (gw, _up) =
        start_with("[console]\nidle_timeout_secs = 1\nabsolute_timeout_secs = 2\n").await;
    let mut b = Browser::new(&gw);
    b.signed_in(AUDITOR).await;
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let p = b.get("/admin/ui/logs").await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location(), "/admin/login");
    // Activity keeps a session alive only until the absolute limit.
    let mut b = Browser::new(&gw);
    b.signed_in(AUDITOR).await;
    for _ in 0..4 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        b.get("/admin/ui/logs").await;
    }
    let p = b.get("/admin/ui/logs").await;
    assert_eq!(p.location(), "/admin/login", "absolute timeout");
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let (gw, _up) = start().await;
    let mut b = Browser::new(&gw);
    let csrf = b.signed_in(AUDITOR).await;
    let old = b.cookies["mamori_console"].clone();
    let p = b.post("/admin/logout", &[("csrf", &csrf)]).await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location(), "/admin/login");
    assert!(p
        .set_cookies()
        .iter()
        .any(|c| c.starts_with("mamori_console=;") && c.contains("Max-Age=0")));
    // The old cookie, replayed, no longer works.
    b.cookies.insert("mamori_console".into(), old);
    assert_eq!(b.get("/admin/ui/logs").await.location(), "/admin/login");
}

#[tokio::test]
async fn every_console_response_carries_the_security_headers() {
    let (gw, _up) = start().await;
    let mut b = Browser::new(&gw);
    let check = |p: &Page, what: &str| {
        assert_eq!(p.headers["content-security-policy"], CSP, "{what}");
        assert_eq!(p.headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(p.headers["referrer-policy"], "no-referrer", "{what}");
        assert_eq!(p.headers["cache-control"], "no-store", "{what}");
    };
    check(&b.get("/admin/login").await, "login");
    check(&b.get("/admin/ui/logs").await, "redirect");
    b.signed_in(AUDITOR).await;
    for path in [
        "/admin/ui/logs",
        "/admin/ui/stats",
        "/admin/ui/audit",
        "/admin/ui/logs/nope",
        "/admin/ui/assets/console.css",
        "/admin/ui/export?format=jsonl",
    ] {
        check(&b.get(path).await, path);
    }
    let css = b.get("/admin/ui/assets/console.css").await;
    assert!(css.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    assert_eq!(b.get("/admin/ui/logs/nope").await.status, 404);
    assert_eq!(b.get("/admin/ui/assets/nope.js").await.status, 404);
    let page = b.get("/admin/ui/logs").await.body;
    assert!(!page.contains("<script>"), "no inline script");
    assert!(!page.contains(" style="), "no inline style");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "nothing from elsewhere"
    );
}

#[tokio::test]
async fn stored_markup_renders_as_inert_text() {
    let (gw, _up) = start().await;
    let evil = "<script>alert(1)</script> [リンク](javascript:alert(2)) <img src=x onerror=alert(3)> \"quoted\"";
    let (s, id) = ask(&gw, ALICE, evil).await;
    assert_eq!(s, 200);
    let mut b = Browser::new(&gw);
    b.signed_in(AUDITOR).await;
    let p = b.get(&format!("/admin/ui/logs/{id}")).await;
    assert_eq!(p.status, 200);
    assert!(
        p.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{}",
        p.body
    );
    assert!(p.body.contains("[リンク](javascript:alert(2))"));
    assert!(p.body.contains("&lt;img src=x onerror=alert(3)&gt;"));
    assert!(!p.body.contains("<script>alert"));
    assert!(!p.body.contains("<img src=x"));
    assert!(!p.body.contains("href=\"javascript:"));
    // Also in the list (free-text filter echoes the search term escaped).
    let p = b.get("/admin/ui/logs?q=%3Cscript%3E").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains(&format!("/admin/ui/logs/{id}")));
    assert!(!p.body.contains("<script>"));
}

#[tokio::test]
async fn the_list_filters_and_the_detail_explains_a_block() {
    let (gw, _up) = start().await;
    ask(&gw, ALICE, "議事録の要約").await;
    let (s, blocked) = ask(&gw, ALICE, &format!("個人番号は{MY_NUMBER}です")).await;
    assert_eq!(s, 400);
    ask(&gw, BOB, "予算").await;
    let mut b = Browser::new(&gw);
    b.signed_in(AUDITOR).await;
    let all = b.get("/admin/ui/logs").await;
    assert_eq!(all.body.matches("href=\"/admin/ui/logs/01").count(), 3);
    let p = b.get("/admin/ui/logs?verdict=blocked&user=alice").await;
    assert_eq!(p.body.matches("href=\"/admin/ui/logs/01").count(), 1);
    assert!(p.body.contains(&blocked));
    assert!(p.body.contains("my_number"));
    let p = b
        .get("/admin/ui/logs?department=%E6%83%85%E5%A0%B1%E6%94%BF%E7%AD%96%E8%AA%B2")
        .await;
    assert_eq!(p.body.matches("href=\"/admin/ui/logs/01").count(), 1);
    let p = b.get("/admin/ui/logs?from=bad").await;
    assert_eq!(p.status, 400);
    let p = b.get(&format!("/admin/ui/logs/{blocked}")).await;
    assert!(p.body.contains("my_number"));
    assert!(
        p.body.contains("<mark class=\"ph\">[個人番号_1]</mark>"),
        "{}",
        p.body
    );
    assert!(p.body.contains("ブロックされ"));
    assert!(!p.body.contains(MY_NUMBER), "no raw value");
    // Stats and export for the same filter.
    let p = b.get("/admin/ui/stats?verdict=blocked").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("<svg"));
    assert!(p.body.contains("my_number"));
    let csv = b.get("/admin/ui/export?format=csv&verdict=blocked").await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.starts_with("seq,id,time,"));
    // The console's CSV links ask for a BOM, so Excel opens them as UTF-8.
    let logs = b.get("/admin/ui/logs?verdict=blocked").await;
    assert!(logs.body.contains("/admin/ui/export?format=csv&amp;bom=1"));
    let csv = b
        .get("/admin/ui/export?format=csv&bom=1&verdict=blocked")
        .await;
    assert!(csv.body.starts_with("\u{FEFF}seq,id,time,"));
    assert_eq!(
        b.get("/admin/ui/export?format=csv&bom=maybe").await.status,
        400
    );
    assert_eq!(csv.body.matches(",blocked,").count(), 1, "{}", csv.body);
    assert!(csv.body.contains(&blocked));
}

#[tokio::test]
async fn a_disabled_console_is_not_served() {
    let (gw, _up) = start_with("[console]\nenabled = false\n").await;
    let mut b = Browser::new(&gw);
    assert_eq!(b.get("/admin/login").await.status, 404);
    assert_eq!(b.get("/admin/ui/logs").await.status, 404);
    assert_eq!(b.get("/admin/").await.status, 404);
    assert_eq!(b.get("/admin/ui/assets/console.css").await.status, 404);
    let r = client()
        .get(gw.url("/admin/logs"))
        .bearer_auth(AUDITOR)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the JSON API stays");
}

#[tokio::test]
async fn over_tls_the_cookies_are_secure() {
    use mamori::server::{self, Listener};
    let up = upstream::Upstream::start().await;
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let acceptor = server::tls_acceptor(&cert_path, &key_path).unwrap();
    let mut settings = mamori::config::Settings::from_toml(
        &config_for(up.addr, ""),
        "<test>",
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
    )
    .unwrap();
    settings.data_dir = dir.path().join("data");
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
    let http = client_builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .resolve("localhost", addr)
        .build()
        .unwrap();
    let mut b = Browser::at(format!("https://localhost:{}", addr.port()), http);
    let form = b.get("/admin/login").await;
    assert!(form.set_cookies()[0].ends_with("; Secure"));
    let p = b
        .post(
            "/admin/login",
            &[("csrf", &form.csrf()), ("token", AUDITOR)],
        )
        .await;
    assert_eq!(p.status, 303);
    let session = p
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("mamori_console="))
        .unwrap();
    assert!(
        session.ends_with("; HttpOnly; SameSite=Strict; Path=/admin; Secure"),
        "{session}"
    );
    let _ = tx.send(());
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn use_plans_list_report_and_download() {
    let (gw, _up) = start_with(&plan_block()).await;
    let resp = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(PLAN_KEY)
        .json(&chat_body("m-mock", "議事要旨", false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut b = Browser::new(&gw);
    assert_eq!(b.get("/admin/ui/plans").await.location(), "/admin/login");
    b.signed_in(AUDITOR).await;
    let p = b.get("/admin/ui/plans").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("p-test"));
    assert!(p.body.contains("青 blue"));
    assert!(
        p.body.contains("テスト業務 &lt;b&gt;支援&lt;/b&gt;"),
        "escaped"
    );
    assert!(p.body.contains("期間内"));
    let p = b.get("/admin/ui/plans/p-test").await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("利用実績"));
    assert!(p.body.contains("/admin/ui/plans/p-test/report?format=md"));
    let md = b.get("/admin/ui/plans/p-test/report?format=md").await;
    assert_eq!(md.status, 200);
    assert!(md.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/markdown"));
    assert!(md.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("mamori-report-p-test.md"));
    assert!(md.body.contains("p-test"));
    let csv = b
        .get("/admin/ui/plans/p-test/report?format=csv&from=2026-01-01")
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.body.starts_with("section,item,metric,value"),
        "{}",
        csv.body
    );
    let csv = b
        .get("/admin/ui/plans/p-test/report?format=csv&bom=1")
        .await;
    assert!(csv.body.starts_with("\u{FEFF}section,"));
    assert_eq!(b.get("/admin/ui/plans/nope").await.status, 404);
    assert_eq!(b.get("/admin/ui/plans/p-test?from=bad").await.status, 400);
}
