//! The `socdrift` binary: parse, run, exit. Everything else lives in the `soc_cli` library.
#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser;

/// Normalizing builds and frees a tree of many small maps per workflow, on every core at once;
/// mimalloc's per-thread heaps do that with about a fifth less CPU than glibc's malloc (see
/// docs/performance.md). The binary's choice: the libraries leave the allocator to it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A shell asking for completions (COMPLETE=<shell>) gets them and nothing else.
    clap_complete::CompleteEnv::with_factory(<soc_cli::cli::Cli as clap::CommandFactory>::command)
        .var(soc_cli::completion::VAR)
        .complete();
    let cli = soc_cli::cli::Cli::parse();
    soc_cli::main_with(cli).into()
}
