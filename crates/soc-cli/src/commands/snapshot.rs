//! `socdrift snapshot --env NAME`: export into the store.

use soc_api::Client;
use soc_normalize::{Kind, Profile};
use soc_store::{CommitOutcome, IfUnchanged, SourceInfo, Store, WorkflowInput};

use crate::Context;
use crate::cli::SnapshotArgs;
use crate::config::{EnvConfig, Layout};
use crate::error::CliError;
use crate::exit::ExitStatus;
use crate::git;
use crate::live;
use crate::printer::counted;
use crate::secrets;

/// Snapshots each environment in turn; the first failure stops the run (exit 2) after the
/// environments before it are safely stored.
pub fn run(ctx: &Context<'_>, args: &SnapshotArgs) -> Result<ExitStatus, CliError> {
    let config = ctx.config()?;
    let names: Vec<String> = if args.all {
        config.envs.keys().cloned().collect()
    } else {
        args.envs.clone()
    };
    if names.is_empty() {
        return Err(CliError::msg("no environments are configured")
            .with_hint("add [env.NAME] sections to socdrift.toml (see docs/configuration.md)"));
    }
    // Check every name before exporting anything, so a typo in the last one costs nothing.
    for name in &names {
        config.env(name)?;
    }
    let profile = config.profile(Layout::AsConfigured)?;
    let store = ctx.store(&config)?;
    // Found before exporting anything: a store outside git cannot be committed.
    let repo = if args.commit || args.push {
        Some(git::Repo::find(&store.root().join(soc_store::LAYOUT_DIR))?)
    } else {
        None
    };
    let mut outcomes = Vec::new();
    for name in &names {
        let env = config.env(name)?;
        let client = live::client(name, env, &config.limits, &secrets::process_env)?;
        let outcome = snapshot_env(
            ctx,
            &store,
            &profile,
            &EnvSnapshot {
                name,
                env,
                client: &client,
                if_unchanged: if args.skip_unchanged {
                    IfUnchanged::Skip
                } else {
                    IfUnchanged::Write
                },
            },
        )?;
        outcomes.push((name.clone(), outcome));
    }
    if let Some(repo) = repo {
        share(ctx, &store, &repo, args, &outcomes)?;
    }
    Ok(ExitStatus::NoDrift)
}

/// Commits what the snapshots changed in the store, and pushes when asked.
fn share(
    ctx: &Context<'_>,
    store: &Store,
    repo: &git::Repo,
    args: &SnapshotArgs,
    outcomes: &[(String, CommitOutcome)],
) -> Result<(), CliError> {
    let summary: Vec<String> = outcomes
        .iter()
        .map(|(name, outcome)| match outcome {
            CommitOutcome::Written(snapshot) => format!(
                "{name} {} ({}, {})",
                snapshot.id(),
                counted(snapshot.records(Kind::Workflow).count(), "workflow"),
                counted(snapshot.records(Kind::Playbook).count(), "playbook")
            ),
            CommitOutcome::Unchanged(latest) => format!("{name} unchanged since {}", latest.id()),
        })
        .collect();
    let message = format!("socdrift snapshot: {}", summary.join(", "));
    if repo.commit(&message)? {
        ctx.printer
            .status(&format!("committed the store: {}", summary.join(", ")));
    } else {
        ctx.printer
            .status("nothing to commit: the store's committed part is unchanged");
    }
    if !args.push {
        return Ok(());
    }
    let target = repo.target(args.remote.as_deref(), args.branch.as_deref())?;
    let root = store.root().to_path_buf();
    // After a rebase onto other runners' snapshots the view must show the merged store's latest
    // snapshots: read the store afresh (git changed its files) and rewrite it.
    let refresh = move || -> Result<(), CliError> {
        Store::open(&root)?.refresh_views(None)?;
        Ok(())
    };
    let pushed = repo.push(&target, &refresh)?;
    let mut status = format!(
        "pushed to {}/{}",
        git::without_credentials(&target.remote),
        target.branch
    );
    if pushed.rebased {
        status.push_str(&format!(
            " after rebasing onto snapshots pushed meanwhile ({} attempts)",
            pushed.attempts
        ));
    }
    ctx.printer.status(&status);
    Ok(())
}

