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

use super::mermaid::{self, Flowchart};
use super::{
    IDS_ONLY, RenderOptions, acceptance_text, active_line, by_class, change_classes, class_meaning,
    counts, diff_lines, error_facts, graph_lines, pair_counts, plural, short_value, shorten,
    shows_text_diff, version_line,
};
use crate::kind::Kind;
use crate::report::{
    Change, ChangeClass, ChangeKind, CheckReport, CheckStatus, GraphSummary, PairError, PairReport,
    Report, WorkflowReport, WorkflowStatus, printable,
};

/// The most bytes of Markdown to produce (GitHub's comment limit is 65,536 characters), with room
/// for the line saying what was left out.
pub(super) const BUDGET: usize = 60_000;

/// Error messages longer than this many characters are shortened (the JSON report has them whole).
const MAX_MESSAGE_CHARS: usize = 2_000;

pub(super) fn render(report: &CheckReport, options: &RenderOptions) -> String {
    let single = report.pairs.len() == 1 && report.error.is_none();
    let heading = if single { "###" } else { "####" };
    let mut md = String::new();
    // Errors first, then drift, then the pairs without drift: what needs attention on top.
    let mut ordered: Vec<&PairReport> = report.pairs.iter().collect();
    ordered.sort_by_key(|pair| std::cmp::Reverse(pair.status()));
    if !single {
        overview(&mut md, report, &ordered);
    }
    let heads: Vec<String> = ordered.iter().map(|pair| head(pair, heading)).collect();
    let mut reserved: usize = heads.iter().map(String::len).sum();
    let (mut without_diff, mut without_chart, mut omitted) = (0, 0, 0);
    for (pair, head) in ordered.iter().zip(&heads) {
        // A heading needs a blank line before it to be one after a `</details>`.
        if !md.is_empty() && !md.ends_with("\n\n") {
            md.push('\n');
        }
        md.push_str(head);
        reserved -= head.len();
        let PairReport::Compared(compared) = pair else {
            continue;
        };
        if options.stat_only {
            continue;
        }
        let with_details = Kind::ALL.into_iter().flat_map(|kind| {
            listed(compared, compared.of_kind(kind))
                .into_iter()
                .filter(|wf| {
                    !wf.changes.is_empty()
                        || wf.text_diff.is_some()
                        || !wf.notes.is_empty()
                        || !wf.versions.is_empty()
                })
                .map(move |wf| (kind, wf))
        });
        for (kind, wf) in with_details {
            let room = BUDGET.saturating_sub(reserved);
            // The unified diff goes first, then the diagram, then the whole section.
            let chart = mermaid::flowchart(wf);
            let has_diff = wf.text_diff.is_some() && shows_text_diff(wf);
            let levels = [
                (true, chart.as_ref()),
                (false, chart.as_ref()),
                (false, None),
            ];
            let fitting = levels.into_iter().find_map(|(with_diff, chart)| {
                let text = details(compared, kind, wf, with_diff, chart);
                (md.len() + text.len() <= room).then_some((text, with_diff, chart.is_some()))
            });
            match fitting {
                Some((text, with_diff, with_chart)) => {
                    md.push_str(&text);
                    without_diff += usize::from(has_diff && !with_diff);
                    without_chart += usize::from(chart.is_some() && !with_chart);
                }
                None => omitted += 1,
            }
        }
    }
    let mut left_out = Vec::new();
    if without_diff > 0 {
        left_out.push(plural(without_diff, "unified diff"));
    }
    if without_chart > 0 {
        left_out.push(plural(without_chart, "diagram"));
    }
    if omitted > 0 {
        let any_playbooks = report.compared().any(Report::has_playbooks);
        let what = if any_playbooks {
            "workflow or playbook"
        } else {
            "workflow"
        };
        left_out.push(format!("the details of {}", plural(omitted, what)));
    }
    if !left_out.is_empty() {
        // Writing to a String cannot fail; the results below are ignored for that reason.
        let _ = writeln!(
            md,
            "\n_To stay within GitHub's comment size limit, {} left out; the JSON report has \
             everything._",
            left_out.join(" and ")
        );
    }
    md
}

/// The run's verdict, its error if any, and one row per pair (in the order of the sections).
fn overview(md: &mut String, report: &CheckReport, ordered: &[&PairReport]) {
    let _ = writeln!(
        md,
        "### socdrift: {}\n\n**{}**: {}\n",
        verdict(report.status),
        verdict(report.status),
        pair_counts(report)
    );
    if let Some(error) = &report.error {
        md.push_str("> **The run failed:** ");
        quote_error(md, error);
        md.push('\n');
    }
    if ordered.is_empty() {
        return;
    }
    md.push_str("| Pair | Status | Summary |\n| --- | --- | --- |\n");
    for pair in ordered {
        let (status, summary) = match pair {
            PairReport::Compared(compared) => (
                if compared.has_drift() {
                    "**drift**"
                } else {
                    "no drift"
                },
                counts(compared),
            ),
            PairReport::Failed(_) => ("**error**", "could not be compared".to_owned()),
        };
        let _ = writeln!(
            md,
            "| {} → {} | {status} | {summary} |",
            inline(pair.left()),
            inline(pair.right())
        );
    }
    md.push('\n');
}

