//! JUnit XML: one document, a `<testsuite>` per pair named `LEFT vs RIGHT`, a `<testcase>` per
//! workflow, so CI systems (GitLab, Jenkins, GitHub test reporters) show drift as failing tests
//! and a pair that could not be compared as an error, never as a green run.
//!
//! Attribute and element text is escaped by quick-xml; before that every string from the data
//! goes through [`printable`], because XML 1.0 cannot carry most control characters even escaped.

use std::collections::BTreeSet;

use quick_xml::Writer;
use quick_xml::escape::partial_escape;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::{RenderOptions, change_line, diff_lines, error_facts, plural};
use crate::kind::Kind;
use crate::report::{
    CheckReport, PairError, PairFailure, PairReport, Report, WorkflowReport, WorkflowStatus,
    printable,
};

/// The name of the suite that holds a run-level error (no pair to name it after).
const RUN_SUITE: &str = "socdrift";

pub(super) fn render(report: &CheckReport, options: &RenderOptions) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing to a Vec cannot fail; should quick-xml ever report an error, the output is what was
    // written up to it.
    let _ = write(&mut writer, report, options);
    let mut text = String::from_utf8_lossy(&writer.into_inner()).into_owned();
    text.push('\n');
    text
}

/// Counts of one suite, or of all of them.
#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    seconds: f64,
}

impl Counts {
    fn of(pair: &PairReport) -> Self {
        let seconds = pair.seconds().unwrap_or(0.0);
        match pair {
            PairReport::Compared(report) => {
                let all = || report.workflows.iter().chain(&report.playbooks);
                let skipped = report.not_compared.len();
                Counts {
                    tests: all().count() + skipped,
                    failures: all().filter(|wf| wf.drift).count(),
                    errors: 0,
                    skipped,
                    seconds,
                }
            }
            PairReport::Failed(_) => Counts {
                tests: 1,
                failures: 0,
                errors: 1,
                skipped: 0,
                seconds,
            },
        }
    }

    fn add(&mut self, other: &Counts) {
        self.tests += other.tests;
        self.failures += other.failures;
        self.errors += other.errors;
        self.skipped += other.skipped;
        self.seconds += other.seconds;
    }

