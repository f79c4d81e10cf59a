//! Git-like text: per pair, one line per differing workflow, then each one's changes and unified
//! diff, then the pair's verdict; with several pairs, a closing verdict that names the pairs that
//! could not be compared first.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use super::{
    RenderOptions, change_line, counts, diff_lines, error_line, marker, pair_counts,
    workflow_remark,
};
use crate::kind::Kind;
use crate::report::{
    ChangeKind, CheckReport, CheckStatus, PairFailure, PairReport, Report, WorkflowReport,
    WorkflowStatus, printable,
};

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

pub(super) fn render(report: &CheckReport, options: &RenderOptions) -> String {
    let mut out = Out {
        text: String::new(),
        color: options.color,
    };
    if let Some(error) = &report.error {
        out.paint(RED.bold(), "error");
        out.line(Style::new(), &format!(": {}", error_line(error)));
        if !report.pairs.is_empty() {
            out.text.push('\n');
        }
    }
    for (i, pair) in report.pairs.iter().enumerate() {
        if i > 0 {
            out.text.push('\n');
        }
        match pair {
            PairReport::Compared(compared) => pair_report(&mut out, compared, options),
            PairReport::Failed(failure) => failed_pair(&mut out, failure),
        }
    }
    if report.pairs.len() > 1 {
        out.text.push('\n');
        closing(&mut out, report);
    }
    out.text
}

/// `error (left -> right): the message`.
fn failed_pair(out: &mut Out, failure: &PairFailure) {
    out.paint(RED.bold(), "error");
    out.line(
        Style::new(),
        &format!(
            " ({} -> {}): could not compare: {}",
            printable(&failure.left),
            printable(&failure.right),
            error_line(&failure.error)
        ),
    );
}

/// The verdict of the whole run, then the failed pairs, then the drifted ones.
fn closing(out: &mut Out, report: &CheckReport) {
    let style = verdict_style(report.status);
    out.paint(style, verdict_word(report.status));
    out.line(Style::new(), &format!(" ({})", pair_counts(report)));
    for failure in report.failures() {
        out.paint(RED, "  error");
        out.line(
            Style::new(),
            &format!(
                "  {} -> {}: {}",
                printable(&failure.left),
                printable(&failure.right),
                error_line(&failure.error)
            ),
        );
    }
    for compared in report.compared().filter(|r| r.has_drift()) {
        out.paint(RED, "  drift");
        out.line(
            Style::new(),
            &format!(
                "  {} -> {}: {}",
                printable(&compared.left),
                printable(&compared.right),
                counts(compared)
            ),
        );
    }
}

fn verdict_word(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::NoDrift => "no drift",
        CheckStatus::Drift => "drift",
        CheckStatus::Error => "error",
    }
}

fn verdict_style(status: CheckStatus) -> Style {
    match status {
        CheckStatus::NoDrift => GREEN.bold(),
        CheckStatus::Drift | CheckStatus::Error => RED.bold(),
    }
}

/// One compared pair: the workflow lines, their details, the pair's verdict. A report that speaks
/// of playbooks has one section per kind, each headed by it.
fn pair_report(out: &mut Out, report: &Report, options: &RenderOptions) {
    if report.has_playbooks() {
        for kind in Kind::ALL {
            out.line(BOLD, kind.heading());
            let differing = differing(report.of_kind(kind));
            match report.not_compared(kind) {
                Some(reason) => {
                    out.line(DIM, &format!("  not compared: {}", printable(reason)));
                }
                None if differing.is_empty() => out.line(DIM, "  no differences"),
                None => {}
            }
            section(out, &differing, options);
            if differing.is_empty() {
                out.text.push('\n');
            }
        }
    } else {
        section(out, &differing(&report.workflows), options);
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
}

/// The outcomes worth a line: those that differ, moved or have notes.
fn differing(reports: &[WorkflowReport]) -> Vec<&WorkflowReport> {
    reports
        .iter()
        .filter(|wf| wf.differs() || wf.layout_changed || !wf.notes.is_empty())
        .collect()
}

/// The summary lines of some outcomes, then their details, then a blank line.
fn section(out: &mut Out, differing: &[&WorkflowReport], options: &RenderOptions) {
    for wf in differing {
        summary_line(out, wf);
    }
    if !options.stat_only {
        for wf in differing.iter().filter(|wf| has_details(wf)) {
            out.text.push('\n');
            details(out, wf);
        }
    }
    if !differing.is_empty() {
        out.text.push('\n');
    }
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
        for line in diff_lines(diff) {
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
            out.line(style, &line);
        }
    }
}