/// One environment to snapshot: its name, its section and the client that reaches it.
pub struct EnvSnapshot<'a> {
    /// The environment's name (`[env.NAME]`).
    pub name: &'a str,
    /// Its `[env.NAME]` section.
    pub env: &'a EnvConfig,
    /// The client for its workspace.
    pub client: &'a Client,
    /// What to do when the export equals the environment's latest snapshot
    /// (`--skip-unchanged` skips it).
    pub if_unchanged: IfUnchanged,
}

/// Exports one environment through its client and commits it to the store; says what it did on
/// stderr.
pub fn snapshot_env(
    ctx: &Context<'_>,
    store: &Store,
    profile: &Profile,
    target: &EnvSnapshot<'_>,
) -> Result<CommitOutcome, CliError> {
    let EnvSnapshot {
        name, env, client, ..
    } = *target;
    let runtime = ctx.runtime()?;
    let fail = |e: soc_store::StoreError| {
        CliError::from(e).within(format!("cannot store the snapshot of `{name}`"))
    };
    let writer = store
        .begin(
            name,
            source_info(runtime, client, env),
            profile,
            soc_store::DEFAULT_LOCK_TIMEOUT,
        )
        .map_err(fail)?;
    // Each workflow is normalized, hashed, compressed and written as it arrives.
    let fetched = live::fetch_each(runtime, ctx.printer, client, name, env, &|(
        info,
        export,
    )| {
        writer
            .add(WorkflowInput {
                id: info.id().to_string(),
                name: live::workflow_name(&info, &export),
                info: serde_json::Value::Object(info.as_object().clone()),
                raw: export.bytes.to_vec(),
                content_type: export.content_type,
                file_name: export.file_name,
            })
            .map_err(fail)
    })?;
    writer.set_api_source(fetched.source.source);
    let playbooks = live::fetch_playbooks(runtime, ctx.printer, client, name, env, &fetched.names)?;
    let playbook_count = playbooks.playbooks.len();
    writer
        .add_playbooks(playbook_inputs(playbooks.playbooks))
        .map_err(fail)?;
    let outcome = writer.commit(target.if_unchanged).map_err(fail)?;
    say_what_was_stored(ctx, name, &outcome, (fetched.count, playbook_count));
    Ok(outcome)
}

/// Where the snapshot comes from, recorded so a snapshot says exactly that.
fn source_info(runtime: &tokio::runtime::Runtime, client: &Client, env: &EnvConfig) -> SourceInfo {
    // Resolved (and cached) before the export, which needs it too. A failure here is the
    // export's to report, with its hints.
    let workspace_id = runtime
        .block_on(client.workspace_id())
        .ok()
        .map(str::to_owned);
    SourceInfo {
        endpoint: Some(client.endpoint().to_string()),
        region: env.region.clone(),
        project_id: Some(client.project_id().to_string()),
        workspace_id,
        workspace_name: env.workspace.clone(),
        imported_from: None,
        // Set from what the fetch says, once it says it (`auto` decides on its first batch).
        api_source: None,
    }
}

/// The fetched playbook documents as store inputs.
fn playbook_inputs(
    playbooks: Vec<(soc_api::PlaybookInfo, soc_api::PlaybookDocument)>,
) -> Vec<WorkflowInput> {
    playbooks
        .into_iter()
        .map(|(info, document)| WorkflowInput {
            id: info.id().to_string(),
            name: info.name().unwrap_or_else(|| info.id()).to_string(),
            info: serde_json::Value::Object(info.as_object().clone()),
            raw: document.bytes.to_vec(),
            content_type: Some("application/json".to_owned()),
            file_name: None,
        })
        .collect()
}

/// Says on stderr what was written (or that nothing was), then the notes of every stored record.
fn say_what_was_stored(
    ctx: &Context<'_>,
    name: &str,
    outcome: &CommitOutcome,
    (workflows, playbooks): (usize, usize),
) {
    match outcome {
        CommitOutcome::Written(snapshot) => ctx.printer.status(&format!(
            "{name}: snapshot {} ({}, {})",
            snapshot.id(),
            counted(workflows, "workflow"),
            counted(playbooks, "playbook")
        )),
        CommitOutcome::Unchanged(latest) => ctx.printer.status(&format!(
            "{name}: unchanged since snapshot {}, nothing written",
            latest.id()
        )),
    }
    // The same notes `diff` and `verify` show: parts compared as text rather than decoded.
    for record in &outcome.snapshot().manifest().workflows {
        for note in &record.notes {
            ctx.printer
                .warn(&format!("{name}: {}: {note}", record.name));
        }
    }
}
