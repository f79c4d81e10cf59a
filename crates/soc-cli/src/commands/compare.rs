//! What `diff`, `check` and `demo` share: loading a side, diffing two, printing the report.

use std::path::Path;

use soc_diff::render::{Format, RenderOptions};
use soc_diff::{DiffOptions, Entry, Profile, Report};

use crate::Context;
use crate::cli::{ReportArgs, ReportFormat};
use crate::config::Config;
use crate::error::CliError;
use crate::side::Side;

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

/// Loads one side as diff entries.
pub fn load_side(
    _ctx: &Context<'_>,
    _config: &Config,
    side: &Side,
    profile: &Profile,
) -> Result<Vec<Entry>, CliError> {
    match side {
        // Paths stay as given (relative to the current folder) so messages show what was typed.
        Side::Path(path) => load_path(path, profile),
        Side::Env { .. } => Err(CliError::msg(format!(
            "`{}`: environment sides are not available in this build yet",
            side.label()
        ))
        .with_hint("compare folders of export files, e.g. `socdrift diff ./staging ./production`")),
    }
}

/// A file or folder of export files, decoded and normalized.
pub fn load_path(path: &Path, profile: &Profile) -> Result<Vec<Entry>, CliError> {
    if !path.exists() {
        return Err(CliError::msg(format!("{} does not exist", path.display())));
    }
    let documents = soc_diff::decode::load_path(path, profile)?;
    Ok(documents
        .iter()
        .map(|doc| Entry::Loaded(profile.normalize(doc)))
        .collect())
}

/// Diffs two sides under the config's accept rules.
pub fn diff_sides(
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

/// Renders a report in the requested format for stdout (coloured when the printer says so) or for
/// a file (never coloured).
pub fn render(report: &Report, args: &ReportArgs, format: Format, color: bool) -> String {
    let options = RenderOptions {
        color: color && format == Format::Text,
        stat_only: args.stat,
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
        Some(path) => write_file(&ctx.absolute(path), &render(report, args, format, false)),
        None => ctx
            .printer
            .data(&render(report, args, format, ctx.printer.stdout_color())),
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
