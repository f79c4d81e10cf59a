//! `socdrift export --env NAME --out DIR [--workflow NAME...]`: raw export files into a folder,
//! and the playbook documents into its `playbooks/` folder.

use std::path::Path;

use futures_util::TryStreamExt;

use crate::Context;
use crate::cli::ExportArgs;
use crate::error::CliError;
use crate::exit::ExitStatus;
use crate::live::{self, Exported};
use crate::printer::counted;
use crate::secrets;
use crate::suggest;

/// Writes one file per workflow, `<name slug>.<json|zip|bin>`, named as the store names them
/// (safe on every OS, distinct even case-insensitively). Raw exports can hold secrets, so they are
/// written as the store writes its own: files `0600`, the folder (when this creates it) `0700`.
///
/// Refuses a folder that is not empty unless `--force`, which replaces files of the same name
/// and leaves the others alone: an export never silently overwrites work.
pub fn run(ctx: &Context<'_>, args: &ExportArgs) -> Result<ExitStatus, CliError> {
    let config = ctx.config()?;
    let env = config.env(&args.env)?;
    let out = ctx.absolute(&args.out);
    check_target(&out, &args.out, args.force)?;
    let client = live::client(&args.env, env, &config.limits, &secrets::process_env)?;
    let runtime = ctx.runtime()?;
    let mut playbooks = None;
    let exported: Vec<Exported> = if args.workflows.is_empty() {
        let workflows = live::export_all(runtime, ctx.printer, &client, &args.env, env)?.workflows;
        playbooks = Some(live::fetch_playbooks(
            runtime,
            ctx.printer,
            &client,
            &args.env,
            env,
            &live::workflow_names(&workflows),
        )?);
        workflows
    } else {
        let listed: Vec<soc_api::WorkflowInfo> = runtime
            .block_on(client.list_workflows().try_collect())
            .map_err(|e| live::api_error(&args.env, env, "list workflows of", e))?;
        let chosen = choose(&listed, &args.workflows, &args.env)?;
        let fetched = runtime
            .block_on(client.fetch(chosen))
            .map_err(|e| live::api_error(&args.env, env, "export workflows of", e))?;
        live::say_fallback(ctx.printer, &args.env, fetched.fallback.as_deref());
        fetched.workflows
    };
    let mut written = write_workflows(&out, &args.out, &exported)?;
    if let Some(playbooks) = &playbooks {
        written.push_str(&format!(" and {}", write_playbooks(&out, playbooks)?));
    }
    ctx.printer.status(&format!(
        "exported {written} of `{}` to {}",
        args.env,
        args.out.display()
    ));
    Ok(ExitStatus::NoDrift)
}

/// The listed workflows named `wanted`, each once, in the order asked; a name that is not there
/// is an error with the nearest one.
fn choose(
    listed: &[soc_api::WorkflowInfo],
    wanted: &[String],
    env_name: &str,
) -> Result<Vec<soc_api::WorkflowInfo>, CliError> {
    let mut chosen = Vec::new();
    for wanted in wanted {
        match listed
            .iter()
            .find(|info| info.name() == Some(wanted.as_str()))
        {
            Some(info)
                if chosen
                    .iter()
                    .any(|c: &soc_api::WorkflowInfo| c.id() == info.id()) => {}
            Some(info) => chosen.push(info.clone()),
            None => {
                let names = listed.iter().filter_map(|i| i.name());
                let err = CliError::msg(format!("`{env_name}` has no workflow named {wanted:?}"));
                return Err(match suggest::did_you_mean(wanted, names) {
                    Some(hint) => err.with_hint(hint),
                    None => err.with_hint("names must match exactly, as in the console"),
                });
            }
        }
    }
    Ok(chosen)
}

/// Writes the workflow exports into `out` (shown as `shown`); says how many.
fn write_workflows(out: &Path, shown: &Path, exported: &[Exported]) -> Result<String, CliError> {
    soc_store::create_private_dir_all(out)
        .map_err(|e| CliError::context(format!("cannot create {}", shown.display()), e))?;
    let names: Vec<(String, String)> = exported
        .iter()
        .map(|(info, export)| {
            let name = info.name().or(export.name.as_deref()).unwrap_or(info.id());
            (name.to_string(), info.id().to_string())
        })
        .collect();
    let pairs: Vec<(&str, &str)> = names
        .iter()
        .map(|(n, i)| (n.as_str(), i.as_str()))
        .collect();
    let stems = soc_store::assign_stems(&pairs);
    let files: Vec<(&str, &[u8])> = exported
        .iter()
        .zip(&stems)
        .map(|((_, export), stem)| (stem.as_str(), &export.bytes[..]))
        .collect();
    write_files(out, &files)?;
    Ok(counted(exported.len(), "workflow"))
}

/// Writes the playbook documents into `out/playbooks/`; says how many.
fn write_playbooks(out: &Path, playbooks: &soc_api::FetchedPlaybooks) -> Result<String, CliError> {
    // Their own folder: a `diff` of the two folders, or an import, knows the playbooks then,
    // even when there are none.
    let folder = out.join(soc_normalize::decode::EXPORT_PLAYBOOKS_DIR);
    soc_store::create_private_dir_all(&folder)
        .map_err(|e| CliError::context(format!("cannot create {}", folder.display()), e))?;
    let names: Vec<(&str, &str)> = playbooks
        .playbooks
        .iter()
        .map(|(info, doc)| (info.name().unwrap_or(doc.id.as_str()), info.id()))
        .collect();
    let stems = soc_store::assign_stems(&names);
    let files: Vec<(&str, &[u8])> = playbooks
        .playbooks
        .iter()
        .zip(&stems)
        .map(|((_, doc), stem)| (stem.as_str(), &doc.bytes[..]))
        .collect();
    write_files(&folder, &files)?;
    Ok(counted(playbooks.playbooks.len(), "playbook"))
}

/// Writes each `(stem, bytes)` as `<stem>.<json|zip|bin>` into `folder`, private to the user.
fn write_files(folder: &Path, files: &[(&str, &[u8])]) -> Result<(), CliError> {
    for (stem, bytes) in files {
        let extension = soc_model::Format::sniff(bytes).extension();
        let file = folder.join(format!("{stem}.{extension}"));
        soc_store::write_private_file(&file, bytes)
            .map_err(|e| CliError::context(format!("cannot write {}", file.display()), e))?;
    }
    Ok(())
}

fn check_target(out: &Path, shown: &Path, force: bool) -> Result<(), CliError> {
    if !out.exists() {
        return Ok(());
    }
    if !out.is_dir() {
        return Err(CliError::msg(format!(
            "{} is not a folder",
            shown.display()
        )));
    }
    let mut entries = std::fs::read_dir(out)
        .map_err(|e| CliError::context(format!("cannot read {}", shown.display()), e))?;
    if entries.next().is_some() && !force {
        return Err(
            CliError::msg(format!("{} is not empty", shown.display())).with_hint(
                "choose an empty folder, or pass --force to replace files of the same name",
            ),
        );
    }
    Ok(())
}
