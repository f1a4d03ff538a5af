//! Validated settings. Every check names the file, the key and the problem so
//! `mamori check-config` (exit 2) tells an operator exactly what to fix.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use time::{Date, OffsetDateTime, UtcOffset};

use super::plans::{Colour, Domain, Plan};
use super::raw::{RawConfig, RawPlan, RawProvider};
use super::Secret;

/// A config problem: which file, which key, what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {key}: {problem}")]
pub struct ConfigError {
    /// The file (or `<embedded demo>`).
    pub file: String,
    /// The offending key, dotted (`providers[0].base_url`).
    pub key: String,
    /// What is wrong, without any secret value.
    pub problem: String,
}

/// The kind of upstream a provider is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// api.openai.com: Bearer auth, model in the body.
    OpenAi,
    /// Azure OpenAI: `api-key` header, deployment in the path, `api-version` query.
    Azure,
    /// vLLM, Ollama, LiteLLM and friends: OpenAI wire format, optional Bearer key.
    OpenAiCompatible,
    /// The built-in deterministic mock: no network, no key.
    Mock,
}

impl ProviderKind {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "openai" => Some(Self::OpenAi),
            "azure" => Some(Self::Azure),
            "openai_compatible" => Some(Self::OpenAiCompatible),
            "mock" => Some(Self::Mock),
            _ => None,
        }
    }

    /// The name used in config and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Azure => "azure",
            Self::OpenAiCompatible => "openai_compatible",
            Self::Mock => "mock",
        }
    }
}

/// Behaviour of the built-in mock provider.
#[derive(Debug, Clone)]
pub struct MockSettings {
    /// Delay before the first byte.
    pub latency: Duration,
    /// Content chunks per streamed answer.
    pub stream_chunks: usize,
    /// Delay between streamed chunks.
    pub chunk_delay: Duration,
}

/// A validated upstream provider.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// Name models refer to.
    pub name: String,
    /// Which wire dialect it speaks.
    pub kind: ProviderKind,
    /// Base URL without trailing slash (OpenAI style includes `/v1`).
    pub base_url: String,
    /// Credential, never printed.
    pub api_key: Option<Secret>,
    /// Azure `api-version`.
    pub api_version: Option<String>,
    /// Whether a contract (not click-through terms) covers this provider.
    pub contracted: bool,
    /// Mock behaviour (mock kind only).
    pub mock: MockSettings,
}

/// A model (or Azure deployment) name callers may use and where it goes.
#[derive(Debug, Clone)]
pub struct ModelRoute {
    /// The name callers send.
    pub name: String,
    /// Index into [`Settings::providers`].
    pub provider: usize,
    /// Name sent upstream (model for OpenAI kinds, deployment for Azure).
    pub upstream_model: String,
}

/// A staff key: who it belongs to and what it may do.
#[derive(Debug, Clone)]
pub struct StaffKey {
    /// User id.
    pub user: String,
    /// Department (課).
    pub department: String,
    /// SHA-256 of the key.
    pub hash: [u8; 32],
    /// Models this key may use; empty means every configured model.
    pub models: Vec<String>,
    /// Policy name.
    pub policy: String,
    /// Where the visible notice goes for this key.
    pub notice: NoticePosition,
    /// Public use (Q16): consent required, trial-stage notice added.
    pub public: bool,
    /// Index into [`Settings::plans`] of the use plan the key belongs to.
    pub plan: Option<usize>,
}

/// Where the visible "AI generated" notice goes in text output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticePosition {
    /// After the answer.
    Suffix,
    /// Before the answer.
    Prefix,
    /// Header only.
    None,
}

