//! The report's JSON form: pretty-printed, with a trailing newline.

use super::RenderOptions;
use crate::report::Report;

pub(super) fn render(report: &Report, options: &RenderOptions) -> String {
    let mut text = if options.stat_only {
        let mut summary = report.clone();
        for wf in &mut summary.workflows {
            wf.changes.clear();
            wf.text_diff = None;
        }
        to_pretty(&summary)
    } else {
        to_pretty(report)
    };
    text.push('\n');
    text
}

fn to_pretty(report: &Report) -> String {
    // A report has only string keys and finite numbers, and writes to memory: serializing it
    // cannot fail.
    serde_json::to_string_pretty(report).unwrap_or_default()
}
