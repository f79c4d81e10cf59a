//! One module per command; [`dispatch`] picks it.

mod check;
pub(crate) mod compare;
mod completions;
mod demo;
mod diff;
mod drawing;
mod export;
mod log;
mod migrate;
mod normalize;
mod outputs;
mod probe;
mod prune;
mod sim;
mod snapshot;
mod tag;
mod verify;
mod view;

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
        Command::Demo(args) => demo::run(ctx, &args),
        Command::Export(args) => export::run(ctx, &args),
        Command::Snapshot(args) => snapshot::run(ctx, &args),
        Command::Log(args) => log::run(ctx, &args),
        Command::Prune(args) => prune::run(ctx, &args),
        Command::Migrate(args) => migrate::run(ctx, &args),
        Command::View(args) => view::run(ctx, &args),
        Command::Tag(args) => tag::run(ctx, &args),
        Command::Verify(args) => verify::run(ctx, &args),
        Command::Normalize(args) => normalize::run(ctx, &args),
        Command::Probe(args) => probe::run(ctx, &args),
    }
}