impl NoticePosition {
    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Suffix => "suffix",
            Self::Prefix => "prefix",
            Self::None => "none",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "suffix" => Some(Self::Suffix),
            "prefix" => Some(Self::Prefix),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// The notice texts.
#[derive(Debug, Clone)]
pub struct NoticeSettings {
    /// Default position.
    pub position: NoticePosition,
    /// Notice text (lines joined).
    pub text: String,
    /// Notice text for public keys (trial-stage lines added).
    pub public_text: String,
}

impl StaffKey {
    /// Whether the key may use `model`.
    pub fn allows_model(&self, model: &str) -> bool {
        self.models.is_empty() || self.models.iter().any(|m| m == model)
    }
}

/// Role of an admin-API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminRole {
    /// Read-only access to logs, stats and reports.
    Auditor,
    /// Auditor rights plus changes (purge, reload).
    Admin,
}

/// An admin-API token (hash only).
#[derive(Debug, Clone)]
pub struct AdminToken {
    /// Label for logs.
    pub name: String,
    /// What it may do.
    pub role: AdminRole,
    /// SHA-256 of the token.
    pub hash: [u8; 32],
}

/// TLS listener settings.
#[derive(Debug, Clone)]
pub struct TlsSettings {
    /// Address of the HTTPS listener.
    pub listen: SocketAddr,
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// Request limits protecting mamori from clients.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body accepted (413 beyond, checked while reading).
    pub max_body_bytes: usize,
    /// Time a client has to send its request headers.
    pub header_read_timeout: Duration,
    /// Time a client has to send its whole body.
    pub body_read_timeout: Duration,
}

/// Upstream timeouts.
#[derive(Debug, Clone)]
pub struct Timeouts {
    /// TCP + TLS connect.
    pub connect: Duration,
    /// From sending the request to the response headers.
    pub first_byte: Duration,
    /// Whole exchange, streams included.
    pub total: Duration,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where it came from (path or `<embedded demo>`).
    pub source: String,
    /// Plain HTTP listener.
    pub listen: SocketAddr,
    /// Optional HTTPS listener.
    pub tls: Option<TlsSettings>,
    /// Directory of the audit store.
    pub data_dir: PathBuf,
    /// How long in-flight requests get to finish on shutdown.
    pub shutdown_grace: Duration,
    /// Concurrent connections accepted per listener.
    pub max_connections: usize,
    /// Separate listener for /metrics and /admin; when set they leave the main listener.
    pub admin_listen: Option<SocketAddr>,
    /// Per-user metric labels.
    pub per_user_metrics: bool,
    /// Client-side limits.
    pub limits: Limits,
    /// Upstream timeouts.
    pub timeouts: Timeouts,
    /// Policy directory.
    pub policy_dir: PathBuf,
    /// Policy for keys that name none.
    pub default_policy: String,
    /// Upstreams.
    pub providers: Vec<ProviderSettings>,
    /// Model routes.
    pub models: Vec<ModelRoute>,
    /// Staff keys.
    pub keys: Vec<StaffKey>,
    /// Admin tokens.
    pub admin_tokens: Vec<AdminToken>,
    /// The "AI generated" notice.
    pub notice: NoticeSettings,
    /// The audit log.
    pub audit: AuditSettings,
    /// Use plans (利用計画書).
    pub plans: Vec<Plan>,
    /// Offset plan periods and report days are read at.
    pub utc_offset: UtcOffset,
    /// Every staff key must belong to a plan.
    pub require_plan: bool,
    /// The auditors' web console.
    pub console: ConsoleSettings,
}

/// `[console]`: the auditors' web console (issue 9).
#[derive(Debug, Clone)]
pub struct ConsoleSettings {
    /// Serve the console under `/admin/`.
    pub enabled: bool,
    /// A session ends after this long without a request.
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in.
    pub absolute_timeout: Duration,
}

/// Audit log settings.
#[derive(Debug, Clone)]
pub struct AuditSettings {
    /// Store durability.
    pub durability: crate::store::Durability,
    /// Queue capacity between requests and the writer.
    pub queue_capacity: usize,
    /// Retention in days; `None` keeps everything.
    pub retention_days: Option<u32>,
    /// Forward even when the log cannot be written.
    pub fail_open: bool,
    /// Keep prompts (masked) in the log.
    pub store_prompts: bool,
    /// Keep outputs in the log.
    pub store_outputs: bool,
}

