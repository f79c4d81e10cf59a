//! Where a run's report goes: stdout, the report files (replaced atomically), the GitHub step
//! summary and annotations; and the error object a failure becomes in the report.

use std::error::Error as StdError;
use std::path::Path;

use soc_diff::render::{AnnotationOptions, Format, RenderOptions};
use soc_diff::{CheckReport, CheckStatus, Filters, PairError};

use crate::Context;
use crate::error::{CliError, ErrorLine};
use crate::exit::ExitStatus;

/// Accepted differences whose rule expires within this many days get a warning annotation.
const EXPIRY_WARNING_DAYS: i64 = 14;

/// The error object of a report: the message and its causes in one line, the hints, and what the
/// error chain knows about where it happened (found by type, never by reading the text).
pub fn pair_error(err: &CliError) -> PairError {
    let mut message = Vec::new();
    let mut hints = Vec::new();
    for line in err.lines() {
        match line {
            ErrorLine::Error(text) | ErrorLine::CausedBy(text) => message.push(text),
            ErrorLine::Hint(text) => hints.push(text),
        }
    }
    let mut error = PairError {
        message: message.join(": "),
        hints,
        ..PairError::default()
    };
    let mut current: Option<&(dyn StdError + 'static)> = Some(err.error());
    while let Some(cause) = current {
        if let Some(api) = cause.downcast_ref::<soc_api::ApiError>() {
            error.http_status = error.http_status.or(api.status());
            error.request_id = error
                .request_id
                .take()
                .or_else(|| api.request_id().map(str::to_owned));
            if let [id] = api.context().operation.workflow_ids().as_slice() {
                error.workflow.get_or_insert_with(|| (*id).to_owned());
            }
        }
        if let Some(soc_diff::DiffError::Load { name, .. }) = cause.downcast_ref() {
            error.workflow.get_or_insert_with(|| name.clone());
        }
        current = cause.source();
    }
    error
}

/// When a run started, for reports: RFC 3339 in UTC.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Where a run's report goes besides stdout.
#[derive(Debug, Default)]
pub struct Outputs<'p> {
    /// The format on stdout (and in `output_file`).
    pub format: Format,
    /// Only summaries, no changes or unified diffs (stdout, `output_file` and Markdown).
    pub stat: bool,
    /// Write the stdout report to this file instead of stdout.
    pub output_file: Option<&'p Path>,
    /// The JSON report file.
    pub json_file: Option<&'p Path>,
    /// The JUnit report file.
    pub junit_file: Option<&'p Path>,
    /// The Markdown report file.
    pub markdown_file: Option<&'p Path>,
    /// The review page (HTML) file.
    pub html_file: Option<&'p Path>,
    /// Under GitHub Actions: append the Markdown to `$GITHUB_STEP_SUMMARY`, print annotations.
    pub github: bool,
}

impl Outputs<'_> {
    /// Whether some output draws workflows (the review page, Mermaid graphs in Markdown), so
    /// the run should fetch their documents for [`soc_diff::canvas::draw`].
    pub fn draws(&self) -> bool {
        let summary =
            self.github && std::env::var_os("GITHUB_STEP_SUMMARY").is_some_and(|v| !v.is_empty());
        // Every output that draws follows `--stat`, which leaves drawings out.
        !self.stat
            && (self.format.draws()
                || self.markdown_file.is_some()
                || self.html_file.is_some()
                || summary)
    }
}

/// Puts the report everywhere it goes, and says what the run amounts to.
///
/// Report files are replaced atomically, on success and on error alike, so none from an earlier
/// run survives. When one cannot be written, the run is an error: the others are rewritten to
/// say so, the one that failed is removed, and the error is returned.
pub fn emit(
    ctx: &Context<'_>,
    mut report: CheckReport,
    outputs: &Outputs<'_>,
) -> Result<ExitStatus, CliError> {
    let mut failure = write_files(ctx, &report, outputs).err();
    if failure.is_none() && outputs.github {
        failure = append_step_summary(&report, outputs).err();
    }
    if let Some(err) = &failure {
        report = report.with_error(pair_error(err));
        // Best effort: whatever cannot be written now is removed by write_files.
        let _ = write_files(ctx, &report, outputs);
    }
    if outputs.output_file.is_none() {
        let text = render(
            &report,
            outputs.format,
            outputs.stat,
            ctx.printer.stdout_color(),
        );
        ctx.printer.data(&text)?;
    }
    if outputs.github && github_actions() {
        let options = AnnotationOptions {
            warn_expiring_until: Some(in_days(EXPIRY_WARNING_DAYS)),
        };
        ctx.printer
            .workflow_commands(&soc_diff::render::github_annotations(&report, &options));
    }
    match failure {
        Some(err) => Err(err),
        None => Ok(match report.status {
            CheckStatus::NoDrift => ExitStatus::NoDrift,
            CheckStatus::Drift => ExitStatus::Drift,
            CheckStatus::Error => ExitStatus::Error,
        }),
    }
}

