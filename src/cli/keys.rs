//! `mamori keys` (in progress).
use std::process::ExitCode;
/// `mamori keys` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Print a fresh staff key.
    New,
}
/// Runs `mamori keys …`.
pub fn run(_cmd: KeysCommand) -> ExitCode {
    ExitCode::from(2)
}