impl Settings {
    /// Loads and validates a config file; relative paths resolve against its folder.
    pub fn load(path: &Path) -> Result<Settings, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: file.clone(),
            key: "(file)".into(),
            problem: format!("cannot read: {e}"),
        })?;
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        Self::from_toml(&text, &file, &base)
    }

    /// The embedded demo config; its relative paths resolve against `base`.
    pub fn demo(base: &Path) -> Result<Settings, ConfigError> {
        Self::from_toml(super::DEMO_CONFIG, super::EMBEDDED_SOURCE, base)
    }

    /// Parses and validates TOML text.
    pub fn from_toml(text: &str, file: &str, base: &Path) -> Result<Settings, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError {
            file: file.to_owned(),
            key: "(syntax)".into(),
            problem: e.to_string().trim().replace('\n', " "),
        })?;
        Validator { file, base }.validate(raw)
    }

    /// The route for a model or deployment name.
    pub fn model(&self, name: &str) -> Option<&ModelRoute> {
        self.models.iter().find(|m| m.name == name)
    }

    /// The use plan with this id.
    pub fn plan(&self, id: &str) -> Option<&Plan> {
        self.plans.iter().find(|p| p.id == id)
    }

    /// The staff keys that belong to plan `id`.
    pub fn plan_keys<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a StaffKey> + 'a {
        let index = self.plans.iter().position(|p| p.id == id);
        self.keys
            .iter()
            .filter(move |k| index.is_some() && k.plan == index)
    }

    /// The use plan a key belongs to.
    pub fn plan_of(&self, key: &StaffKey) -> Option<&Plan> {
        key.plan.and_then(|i| self.plans.get(i))
    }

    /// Retention the store applies: the longest of the global and the plans'
    /// retentions, since records are purged oldest first across all plans.
    pub fn effective_retention_days(&self) -> Option<u32> {
        let global = self.audit.retention_days?;
        Some(
            self.plans
                .iter()
                .filter_map(|p| p.retention_days)
                .fold(global, u32::max),
        )
    }

    /// Today's date at the governance offset.
    pub fn today(&self) -> Date {
        OffsetDateTime::now_utc().to_offset(self.utc_offset).date()
    }
}

struct Validator<'a> {
    file: &'a str,
    base: &'a Path,
}

