//! Operational logs: one `tracing` subscriber, JSON for machines or pretty for people.
//!
//! Logs go to stderr, where systemd's journal, `docker logs` and Kubernetes pick them
//! up; nothing here opens files. The subscriber is process-global, so
//! [`init_tracing`] refuses a second call with an error instead of panicking (tests
//! and embedders may call it more than once). What is logged is decided by the
//! events in [`super::events`], which never carry prompt or output text.

use std::io::IsTerminal as _;
use std::str::FromStr;

use tracing_subscriber::EnvFilter;

use super::MetricsError;

/// Filter used when none is given and `RUST_LOG` is unset.
pub const DEFAULT_FILTER: &str = "info";

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One JSON object per line (for journald, Loki, Elasticsearch).
    #[default]
    Json,
    /// Human-readable lines, coloured on a terminal.
    Pretty,
}

impl FromStr for LogFormat {
    type Err = MetricsError;

    fn from_str(s: &str) -> Result<LogFormat, MetricsError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "json" => Ok(LogFormat::Json),
            "pretty" | "text" => Ok(LogFormat::Pretty),
            _ => Err(MetricsError::InvalidLogFormat(s.to_owned())),
        }
    }
}

/// Installs the global subscriber: `filter` is an `EnvFilter` directive such as
/// `"info,mamori=debug"`; an empty `filter` falls back to `RUST_LOG`, then [`DEFAULT_FILTER`].
pub fn init_tracing(format: LogFormat, filter: &str) -> Result<(), MetricsError> {
    let env_filter = build_filter(filter)?;
    let result = match format {
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_env_filter(env_filter)
            .with_writer(std::io::stderr)
            .try_init(),
        LogFormat::Pretty => tracing_subscriber::fmt()
            .with_env_filter(env_filter)
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .try_init(),
    };
    result.map_err(|e| MetricsError::TracingAlreadyInitialised(e.to_string()))
}

fn build_filter(filter: &str) -> Result<EnvFilter, MetricsError> {
    let directive = if filter.trim().is_empty() {
        std::env::var("RUST_LOG")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_FILTER.to_owned())
    } else {
        filter.to_owned()
    };
    EnvFilter::try_new(&directive).map_err(|e| MetricsError::InvalidFilter {
        filter: directive.clone(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse() {
        assert_eq!("json".parse::<LogFormat>().ok(), Some(LogFormat::Json));
        assert_eq!("Pretty".parse::<LogFormat>().ok(), Some(LogFormat::Pretty));
        assert!("xml".parse::<LogFormat>().is_err());
    }

    #[test]
    fn bad_filter_is_an_error() {
        assert!(build_filter("info,mamori=loud").is_err());
        assert!(build_filter("info,mamori=debug").is_ok());
    }
}
