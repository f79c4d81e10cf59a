//! `socdrift log ENV`: an environment's snapshots, newest first.

use crate::Context;
use crate::cli::LogArgs;
use crate::error::CliError;
use crate::exit::ExitStatus;

/// One line per snapshot: id, creation time, workflow count, where it came from.
pub fn run(ctx: &Context<'_>, args: &LogArgs) -> Result<ExitStatus, CliError> {
    let config = ctx.config()?;
    let store = ctx.existing_store(&config)?;
    let snapshots = store.list(&args.env)?;
    if snapshots.is_empty() {
        let mut known = store.environments()?;
        known.extend(config.envs.keys().cloned());
        known.sort();
        known.dedup();
        let err = CliError::msg(format!("environment `{}` has no snapshots", args.env));
        return Err(
            match crate::suggest::did_you_mean(&args.env, known.iter().map(String::as_str)) {
                Some(hint) if !known.contains(&args.env) => err.with_hint(hint),
                _ => err.with_hint(format!("take one: socdrift snapshot --env {}", args.env)),
            },
        );
    }
    let mut out = Vec::new();
    for summary in snapshots.iter().rev() {
        let snapshot = soc_store::Snapshot::open(&summary.path)?;
        let manifest = snapshot.manifest();
        let source = manifest
            .source
            .workspace_name
            .clone()
            .or_else(|| manifest.source.workspace_id.clone())
            .or_else(|| manifest.source.imported_from.clone())
            .unwrap_or_default();
        out.push(format!(
            "{}  {}  {:>4} workflows  {}",
            summary.id,
            manifest.created_at.format("%Y-%m-%d %H:%M:%SZ"),
            manifest.workflows.len(),
            source
        ));
    }
    ctx.printer.lines(&out)?;
    Ok(ExitStatus::NoDrift)
}
