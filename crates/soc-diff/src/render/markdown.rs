//! Markdown for pull-request comments and GitHub step summaries: a summary table, then one
//! collapsible section per differing workflow.
//!
//! Every piece of report text (names, paths, values, notes) goes through [`inline`], which turns
//! the characters Markdown or HTML would interpret into entities, so a hostile workflow name cannot
//! break the table, start a code span, or inject HTML.
//!
//! GitHub rejects comments over 65,536 characters, so the output stays within [`BUDGET`]: the
//! summary table always, then the details of each workflow while they fit (without the unified
//! diff when only that is too long), then a line saying what was left out.

use std::fmt::Write as _;

use serde_json::Value;

use super::{RenderOptions, acceptance_text, counts, plural, short_value};
use crate::report::{Change, ChangeKind, Report, WorkflowReport, WorkflowStatus};

/// The most bytes of Markdown to produce (GitHub's comment limit is 65,536 characters), with room
/// for the line saying what was left out.
pub(super) const BUDGET: usize = 60_000;

pub(super) fn render(report: &Report, options: &RenderOptions) -> String {
    let mut md = String::new();
    let verdict = if report.has_drift() {
        "Drift"
    } else {
        "No drift"
    };
    // Writing to a String cannot fail; the results below are ignored for that reason.
    let _ = writeln!(
        md,
        "### socdrift: {} → {}\n\n**{verdict}**: {}\n",
        inline(&report.left),
        inline(&report.right),
        counts(report)
    );
    let listed: Vec<&WorkflowReport> = report
        .workflows
        .iter()
        .filter(|wf| wf.differs() || wf.layout_changed || !wf.notes.is_empty())
        .collect();
    if listed.is_empty() {
        md.push_str("No differences.\n");
        return md;
    }
    md.push_str("| Workflow | Status | Changes | Drift |\n| --- | --- | --- | --- |\n");
    for wf in &listed {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            inline(&wf.name),
            status_text(wf),
            if wf.changes.is_empty() {
                String::new()
            } else {
                wf.changes.len().to_string()
            },
            drift_text(wf),
        );
    }
    if options.stat_only {
        return md;
    }
    let (mut without_diff, mut omitted) = (0, 0);
    for wf in listed
        .iter()
        .filter(|wf| !wf.changes.is_empty() || wf.text_diff.is_some() || !wf.notes.is_empty())
    {
        let full = details(report, wf, true);
        if md.len() + full.len() <= BUDGET {
            md.push_str(&full);
            continue;
        }
        let short = details(report, wf, false);
        if md.len() + short.len() <= BUDGET {
            md.push_str(&short);
            without_diff += 1;
        } else {
            omitted += 1;
        }
    }
    let mut left_out = Vec::new();
    if without_diff > 0 {
        left_out.push(plural(without_diff, "unified diff"));
    }
    if omitted > 0 {
        left_out.push(format!("the details of {}", plural(omitted, "workflow")));
    }
    if !left_out.is_empty() {
        let _ = writeln!(
            md,
            "\n_To stay within GitHub's comment size limit, {} left out; the JSON report has \
             everything._",
            left_out.join(" and ")
        );
    }
    md
}

fn status_text(wf: &WorkflowReport) -> String {
    match (&wf.previous_name, wf.status) {
        (Some(previous), _) => format!("renamed from {}", inline(previous)),
        (None, WorkflowStatus::Unchanged) if wf.layout_changed => "layout only".to_owned(),
        (None, status) => status.as_str().to_owned(),
    }
}

fn drift_text(wf: &WorkflowReport) -> &'static str {
    if wf.drift {
        "**yes**"
    } else if wf.is_accepted() {
        "accepted"
    } else {
        "no"
    }
}

