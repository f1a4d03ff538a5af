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
    #[serde(default)]
    pub notice: RawNotice,
    #[serde(default)]
    pub audit: RawAudit,
    #[serde(default)]
    pub governance: RawGovernance,
    #[serde(default)]
    pub plans: Vec<RawPlan>,
    #[serde(default)]
    pub console: RawConsole,
}

/// `[governance]`: how use plans apply to the whole deployment.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGovernance {
    /// Offset plan periods and report days are read at (default JST, "+09:00").
    #[serde(default = "default_utc_offset")]
    pub utc_offset: String,
    /// Every staff key must belong to a use plan.
    #[serde(default)]
    pub require_plan: bool,
}

impl Default for RawGovernance {
    fn default() -> Self {
        Self {
            utc_offset: default_utc_offset(),
            require_plan: false,
        }
    }
}

fn default_utc_offset() -> String {
    "+09:00".to_owned()
}

/// A calendar date: a TOML date (`2026-04-01`) or a string (`"2026-04-01"`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawDate {
    /// A TOML date literal.
    Toml(toml::value::Datetime),
    /// A quoted date.
    Text(String),
}

impl RawDate {
    /// The date as `YYYY-MM-DD` text (a TOML date with a time keeps it, and is refused later).
    pub fn text(&self) -> String {
        match self {
            RawDate::Toml(d) => d.to_string(),
            RawDate::Text(s) => s.clone(),
        }
    }
}

/// `[[plans]]`: a use plan (利用計画書).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlan {
    pub id: String,
    /// Service name (業務・サービス名).
    pub service: String,
    /// Name of a `[[providers]]` entry.
    pub provider: String,
    /// Purpose (業務内容).
    pub purpose: String,
    /// Highest confidentiality class handled: 1 or 2 (3 is refused).
    pub confidentiality_class: u8,
    pub start: RawDate,
    pub end: RawDate,
    #[serde(default)]
    pub departments: Vec<String>,
    #[serde(default)]
    pub users: Vec<String>,
    pub approver: String,
    /// `citizen_service`, `citizen_service_related` or `internal`.
    pub domain: String,
    /// 1..=5.
    pub category: u8,
    #[serde(default)]
    pub public: bool,
    #[serde(default)]
    pub models: Vec<String>,
    pub policy: Option<String>,
    pub notice: Option<String>,
    pub retention_days: Option<u32>,
}

/// `[audit]`: the tamper-evident audit log.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    /// `strict` (record on disk before the answer is released) or `batched`.
    #[serde(default = "default_durability")]
    pub durability: String,
    /// Batched mode: longest wait before a flush.
    #[serde(default = "default_flush_interval_ms")]
    pub flush_interval_ms: u64,
    /// Records waiting for the writer at most.
    #[serde(default = "default_queue_capacity")]
    pub queue_capacity: usize,
    /// Records older than this are purged; unset keeps everything.
    pub retention_days: Option<u32>,
    /// Forward requests even when they cannot be logged (default: fail closed).
    #[serde(default)]
    pub fail_open: bool,
    /// Keep the prompt (as forwarded, i.e. masked) in the log.
    #[serde(default = "default_true")]
    pub store_prompts: bool,
    /// Keep the output in the log.
    #[serde(default = "default_true")]
    pub store_outputs: bool,
}

impl Default for RawAudit {
    fn default() -> Self {
        Self {
            durability: default_durability(),
            flush_interval_ms: default_flush_interval_ms(),
            queue_capacity: default_queue_capacity(),
            retention_days: None,
            fail_open: false,
            store_prompts: true,
            store_outputs: true,
        }
    }
}

fn default_durability() -> String {
    "strict".to_owned()
}
fn default_flush_interval_ms() -> u64 {
    50
}
fn default_queue_capacity() -> usize {
    8192
}
fn default_true() -> bool {
    true
}

/// `[notice]`: the "AI generated" notice (Q11 disclosure, Q12 secondary use).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotice {
    /// `suffix`, `prefix` or `none` (header only).
    #[serde(default = "default_notice_position")]
    pub position: String,
    /// Notice lines, in order (default: Japanese, then English).
    #[serde(default = "default_notice_lines")]
    pub lines: Vec<String>,
    /// Extra lines for keys marked public (Q16: trial stage).
    #[serde(default = "default_trial_lines")]
    pub trial_lines: Vec<String>,
}

impl Default for RawNotice {
    fn default() -> Self {
        Self {
            position: default_notice_position(),
            lines: default_notice_lines(),
            trial_lines: default_trial_lines(),
        }
    }
}

fn default_notice_position() -> String {
    "suffix".to_owned()
}
fn default_notice_lines() -> Vec<String> {
    vec![
        "※この回答は生成AIによって作成されました。内容を確認のうえ、利用者の責任でご利用ください。".to_owned(),
        "※This answer was generated by AI. Check its content and use it on your own responsibility.".to_owned(),
    ]
}
fn default_trial_lines() -> Vec<String> {
    vec![
        "※本サービスは検証段階（試行）です。回答は参考情報としてお使いください。".to_owned(),
        "※This service is a trial; treat answers as reference information only.".to_owned(),
    ]
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
    /// Separate listener for /metrics and /admin (not exposed to staff).
    pub admin_listen: Option<String>,
    /// Per-user metric labels (unbounded cardinality: off by default).
    #[serde(default)]
    pub per_user_metrics: bool,
}

impl Default for RawServer {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            tls: None,
            data_dir: default_data_dir(),
            shutdown_grace_secs: default_shutdown_grace_secs(),
            max_connections: default_max_connections(),
            admin_listen: None,
            per_user_metrics: false,
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
    /// Notice position for this key (`suffix`, `prefix`, `none`); default from `[notice]`.
    pub notice: Option<String>,
    /// Public use (Q16): consent required, trial-stage notice added.
    pub public: Option<bool>,
    /// The use plan this key belongs to; its settings take over from the key's.
    pub plan: Option<String>,
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

/// `[console]`: the auditors' web console under `/admin/` (issue 9).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConsole {
    /// Serve the console at all.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// A session ends after this long without a request.
    #[serde(default = "default_console_idle_secs")]
    pub idle_timeout_secs: u64,
    /// A session ends this long after sign-in, however active.
    #[serde(default = "default_console_absolute_secs")]
    pub absolute_timeout_secs: u64,
}

impl Default for RawConsole {
    fn default() -> Self {
        Self {
            enabled: true,
            idle_timeout_secs: default_console_idle_secs(),
            absolute_timeout_secs: default_console_absolute_secs(),
        }
    }
}

fn default_console_idle_secs() -> u64 {
    30 * 60
}
fn default_console_absolute_secs() -> u64 {
    8 * 60 * 60
}
