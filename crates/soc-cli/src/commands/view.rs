//! `socdrift view [--env NAME]`: rewrite the readable view from the latest snapshots.

use crate::Context;
use crate::cli::ViewArgs;
use crate::error::CliError;
use crate::exit::ExitStatus;

/// Rewrites the view of every environment (or one), saying which on stderr.
pub fn run(ctx: &Context<'_>, args: &ViewArgs) -> Result<ExitStatus, CliError> {
    let config = ctx.config()?;
    let store = ctx.existing_store(&config)?;
    let done = store.refresh_views(args.env.as_deref())?;
    if done.is_empty() {
        let which = args
            .env
            .as_deref()
            .map_or_else(|| "the store".to_owned(), |env| format!("`{env}`"));
        return Err(CliError::msg(format!("{which} has no snapshots to show"))
            .with_hint("take one: socdrift snapshot --env NAME"));
    }
    for env in done {
        let dir = store.view_dir(&env)?;
        ctx.printer.status(&format!(
            "{env}: the view ({}) shows the latest snapshot",
            dir.display()
        ));
    }
    Ok(ExitStatus::NoDrift)
}
