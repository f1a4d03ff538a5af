//! `mamori check-config` (in progress).
use std::path::PathBuf;
use std::process::ExitCode;
/// Arguments of `mamori check-config`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Config file.
    #[arg(long)]
    pub config: PathBuf,
}
/// Validates a config.
pub fn run(_args: CheckArgs) -> ExitCode {
    ExitCode::from(2)
}
