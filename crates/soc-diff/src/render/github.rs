//! GitHub Actions workflow commands: an `::error` annotation for each pair that could not be
//! compared and each drifted workflow, a `::warning` for accepted differences about to expire.
//!
//! GitHub reads `::command key=value,…::message` at the start of a log line. Data is escaped as
//! the runner unescapes it (`%` → `%25`, CR → `%0D`, LF → `%0A`), property values also `:` →
//! `%3A` and `,` → `%2C`; strings from the data are made [`printable`] first, so a hostile
//! workflow name can neither end the annotation nor start a command of its own.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{change_line, error_line, plural};
use crate::report::{Acceptance, CheckReport, PairReport, Report, WorkflowReport, printable};

/// How many changes an annotation lists before `…and N more`.
const MAX_CHANGES: usize = 5;

/// What to annotate beyond errors and drift.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnnotationOptions {
    /// Warn about accepted differences whose rule expires on or before this day (YYYY-MM-DD),
    /// e.g. today plus 14 days. `None`: no warnings.
    pub warn_expiring_until: Option<String>,
}

/// The workflow commands for `report`, one per line.
pub fn github_annotations(report: &CheckReport, options: &AnnotationOptions) -> String {
    let mut out = String::new();
    if let Some(error) = &report.error {
        command(&mut out, "error", "socdrift", &error_line(error));
    }
    for pair in &report.pairs {
        match pair {
            PairReport::Failed(failure) => command(
                &mut out,
                "error",
                &pair.title(),
                &format!(
                    "could not compare {} with {}: {}",
                    printable(&failure.left),
                    printable(&failure.right),
                    error_line(&failure.error)
                ),
            ),
            PairReport::Compared(compared) => {
                for wf in compared.workflows.iter().filter(|wf| wf.drift) {
                    command(&mut out, "error", &wf.name, &drift_message(compared, wf));
                }
                for wf in compared.playbooks.iter().filter(|wf| wf.drift) {
                    let title = format!("playbook {}", wf.name);
                    command(&mut out, "error", &title, &drift_message(compared, wf));
                }
                if let Some(until) = &options.warn_expiring_until {
                    expiring(&mut out, compared, until);
                }
            }
        }
    }
    out
}

/// `drift from staging to production: modified, 2 changes:` and the first changes, one per line.
fn drift_message(report: &Report, wf: &WorkflowReport) -> String {
    let mut message = format!(
        "drift from {} to {}: {}",
        printable(&report.left),
        printable(&report.right),
        wf.status.as_str()
    );
    if let Some(previous) = &wf.previous_name {
        let _ = write!(message, " from {}", printable(previous));
    }
    let open: Vec<_> = wf.changes.iter().filter(|c| c.accepted.is_none()).collect();
    if !open.is_empty() {
        let _ = write!(message, ", {}:", plural(open.len(), "change"));
        for change in open.iter().take(MAX_CHANGES) {
            let _ = write!(message, "\n{}", change_line(change));
        }
        if open.len() > MAX_CHANGES {
            let _ = write!(message, "\n…and {} more", open.len() - MAX_CHANGES);
        }
    }
    for note in &wf.notes {
        let _ = write!(message, "\nnote: {}", printable(note));
    }
    message
}

/// One warning per workflow (or playbook) and rule whose acceptance expires by `until`.
fn expiring(out: &mut String, report: &Report, until: &str) {
    let titled = report
        .workflows
        .iter()
        .map(|wf| (wf.name.clone(), wf))
        .chain(
            report
                .playbooks
                .iter()
                .map(|wf| (format!("playbook {}", wf.name), wf)),
        );
    for (title, wf) in titled {
        let mut rules: BTreeSet<(&str, &str)> = BTreeSet::new();
        let acceptances = wf
            .accepted
            .iter()
            .chain(wf.changes.iter().filter_map(|c| c.accepted.as_ref()));
        for Acceptance { reason, expires } in acceptances {
            if let Some(expires) = expires.as_deref().filter(|e| *e <= until) {
                rules.insert((expires, reason));
            }
        }
        for (expires, reason) in rules {
            command(
                out,
                "warning",
                &title,
                &format!(
                    "accepted difference between {} and {} expires on {expires}, then it is drift: {}",
                    printable(&report.left),
                    printable(&report.right),
                    printable(reason)
                ),
            );
        }
    }
}

/// `::KIND title=TITLE::MESSAGE` and a line break. `message` may hold line breaks of our own.
fn command(out: &mut String, kind: &str, title: &str, message: &str) {
    let _ = writeln!(
        out,
        "::{kind} title={}::{}",
        escape_property(&printable(title)),
        escape_data(message)
    );
}

/// Escapes message data as the runner unescapes it.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: data escapes plus `:` and `,`, which end a value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_runner() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(
            escape_property("a: b, c%\n"),
            "a%3A b%2C c%25%0A",
            "a property cannot end early"
        );
    }

    #[test]
    fn a_hostile_title_cannot_start_a_command() {
        let mut out = String::new();
        command(
            &mut out,
            "error",
            "x\n::warning::forged",
            "m\n::error::forged",
        );
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(
            out.starts_with("::error title=x\\n%3A%3Awarning%3A%3Aforged::m%0A::error::forged"),
            "{out}"
        );
    }
}
