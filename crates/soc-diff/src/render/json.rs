//! The report's JSON form: one pretty-printed document with a trailing newline.

use super::RenderOptions;
use crate::report::{CheckReport, PairReport};

pub(super) fn render(report: &CheckReport, options: &RenderOptions) -> String {
    let mut text = if options.stat_only {
        let mut summary = report.clone();
        for pair in &mut summary.pairs {
            if let PairReport::Compared(compared) = pair {
                for wf in compared.all_mut() {
                    wf.changes.clear();
                    wf.text_diff = None;
                }
            }
        }
        to_pretty(&summary)
    } else {
        to_pretty(report)
    };
    text.push('\n');
    text
}

fn to_pretty(report: &CheckReport) -> String {
    // A report has only string keys and finite numbers, and writes to memory: serializing it
    // cannot fail.
    serde_json::to_string_pretty(report).unwrap_or_default()
}
