//! `socdrift prune ENV --keep N [--older-than DURATION]`.

use crate::Context;
use crate::cli::PruneArgs;
use crate::error::CliError;
use crate::exit::ExitStatus;
use crate::printer::counted;

/// Deletes old snapshots (never the latest) and lists the deleted ids on stdout; with
/// `--dry-run`, lists what it would delete and deletes nothing.
pub fn run(ctx: &Context<'_>, args: &PruneArgs) -> Result<ExitStatus, CliError> {
    let config = ctx.config()?;
    let store = ctx.existing_store(&config)?;
    let keep = usize::try_from(args.keep).unwrap_or(usize::MAX);
    if args.dry_run {
        let doomed = store.prune_plan(&args.env, keep, args.older_than)?;
        let out: String = doomed.iter().map(|id| format!("{id}\n")).collect();
        ctx.printer.data(&out)?;
        ctx.printer.status(&format!(
            "{}: would delete {} (dry run: nothing deleted)",
            args.env,
            counted(doomed.len(), "snapshot")
        ));
        return Ok(ExitStatus::NoDrift);
    }
    let report = store.prune(&args.env, keep, args.older_than)?;
    ctx.printer
        .lines(report.removed.iter().map(ToString::to_string))?;
    let left = store.list(&args.env)?.len();
    ctx.printer.status(&format!(
        "{}: deleted {}, {left} left; deleted {} no snapshot lists any more",
        args.env,
        counted(report.removed.len(), "snapshot"),
        counted(report.gc.objects_deleted, "object"),
    ));
    if let Some(skipped) = &report.gc.skipped {
        ctx.printer
            .warn(&format!("objects were not collected: {skipped}"));
    }
    Ok(ExitStatus::NoDrift)
}