/// Reports a run that failed before comparing anything, everywhere a report goes, then returns
/// the error (printed on stderr by the caller, exit 2).
pub fn failed_run(
    ctx: &Context<'_>,
    err: CliError,
    started_at: String,
    filters: Filters,
    outputs: &Outputs<'_>,
) -> Result<ExitStatus, CliError> {
    let report = CheckReport::new(Vec::new())
        .started_at(started_at)
        .with_filters(filters)
        .with_error(pair_error(&err));
    if let Err(write_err) = emit(ctx, report, outputs) {
        ctx.printer.error(&write_err);
    }
    Err(err)
}

/// Whether this runs as a GitHub Actions step.
fn github_actions() -> bool {
    std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true")
}

/// Every report file; on a failure, the others are still written and the first error returned.
fn write_files(
    ctx: &Context<'_>,
    report: &CheckReport,
    outputs: &Outputs<'_>,
) -> Result<(), CliError> {
    let files = [
        (outputs.output_file, outputs.format, outputs.stat),
        (outputs.json_file, Format::Json, false),
        (outputs.junit_file, Format::Junit, false),
        (outputs.markdown_file, Format::Markdown, outputs.stat),
        (outputs.html_file, Format::Html, outputs.stat),
    ];
    let mut first_error = None;
    for (path, format, stat) in files {
        let Some(path) = path else { continue };
        let path = ctx.absolute(path);
        if let Err(err) = write_file(&path, &render(report, format, stat, false)) {
            // A report from an earlier run must not survive a run that failed to write one.
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => ctx.printer.error(&CliError::context(
                    format!("cannot remove the outdated report {}", path.display()),
                    e,
                )),
            }
            first_error.get_or_insert(err);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Appends the Markdown report to `$GITHUB_STEP_SUMMARY` when it is set (GitHub gives each step
/// its own file; appending keeps what earlier commands of the step wrote).
fn append_step_summary(report: &CheckReport, outputs: &Outputs<'_>) -> Result<(), CliError> {
    use std::io::Write as _;
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty()) else {
        return Ok(());
    };
    let path = Path::new(&path);
    let markdown = render(report, Format::Markdown, outputs.stat, false);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| CliError::context(format!("cannot open {}", path.display()), e))?;
    file.write_all(markdown.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .map_err(|e| CliError::context(format!("cannot append to {}", path.display()), e))
}

/// The date (UTC) `days` from today, YYYY-MM-DD.
pub fn in_days(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// Renders a report for stdout (coloured when asked) or for a file (never coloured).
pub fn render(report: &CheckReport, format: Format, stat: bool, color: bool) -> String {
    let options = RenderOptions {
        color: color && format == Format::Text,
        stat_only: stat,
    };
    soc_diff::render::render(report, format, &options)
}

/// Replaces a report file atomically: a temporary file beside it, synced, then renamed over it,
/// so a reader (or a crash) never sees half a report. Creates the folder.
pub fn write_file(path: &Path, text: &str) -> Result<(), CliError> {
    use std::io::Write as _;
    let cannot =
        |e: std::io::Error| CliError::context(format!("cannot write {}", path.display()), e);
    let parent = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => {
            std::fs::create_dir_all(parent).map_err(|e| {
                CliError::context(format!("cannot create folder {}", parent.display()), e)
            })?;
            parent
        }
        None => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".socdrift-report-")
        .tempfile_in(parent)
        .map_err(cannot)?;
    temp.write_all(text.as_bytes())
        .and_then(|()| temp.as_file().sync_all())
        .map_err(cannot)?;
    // A report is for CI tools and reviewers to read: keep the mode of the file it replaces, or
    // give a new one the usual 0644 rather than the temporary file's 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o7777);
        std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(mode))
            .map_err(cannot)?;
    }
    temp.persist(path).map_err(|e| cannot(e.error))?;
    Ok(())
}
