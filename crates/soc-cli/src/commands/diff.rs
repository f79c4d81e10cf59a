//! `socdrift diff LEFT RIGHT`.

use crate::Context;
use crate::cli::DiffArgs;
use crate::commands::compare::{self, Loader};
use crate::error::CliError;
use crate::exit::ExitStatus;
use crate::side;

/// Compares two sides and prints the report; 0 no drift, 1 drift.
pub fn run(ctx: &Context<'_>, args: &DiffArgs) -> Result<ExitStatus, CliError> {
    let config = ctx.config()?;
    let left = side::resolve(&args.left, &config, &ctx.cwd)?;
    let right = side::resolve(&args.right, &config, &ctx.cwd)?;
    let profile = config.profile(args.report.keep_layout)?;
    let report = Loader::new(ctx, &config, &profile).diff(&left, &right)?;
    compare::emit(ctx, &report, &args.report, args.output.as_deref())?;
    Ok(ExitStatus::from_drift(report.has_drift()))
}
