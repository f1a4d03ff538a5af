//! Configuration in two steps, like ripgrep's low/high args: [`raw`] mirrors
//! the TOML exactly (unknown keys are errors), [`settings`] validates it into
//! the types the server uses. A bad config fails at boot, never at a request.

pub mod plans;
pub mod raw;
pub mod secret;
pub mod settings;

pub use plans::{Colour, Domain, Plan};
pub use secret::Secret;
pub use settings::{
    AdminRole, AdminToken, AuditSettings, ConfigError, Limits, MockSettings, ModelRoute,
    NoticePosition, NoticeSettings, ProviderKind, ProviderSettings, Settings, StaffKey, Timeouts,
    TlsSettings,
};

/// The demo config, embedded so `mamori serve` runs with no files at all.
pub const DEMO_CONFIG: &str = include_str!("../../config/demo.toml");

/// `Settings::source` of the embedded demo config.
pub const EMBEDDED_SOURCE: &str = "<embedded demo>";
