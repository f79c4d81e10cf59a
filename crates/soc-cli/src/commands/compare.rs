//! What `diff`, `check` and `demo` share: loading sides, diffing two, printing the report.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;

use soc_diff::render::{Format, RenderOptions};
use soc_diff::{DiffOptions, Entry, Normalized, Profile, Report};
use soc_model::DocumentSource;

use crate::Context;
use crate::cli::{ReportArgs, ReportFormat};
use crate::config::Config;
use crate::error::CliError;
use crate::live::{self, Exported};
use crate::side::{Selector, Side};

impl From<ReportFormat> for Format {
    fn from(format: ReportFormat) -> Self {
        match format {
            ReportFormat::Text => Format::Text,
            ReportFormat::Json => Format::Json,
            ReportFormat::Markdown => Format::Markdown,
            ReportFormat::Junit => Format::Junit,
        }
    }
}

/// Loads sides under one config and profile; a live environment is exported once per run even
/// when several pairs name it.
pub struct Loader<'a> {
    ctx: &'a Context<'a>,
    config: &'a Config,
    profile: &'a Profile,
    live: RefCell<BTreeMap<String, (Vec<Normalized>, DocumentSource)>>,
}

impl<'a> Loader<'a> {
    /// A loader for one run.
    pub fn new(ctx: &'a Context<'a>, config: &'a Config, profile: &'a Profile) -> Self {
        Loader {
            ctx,
            config,
            profile,
            live: RefCell::new(BTreeMap::new()),
        }
    }

    /// Loads one side as diff entries, with the API its documents came from when that is known
    /// (a live side; a snapshot that recorded it).
    pub fn load(&self, side: &Side) -> Result<(Vec<Entry>, Option<DocumentSource>), CliError> {
        match side {
            // Paths stay as given (relative to the current folder) so messages show what was typed.
            Side::Path(path) => load_path(path, self.profile),
            Side::Env {
                env,
                selector: Selector::Live,
            } => {
                if let Some((cached, source)) = self.live.borrow().get(env) {
                    let entries = cached.iter().cloned().map(Entry::Loaded).collect();
                    return Ok((entries, Some(*source)));
                }
                let runtime = self.ctx.runtime()?;
                let fetched = live::export_env(runtime, self.ctx.printer, self.config, env)?;
                let normalized = normalize_exports(env, &fetched.workflows, self.profile)?;
                let entries = normalized.iter().cloned().map(Entry::Loaded).collect();
                self.live
                    .borrow_mut()
                    .insert(env.clone(), (normalized, fetched.source));
                Ok((entries, Some(fetched.source)))
            }
            Side::Env {
                env,
                selector: Selector::Stored(selector),
            } => {
                let store = self.ctx.existing_store(self.config)?;
                let snapshot = store.resolve(env, selector)?;
                tracing::info!(env, snapshot = %snapshot.id(), "comparing a stored snapshot");
                let source = snapshot.manifest().source.api_source;
                Ok((snapshot.entries_under(self.profile)?, source))
            }
        }
    }

    /// Diffs two sides under the config's accept rules.
    pub fn diff(&self, left: &Side, right: &Side) -> Result<Report, CliError> {
        let (left_entries, left_source) = self.load(left)?;
        let (right_entries, right_source) = self.load(right)?;
        let mut report = diff_entries(
            left_entries,
            right_entries,
            (left.label(), right.label()),
            self.config,
            self.profile,
        )?;
        report.left_source = left_source;
        report.right_source = right_source;
        Ok(report)
    }
}

/// Decodes and normalizes freshly exported workflows.
pub fn normalize_exports(
    env: &str,
    exported: &[Exported],
    profile: &Profile,
) -> Result<Vec<Normalized>, CliError> {
    let exports: Vec<(String, &[u8])> = exported
        .iter()
        .map(|(info, export)| (format!("{env}@live/{}", info.id()), &export.bytes[..]))
        .collect();
    Ok(soc_diff::decode::normalize_exports(&exports, profile)?)
}

/// A snapshot folder (it has a manifest), or a file or folder of export files, decoded and
/// normalized; with the API a snapshot's documents came from, when it recorded it.
pub fn load_path(
    path: &Path,
    profile: &Profile,
) -> Result<(Vec<Entry>, Option<DocumentSource>), CliError> {
    if !path.exists() {
        return Err(CliError::msg(format!("{} does not exist", path.display())));
    }
    if path.join(soc_store::MANIFEST_FILE).is_file() {
        let snapshot = soc_store::Snapshot::open(path)?;
        let source = snapshot.manifest().source.api_source;
        return Ok((snapshot.entries_under(profile)?, source));
    }
    let normalized = soc_diff::decode::load_path_normalized(path, profile)?;
    tracing::info!(path = %path.display(), workflows = normalized.len(), "loaded export files");
    Ok((normalized.into_iter().map(Entry::Loaded).collect(), None))
}

/// Diffs two sets of entries under the config's accept rules.
pub fn diff_entries(
    left: Vec<Entry>,
    right: Vec<Entry>,
    labels: (String, String),
    config: &Config,
    profile: &Profile,
) -> Result<Report, CliError> {
    let options = DiffOptions {
        left_label: labels.0,
        right_label: labels.1,
        accept: config.accept_rules(),
        today: today(),
        context_lines: 3,
    };
    Ok(soc_diff::diff(left, right, profile, &options)?)
}

/// Today's date (UTC) for accept-rule expiry.
pub fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// Renders a report for stdout (coloured when asked) or for a file (never coloured).
pub fn render(report: &Report, format: Format, stat: bool, color: bool) -> String {
    let options = RenderOptions {
        color: color && format == Format::Text,
        stat_only: stat,
    };
    soc_diff::render::render(report, format, &options)
}

/// Prints the report on stdout, or writes it to `output`.
pub fn emit(
    ctx: &Context<'_>,
    report: &Report,
    args: &ReportArgs,
    output: Option<&Path>,
) -> Result<(), CliError> {
    let format = Format::from(args.format);
    match output {
        Some(path) => write_file(
            &ctx.absolute(path),
            &render(report, format, args.stat, false),
        ),
        None => ctx.printer.data(&render(
            report,
            format,
            args.stat,
            ctx.printer.stdout_color(),
        )),
    }
}

/// Writes a report file, creating its folder.
pub fn write_file(path: &Path, text: &str) -> Result<(), CliError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            CliError::context(format!("cannot create folder {}", parent.display()), e)
        })?;
    }
    std::fs::write(path, text)
        .map_err(|e| CliError::context(format!("cannot write {}", path.display()), e))
}