fn verdict(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::NoDrift => "No drift",
        CheckStatus::Drift => "Drift",
        CheckStatus::Error => "Error",
    }
}

/// A pair's heading, verdict and summary table (or its error): what is always shown.
fn head(pair: &PairReport, heading: &str) -> String {
    let mut md = String::new();
    let report = match pair {
        PairReport::Failed(failure) => {
            let _ = writeln!(
                md,
                "{heading} socdrift: {} → {}\n\n**Error**: could not be compared\n",
                inline(&failure.left),
                inline(&failure.right)
            );
            md.push_str("> ");
            quote_error(&mut md, &failure.error);
            md.push('\n');
            return md;
        }
        PairReport::Compared(report) => report,
    };
    let verdict = if report.has_drift() {
        "Drift"
    } else {
        "No drift"
    };
    let base = report
        .base
        .as_deref()
        .map(|base| format!(" (base {})", inline(base)))
        .unwrap_or_default();
    let _ = writeln!(
        md,
        "{heading} socdrift: {} → {}{base}\n\n**{verdict}**: {}\n",
        inline(&report.left),
        inline(&report.right),
        counts(report)
    );
    if !report.has_playbooks() {
        table(
            &mut md,
            report,
            Kind::Workflow,
            &listed(report, &report.workflows),
        );
    } else {
        for kind in Kind::ALL {
            if kind != Kind::Workflow {
                md.push('\n');
            }
            let _ = writeln!(md, "**{}**\n", kind.heading());
            match report.not_compared(kind) {
                Some(reason) => {
                    let _ = writeln!(md, "Not compared: {}", inline(reason));
                }
                None => table(&mut md, report, kind, &listed(report, report.of_kind(kind))),
            }
        }
    }
    if report.base.is_some() {
        md.push('\n');
        for class in ChangeClass::ALL.into_iter().rev() {
            let _ = writeln!(
                md,
                "- **{}**: {}",
                class.as_str(),
                inline(&class_meaning(class, report))
            );
        }
    }
    md
}

/// The table of one kind's outcomes worth a row (with their class in a three-way report), or
/// `No differences.`.
fn table(md: &mut String, report: &Report, kind: Kind, listed: &[&WorkflowReport]) {
    if listed.is_empty() {
        md.push_str("No differences.\n");
        return;
    }
    let column = match kind {
        Kind::Workflow => "Workflow",
        Kind::Playbook => "Playbook",
    };
    let three_way = report.base.is_some();
    if three_way {
        let _ = writeln!(
            md,
            "| {column} | Class | Status | Changes | Drift |\n| --- | --- | --- | --- | --- |"
        );
    } else {
        let _ = writeln!(
            md,
            "| {column} | Status | Changes | Drift |\n| --- | --- | --- | --- |"
        );
    }
    for wf in listed {
        let class = match (three_way, wf.class) {
            (false, _) => String::new(),
            (true, Some(class)) => format!(" {} |", class.as_str()),
            (true, None) => " |".to_owned(),
        };
        let changes = match change_classes(wf) {
            Some(classes) => format!("{} ({classes})", wf.changes.len()),
            None if wf.changes.is_empty() => String::new(),
            None => wf.changes.len().to_string(),
        };
        let _ = writeln!(
            md,
            "| {} |{class} {} | {changes} | {} |",
            inline(&wf.name),
            status_text(wf),
            drift_text(wf),
        );
    }
}

/// An error inside a block quote: the message, then each hint on a quoted line of its own.
fn quote_error(md: &mut String, error: &PairError) {
    md.push_str(&inline(&shorten(&error.message, MAX_MESSAGE_CHARS)));
    md.push('\n');
    for hint in &error.hints {
        let _ = writeln!(md, ">\n> hint: {}", inline(hint));
    }
    let facts: Vec<String> = error_facts(error)
        .into_iter()
        .map(|(label, value)| format!("{label} {}", code(&value)))
        .collect();
    if !facts.is_empty() {
        let _ = writeln!(md, ">\n> {}", facts.join(", "));
    }
}

/// The outcomes a table lists: those that differ, moved or have notes; in a three-way report
/// grouped by class, the most severe first.
fn listed<'r>(report: &Report, reports: &'r [WorkflowReport]) -> Vec<&'r WorkflowReport> {
    let listed: Vec<&WorkflowReport> = reports
        .iter()
        .filter(|wf| wf.differs() || wf.layout_changed || !wf.notes.is_empty())
        .collect();
    if report.base.is_none() {
        return listed;
    }
    by_class(&listed)
        .into_iter()
        .flat_map(|(_, members)| members)
        .collect()
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

