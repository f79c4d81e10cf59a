//! `socdrift verify [ENV[@SELECTOR] | PATH]`: store integrity plus content checks.

use std::path::{Path, PathBuf};

use soc_diff::Profile;
use soc_store::{Snapshot, VerifyReport};

use crate::Context;
use crate::cli::{ListFormat, VerifyArgs};
use crate::error::CliError;
use crate::exit::ExitStatus;
use crate::printer::counted;
use crate::side::Selector;
use soc_diff::check as content;

/// What to check.
enum Target {
    /// Every snapshot of the store, or of one environment.
    Store(Option<String>),
    /// One snapshot of an environment.
    Snapshot(String, soc_store::Selector),
    /// A snapshot folder, or export files, given by path.
    Path(PathBuf),
}

/// Prints what was checked and every problem on stdout (with `-o json`, one JSON document);
/// exit 0 when sound, 2 otherwise.
pub fn run(ctx: &Context<'_>, args: &VerifyArgs) -> Result<ExitStatus, CliError> {
    let config = ctx.config()?;
    let profile = config.profile(false)?;
    let target = match &args.target {
        None => Target::Store(None),
        Some(text) => target(ctx, text, &config)?,
    };
    let (store_report, snapshots) = match target {
        Target::Store(env) => {
            let store = ctx.existing_store(&config)?;
            let report = store.verify(env.as_deref());
            let snapshots = report.snapshots.iter().map(|s| s.path.clone()).collect();
            (Some(report), snapshots)
        }
        Target::Snapshot(env, selector) => {
            let store = ctx.existing_store(&config)?;
            let snapshot = store.resolve(&env, &selector)?;
            one_snapshot(snapshot.path())
        }
        Target::Path(path) if path.join(soc_store::MANIFEST_FILE).is_file() => one_snapshot(&path),
        Target::Path(path) => {
            let files = check_files(&path)?;
            let problems = files
                .iter()
                .flat_map(|(file, bytes)| {
                    content::check_export(file, bytes, &profile)
                        .into_iter()
                        .map(move |p| format!("{file}: {p}"))
                })
                .collect::<Vec<_>>();
            let checked = Content {
                what: "export files".to_owned(),
                exports: files.len(),
                problems,
            };
            return print(ctx, args, None, &checked);
        }
    };
    let mut problems = Vec::new();
    let mut exports = 0;
    for path in snapshots {
        // A snapshot whose manifest cannot be read is already reported above.
        let Ok(snapshot) = Snapshot::open(&path) else {
            continue;
        };
        exports += snapshot.manifest().workflows.len();
        problems.extend(snapshot_content(&snapshot, &profile));
    }
    let checked = Content {
        what: format!("{exports} exports"),
        exports,
        problems,
    };
    print(ctx, args, store_report.as_ref(), &checked)
}

/// What the content checks found.
struct Content {
    what: String,
    exports: usize,
    problems: Vec<String>,
}

/// Prints the store check and the content checks as text or JSON; exit 0 when both are sound.
fn print(
    ctx: &Context<'_>,
    args: &VerifyArgs,
    store: Option<&VerifyReport>,
    content: &Content,
) -> Result<ExitStatus, CliError> {
    let sound = store.is_none_or(VerifyReport::is_ok) && content.problems.is_empty();
    let out = match args.list.format {
        ListFormat::Text => {
            let mut out = store.map(ToString::to_string).unwrap_or_default();
            for problem in &content.problems {
                out.push_str(&format!("BROKEN  {problem}\n"));
            }
            out.push_str(&format!(
                "content of {} checked, {}\n",
                content.what,
                counted(content.problems.len(), "problem")
            ));
            out
        }
        ListFormat::Json => {
            let doc = serde_json::json!({
                "status": if sound { "ok" } else { "problems" },
                "store": store,
                "content": { "exports": content.exports, "problems": content.problems },
            });
            let mut out = serde_json::to_string_pretty(&doc)
                .map_err(|e| CliError::context("cannot serialize the verify report", e))?;
            out.push('\n');
            out
        }
    };
    ctx.printer.data(&out)?;
    Ok(if sound {
        ExitStatus::NoDrift
    } else {
        ExitStatus::Error
    })
}

fn target(
    ctx: &Context<'_>,
    text: &str,
    config: &crate::config::Config,
) -> Result<Target, CliError> {
    let (name, selector) = match text.split_once('@') {
        Some((name, selector)) => (name, Some(selector)),
        None => (text, None),
    };
    let is_env = config.envs.contains_key(name)
        || ctx
            .store_path(config)
            .join(soc_store::LAYOUT_DIR)
            .join(name)
            .is_dir();
    if text.chars().any(std::path::is_separator)
        || (!is_env && ctx.absolute(Path::new(text)).exists())
    {
        return Ok(Target::Path(PathBuf::from(text)));
    }
    if !is_env {
        return Err(config.unknown_env(name).into());
    }
    match selector {
        None => Ok(Target::Store(Some(name.to_string()))),
        Some(selector) => match selector.parse::<Selector>() {
            Ok(Selector::Stored(selector)) => Ok(Target::Snapshot(name.to_string(), selector)),
            Ok(Selector::Live) => Err(CliError::msg(format!(
                "`{text}`: a live workspace has no store to verify"
            ))
            .with_hint(format!("verify its snapshots: socdrift verify {name}"))),
            Err(selector) => Err(crate::side::SelectorError {
                selector,
                argument: text.to_string(),
            }
            .into()),
        },
    }
}

/// The store check of one snapshot folder; its path is returned for the content checks.
fn one_snapshot(path: &Path) -> (Option<VerifyReport>, Vec<PathBuf>) {
    let report = VerifyReport {
        snapshots: vec![soc_store::verify_snapshot(path)],
        store_problems: Vec::new(),
        leftovers: Vec::new(),
    };
    (Some(report), vec![path.to_path_buf()])
}

fn snapshot_content(snapshot: &Snapshot, profile: &Profile) -> Vec<String> {
    let label = format!("{}/{}", snapshot.environment(), snapshot.id());
    let mut problems = Vec::new();
    for record in &snapshot.manifest().workflows {
        // Missing or unreadable files are the store check's to report.
        let Ok(bytes) = std::fs::read(snapshot.path().join(&record.export_file)) else {
            continue;
        };
        problems.extend(
            content::check_export(&record.export_file, &bytes, profile)
                .into_iter()
                .map(|p| format!("{label} {}: {p}", record.export_file)),
        );
    }
    problems
}

/// Every regular file under `path` (or `path` itself), with its bytes, in name order; hidden
/// entries skipped as when diffing.
fn check_files(path: &Path) -> Result<Vec<(String, Vec<u8>)>, CliError> {
    if !path.exists() {
        return Err(CliError::msg(format!("{} does not exist", path.display())));
    }
    let walker = walkdir::WalkDir::new(path)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    let mut files = Vec::new();
    for entry in walker {
        let entry =
            entry.map_err(|e| CliError::context(format!("cannot walk {}", path.display()), e))?;
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).map_err(|e| {
                CliError::context(format!("cannot read {}", entry.path().display()), e)
            })?;
            files.push((entry.path().display().to_string(), bytes));
        }
    }
    Ok(files)
}
