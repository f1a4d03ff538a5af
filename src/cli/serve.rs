//! `mamori serve` (in progress).
use std::path::PathBuf;
use std::process::ExitCode;
/// Arguments of `mamori serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Config file.
    #[arg(long)]
    pub config: Option<PathBuf>,
}
/// Runs the gateway.
pub fn run(_args: ServeArgs) -> ExitCode {
    ExitCode::from(2)
}
