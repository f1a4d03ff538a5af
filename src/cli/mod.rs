//! The `mamori` command line. Each subcommand lives in its own file and returns
//! the process exit code; `main.rs` only parses and dispatches.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod check;
pub mod keys;
pub mod logs;
pub mod report;
pub mod scan;
pub mod serve;

/// mamori: secure logging gateway for generative-AI APIs.
#[derive(Debug, Parser)]
#[command(name = "mamori", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands (a stable contract: scripts rely on them).
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway.
    Serve(serve::ServeArgs),
    /// Validate a config file and its policies, print a summary.
    CheckConfig(check::CheckArgs),
    /// Manage staff keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Scan text from stdin with a policy.
    Scan(scan::ScanArgs),
    /// Search, show, export and verify the audit log.
    #[command(subcommand)]
    Logs(logs::LogsCommand),
    /// The usage-plan report (利用計画書) with measured usage: md, csv or json.
    Report(report::ReportArgs),
}

/// Runs the parsed command and returns the exit code.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::CheckConfig(args) => check::run(args),
        Command::Keys(cmd) => keys::run(cmd),
        Command::Scan(args) => scan::run(args),
        Command::Logs(cmd) => logs::run(cmd),
        Command::Report(args) => report::run(args),
    }
}