    fn attributes(&self) -> [(&'static str, String); 4] {
        [
            ("tests", self.tests.to_string()),
            ("failures", self.failures.to_string()),
            ("errors", self.errors.to_string()),
            ("time", format!("{:.3}", self.seconds)),
        ]
    }
}

fn write(
    writer: &mut Writer<Vec<u8>>,
    report: &CheckReport,
    options: &RenderOptions,
) -> std::io::Result<()> {
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let names = suite_names(report);
    let mut total = Counts::default();
    let counts: Vec<Counts> = report.pairs.iter().map(Counts::of).collect();
    for c in &counts {
        total.add(c);
    }
    if report.error.is_some() {
        total.tests += 1;
        total.errors += 1;
    }
    let timestamp = timestamp(report);
    let mut root = vec![("name", "socdrift".to_owned())];
    root.extend(total.attributes());
    if let Some(timestamp) = &timestamp {
        root.push(("timestamp", timestamp.clone()));
    }
    writer
        .create_element("testsuites")
        .with_attributes(root.iter().map(|(k, v)| (*k, v.as_str())))
        .write_inner_content(|writer| {
            if let Some(error) = &report.error {
                let mut attributes = vec![
                    ("name", RUN_SUITE.to_owned()),
                    ("tests", "1".to_owned()),
                    ("failures", "0".to_owned()),
                    ("errors", "1".to_owned()),
                    ("skipped", "0".to_owned()),
                    ("time", "0.000".to_owned()),
                ];
                if let Some(timestamp) = &timestamp {
                    attributes.push(("timestamp", timestamp.clone()));
                }
                suite(writer, &attributes, |writer| {
                    error_case(writer, "run", RUN_SUITE, error, "the run failed")
                })?;
            }
            for ((pair, name), counts) in report.pairs.iter().zip(&names).zip(&counts) {
                let mut attributes = vec![("name", name.clone())];
                attributes.extend(counts.attributes());
                attributes.insert(4, ("skipped", counts.skipped.to_string()));
                if let Some(timestamp) = &timestamp {
                    attributes.push(("timestamp", timestamp.clone()));
                }
                suite(writer, &attributes, |writer| match pair {
                    PairReport::Compared(compared) => {
                        // Playbooks are test cases of their own class, so a reader tells them
                        // from workflows of the same name.
                        for kind in Kind::ALL {
                            let class = match kind {
                                Kind::Workflow => name.clone(),
                                Kind::Playbook => format!("{name} playbooks"),
                            };
                            for wf in compared.of_kind(kind) {
                                testcase(writer, compared, wf, &class, options)?;
                            }
                            if let Some(reason) = compared.not_compared(kind) {
                                skipped_case(writer, &class, kind, reason)?;
                            }
                        }
                        Ok(())
                    }
                    PairReport::Failed(failure) => failed_case(writer, failure, name),
                })?;
            }
            Ok(())
        })?;
    Ok(())
}

fn suite(
    writer: &mut Writer<Vec<u8>>,
    attributes: &[(&str, String)],
    body: impl FnOnce(&mut Writer<Vec<u8>>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    writer
        .create_element("testsuite")
        .with_attributes(attributes.iter().map(|(k, v)| (*k, v.as_str())))
        .write_inner_content(body)?;
    Ok(())
}

/// `LEFT vs RIGHT` per pair, made printable, with ` (2)`, ` (3)` … after repeats so that every
/// suite name is unique (CI systems merge suites of the same name).
fn suite_names(report: &CheckReport) -> Vec<String> {
    let mut taken: BTreeSet<String> = BTreeSet::new();
    report
        .pairs
        .iter()
        .map(|pair| {
            let base = printable(&pair.title()).into_owned();
            let mut name = base.clone();
            let mut n = 1;
            // A configured pair may itself be named like `a vs b (2)`; count on until unique.
            while taken.contains(&name) {
                n += 1;
                name = format!("{base} ({n})");
            }
            taken.insert(name.clone());
            name
        })
        .collect()
}

/// The run's start as JUnit wants it: ISO 8601 without a time zone (the JUnit XSD's pattern; the
/// time is UTC). Absent when the caller did not say when the run started.
fn timestamp(report: &CheckReport) -> Option<String> {
    let started = report.started_at.as_deref()?;
    let trimmed = started.trim_end_matches('Z');
    let seconds = trimmed.split('.').next().unwrap_or(trimmed);
    let plausible = seconds.len() == 19
        && seconds
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | ':' | 'T'));
    plausible.then(|| seconds.to_owned())
}

/// The one test case of a pair that could not be compared: an `<error>` with the message.
fn failed_case(
    writer: &mut Writer<Vec<u8>>,
    failure: &PairFailure,
    suite: &str,
) -> std::io::Result<()> {
    let name = format!(
        "compare {} with {}",
        printable(&failure.left),
        printable(&failure.right)
    );
    error_case(
        writer,
        &name,
        suite,
        &failure.error,
        "the pair could not be compared",
    )
}

fn error_case(
    writer: &mut Writer<Vec<u8>>,
    name: &str,
    classname: &str,
    error: &PairError,
    what: &str,
) -> std::io::Result<()> {
    let message = printable(&error.message);
    let mut body = vec![format!("{what}: {message}")];
    body.extend(
        error
            .hints
            .iter()
            .map(|h| format!("hint: {}", printable(h))),
    );
    body.extend(
        error_facts(error)
            .into_iter()
            .map(|(label, value)| format!("{label}: {}", printable(&value))),
    );
    let body = body.join("\n");
    writer
        .create_element("testcase")
        .with_attributes([("name", name), ("classname", classname), ("time", "0.000")])
        .write_inner_content(|writer| {
            writer
                .create_element("error")
                .with_attributes([("message", message.as_ref()), ("type", "error")])
                .write_text_content(text(&body))?;
            Ok(())
        })?;
    Ok(())
}

