//! `socdrift verify [ENV[@SELECTOR] | PATH]`: store integrity plus content checks.

use std::path::{Path, PathBuf};

use soc_store::{Snapshot, VerifyReport};

use crate::Context;
use crate::cli::{ListFormat, VerifyArgs};
use crate::config::Layout;
use crate::error::CliError;
use crate::exit::ExitStatus;
use crate::printer::counted;
use crate::side::{self, Selector, Written};
use soc_normalize::check as content;

/// What to check.
enum Target {
    /// Every snapshot of the store, or of one environment.
    Store(Option<String>),
    /// One snapshot of an environment.
    Snapshot(String, soc_store::Selector),
    /// A snapshot folder, or export files, given by path.
    Path(PathBuf),
}

/// Prints what was checked, every problem and every note on stdout (one line each, escaped; with
/// `-o json`, one JSON document); exit 0 when sound, 2 otherwise. Notes (payloads compared as
/// text, raw exports not in this store) are not problems.
pub fn run(ctx: &Context<'_>, args: &VerifyArgs) -> Result<ExitStatus, CliError> {
    let config = ctx.config()?;
    let profile = config.profile(Layout::AsConfigured)?;
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
        Target::Path(path) if Snapshot::is_snapshot_path(&path) => one_snapshot(&path),
        Target::Path(path) => {
            let mut content = Content::default();
            for (file, bytes) in check_files(&path)? {
                let check = content::check_export(&file, &bytes, &profile);
                content.add(&file, check);
                content.exports += 1;
            }
            return print(ctx, args, None, &content, "export files");
        }
    };
    let mut content = Content::default();
    for path in snapshots {
        // A snapshot whose manifest cannot be read is already reported above.
        let Ok(snapshot) = Snapshot::open(&path) else {
            continue;
        };
        content.exports += snapshot.manifest().workflows.len();
        snapshot_content(&snapshot, &mut content);
    }
    let what = format!("{} exports", content.exports);
    print(ctx, args, store_report.as_ref(), &content, &what)
}

/// Prints the store check and the content checks as text or JSON; exit 0 when both are sound.
fn print(
    ctx: &Context<'_>,
    args: &VerifyArgs,
    store: Option<&VerifyReport>,
    content: &Content,
    what: &str,
) -> Result<ExitStatus, CliError> {
    let sound = store.is_none_or(VerifyReport::is_ok) && content.found.is_sound();
    match args.list.format {
        ListFormat::Text => {
            let mut out = store.map(VerifyReport::lines).unwrap_or_default();
            content.report(what, &mut out);
            ctx.printer.lines(&out)?;
        }
        ListFormat::Json => {
            let doc = serde_json::json!({
                "status": if sound { "ok" } else { "problems" },
                "store": store,
                "content": {
                    "exports": content.exports,
                    "problems": content.found.problems,
                    "notes": content.found.notes,
                },
            });
            let mut out = serde_json::to_string_pretty(&doc)
                .map_err(|e| CliError::context("cannot serialize the verify report", e))?;
            out.push('\n');
            ctx.printer.data(&out)?;
        }
    }
    Ok(if sound {
        ExitStatus::NoDrift
    } else {
        ExitStatus::Error
    })
}

/// The content section: problems and notes, each naming where it was found.
#[derive(Default)]
struct Content {
    exports: usize,
    /// Every problem and note found, each prefixed with where.
    found: content::ExportCheck,
}

impl Content {
    fn add(&mut self, place: &str, check: content::ExportCheck) {
        let at = |text: String| format!("{place}: {text}");
        self.found
            .problems
            .extend(check.problems.into_iter().map(at));
        self.found.notes.extend(check.notes.into_iter().map(at));
    }

    /// Appends the content section as lines.
    fn report(&self, what: &str, out: &mut Vec<String>) {
        for problem in &self.found.problems {
            out.push(format!("BROKEN  {problem}"));
        }
        for note in &self.found.notes {
            out.push(format!("note    {note}"));
        }
        let mut summary = format!(
            "content of {what} checked, {}",
            counted(self.found.problems.len(), "problem")
        );
        if !self.found.notes.is_empty() {
            summary.push_str(&format!(", {}", counted(self.found.notes.len(), "note")));
        }
        out.push(summary);
    }
}

