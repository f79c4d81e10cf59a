//! JUnit XML: one `<testcase>` per workflow in one `<testsuite name="socdrift">`, so CI systems
//! (GitLab, Jenkins, GitHub test reporters) show drift as failing tests.

use quick_xml::Writer;
use quick_xml::escape::partial_escape;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::{RenderOptions, change_line, plural};
use crate::report::{Report, WorkflowReport, WorkflowStatus, printable};

pub(super) fn render(report: &Report, options: &RenderOptions) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing to a Vec cannot fail; should quick-xml ever report an error, the output is what was
    // written up to it.
    let _ = write(&mut writer, report, options);
    let mut text = String::from_utf8_lossy(&writer.into_inner()).into_owned();
    text.push('\n');
    text
}

fn write(
    writer: &mut Writer<Vec<u8>>,
    report: &Report,
    options: &RenderOptions,
) -> std::io::Result<()> {
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let failures = report.workflows.iter().filter(|wf| wf.drift).count();
    let tests = report.workflows.len().to_string();
    let failures = failures.to_string();
    // XML 1.0 cannot carry most control characters even escaped: `printable` spells them out.
    let classname = format!(
        "{} vs {}",
        printable(&report.left),
        printable(&report.right)
    );
    writer
        .create_element("testsuite")
        .with_attributes([
            ("name", "socdrift"),
            ("tests", tests.as_str()),
            ("failures", failures.as_str()),
            ("errors", "0"),
            ("skipped", "0"),
        ])
        .write_inner_content(|writer| {
            for wf in &report.workflows {
                testcase(writer, report, wf, &classname, options)?;
            }
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
    let element = writer
        .create_element("testcase")
        .with_attributes([("name", name.as_ref()), ("classname", classname)]);
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
            lines.push(diff.trim_end_matches('\n').to_owned());
        }
    }
    lines.join("\n")
}
