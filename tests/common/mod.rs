//! Test harness: boots the real gateway on 127.0.0.1:0 against a scripted
//! upstream on loopback. Nothing here reaches any other address.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

pub mod upstream;

use std::net::SocketAddr;
use std::sync::Arc;

use mamori::config::Settings;
use mamori::state::AppState;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The provider key the test upstreams expect; it must never reach a client.
pub const PROVIDER_KEY: &str = "sk-upstream-SECRET-0123456789abcdef";
/// Demo staff keys (hashes in the config below).
pub const ALICE: &str = "mk-demo-alice";
pub const BOB: &str = "mk-demo-bob";
pub const AUDITOR: &str = "mk-audit-demo";

/// A running gateway.
pub struct Gateway {
    pub addr: SocketAddr,
    pub shutdown: Option<oneshot::Sender<()>>,
    pub task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    pub data_dir: tempfile::TempDir,
    pub state: Arc<AppState>,
}

impl Gateway {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Signals shutdown and returns the serve task to await.
    pub fn begin_shutdown(&mut self) -> tokio::task::JoinHandle<std::io::Result<()>> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.take().expect("already shut down")
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The repo's policies directory.
pub fn policies_dir() -> String {
    format!("{}/policies", env!("CARGO_MANIFEST_DIR"))
}

/// A config with the scripted upstream behind several providers.
pub fn config_for(upstream: SocketAddr, extra: &str) -> String {
    let closed = closed_port();
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
shutdown_grace_secs = 5

[limits]
max_body_bytes = 65536
header_read_timeout_ms = 2000
body_read_timeout_ms = 1000

[timeouts]
connect_ms = 500
first_byte_ms = 700
total_ms = 5000

[policies]
dir = "{policies}"

[[providers]]
name = "ok"
kind = "openai_compatible"
base_url = "http://{up}/ok/v1"
api_key = "{key}"

[[providers]]
name = "openai"
kind = "openai"
base_url = "http://{up}/ok/v1"
api_key = "{key}"

[[providers]]
name = "azure"
kind = "azure"
base_url = "http://{up}/az"
api_key = "{key}"
api_version = "2024-10-21"

[[providers]]
name = "reset"
kind = "openai_compatible"
base_url = "http://{up}/reset/v1"
api_key = "{key}"

[[providers]]
name = "status"
kind = "openai_compatible"
base_url = "http://{up}/status/v1"
api_key = "{key}"

[[providers]]
name = "slow"
kind = "openai_compatible"
base_url = "http://{up}/slow/v1"
api_key = "{key}"

[[providers]]
name = "down"
kind = "openai_compatible"
base_url = "http://127.0.0.1:{closed}/v1"
api_key = "{key}"

[[providers]]
name = "mock"
kind = "mock"

[[models]]
name = "gpt-4o-mini"
provider = "ok"

[[models]]
name = "gpt-4o"
provider = "openai"
upstream_model = "gpt-4o-2024-08-06"

[[models]]
name = "text-embedding-3-small"
provider = "ok"

[[models]]
name = "azure-chat"
provider = "azure"
upstream_model = "chat-deployment"

[[models]]
name = "m-reset"
provider = "reset"

[[models]]
name = "m-status"
provider = "status"

[[models]]
name = "m-slow"
provider = "slow"

[[models]]
name = "m-down"
provider = "down"

[[models]]
name = "m-mock"
provider = "mock"

[[keys]]
user = "alice"
department = "総務課"
hash = "sha256:7c7b1acd37e0260ef08dd81547e0879010c428f0f5c545fa352e2edb44bb6482"

[[keys]]
user = "bob"
department = "情報政策課"
hash = "sha256:af77205caef5554e0eb1ad41a51d565dcf76f4e3593df22c9e39e66ed9996347"
models = ["gpt-4o-mini", "text-embedding-3-small"]

[[admin_tokens]]
name = "demo-auditor"
role = "auditor"
hash = "sha256:9944feaef88b1671a3a2afea2b5be669a65fa8122dc33dcfbb7307f4d549498e"

{extra}
"#,
        up = upstream,
        key = PROVIDER_KEY,
        closed = closed,
        policies = policies_dir(),
    )
}