/// The collapsible section of one workflow or playbook, with or without its unified diff and its
/// diagram: notes, the graph summary and the diagram, the changes, the other versions, the diff.
fn details(
    report: &Report,
    kind: Kind,
    wf: &WorkflowReport,
    with_diff: bool,
    chart: Option<&Flowchart>,
) -> String {
    let mut md = String::new();
    let mut what = vec![status_text(wf)];
    if kind == Kind::Playbook {
        what.insert(0, "playbook".to_owned());
    }
    if let Some(class) = wf.class {
        what.push(class.as_str().to_owned());
    }
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
    if let Some(active) = active_line(wf, report) {
        let _ = writeln!(md, "{}\n", inline(&active));
    }
    if let Some(graph) = &wf.graph {
        graph_list(&mut md, graph);
    }
    if let Some(chart) = chart {
        diagram(&mut md, chart);
    }
    if !wf.changes.is_empty() {
        change_table(&mut md, report, wf);
    }
    if !wf.versions.is_empty() {
        md.push_str("**Other versions** (they do not run, so they are not drift):\n\n");
        for version in &wf.versions {
            let _ = writeln!(md, "- {}", inline(&version_line(version, report)));
        }
        md.push('\n');
    }
    if let Some(diff) = wf
        .text_diff
        .as_ref()
        .filter(|_| with_diff && shows_text_diff(wf))
    {
        // Inside a fence nothing is Markdown or HTML; only what could reorder or forge lines
        // is spelled out.
        let diff: Vec<_> = diff_lines(diff).collect();
        let diff = diff.join("\n");
        let fence = "`".repeat(longest_backtick_run(&diff).max(2) + 1);
        let _ = writeln!(md, "{fence}diff\n{diff}\n{fence}\n");
    }
    md.push_str("</details>\n");
    md
}

/// The graph summary as a list, before the change table.
fn graph_list(md: &mut String, graph: &GraphSummary) {
    if graph.ids_only {
        let _ = writeln!(md, "**Graph**: {}\n", inline(IDS_ONLY));
        return;
    }
    md.push_str("**Graph**:\n\n");
    for line in graph_lines(graph) {
        let sign = if line.sign == '-' { '−' } else { line.sign };
        let _ = write!(md, "- {sign} {}", inline(&line.head));
        match line.params.as_slice() {
            [] => md.push('\n'),
            [one] => {
                let _ = writeln!(md, ": {}", code(one));
            }
            many => {
                md.push('\n');
                for param in many {
                    let _ = writeln!(md, "  - {}", code(param));
                }
            }
        }
    }
    md.push('\n');
}

/// The diagram as a collapsible Mermaid flowchart. Its text holds no backtick (names are written
/// as entity codes), so a plain fence holds it.
fn diagram(md: &mut String, chart: &Flowchart) {
    let _ = write!(
        md,
        "<details>\n<summary>Diagram (+ added, − removed, ~ changed)</summary>\n\n```mermaid\n{}```\n\n",
        chart.text
    );
    if let Some(cut) = &chart.cut {
        let _ = writeln!(md, "_{}_\n", inline(cut));
    }
    md.push_str("</details>\n\n");
}

/// The changes as a table: sign, path, both values, and the class, base and acceptance when
/// any change has them.
fn change_table(md: &mut String, report: &Report, wf: &WorkflowReport) {
    let with_class = wf.changes.iter().any(|c| c.class.is_some());
    let with_acceptance = wf.changes.iter().any(|c| c.accepted.is_some());
    let mut header = String::from("| |");
    if with_class {
        header.push_str(" Class |");
    }
    let _ = write!(
        header,
        " Path | {} | {} |",
        inline(&report.left),
        inline(&report.right)
    );
    if with_class {
        let _ = write!(
            header,
            " {} |",
            inline(report.base.as_deref().unwrap_or("base"))
        );
    }
    if with_acceptance {
        header.push_str(" Accepted |");
    }
    let columns = header.matches('|').count() - 1;
    let _ = writeln!(md, "{header}\n|{}", " --- |".repeat(columns));
    for change in &wf.changes {
        change_row(md, change, with_class, with_acceptance);
    }
    md.push('\n');
}

fn change_row(md: &mut String, change: &Change, with_class: bool, with_acceptance: bool) {
    let sign = match change.kind {
        ChangeKind::Added => "+",
        ChangeKind::Removed => "−",
        ChangeKind::Changed => "~",
    };
    let location = match &change.context {
        Some(context) => format!("{}<br>{}", code(&change.path), inline(context)),
        None => code(&change.path),
    };
    let _ = write!(md, "| {sign} |");
    if with_class {
        let class = change.class.map(ChangeClass::as_str).unwrap_or_default();
        let _ = write!(md, " {class} |");
    }
    let _ = write!(
        md,
        " {location} | {} | {} |",
        cell_value(change.left.as_ref()),
        cell_value(change.right.as_ref())
    );
    if with_class {
        let _ = write!(md, " {} |", cell_value(change.base.as_ref()));
    }
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
///
/// [`printable`] first (control characters, line breaks and bidirectional overrides spelled out),
/// then every character Markdown or HTML would interpret as an entity.
fn inline(text: &str) -> String {
    let text = printable(text);
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
            '@' => out.push_str("&#64;"),
            ':' => out.push_str("&#58;"),
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
