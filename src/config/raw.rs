//! The config file as written: serde mirrors of the TOML, strict about
//! unknown keys so a typo is an error at load rather than a silent default.
//! Validation and compilation happen in [`super::settings`].

use std::path::PathBuf;

use serde::Deserialize;

/// The whole config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub server: RawServer,
    #[serde(default)]
    pub limits: RawLimits,
    #[serde(default)]
    pub timeouts: RawTimeouts,
    #[serde(default)]
    pub policies: RawPolicies,
    #[serde(default)]
    pub providers: Vec<RawProvider>,
    #[serde(default)]
    pub models: Vec<RawModel>,
    #[serde(default)]
    pub keys: Vec<RawKey>,
    #[serde(default)]
    pub admin_tokens: Vec<RawAdminToken>,
}

/// `[server]`: listeners and where data lives.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    #[serde(default = "default_listen")]
    pub listen: String,
    pub tls: Option<RawTls>,
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    #[serde(default = "default_shutdown_grace_secs")]
    pub shutdown_grace_secs: u64,
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
}

impl Default for RawServer {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            tls: None,
            data_dir: default_data_dir(),
            shutdown_grace_secs: default_shutdown_grace_secs(),
            max_connections: default_max_connections(),
        }
    }
}

/// `[server.tls]`: an extra HTTPS listener.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTls {
    pub listen: String,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// `[limits]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
    #[serde(default = "default_header_read_timeout_ms")]
    pub header_read_timeout_ms: u64,
    #[serde(default = "default_body_read_timeout_ms")]
    pub body_read_timeout_ms: u64,
}

impl Default for RawLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: default_max_body_bytes(),
            header_read_timeout_ms: default_header_read_timeout_ms(),
            body_read_timeout_ms: default_body_read_timeout_ms(),
        }
    }
}

/// `[timeouts]`: upstream timeouts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTimeouts {
    #[serde(default = "default_connect_ms")]
    pub connect_ms: u64,
    #[serde(default = "default_first_byte_ms")]
    pub first_byte_ms: u64,
    #[serde(default = "default_total_ms")]
    pub total_ms: u64,
}

impl Default for RawTimeouts {
    fn default() -> Self {
        Self {
            connect_ms: default_connect_ms(),
            first_byte_ms: default_first_byte_ms(),
            total_ms: default_total_ms(),
        }
    }
}

/// `[policies]`: where policy files live and which one applies by default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicies {
    #[serde(default = "default_policy_dir")]
    pub dir: PathBuf,
    #[serde(default = "default_policy_name")]
    pub default: String,
}

impl Default for RawPolicies {
    fn default() -> Self {
        Self {
            dir: default_policy_dir(),
            default: default_policy_name(),
        }
    }
}

/// `[[providers]]`: an upstream.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProvider {
    pub name: String,
    pub kind: String,
    pub base_url: Option<String>,
    pub api_key: Option<String>,
    pub api_version: Option<String>,
    #[serde(default)]
    pub contracted: bool,
    /// Mock only: delay before the first byte.
    #[serde(default)]
    pub latency_ms: u64,
    /// Mock only: number of content chunks in a stream.
    pub stream_chunks: Option<usize>,
    /// Mock only: delay between stream chunks.
    #[serde(default)]
    pub chunk_delay_ms: u64,
}

/// `[[models]]`: a model name (or Azure deployment) callers use.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    pub name: String,
    pub provider: String,
    pub upstream_model: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// `[[keys]]`: a staff key (hash only).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKey {
    pub user: String,
    pub department: String,
    pub hash: String,
    #[serde(default)]
    pub models: Vec<String>,
    pub policy: Option<String>,
    #[serde(default)]
    pub disabled: bool,
}

/// `[[admin_tokens]]`: an auditor or admin token (hash only).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdminToken {
    pub name: String,
    pub role: String,
    pub hash: String,
}

fn default_listen() -> String {
    "127.0.0.1:8080".to_owned()
}
fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}
fn default_shutdown_grace_secs() -> u64 {
    30
}
fn default_max_connections() -> usize {
    10_000
}
fn default_max_body_bytes() -> usize {
    4 * 1024 * 1024
}
fn default_header_read_timeout_ms() -> u64 {
    10_000
}
fn default_body_read_timeout_ms() -> u64 {
    30_000
}
fn default_connect_ms() -> u64 {
    5_000
}
fn default_first_byte_ms() -> u64 {
    120_000
}
fn default_total_ms() -> u64 {
    600_000
}
fn default_policy_dir() -> PathBuf {
    PathBuf::from("policies")
}
fn default_policy_name() -> String {
    "default".to_owned()
}
