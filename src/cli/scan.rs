//! `mamori scan`: placeholder until the scanner lands.

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `mamori scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Policy file to apply.
    #[arg(long)]
    pub policy: PathBuf,
    /// Read JSON lines `{"id", "text"}` and write one result line each.
    #[arg(long)]
    pub jsonl: bool,
}

/// Runs `mamori scan`.
pub fn run(_args: ScanArgs) -> ExitCode {
    eprintln!("mamori scan: not available yet");
    ExitCode::from(2)
}
