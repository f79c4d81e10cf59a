//! `socdrift log ENV`: an environment's snapshots, newest first.

use serde_json::json;

use crate::Context;
use crate::cli::{ListFormat, LogArgs};
use crate::error::CliError;
use crate::exit::ExitStatus;

/// One line per snapshot (id, creation time, workflow and playbook counts, where it came from,
/// its tags), or with `-o json` one array of objects with the same facts.
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
    let mut tags: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (name, id) in store.tags(&args.env)? {
        tags.entry(id.to_string()).or_default().push(name);
    }
    let mut lines = Vec::new();
    let mut entries = Vec::new();
    for summary in snapshots.iter().rev() {
        let names = tags.remove(summary.id.as_str()).unwrap_or_default();
        let snapshot = soc_store::Snapshot::open(&summary.path)?;
        let manifest = snapshot.manifest();
        let source = manifest
            .source
            .workspace_name
            .clone()
            .or_else(|| manifest.source.workspace_id.clone())
            .or_else(|| manifest.source.imported_from.clone())
            .unwrap_or_default();
        let workflows = snapshot.records(soc_diff::Kind::Workflow).count();
        // Unknown (`-`, JSON null) for a snapshot taken before socdrift read playbooks.
        let playbooks = manifest
            .playbooks_captured
            .then(|| snapshot.records(soc_diff::Kind::Playbook).count());
        match args.list.format {
            ListFormat::Text => lines.push(format!(
                "{}  {}  {workflows:>4} workflows  {:>4} playbooks  {}{}",
                summary.id,
                manifest.created_at.format("%Y-%m-%d %H:%M:%SZ"),
                playbooks.map_or_else(|| "-".to_owned(), |n| n.to_string()),
                source,
                if names.is_empty() {
                    String::new()
                } else {
                    format!("  (tag: {})", names.join(", "))
                }
            )),
            ListFormat::Json => entries.push(json!({
                "id": summary.id.to_string(),
                "created_at": manifest.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "workflows": workflows,
                "playbooks": playbooks,
                "source": source,
                "tags": names,
                "path": summary.path,
            })),
        }
    }
    if args.list.format == ListFormat::Json {
        let mut out =
            serde_json::to_string_pretty(&json!({ "environment": args.env, "snapshots": entries }))
                .map_err(|e| CliError::context("cannot serialize the snapshot list", e))?;
        out.push('\n');
        ctx.printer.data(&out)?;
        return Ok(ExitStatus::NoDrift);
    }
    ctx.printer.lines(&lines)?;
    Ok(ExitStatus::NoDrift)
}