/// A loopback port with nothing listening.
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Boots the gateway with `config` (TOML text).
pub async fn start_gateway(config: &str) -> Gateway {
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::from_toml(
        config,
        "<test>",
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
    )
    .unwrap();
    settings.data_dir = data_dir.path().to_path_buf();
    let state = Arc::new(AppState::new(settings).unwrap());
    mamori::reload::spawn(state.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(mamori::server::serve(listener, state.clone(), async {
        let _ = rx.await;
    }));
    Gateway {
        addr,
        shutdown: Some(tx),
        task: Some(task),
        data_dir,
        state,
    }
}

/// Boots the scripted upstream and a gateway in front of it.
pub async fn start() -> (Gateway, upstream::Upstream) {
    start_with("").await
}

/// As [`start`], with extra config appended.
pub async fn start_with(extra: &str) -> (Gateway, upstream::Upstream) {
    let up = upstream::Upstream::start().await;
    let gw = start_gateway(&config_for(up.addr, extra)).await;
    (gw, up)
}

/// A client with no proxy (loopback only).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A chat request body.
pub fn chat_body(model: &str, text: &str, stream: bool) -> serde_json::Value {
    serde_json::json!({
        "model": model,
        "stream": stream,
        "messages": [{"role": "system", "content": "You are helpful."}, {"role": "user", "content": text}],
    })
}

/// Reads a whole SSE body into its `data:` payloads.
pub fn sse_data(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            e.lines()
                .filter_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect()
}

/// The default visible notice as appended to text answers (suffix).
pub const NOTICE_SUFFIX: &str = "\n\n※この回答は生成AIによって作成されました。内容を確認のうえ、利用者の責任でご利用ください。\n※This answer was generated by AI. Check its content and use it on your own responsibility.";

/// Strips the notice suffix, panicking if it is missing.
pub fn without_notice(text: &str) -> &str {
    text.strip_suffix(NOTICE_SUFFIX)
        .unwrap_or_else(|| panic!("answer lacks the AI-generated notice: {text:?}"))
}

/// A `[[keys]]` block for a test key with extra settings.
pub fn key_block(key: &str, user: &str, extra: &str) -> String {
    use sha2::Digest;
    format!(
        "[[keys]]\nuser = \"{user}\"\ndepartment = \"テスト課\"\nhash = \"sha256:{}\"\n{extra}\n",
        hex::encode(sha2::Sha256::digest(key.as_bytes()))
    )
}

/// Parses SSE data payloads as JSON, skipping `[DONE]`.
pub fn sse_json(body: &str) -> Vec<serde_json::Value> {
    sse_data(body)
        .iter()
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap_or_else(|_| panic!("chunk is not JSON: {d}")))
        .collect()
}

/// Concatenated chat deltas of a parsed stream.
pub fn chat_text(chunks: &[serde_json::Value]) -> String {
    chunks
        .iter()
        .filter_map(|v| v["choices"][0]["delta"]["content"].as_str())
        .collect()
}

/// Boots the scripted upstream and a gateway whose policies come from `dir`.
pub async fn start_with_policies(
    dir: &std::path::Path,
    extra: &str,
) -> (Gateway, upstream::Upstream) {
    let up = upstream::Upstream::start().await;
    let config = config_for(up.addr, extra).replace(&policies_dir(), &dir.display().to_string());
    let gw = start_gateway(&config).await;
    (gw, up)
}

/// A temporary policies folder holding the repo's policies plus `extra` files.
pub fn policies_with(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(policies_dir()).unwrap() {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|e| e == "toml") {
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
        }
    }
    for (name, text) in extra {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// A My Number with a valid check digit (12 digits).
pub const MY_NUMBER: &str = "123456789018";
