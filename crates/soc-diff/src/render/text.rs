//! Git-like text: one line per differing workflow, then each one's changes and unified diff.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use super::{RenderOptions, change_line, counts, marker, workflow_remark};
use crate::report::{ChangeKind, Report, WorkflowReport, WorkflowStatus, printable};

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const RED: Style = AnsiColor::Red.on_default();
const GREEN: Style = AnsiColor::Green.on_default();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const CYAN: Style = AnsiColor::Cyan.on_default();

/// Text output, built line by line with optional colour.
struct Out {
    text: String,
    color: bool,
}

impl Out {
    fn paint(&mut self, style: Style, text: &str) {
        if self.color && style != Style::new() {
            // Writing to a String cannot fail.
            let _ = write!(
                self.text,
                "{}{text}{}",
                style.render(),
                style.render_reset()
            );
        } else {
            self.text.push_str(text);
        }
    }

    fn line(&mut self, style: Style, text: &str) {
        self.paint(style, text);
        self.text.push('\n');
    }
}

pub(super) fn render(report: &Report, options: &RenderOptions) -> String {
    let mut out = Out {
        text: String::new(),
        color: options.color,
    };
    let differing: Vec<&WorkflowReport> = report
        .workflows
        .iter()
        .filter(|wf| wf.differs() || wf.layout_changed || !wf.notes.is_empty())
        .collect();
    for wf in &differing {
        summary_line(&mut out, wf);
    }
    if !options.stat_only {
        for wf in differing.iter().filter(|wf| has_details(wf)) {
            out.text.push('\n');
            details(&mut out, wf);
        }
    }
    if !differing.is_empty() {
        out.text.push('\n');
    }
    let (style, verdict) = if report.has_drift() {
        (RED.bold(), "drift")
    } else {
        (GREEN.bold(), "no drift")
    };
    out.paint(style, verdict);
    out.line(
        Style::new(),
        &format!(
            " ({} -> {}): {}",
            printable(&report.left),
            printable(&report.right),
            counts(report)
        ),
    );
    out.text
}

fn status_style(status: WorkflowStatus) -> Style {
    match status {
        WorkflowStatus::Added => GREEN,
        WorkflowStatus::Removed => RED,
        WorkflowStatus::Modified => YELLOW,
        WorkflowStatus::Renamed => CYAN,
        WorkflowStatus::Unchanged => DIM,
    }
}

/// `M name (2 changes)`, `R old -> new`, `= name (layout only)`.
fn summary_line(out: &mut Out, wf: &WorkflowReport) {
    let style = if wf.drift {
        status_style(wf.status)
    } else {
        DIM
    };
    out.paint(style, &marker(wf.status).to_string());
    out.text.push(' ');
    let name = match &wf.previous_name {
        Some(previous) => format!("{} -> {}", printable(previous), printable(&wf.name)),
        None => printable(&wf.name).into_owned(),
    };
    out.paint(if wf.drift { BOLD } else { Style::new() }, &name);
    if let Some(remark) = workflow_remark(wf) {
        out.paint(DIM, &format!(" ({remark})"));
    }
    out.text.push('\n');
}

fn has_details(wf: &WorkflowReport) -> bool {
    !wf.changes.is_empty() || wf.text_diff.is_some() || !wf.notes.is_empty()
}

fn details(out: &mut Out, wf: &WorkflowReport) {
    summary_line(out, wf);
    for note in &wf.notes {
        out.line(DIM, &format!("  note: {}", printable(note)));
    }
    for change in &wf.changes {
        let style = match (&change.accepted, change.kind) {
            (Some(_), _) => DIM,
            (None, ChangeKind::Added) => GREEN,
            (None, ChangeKind::Removed) => RED,
            (None, ChangeKind::Changed) => YELLOW,
        };
        out.line(style, &format!("  {}", change_line(change)));
    }
    if let Some(diff) = &wf.text_diff {
        out.text.push('\n');
        for line in diff.lines() {
            let style = if line.starts_with("+++") || line.starts_with("---") {
                BOLD
            } else if line.starts_with('+') {
                GREEN
            } else if line.starts_with('-') {
                RED
            } else if line.starts_with("@@") {
                CYAN
            } else {
                Style::new()
            };
            out.line(style, line);
        }
    }
}
