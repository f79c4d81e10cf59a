//! The unified diff of two canonical texts, for readers who want to see the lines.

use std::time::Duration;

use similar::{Algorithm, TextDiff};

use super::DiffOptions;
use crate::report::printable;

/// A unified diff of two canonical texts, `None` when they are equal.
pub(super) fn unified_diff(
    left: &str,
    right: &str,
    left_name: &str,
    right_name: &str,
    options: &DiffOptions,
) -> Option<String> {
    if left == right {
        return None;
    }
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        // Line diffs of huge, wholly different documents can take long; past this, similar
        // approximates (the structural changes stay exact).
        .timeout(Duration::from_secs(5))
        .diff_lines(left, right);
    let left_header = format!(
        "{}/{}",
        printable(&options.left_label),
        printable(left_name)
    );
    let right_header = format!(
        "{}/{}",
        printable(&options.right_label),
        printable(right_name)
    );
    let text = diff
        .unified_diff()
        .context_radius(options.context_lines)
        .header(&left_header, &right_header)
        .to_string();
    (!text.is_empty()).then_some(text)
}
