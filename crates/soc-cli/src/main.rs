//! The `socdrift` binary: parse, run, exit. Everything else lives in the `soc_cli` library.
#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A shell asking for completions (COMPLETE=<shell>) gets them and nothing else.
    clap_complete::CompleteEnv::with_factory(<soc_cli::cli::Cli as clap::CommandFactory>::command)
        .var(soc_cli::completion::VAR)
        .complete();
    let cli = soc_cli::cli::Cli::parse();
    soc_cli::main_with(cli).into()
}
