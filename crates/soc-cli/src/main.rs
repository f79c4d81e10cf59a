//! The `socdrift` binary: parse, run, exit. Everything else lives in the `soc_cli` library.
#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = soc_cli::cli::Cli::parse();
    soc_cli::main_with(cli).into()
}