impl Validator<'_> {
    fn err(&self, key: impl Into<String>, problem: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_owned(),
            key: key.into(),
            problem: problem.into(),
        }
    }

    fn path(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }

    fn addr(&self, key: &str, s: &str) -> Result<SocketAddr, ConfigError> {
        s.parse()
            .map_err(|_| self.err(key, format!("'{s}' is not an address like 127.0.0.1:8080")))
    }

    fn validate(&self, raw: RawConfig) -> Result<Settings, ConfigError> {
        let listen = self.addr("server.listen", &raw.server.listen)?;
        let tls = match &raw.server.tls {
            None => None,
            Some(t) => Some(TlsSettings {
                listen: self.addr("server.tls.listen", &t.listen)?,
                cert: self.path(&t.cert),
                key: self.path(&t.key),
            }),
        };
        if raw.server.max_connections == 0 {
            return Err(self.err("server.max_connections", "must be at least 1"));
        }
        if raw.limits.max_body_bytes == 0 {
            return Err(self.err("limits.max_body_bytes", "must be at least 1"));
        }
        for (key, v) in [
            (
                "limits.header_read_timeout_ms",
                raw.limits.header_read_timeout_ms,
            ),
            (
                "limits.body_read_timeout_ms",
                raw.limits.body_read_timeout_ms,
            ),
            ("timeouts.connect_ms", raw.timeouts.connect_ms),
            ("timeouts.first_byte_ms", raw.timeouts.first_byte_ms),
            ("timeouts.total_ms", raw.timeouts.total_ms),
        ] {
            if v == 0 {
                return Err(self.err(key, "must be greater than 0"));
            }
        }

        let mut providers = Vec::with_capacity(raw.providers.len());
        let mut provider_index = HashMap::new();
        for (i, p) in raw.providers.iter().enumerate() {
            let settings = self.provider(i, p)?;
            if provider_index.insert(p.name.clone(), i).is_some() {
                return Err(self.err(
                    format!("providers[{i}].name"),
                    format!("duplicate provider '{}'", p.name),
                ));
            }
            providers.push(settings);
        }

        let mut models = Vec::new();
        let mut seen = HashSet::new();
        for (i, m) in raw.models.iter().enumerate() {
            let key = format!("models[{i}]");
            let Some(&provider) = provider_index.get(&m.provider) else {
                return Err(self.err(
                    format!("{key}.provider"),
                    format!("no provider named '{}'", m.provider),
                ));
            };
            if m.name.trim().is_empty() {
                return Err(self.err(format!("{key}.name"), "must not be empty"));
            }
            let upstream_model = m.upstream_model.clone().unwrap_or_else(|| m.name.clone());
            for name in std::iter::once(&m.name).chain(&m.aliases) {
                if !seen.insert(name.clone()) {
                    return Err(self.err(
                        format!("{key}.name"),
                        format!("model or alias '{name}' is defined twice"),
                    ));
                }
                models.push(ModelRoute {
                    name: name.clone(),
                    provider,
                    upstream_model: upstream_model.clone(),
                });
            }
        }

        let default_position = NoticePosition::parse(&raw.notice.position).ok_or_else(|| {
            self.err(
                "notice.position",
                format!("'{}' is not suffix, prefix or none", raw.notice.position),
            )
        })?;
        if raw.notice.lines.iter().all(|l| l.trim().is_empty()) {
            return Err(self.err(
                "notice.lines",
                "must contain the notice text (Q11 disclosure)",
            ));
        }
        let text = raw.notice.lines.join("\n");
        let public_text = raw
            .notice
            .lines
            .iter()
            .chain(&raw.notice.trial_lines)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n");
        let notice = NoticeSettings {
            position: default_position,
            text,
            public_text,
        };

        let utc_offset = parse_offset(&raw.governance.utc_offset).ok_or_else(|| {
            self.err(
                "governance.utc_offset",
                format!(
                    "'{}' is not an offset like \"+09:00\"",
                    raw.governance.utc_offset
                ),
            )
        })?;
        let mut plans: Vec<Plan> = Vec::with_capacity(raw.plans.len());
        for (i, p) in raw.plans.iter().enumerate() {
            let plan = self.plan(
                i,
                p,
                &providers,
                &models,
                default_position,
                &raw.policies.default,
            )?;
            if plans.iter().any(|q| q.id == plan.id) {
                return Err(self.err(
                    format!("plans[{i}].id"),
                    format!("duplicate plan id '{}'", plan.id),
                ));
            }
            plans.push(plan);
        }

        let mut keys = Vec::with_capacity(raw.keys.len());
        let mut hashes = HashSet::new();
        for (i, k) in raw.keys.iter().enumerate() {
            let key = format!("keys[{i}]");
            if k.disabled {
                continue;
            }
            if k.user.trim().is_empty() {
                return Err(self.err(format!("{key}.user"), "must not be empty"));
            }
            if k.department.trim().is_empty() {
                return Err(self.err(format!("{key}.department"), "must not be empty"));
            }
            let hash = parse_hash(&k.hash).ok_or_else(|| {
                self.err(
                    format!("{key}.hash"),
                    "must be \"sha256:\" followed by 64 hex digits (see `mamori keys new`)",
                )
            })?;
            if !hashes.insert(hash) {
                return Err(self.err(format!("{key}.hash"), "the same key is configured twice"));
            }
            for (j, m) in k.models.iter().enumerate() {
                if !seen.contains(m) {
                    return Err(self.err(
                        format!("{key}.models[{j}]"),
                        format!("no model named '{m}'"),
                    ));
                }
            }
            let plan_index = match &k.plan {
                None if raw.governance.require_plan => {
                    return Err(self.err(
                        format!("{key}.plan"),
                        "governance.require_plan is set: every key must name its use plan",
                    ))
                }
                None => None,
                Some(id) => Some(plans.iter().position(|p| &p.id == id).ok_or_else(|| {
                    self.err(format!("{key}.plan"), format!("no plan with id '{id}'"))
                })?),
            };
            let staff_key = match plan_index.and_then(|pi| plans.get(pi).map(|p| (pi, p))) {
                Some((pi, plan)) => {
                    // The plan's settings take over; a key may only narrow its models.
                    for (field, set) in [
                        ("policy", k.policy.is_some()),
                        ("notice", k.notice.is_some()),
                        ("public", k.public.is_some()),
                    ] {
                        if set {
                            return Err(self.err(
                                format!("{key}.{field}"),
                                format!(
                                    "set by plan '{}'; remove it from the key (the plan's setting applies)",
                                    plan.id
                                ),
                            ));
                        }
                    }
                    for (j, m) in k.models.iter().enumerate() {
                        if !plan.models.contains(m) {
                            return Err(self.err(
                                format!("{key}.models[{j}]"),
                                format!("'{m}' is not among the models of plan '{}'", plan.id),
                            ));
                        }
                    }
                    StaffKey {
                        user: k.user.clone(),
                        department: k.department.clone(),
                        hash,
                        models: if k.models.is_empty() {
                            plan.models.clone()
                        } else {
                            k.models.clone()
                        },
                        policy: plan.policy.clone(),
                        notice: plan.notice,
                        public: plan.public,
                        plan: Some(pi),
                    }
                }
                None => StaffKey {
                    user: k.user.clone(),
                    department: k.department.clone(),
                    hash,
                    models: k.models.clone(),
                    policy: k
                        .policy
                        .clone()
                        .unwrap_or_else(|| raw.policies.default.clone()),
                    notice: match &k.notice {
                        None => default_position,
                        Some(p) => self.notice_position(&format!("{key}.notice"), p)?,
                    },
                    public: k.public.unwrap_or(false),
                    plan: None,
                },
            };
            keys.push(staff_key);
        }

        let mut admin_tokens = Vec::with_capacity(raw.admin_tokens.len());
        for (i, t) in raw.admin_tokens.iter().enumerate() {
            let key = format!("admin_tokens[{i}]");
            let role = match t.role.as_str() {
                "auditor" => AdminRole::Auditor,
                "admin" => AdminRole::Admin,
                other => {
                    return Err(self.err(
                        format!("{key}.role"),
                        format!("'{other}' is not auditor or admin"),
                    ))
                }
            };
            let hash = parse_hash(&t.hash).ok_or_else(|| {
                self.err(
                    format!("{key}.hash"),
                    "must be \"sha256:\" followed by 64 hex digits",
                )
            })?;
            if !hashes.insert(hash) {
                return Err(self.err(
                    format!("{key}.hash"),
                    "this token is also configured as another key",
                ));
            }
            admin_tokens.push(AdminToken {
                name: t.name.clone(),
                role,
                hash,
            });
        }

        Ok(Settings {
            source: self.file.to_owned(),
            listen,
            tls,
            data_dir: self.path(&raw.server.data_dir),
            shutdown_grace: Duration::from_secs(raw.server.shutdown_grace_secs),
            max_connections: raw.server.max_connections,
            admin_listen: match &raw.server.admin_listen {
                None => None,
                Some(a) => Some(self.addr("server.admin_listen", a)?),
            },
            per_user_metrics: raw.server.per_user_metrics,
            limits: Limits {
                max_body_bytes: raw.limits.max_body_bytes,
                header_read_timeout: Duration::from_millis(raw.limits.header_read_timeout_ms),
                body_read_timeout: Duration::from_millis(raw.limits.body_read_timeout_ms),
            },
            timeouts: Timeouts {
                connect: Duration::from_millis(raw.timeouts.connect_ms),
                first_byte: Duration::from_millis(raw.timeouts.first_byte_ms),
                total: Duration::from_millis(raw.timeouts.total_ms),
            },
            policy_dir: self.path(&raw.policies.dir),
            default_policy: raw.policies.default,
            providers,
            models,
            keys,
            admin_tokens,
            notice,
            audit: self.audit(&raw.audit)?,
            plans,
            utc_offset,
            require_plan: raw.governance.require_plan,
            console: self.console(&raw.console)?,
        })
    }

    fn console(&self, c: &super::raw::RawConsole) -> Result<ConsoleSettings, ConfigError> {
        if c.idle_timeout_secs == 0 {
            return Err(self.err("console.idle_timeout_secs", "must be at least 1"));
        }
        if c.absolute_timeout_secs < c.idle_timeout_secs {
            return Err(self.err(
                "console.absolute_timeout_secs",
                "must be at least console.idle_timeout_secs",
            ));
        }
        Ok(ConsoleSettings {
            enabled: c.enabled,
            idle_timeout: Duration::from_secs(c.idle_timeout_secs),
            absolute_timeout: Duration::from_secs(c.absolute_timeout_secs),
        })
    }

    fn notice_position(&self, key: &str, p: &str) -> Result<NoticePosition, ConfigError> {
        NoticePosition::parse(p)
            .ok_or_else(|| self.err(key, format!("'{p}' is not suffix, prefix or none")))
    }

    fn date(&self, key: &str, d: &super::raw::RawDate) -> Result<Date, ConfigError> {
        let text = d.text();
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        Date::parse(&text, &fmt)
            .map_err(|_| self.err(key, format!("'{text}' is not a date like 2026-04-01")))
    }

    /// Validates one plan, refusing at load what may not run (赤, class 3,
    /// class 2 on a provider without a contract).
    fn plan(
        &self,
        i: usize,
        p: &RawPlan,
        providers: &[ProviderSettings],
        models: &[ModelRoute],
        default_position: NoticePosition,
        default_policy: &str,
    ) -> Result<Plan, ConfigError> {
        let key = format!("plans[{i}]");
        let id_ok = !p.id.is_empty()
            && p.id.len() <= 64
            && p.id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !id_ok {
            return Err(self.err(
                format!("{key}.id"),
                "must be 1-64 characters of a-z, A-Z, 0-9, '-' and '_' (reports and URLs use it)",
            ));
        }
        for (field, v) in [
            ("service", &p.service),
            ("purpose", &p.purpose),
            ("approver", &p.approver),
        ] {
            if v.trim().is_empty() {
                return Err(self.err(
                    format!("{key}.{field}"),
                    "must not be empty (a field of the usage plan)",
                ));
            }
        }
        let domain = Domain::parse(&p.domain).ok_or_else(|| {
            self.err(
                format!("{key}.domain"),
                format!(
                    "'{}' is not citizen_service, citizen_service_related or internal",
                    p.domain
                ),
            )
        })?;
        if !(1..=5).contains(&p.category) {
            return Err(self.err(format!("{key}.category"), "must be 1 to 5"));
        }
        let colour = Colour::of(domain, p.category);
        if colour == Colour::Red {
            return Err(self.err(
                format!("{key}.category"),
                format!(
                    "plan '{}' is 赤 (red: category {} {} in domain {}): 自律的な判断・実行に生成AIを使う計画は現時点では認められません / autonomous decision or execution by AI is not allowed yet",
                    p.id,
                    p.category,
                    super::plans::CATEGORIES[usize::from(p.category - 1)].0,
                    domain.as_str()
                ),
            ));
        }
        match p.confidentiality_class {
            1 | 2 => {}
            3 => {
                return Err(self.err(
                    format!("{key}.confidentiality_class"),
                    format!(
                        "plan '{}' declares class 3: 機密性3情報は生成AIで扱えません / information of confidentiality class 3 may never be used with generative AI",
                        p.id
                    ),
                ))
            }
            other => {
                return Err(self.err(
                    format!("{key}.confidentiality_class"),
                    format!("{other} is not a confidentiality class (1, 2 or 3)"),
                ))
            }
        }
        let Some(provider) = providers.iter().find(|q| q.name == p.provider) else {
            return Err(self.err(
                format!("{key}.provider"),
                format!("no provider named '{}'", p.provider),
            ));
        };
        let provider_index = providers.iter().position(|q| q.name == p.provider);
        if p.confidentiality_class == 2 && !provider.contracted {
            return Err(self.err(
                format!("{key}.provider"),
                format!(
                    "plan '{}' handles class 2 but provider '{}' is not marked contracted = true: 機密性2情報は契約に基づくサービスでのみ扱えます / class-2 information may only go to a provider under contract",
                    p.id, p.provider
                ),
            ));
        }
        let plan_models: Vec<String> = if p.models.is_empty() {
            models
                .iter()
                .filter(|m| Some(m.provider) == provider_index)
                .map(|m| m.name.clone())
                .collect()
        } else {
            for (j, m) in p.models.iter().enumerate() {
                let Some(route) = models.iter().find(|r| &r.name == m) else {
                    return Err(self.err(
                        format!("{key}.models[{j}]"),
                        format!("no model named '{m}'"),
                    ));
                };
                if Some(route.provider) != provider_index {
                    return Err(self.err(
                        format!("{key}.models[{j}]"),
                        format!(
                            "model '{m}' goes to provider '{}', not to the plan's provider '{}'",
                            providers
                                .get(route.provider)
                                .map(|q| q.name.as_str())
                                .unwrap_or("?"),
                            p.provider
                        ),
                    ));
                }
            }
            p.models.clone()
        };
        if plan_models.is_empty() {
            return Err(self.err(
                format!("{key}.models"),
                format!("no model goes to provider '{}'", p.provider),
            ));
        }
        let start = self.date(&format!("{key}.start"), &p.start)?;
        let end = self.date(&format!("{key}.end"), &p.end)?;
        if end < start {
            return Err(self.err(format!("{key}.end"), "the period ends before it starts"));
        }
        if p.users.is_empty() && p.departments.is_empty() {
            return Err(self.err(
                format!("{key}.users"),
                "name the users and/or departments the plan is for (Q13: limited users)",
            ));
        }
        if p.retention_days == Some(0) {
            return Err(self.err(format!("{key}.retention_days"), "must be at least 1"));
        }
        let (policy, policy_named) = match &p.policy {
            Some(name) => (name.clone(), true),
            None if colour == Colour::Yellow => ("strict".to_owned(), false),
            None => (default_policy.to_owned(), false),
        };
        Ok(Plan {
            id: p.id.clone(),
            service: p.service.clone(),
            provider: p.provider.clone(),
            purpose: p.purpose.clone(),
            class: p.confidentiality_class,
            start,
            end,
            departments: p.departments.clone(),
            users: p.users.clone(),
            approver: p.approver.clone(),
            domain,
            category: p.category,
            colour,
            public: p.public,
            models: plan_models,
            policy,
            policy_named,
            notice: match &p.notice {
                None => default_position,
                Some(n) => self.notice_position(&format!("{key}.notice"), n)?,
            },
            retention_days: p.retention_days,
        })
    }

    fn audit(&self, a: &super::raw::RawAudit) -> Result<AuditSettings, ConfigError> {
        let durability = match a.durability.as_str() {
            "strict" => crate::store::Durability::Strict,
            "batched" => {
                if a.flush_interval_ms == 0 {
                    return Err(self.err("audit.flush_interval_ms", "must be greater than 0"));
                }
                crate::store::Durability::Batched {
                    max_delay_ms: a.flush_interval_ms,
                }
            }
            other => {
                return Err(self.err(
                    "audit.durability",
                    format!("'{other}' is not strict or batched"),
                ))
            }
        };
        if a.queue_capacity == 0 {
            return Err(self.err("audit.queue_capacity", "must be at least 1"));
        }
        if a.retention_days == Some(0) {
            return Err(self.err(
                "audit.retention_days",
                "must be at least 1 (or left out to keep everything)",
            ));
        }
        Ok(AuditSettings {
            durability,
            queue_capacity: a.queue_capacity,
            retention_days: a.retention_days,
            fail_open: a.fail_open,
            store_prompts: a.store_prompts,
            store_outputs: a.store_outputs,
        })
    }

    fn provider(&self, i: usize, p: &RawProvider) -> Result<ProviderSettings, ConfigError> {
        let key = format!("providers[{i}]");
        let kind = ProviderKind::parse(&p.kind).ok_or_else(|| {
            self.err(
                format!("{key}.kind"),
                format!(
                    "'{}' is not one of openai, azure, openai_compatible, mock",
                    p.kind
                ),
            )
        })?;
        let base_url = match (kind, &p.base_url) {
            (ProviderKind::Mock, _) => String::new(),
            (ProviderKind::OpenAi, None) => "https://api.openai.com/v1".to_owned(),
            (_, None) => {
                return Err(self.err(format!("{key}.base_url"), "required for this provider kind"))
            }
            (_, Some(u)) => {
                let parsed = reqwest::Url::parse(u)
                    .map_err(|e| self.err(format!("{key}.base_url"), format!("not a URL: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.cannot_be_a_base() {
                    return Err(self.err(
                        format!("{key}.base_url"),
                        "must be an http:// or https:// URL",
                    ));
                }
                u.trim_end_matches('/').to_owned()
            }
        };
        let api_key = match &p.api_key {
            None => None,
            Some(spec) => Some(
                Secret::resolve(spec)
                    .map_err(|problem| self.err(format!("{key}.api_key"), problem))?,
            ),
        };
        if matches!(kind, ProviderKind::OpenAi | ProviderKind::Azure) && api_key.is_none() {
            return Err(self.err(
                format!("{key}.api_key"),
                "required for this provider kind (use \"env:VAR\")",
            ));
        }
        if kind == ProviderKind::Azure && p.api_version.is_none() {
            return Err(self.err(
                format!("{key}.api_version"),
                "required for azure (e.g. \"2024-10-21\")",
            ));
        }
        let stream_chunks = p.stream_chunks.unwrap_or(8);
        if stream_chunks == 0 {
            return Err(self.err(format!("{key}.stream_chunks"), "must be at least 1"));
        }
        Ok(ProviderSettings {
            name: p.name.clone(),
            kind,
            base_url,
            api_key,
            api_version: p.api_version.clone(),
            contracted: p.contracted,
            mock: MockSettings {
                latency: Duration::from_millis(p.latency_ms),
                stream_chunks,
                chunk_delay: Duration::from_millis(p.chunk_delay_ms),
            },
        })
    }
}

/// Parses `+09:00` / `-05:30` / `Z` into an offset.
fn parse_offset(s: &str) -> Option<UtcOffset> {
    if s == "Z" || s == "+00:00" {
        return Some(UtcOffset::UTC);
    }
    let fmt = time::macros::format_description!("[offset_hour sign:mandatory]:[offset_minute]");
    UtcOffset::parse(s, &fmt).ok()
}

/// Parses `sha256:<64 hex>` (or bare hex) into a digest.
pub fn parse_hash(s: &str) -> Option<[u8; 32]> {
    let hex_part = s.strip_prefix("sha256:").unwrap_or(s);
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut out).ok()?;
    Some(out)
}