/// What `text` names: by the rule `diff` and `check` follow for their sides (`side::parse`), where
/// an environment is a configured one or one the store holds, and a name alone means all of its
/// snapshots.
fn target(
    ctx: &Context<'_>,
    text: &str,
    config: &crate::config::Config,
) -> Result<Target, CliError> {
    let store = ctx.store_path(config);
    let is_env = |name: &str| {
        config.envs.contains_key(name) || soc_store::Store::holds_environment_at(&store, name)
    };
    match side::parse(text, &ctx.cwd, is_env)? {
        Some(Written::Path(path)) => path_target(path),
        Some(Written::Env {
            env,
            selector: None,
        }) => Ok(Target::Store(Some(env))),
        Some(Written::Env {
            env,
            selector: Some(Selector::Stored(selector)),
        }) => Ok(Target::Snapshot(env, selector)),
        Some(Written::Env {
            env,
            selector: Some(Selector::Live),
        }) => Err(
            CliError::msg(format!("`{text}`: a live workspace has no store to verify"))
                .with_hint(format!("verify its snapshots: socdrift verify {env}")),
        ),
        None => Err(config.unknown_env(side::split(text).0).into()),
    }
}

/// A path to verify: a snapshot, or export files. A store, or a folder inside one that is not a
/// snapshot, is neither: read as export files, its packs and manifests would be "checked" as
/// opaque files and the run would say "0 problems" about a store it never checked.
fn path_target(path: PathBuf) -> Result<Target, CliError> {
    if Snapshot::is_snapshot_path(&path) {
        return Ok(Target::Path(path));
    }
    match soc_store::Store::root_around(&path) {
        None => Ok(Target::Path(path)),
        Some(root) => Err(CliError::msg(format!(
            "{} is a snapshot store, or a folder inside one, not export files",
            path.display()
        ))
        .with_hint(format!(
            "verify the store: socdrift --store {} verify (or verify ENV for one environment, \
             or pass one snapshot)",
            root.display()
        ))),
    }
}

/// The store check of one snapshot (folder or manifest); its path is returned for the content
/// checks.
fn one_snapshot(path: &Path) -> (Option<VerifyReport>, Vec<PathBuf>) {
    let report = VerifyReport {
        snapshots: vec![soc_store::verify_snapshot(path)],
        ..VerifyReport::default()
    };
    (Some(report), vec![path.to_path_buf()])
}

/// The content checks of a snapshot, from what it commits (so a store cloned without its raw
/// exports is checked the same): each normalized workflow's graph, and the notes the snapshot
/// recorded when it normalized the raw exports.
fn snapshot_content(snapshot: &Snapshot, content: &mut Content) {
    let label = format!("{}/{}", snapshot.environment(), snapshot.id());
    for record in &snapshot.manifest().workflows {
        let file = record.normalized_file.as_deref().unwrap_or(&record.stem);
        let place = format!("{label} {file}");
        // Missing, unreadable or corrupted files are the store check's to report.
        let problems = match snapshot.load(record).ok().and_then(|n| n.value()) {
            Some(Ok(value)) => content::check_workflow(&record.name, &value),
            _ => Vec::new(),
        };
        let notes = record
            .notes
            .iter()
            .map(|note| format!("{}: {note}", record.name))
            .collect();
        content.add(&place, content::ExportCheck { problems, notes });
    }
}

/// The files under `path` (or `path` itself) that a diff would read, with their bytes, in the
/// same order.
fn check_files(path: &Path) -> Result<Vec<(String, Vec<u8>)>, CliError> {
    if !path.exists() {
        return Err(CliError::msg(format!("{} does not exist", path.display())));
    }
    let mut files = Vec::new();
    for (file, _) in soc_normalize::decode::export_files(path)? {
        let bytes = std::fs::read(&file)
            .map_err(|e| CliError::context(format!("cannot read {}", file.display()), e))?;
        files.push((file.display().to_string(), bytes));
    }
    Ok(files)
}
