//! The `mamori` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    mamori::cli::run(mamori::cli::Cli::parse())
}
