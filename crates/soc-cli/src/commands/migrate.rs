//! `socdrift migrate`: move a store-v1 store into store-v2.

use crate::Context;
use crate::cli::MigrateArgs;
use crate::config::Layout;
use crate::error::CliError;
use crate::exit::ExitStatus;
use crate::printer::counted;

/// Migrates, printing each moved snapshot (`ENV OLD-ID -> NEW-ID`) on stdout and a summary on
/// stderr.
pub fn run(ctx: &Context<'_>, _args: &MigrateArgs) -> Result<ExitStatus, CliError> {
    let config = ctx.config()?;
    let profile = config.profile(Layout::AsConfigured)?;
    let store = ctx.existing_store(&config)?;
    let report = store
        .migrate(&profile)
        .map_err(|e| CliError::from(e).within("cannot migrate the store"))?;
    let lines: Vec<String> = report
        .migrated
        .iter()
        .map(|m| format!("{} {} -> {}", m.environment, m.from, m.to))
        .collect();
    ctx.printer.lines(&lines)?;
    let renormalized = report
        .migrated
        .iter()
        .filter(|m| m.format_version == 1)
        .count();
    let mut summary = if report.migrated.is_empty() && report.already_migrated == 0 {
        "nothing to migrate: the store is in the current layout (store-v2)".to_owned()
    } else {
        format!(
            "migrated {} to store-v2",
            counted(report.migrated.len() + report.already_migrated, "snapshot")
        )
    };
    if report.already_migrated > 0 {
        summary.push_str(&format!(
            " ({} by an earlier, interrupted run)",
            report.already_migrated
        ));
    }
    if renormalized > 0 {
        summary.push_str(&format!(
            "; {} written before raw exports moved out were renormalized and redacted under \
             the current rules",
            counted(renormalized, "snapshot")
        ));
    }
    ctx.printer.status(&summary);
    for removed in &report.removed {
        ctx.printer
            .status(&format!("removed {}", removed.display()));
    }
    Ok(ExitStatus::NoDrift)
}