/// The collapsible section of one workflow, with or without its unified diff.
fn details(report: &Report, wf: &WorkflowReport, with_diff: bool) -> String {
    let mut md = String::new();
    let mut what = vec![status_text(wf)];
    if !wf.changes.is_empty() {
        what.push(plural(wf.changes.len(), "change"));
    }
    let _ = writeln!(
        md,
        "\n<details>\n<summary><b>{}</b> ({})</summary>\n",
        inline(&wf.name),
        what.join(", ")
    );
    for note in &wf.notes {
        let _ = writeln!(md, "> {}", inline(note));
    }
    if !wf.notes.is_empty() {
        md.push('\n');
    }
    if !wf.changes.is_empty() {
        let with_acceptance = wf.changes.iter().any(|c| c.accepted.is_some());
        let _ = write!(
            md,
            "| | Path | {} | {} |",
            inline(&report.left),
            inline(&report.right)
        );
        md.push_str(if with_acceptance {
            " Accepted |\n| --- | --- | --- | --- | --- |\n"
        } else {
            "\n| --- | --- | --- | --- |\n"
        });
        for change in &wf.changes {
            change_row(&mut md, change, with_acceptance);
        }
        md.push('\n');
    }
    if let Some(diff) = wf.text_diff.as_ref().filter(|_| with_diff) {
        let fence = "`".repeat(longest_backtick_run(diff).max(2) + 1);
        let _ = writeln!(
            md,
            "{fence}diff\n{}\n{fence}\n",
            diff.trim_end_matches('\n')
        );
    }
    md.push_str("</details>\n");
    md
}

fn change_row(md: &mut String, change: &Change, with_acceptance: bool) {
    let sign = match change.kind {
        ChangeKind::Added => "+",
        ChangeKind::Removed => "−",
        ChangeKind::Changed => "~",
    };
    let location = match &change.context {
        Some(context) => format!("{}<br>{}", code(&change.path), inline(context)),
        None => code(&change.path),
    };
    let _ = write!(
        md,
        "| {sign} | {location} | {} | {} |",
        cell_value(change.left.as_ref()),
        cell_value(change.right.as_ref())
    );
    if with_acceptance {
        let accepted = change
            .accepted
            .as_ref()
            .map(|a| inline(&acceptance_text(a)))
            .unwrap_or_default();
        let _ = write!(md, " {accepted} |");
    }
    md.push('\n');
}

fn cell_value(value: Option<&Value>) -> String {
    value.map(|v| code(&short_value(v))).unwrap_or_default()
}

/// `<code>` rather than a backtick span: a value may itself hold backticks, and entities work
/// inside HTML, so one escaper serves everywhere.
fn code(text: &str) -> String {
    format!("<code>{}</code>", inline(text))
}

/// Text safe anywhere inline: in a table cell, in `<summary>`, in `<code>`, in a block quote.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '|' => out.push_str("&#124;"),
            '`' => out.push_str("&#96;"),
            '\\' => out.push_str("&#92;"),
            '*' => out.push_str("&#42;"),
            '_' => out.push_str("&#95;"),
            '[' => out.push_str("&#91;"),
            ']' => out.push_str("&#93;"),
            '~' => out.push_str("&#126;"),
            '#' => out.push_str("&#35;"),
            '!' => out.push_str("&#33;"),
            '$' => out.push_str("&#36;"),
            // A line break would end the table row or the quote; other controls have no place here.
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// The longest run of backticks, so the fence around a diff can be longer than any run inside it.
fn longest_backtick_run(text: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_text_cannot_break_out() {
        let escaped = inline("a|b <script>alert(1)</script> `x` [l](u) **b**\nnext");
        for bad in ['|', '<', '>', '`', '[', ']', '*', '\n'] {
            assert!(!escaped.contains(bad), "{bad:?} in {escaped}");
        }
        assert!(escaped.starts_with("a&#124;b &lt;script&gt;"), "{escaped}");
    }

    #[test]
    fn fences_outgrow_backtick_runs() {
        assert_eq!(longest_backtick_run("a ``` b ````` c"), 5);
        assert_eq!(longest_backtick_run("none"), 0);
    }
}
