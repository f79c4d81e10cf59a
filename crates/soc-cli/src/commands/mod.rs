//! One module per command; [`dispatch`] picks it.

mod check;
mod compare;
mod completions;
mod diff;
mod normalize;
mod sim;

use crate::Context;
use crate::cli::Command;
use crate::error::CliError;
use crate::exit::ExitStatus;

/// Runs one command.
pub fn dispatch(ctx: &Context<'_>, command: Command) -> Result<ExitStatus, CliError> {
    match command {
        Command::Completions(args) => completions::run(ctx, &args),
        Command::Diff(args) => diff::run(ctx, &args),
        Command::Check(args) => check::run(ctx, &args),
        Command::Sim(args) => sim::run(ctx, &args),
        Command::Normalize(args) => normalize::run(ctx, &args),
        other => Err(CliError::msg(format!(
            "`socdrift {}` is not available in this build yet",
            name(&other)
        ))),
    }
}

fn name(command: &Command) -> &'static str {
    match command {
        Command::Demo(_) => "demo",
        Command::Sim(_) => "sim",
        Command::Export(_) => "export",
        Command::Snapshot(_) => "snapshot",
        Command::Diff(_) => "diff",
        Command::Check(_) => "check",
        Command::Verify(_) => "verify",
        Command::Log(_) => "log",
        Command::Prune(_) => "prune",
        Command::Normalize(_) => "normalize",
        Command::Completions(_) => "completions",
    }
}
