//! `socdrift normalize FILE`: the canonical text git can diff (a textconv driver).

use soc_diff::NormalizedContent;

use crate::Context;
use crate::cli::NormalizeArgs;
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
    let profile = config.profile(args.keep_layout)?;
    if !args.file.exists() {
        return Err(CliError::msg(format!(
            "{} does not exist",
            args.file.display()
        )));
    }
    let documents = soc_diff::decode::load_path(&args.file, &profile)?;
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
