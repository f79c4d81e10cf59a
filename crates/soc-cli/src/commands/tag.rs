//! `socdrift tag ENV [NAME [SNAPSHOT]]`: name a snapshot, list or delete names.

use soc_store::SnapshotId;

use crate::Context;
use crate::cli::TagArgs;
use crate::error::CliError;
use crate::exit::ExitStatus;
use crate::side::Selector;

/// Points a tag at a snapshot (printing the snapshot's id on stdout), lists the environment's
/// tags (`NAME ID` per line), or deletes one.
pub fn run(ctx: &Context<'_>, args: &TagArgs) -> Result<ExitStatus, CliError> {
    let config = ctx.config()?;
    let store = ctx.existing_store(&config)?;
    let env = &args.env;
    let Some(name) = &args.name else {
        let out: String = store
            .tags(env)?
            .iter()
            .map(|(name, id)| format!("{name}  {id}\n"))
            .collect();
        ctx.printer.data(&out)?;
        return Ok(ExitStatus::NoDrift);
    };
    if args.delete {
        let id = store.untag(env, name)?;
        ctx.printer
            .status(&format!("{env}: deleted tag {name} (it named {id})"));
        return Ok(ExitStatus::NoDrift);
    }
    check_name(name)?;
    let selector = match args.snapshot.as_deref() {
        None => Selector::LATEST,
        Some(text) => text
            .parse()
            .map_err(|_| CliError::msg(format!("bad snapshot `{text}`")).with_hint(
                "a snapshot is `latest`, `~N` (the N-th before latest), a tag or a snapshot id (see socdrift log ENV)",
            ))?,
    };
    let Selector::Stored(selector) = selector else {
        return Err(
            CliError::msg("a tag names a stored snapshot, not `live`").with_hint(format!(
                "take a snapshot first: socdrift snapshot --env {env}"
            )),
        );
    };
    let snapshot = store.resolve(env, &selector)?;
    let id: &SnapshotId = snapshot.id();
    let previous = store.tag(env, name, id)?;
    ctx.printer.data(&format!("{id}\n"))?;
    ctx.printer.status(&match previous {
        Some(old) if &old == id => format!("{env}: tag {name} already names {id}"),
        Some(old) => format!("{env}: moved tag {name} to {id} (it named {old})"),
        None => format!("{env}: tagged {id} as {name}; select it with {env}@{name}"),
    });
    Ok(ExitStatus::NoDrift)
}

/// A tag name must read as a tag after `ENV@`, not as a misspelt `latest` or `live`.
fn check_name(name: &str) -> Result<(), CliError> {
    soc_store::validate_tag(name)?;
    match name.parse::<Selector>() {
        Ok(Selector::Stored(soc_store::Selector::Tag(_))) => Ok(()),
        _ => Err(CliError::msg(format!(
            "tag name `{name}` would read as a misspelt `latest` or `live` in ENV@{name}"
        ))
        .with_hint("choose another name, e.g. `promoted` or `release-42`")),
    }
}
