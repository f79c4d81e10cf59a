//! `socdrift normalize FILE`: the canonical text git can diff (a textconv driver).
//!
//! As a textconv driver it runs on every `*.json` the attributes name, not only workflow exports:
//! a settings file, a store manifest, a socdrift report. A textconv that fails makes `git diff`
//! fail, so a file that is not a workflow export is printed as canonical JSON (same meaning, keys
//! sorted) and a file that is not JSON at all is printed unchanged, each with a note on stderr. A
//! file over one of the `[limits]` is the exception: it is refused (exit 2), never read whole.

use std::path::Path;

use soc_normalize::NormalizedContent;

use crate::Context;
use crate::cli::NormalizeArgs;
use crate::config::Layout;
use crate::error::CliError;
use crate::exit::ExitStatus;

/// Prints the canonical normalized text of each workflow in an export file (or folder).
///
/// One workflow prints as its canonical JSON alone, so the output of a single-workflow export is
/// itself JSON. Several print one after the other, each under a `=== NAME (SOURCE)` line.
///
/// Names and values are data: the header line is escaped like every message, and characters that
/// could steer a terminal inside JSON strings are written as JSON escapes (`\u202e`), which keeps
/// the text valid JSON with the same value.
pub fn run(ctx: &Context<'_>, args: &NormalizeArgs) -> Result<ExitStatus, CliError> {
    let config = ctx.config()?;
    let profile = config.profile(Layout::from_flag(args.keep_layout))?;
    if !args.file.exists() {
        return Err(CliError::msg(format!(
            "{} does not exist",
            args.file.display()
        )));
    }
    let documents = match soc_normalize::decode::load_path(&args.file, &profile) {
        Ok(documents) => documents,
        // Over a limit it may well be an export, and reading it whole to print it is what the
        // limit is there to prevent: that stays an error, even for git.
        Err(soc_normalize::LoadError::Decode(err)) if err.limit().is_some() => {
            return Err(err.into());
        }
        Err(err) if args.file.is_file() => return not_an_export(ctx, &args.file, &err),
        Err(err) => return Err(err.into()),
    };
    let several = documents.len() > 1;
    let mut out = String::new();
    for doc in &documents {
        let normalized = profile.normalize(doc);
        if several {
            let header = format!("=== {} ({})", normalized.name, normalized.source);
            out.push_str(&soc_text::printable(&header));
            out.push('\n');
        }
        match &normalized.content {
            NormalizedContent::Json { canonical, .. } => {
                out.push_str(&soc_text::printable_json(canonical));
            }
            NormalizedContent::Opaque { sha256, len } => {
                out.push_str(&format!("binary content: {len} bytes, sha256 {sha256}\n"));
            }
        }
        for note in &normalized.notes {
            ctx.printer.warn(&format!("{}: {note}", normalized.name));
        }
    }
    ctx.printer.data(&out)?;
    Ok(ExitStatus::NoDrift)
}

/// Prints a file that does not decode as a workflow export so that git can still diff it: as
/// canonical JSON when it is JSON, else unchanged; a note on stderr says which and why.
fn not_an_export(
    ctx: &Context<'_>,
    path: &Path,
    err: &soc_normalize::LoadError,
) -> Result<ExitStatus, CliError> {
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::context(format!("cannot read {}", path.display()), e))?;
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(value) => {
            ctx.printer.warn(&format!(
                "{err}; not a workflow export, so printed as canonical JSON"
            ));
            ctx.printer.data(&soc_normalize::canonical_json(&value))?;
        }
        Err(_) => {
            ctx.printer
                .warn(&format!("{err}; not JSON either, so printed unchanged"));
            ctx.printer.data_bytes(&bytes)?;
        }
    }
    Ok(ExitStatus::NoDrift)
}