fn testcase(
    writer: &mut Writer<Vec<u8>>,
    report: &Report,
    wf: &WorkflowReport,
    classname: &str,
    options: &RenderOptions,
) -> std::io::Result<()> {
    let name = printable(&wf.name);
    let element = writer.create_element("testcase").with_attributes([
        ("name", name.as_ref()),
        ("classname", classname),
        ("time", "0.000"),
    ]);
    let body = body(wf, options);
    if wf.drift {
        let message = message(report, wf);
        element.write_inner_content(|writer| {
            writer
                .create_element("failure")
                .with_attributes([("message", message.as_str()), ("type", "drift")])
                .write_text_content(text(&body))?;
            Ok(())
        })?;
    } else if body.is_empty() {
        element.write_empty()?;
    } else {
        // Accepted differences and layout-only moves pass, but say what was let through.
        element.write_inner_content(|writer| {
            writer
                .create_element("system-out")
                .write_text_content(text(&body))?;
            Ok(())
        })?;
    }
    Ok(())
}

/// The test case that says a kind was not compared, and why.
fn skipped_case(
    writer: &mut Writer<Vec<u8>>,
    classname: &str,
    kind: Kind,
    reason: &str,
) -> std::io::Result<()> {
    let message = printable(reason);
    writer
        .create_element("testcase")
        .with_attributes([
            ("name", kind.plural()),
            ("classname", classname),
            ("time", "0.000"),
        ])
        .write_inner_content(|writer| {
            writer
                .create_element("skipped")
                .with_attributes([("message", message.as_ref())])
                .write_empty()?;
            Ok(())
        })?;
    Ok(())
}

/// Element text with only `<`, `>` and `&` escaped: quotes need no escaping there, and diffs of
/// JSON stay readable in the raw file.
fn text(body: &str) -> BytesText<'_> {
    BytesText::from_escaped(partial_escape(body))
}

/// The failure message: what happened, in one line.
fn message(report: &Report, wf: &WorkflowReport) -> String {
    match wf.status {
        WorkflowStatus::Added => format!("added: only in {}", printable(&report.right)),
        WorkflowStatus::Removed => format!("removed: only in {}", printable(&report.left)),
        WorkflowStatus::Renamed => format!(
            "renamed from {}",
            printable(wf.previous_name.as_deref().unwrap_or_default())
        ),
        WorkflowStatus::Modified => {
            let open = wf.changes.iter().filter(|c| c.accepted.is_none()).count();
            if wf.changes.is_empty() {
                // Binary content: the note says what changed.
                match wf.notes.first() {
                    Some(note) => format!("modified: {}", printable(note)),
                    None => "modified".to_owned(),
                }
            } else {
                format!("modified: {} not accepted", plural(open, "change"))
            }
        }
        WorkflowStatus::Unchanged => "unchanged".to_owned(),
    }
}

/// The changes, notes and unified diff as text.
fn body(wf: &WorkflowReport, options: &RenderOptions) -> String {
    let mut lines = Vec::new();
    if wf.is_accepted() {
        lines.push(format!("{} (accepted)", wf.status.as_str()));
    } else if wf.status == WorkflowStatus::Unchanged && wf.layout_changed {
        lines.push("layout only".to_owned());
    }
    lines.extend(wf.notes.iter().map(|n| format!("note: {}", printable(n))));
    if !options.stat_only {
        lines.extend(wf.changes.iter().map(change_line));
        if let Some(diff) = &wf.text_diff {
            lines.push(String::new());
            lines.extend(diff_lines(diff).map(std::borrow::Cow::into_owned));
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_pairs_get_unique_suite_names() {
        let failed = |l: &str, r: &str| PairReport::failed(l, r, PairError::new("x"));
        let report = CheckReport::new(vec![
            failed("a", "b"),
            failed("a", "b (2)"),
            failed("a", "b"),
            failed("a", "b"),
        ]);
        let names = suite_names(&report);
        assert_eq!(names, ["a vs b", "a vs b (2)", "a vs b (3)", "a vs b (4)"]);
    }

    #[test]
    fn timestamps_drop_the_zone_and_fractions() {
        let report = |at: &str| CheckReport::new(vec![]).started_at(at);
        assert_eq!(
            timestamp(&report("2026-03-02T06:17:00Z")).as_deref(),
            Some("2026-03-02T06:17:00")
        );
        assert_eq!(
            timestamp(&report("2026-03-02T06:17:00.123Z")).as_deref(),
            Some("2026-03-02T06:17:00")
        );
        assert_eq!(timestamp(&report("yesterday")), None);
    }
}
