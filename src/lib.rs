//! mamori (守り): a secure logging gateway in front of generative-AI APIs.
//!
//! Staff point OpenAI SDKs at mamori instead of the provider. Every request runs
//! through the same explicit phases, each a module under [`pipeline`]:
//!
//! authenticate → resolve use plan → parse → scan request → forward →
//! scan and stamp response → log → metrics
//!
//! # Layout
//! - [`cli`]: the `mamori` command line (serve, check-config, keys, scan, logs).
//! - [`config`]: TOML as written (`raw`) and validated, ready to use (`settings`).
//! - [`server`]: listeners (plain and TLS), the router, graceful drain.
//! - [`state`]: what handlers share, built once at start-up.
//! - [`pipeline`]: one module per phase, called in order from `pipeline::handle`.
//! - [`reload`]: policy reload on SIGHUP and on file change.
//! - [`providers`]: upstream kinds: OpenAI, Azure OpenAI, OpenAI-compatible, built-in mock.
//! - [`scan`]: detectors, normalisation and policies; knows nothing about HTTP.
//! - [`store`]: the tamper-evident audit log in sled.
//! - [`metrics`]: the Prometheus registry and one typed event per thing counted.
//! - [`admin`]: audit, feedback and consent endpoints, and the auditors' web
//!   console ([`admin::console`]).
//! - [`error`]: `GatewayError`, the one place errors become OpenAI-shaped responses.

pub mod admin;
pub mod cli;
pub mod config;
pub mod error;
pub mod metrics;
pub mod pipeline;
pub mod providers;
pub mod reload;
pub mod report;
pub mod scan;
pub mod server;
pub mod state;
pub mod store;
