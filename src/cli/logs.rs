//! `mamori logs`: placeholder until the audit store lands.

use std::path::PathBuf;
use std::process::ExitCode;

/// `mamori logs` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum LogsCommand {
    /// Walk the hash chain and report the first break.
    Verify {
        /// Data directory holding the audit store.
        #[arg(long)]
        data_dir: PathBuf,
    },
}

/// Runs `mamori logs …`.
pub fn run(_cmd: LogsCommand) -> ExitCode {
    eprintln!("mamori logs: not available yet");
    ExitCode::from(2)
}
