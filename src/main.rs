//! The `mamori` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc malloc: the request path and the audit store
/// allocate many short-lived buffers, and glibc's allocator (with
/// `malloc_consolidate`) took 12–20% of mamori's CPU under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    mamori::cli::run(mamori::cli::Cli::parse())
}
