//! `socdrift completions SHELL`.

use clap::CommandFactory;

use crate::Context;
use crate::cli::{Cli, CompletionsArgs};
use crate::error::CliError;
use crate::exit::ExitStatus;

/// Prints the completion script for a shell on stdout.
pub fn run(ctx: &Context<'_>, args: &CompletionsArgs) -> Result<ExitStatus, CliError> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "socdrift", &mut script);
    ctx.printer.data_bytes(&script)?;
    Ok(ExitStatus::NoDrift)
}
