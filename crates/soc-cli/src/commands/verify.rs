//! `socdrift verify [ENV[@SELECTOR] | PATH]`: store integrity plus content checks.

use std::path::{Path, PathBuf};

use soc_diff::Profile;
use soc_store::{Snapshot, VerifyReport};

use crate::Context;
use crate::cli::VerifyArgs;
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

/// Prints what was checked and every problem on stdout; exit 0 when sound, 2 otherwise.
pub fn run(ctx: &Context<'_>, args: &VerifyArgs) -> Result<ExitStatus, CliError> {
    let config = ctx.config()?;
    let profile = config.profile(false)?;
    let target = match &args.target {
        None => Target::Store(None),
        Some(text) => target(ctx, text, &config)?,
    };
    let mut out = String::new();
    let (sound, snapshots) = match target {
        Target::Store(env) => {
            let store = ctx.existing_store(&config)?;
            let report = store.verify(env.as_deref());
            out.push_str(&report.to_string());
            let snapshots = report.snapshots.iter().map(|s| s.path.clone()).collect();
            (report.is_ok(), snapshots)
        }
        Target::Snapshot(env, selector) => {
            let store = ctx.existing_store(&config)?;
            let snapshot = store.resolve(&env, &selector)?;
            one_snapshot(snapshot.path(), &mut out)
        }
        Target::Path(path) if path.join(soc_store::MANIFEST_FILE).is_file() => {
            one_snapshot(&path, &mut out)
        }
        Target::Path(path) => {
            let problems = check_files(&path)?
                .into_iter()
                .flat_map(|(file, bytes)| {
                    content::check_export(&file, &bytes, &profile)
                        .into_iter()
                        .map(move |p| format!("{file}: {p}"))
                })
                .collect::<Vec<_>>();
            let ok = report_content(&problems, "export files", &mut out);
            ctx.printer.data(&out)?;
            return Ok(if ok {
                ExitStatus::NoDrift
            } else {
                ExitStatus::Error
            });
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
    let ok = report_content(&problems, &format!("{exports} exports"), &mut out);
    ctx.printer.data(&out)?;
    Ok(if sound && ok {
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
fn one_snapshot(path: &Path, out: &mut String) -> (bool, Vec<PathBuf>) {
    let check = soc_store::verify_snapshot(path);
    let report = VerifyReport {
        snapshots: vec![check],
        store_problems: Vec::new(),
        leftovers: Vec::new(),
    };
    out.push_str(&report.to_string());
    (report.is_ok(), vec![path.to_path_buf()])
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

/// Appends the content section; whether it is clean.
fn report_content(problems: &[String], what: &str, out: &mut String) -> bool {
    for problem in problems {
        out.push_str(&format!("BROKEN  {problem}\n"));
    }
    out.push_str(&format!(
        "content of {what} checked, {}\n",
        counted(problems.len(), "problem")
    ));
    problems.is_empty()
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
