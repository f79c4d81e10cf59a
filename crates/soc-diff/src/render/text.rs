//! Git-like text: per pair, one line per differing workflow, then each one's changes and unified
//! diff, then the pair's verdict; with several pairs, a closing verdict that names the pairs that
//! could not be compared first.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use super::{
    IDS_ONLY, RenderOptions, UNCLASSED, active_line, by_class, change_line, class_meaning, counts,
    diff_lines, error_line, graph_lines, marker, pair_counts, shows_text_diff, version_line,
    workflow_remark,
};
use crate::kind::Kind;
use crate::report::{
    ChangeKind, CheckReport, CheckStatus, GraphSummary, PairFailure, PairReport, Report,
    WorkflowReport, WorkflowStatus, printable,
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

/// One compared pair: the lines of each differing workflow (grouped by class in a three-way
/// report), their details, the pair's verdict. A report that speaks of playbooks has one section
/// per kind, each headed by it.
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
            section(out, report, &differing, options);
            if differing.is_empty() {
                out.text.push('\n');
            }
        }
    } else {
        section(out, report, &differing(&report.workflows), options);
    }
    let (style, verdict) = if report.has_drift() {
        (RED.bold(), "drift")
    } else {
        (GREEN.bold(), "no drift")
    };
    out.paint(style, verdict);
    let base = report
        .base
        .as_deref()
        .map(|base| format!(", base {}", printable(base)))
        .unwrap_or_default();
    out.line(
        Style::new(),
        &format!(
            " ({} -> {}{base}): {}",
            printable(&report.left),
            printable(&report.right),
            counts(report)
        ),
    );
}

/// `graph:` and one line per node or flow, a node's single parameter on its line, several below it.
fn graph_section(out: &mut Out, graph: &GraphSummary) {
    if graph.ids_only {
        out.line(BOLD, &format!("  graph: {IDS_ONLY}"));
        return;
    }
    out.line(BOLD, "  graph:");
    for line in graph_lines(graph) {
        let style = match line.sign {
            '+' => GREEN,
            '-' => RED,
            _ => YELLOW,
        };
        let head = format!("    {} {}", line.sign, printable(&line.head));
        match line.params.as_slice() {
            [] => out.line(style, &head),
            [one] => out.line(style, &format!("{head}: {}", printable(one))),
            many => {
                out.line(style, &head);
                for param in many {
                    out.line(style, &format!("        {}", printable(param)));
                }
            }
        }
    }
}

/// The outcomes worth a line: those that differ, moved or have notes.
fn differing(reports: &[WorkflowReport]) -> Vec<&WorkflowReport> {
    reports
        .iter()
        .filter(|wf| wf.differs() || wf.layout_changed || !wf.notes.is_empty())
        .collect()
}

/// The summary lines of some outcomes (grouped by class in a three-way report), then their
/// details, then a blank line.
fn section(out: &mut Out, report: &Report, differing: &[&WorkflowReport], options: &RenderOptions) {
    let mut ordered = Vec::new();
    if report.base.is_some() {
        for (class, members) in by_class(differing) {
            match class {
                Some(class) => {
                    out.paint(BOLD, class.as_str());
                    out.line(DIM, &format!(": {}", class_meaning(class, report)));
                }
                None => out.line(BOLD, UNCLASSED),
            }
            for wf in &members {
                out.text.push_str("  ");
                summary_line(out, wf);
            }
            ordered.extend(members);
        }
    } else {
        for wf in differing {
            summary_line(out, wf);
        }
        ordered = differing.to_vec();
    }
    if !options.stat_only {
        for wf in ordered.iter().filter(|wf| has_details(wf)) {
            out.text.push('\n');
            details(out, report, wf);
        }
    }
    if !ordered.is_empty() {
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
    !wf.changes.is_empty()
        || wf.text_diff.is_some()
        || !wf.notes.is_empty()
        || !wf.versions.is_empty()
        || wf.graph.is_some()
}

/// A workflow's notes, then the graph summary, the changes, the other versions and the unified
/// diff: what a reviewer reads top down.
fn details(out: &mut Out, report: &Report, wf: &WorkflowReport) {
    summary_line(out, wf);
    for note in &wf.notes {
        out.line(DIM, &format!("  note: {}", printable(note)));
    }
    if let Some(active) = active_line(wf, report) {
        out.line(Style::new(), &format!("  {}", printable(&active)));
    }
    let sections = wf.graph.is_some() || !wf.versions.is_empty();
    if let Some(graph) = &wf.graph {
        graph_section(out, graph);
    }
    if sections && !wf.changes.is_empty() {
        out.line(BOLD, "  changes:");
    }
    let indent = if sections { "    " } else { "  " };
    for change in &wf.changes {
        let style = match (&change.accepted, change.kind) {
            (Some(_), _) => DIM,
            (None, ChangeKind::Added) => GREEN,
            (None, ChangeKind::Removed) => RED,
            (None, ChangeKind::Changed) => YELLOW,
        };
        out.line(style, &format!("{indent}{}", change_line(change)));
    }
    if !wf.versions.is_empty() {
        out.line(
            BOLD,
            "  other versions (they do not run, so they are not drift):",
        );
        for version in &wf.versions {
            out.line(
                DIM,
                &format!("    {}", printable(&version_line(version, report))),
            );
            if version.status == WorkflowStatus::Modified {
                for change in &version.changes {
                    out.line(DIM, &format!("      {}", change_line(change)));
                }
            }
        }
    }
    if let Some(diff) = wf.text_diff.as_ref().filter(|_| shows_text_diff(wf)) {
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
