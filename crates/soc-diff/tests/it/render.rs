//! Every renderer over the bundled fixtures and over hand-built edge cases (renames, binary
//! content, accepted and expired differences, hostile names), as reviewed insta snapshots.

use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::json;
use soc_diff::diff::AcceptRule;
use soc_diff::render::{Format, RenderOptions, render};
use soc_diff::{Content, DiffOptions, Document, Entry, Profile, Report, diff};

use crate::diff::{fixture_options, fixture_report};

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!(name, text);
    });
}

const PLAIN: RenderOptions = RenderOptions {
    color: false,
    stat_only: false,
};

fn json_doc(name: &str, value: serde_json::Value) -> Document {
    Document {
        name: name.into(),
        source: "hand-built.json".into(),
        content: Content::Json(value),
    }
}

/// A report with one of everything that is not in the fixtures.
fn edge_report() -> Report {
    let profile = Profile::secmaster();
    let long = "x".repeat(120);
    let left = vec![
        json_doc(
            "a|b <script>",
            json!({"name": "a|b <script>", "description": "uses `ticks` | pipes", "long": long}),
        ),
        Document::opaque(
            "../../etc/passwd",
            "staging/../../etc/passwd",
            b"root:x:0:0",
        ),
        json_doc(
            "Accepted",
            json!({"name": "Accepted", "timeout": 60, "owner": "ops"}),
        ),
        json_doc("Expired", json!({"name": "Expired", "timeout": 60})),
        json_doc("Old name", json!({"name": "Old name", "steps": ["a", "b"]})),
        json_doc(
            "evil\n\u{1b}[2Jname",
            json!({"name": "evil\n\u{1b}[2Jname", "v": 1}),
        ),
        json_doc("Same", json!({"name": "Same"})),
    ];
    let right = vec![
        json_doc(
            "a|b <script>",
            json!({"name": "a|b <script>", "description": "uses ``` fences | and <b>tags</b>", "long": format!("{long}y")}),
        ),
        Document::opaque(
            "../../etc/passwd",
            "production/../../etc/passwd",
            b"root:x:0:0:hacked",
        ),
        json_doc(
            "Accepted",
            json!({"name": "Accepted", "timeout": 90, "owner": "ops"}),
        ),
        json_doc("Expired", json!({"name": "Expired", "timeout": 90})),
        json_doc("New name", json!({"name": "New name", "steps": ["a", "b"]})),
        json_doc(
            "evil\n\u{1b}[2Jname",
            json!({"name": "evil\n\u{1b}[2Jname", "v": 2}),
        ),
        json_doc("Same", json!({"name": "Same"})),
    ];
    let entries = |docs: Vec<Document>| {
        docs.iter()
            .map(|d| Entry::Loaded(profile.normalize(d)))
            .collect()
    };
    let options = DiffOptions {
        accept: vec![
            AcceptRule {
                workflow: "Accepted".into(),
                path: Some("/timeout".into()),
                reason: "production is slower".into(),
                expires: Some("2026-12-31".into()),
            },
            AcceptRule {
                workflow: "Expired".into(),
                path: Some("/timeout".into()),
                reason: "temporary while migrating".into(),
                expires: Some("2026-01-31".into()),
            },
            AcceptRule {
                workflow: "New name".into(),
                path: None,
                reason: "renamed on purpose".into(),
                expires: None,
            },
        ],
        ..fixture_options()
    };
    diff(entries(left), entries(right), &profile, &options).unwrap()
}

#[test]
fn fixtures_in_every_format() {
    let report = fixture_report(&fixture_options());
    snapshot("fixtures.txt", &render(&report, Format::Text, &PLAIN));
    snapshot("fixtures.json", &render(&report, Format::Json, &PLAIN));
    snapshot("fixtures.md", &render(&report, Format::Markdown, &PLAIN));
    snapshot(
        "fixtures.junit.xml",
        &render(&report, Format::Junit, &PLAIN),
    );
    let stat = RenderOptions {
        stat_only: true,
        ..PLAIN
    };
    snapshot("fixtures-stat.txt", &render(&report, Format::Text, &stat));
    snapshot(
        "fixtures-stat.md",
        &render(&report, Format::Markdown, &stat),
    );
}

#[test]
fn colour_is_ansi_only_when_asked() {
    let report = fixture_report(&fixture_options());
    let plain = render(&report, Format::Text, &PLAIN);
    assert!(!plain.contains('\u{1b}'));
    let color = render(
        &report,
        Format::Text,
        &RenderOptions {
            color: true,
            ..PLAIN
        },
    );
    assert!(color.contains("\u{1b}[33mM\u{1b}[0m"), "{color}");
    // Colour adds escapes only: strip them and the plain text remains.
    let stripped = strip_ansi(&color);
    assert_eq!(stripped, plain);
    snapshot("fixtures-color.txt", &color.replace('\u{1b}', "<ESC>"));
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn edge_cases_in_every_format() {
    let report = edge_report();
    snapshot("edge.txt", &render(&report, Format::Text, &PLAIN));
    snapshot("edge.json", &render(&report, Format::Json, &PLAIN));
    snapshot("edge.md", &render(&report, Format::Markdown, &PLAIN));
    snapshot("edge.junit.xml", &render(&report, Format::Junit, &PLAIN));
}

#[test]
fn json_output_reads_back_as_the_same_report() {
    for report in [fixture_report(&fixture_options()), edge_report()] {
        let text = render(&report, Format::Json, &PLAIN);
        assert!(text.ends_with("}\n"));
        let back: Report = serde_json::from_str(&text).unwrap();
        assert_eq!(back, report);
    }
}

#[test]
fn hostile_names_cannot_escape_their_place() {
    let report = edge_report();

    let text = render(&report, Format::Text, &PLAIN);
    assert!(
        !text.contains('\u{1b}'),
        "terminal escape passed through:\n{text}"
    );
    assert!(text.contains("M evil\\n\\u{1b}[2Jname"), "{text}");

    let md = render(&report, Format::Markdown, &PLAIN);
    let outside_fences = outside_code_fences(&md);
    assert!(
        !outside_fences.contains("<script>") && !outside_fences.contains("<b>tags"),
        "{md}"
    );
    // Every row of the summary table has exactly its five cell separators.
    let table: Vec<&str> = md
        .lines()
        .skip_while(|l| !l.starts_with("| Workflow"))
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert_eq!(
        table.len(),
        2 + report.workflows.iter().filter(|w| w.differs()).count()
    );
    for row in &table {
        assert_eq!(row.matches('|').count(), 5, "{row}");
    }
    // The fence around a diff that contains ``` is longer than any run inside it.
    assert!(md.contains("````diff\n"), "{md}");

    let xml = render(&report, Format::Junit, &PLAIN);
    let mut reader = Reader::from_str(&xml);
    let (mut names, mut failures) = (Vec::new(), 0);
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testcase" => {
                let name = e.try_get_attribute("name").unwrap().unwrap();
                names.push(name.unescape_value().unwrap().into_owned());
            }
            Event::Start(e) if e.name().as_ref() == b"failure" => failures += 1,
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(
        failures,
        report.workflows.iter().filter(|w| w.drift).count()
    );
    assert!(names.contains(&"a|b <script>".to_owned()), "{names:?}");
    assert!(names.contains(&"../../etc/passwd".to_owned()), "{names:?}");
    assert!(
        names.contains(&"evil\\n\\u{1b}[2Jname".to_owned()),
        "{names:?}"
    );
}

/// The lines of `md` that are not inside a fenced code block (CommonMark: a fence closes at a run of
/// at least as many backticks).
fn outside_code_fences(md: &str) -> String {
    let mut out = String::new();
    let mut open: Option<usize> = None;
    for line in md.lines() {
        let run = line.chars().take_while(|&c| c == '`').count();
        match open {
            Some(n) if run >= n && line.trim_start_matches('`').trim().is_empty() => open = None,
            Some(_) => {}
            None if run >= 3 => open = Some(run),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

#[test]
fn an_empty_comparison_renders_no_drift() {
    let report = diff(
        Vec::new(),
        Vec::new(),
        &Profile::secmaster(),
        &fixture_options(),
    )
    .unwrap();
    assert_eq!(
        render(&report, Format::Text, &PLAIN),
        "no drift (staging -> production): 0 modified, 0 added, 0 removed, 0 renamed, 0 unchanged\n"
    );
    assert!(render(&report, Format::Markdown, &PLAIN).ends_with("No differences.\n"));
    let xml = render(&report, Format::Junit, &PLAIN);
    assert!(
        xml.contains("<testsuite name=\"socdrift\" tests=\"0\" failures=\"0\""),
        "{xml}"
    );
}

#[test]
fn markdown_stays_within_a_pull_request_comment() {
    let profile = Profile::secmaster();
    // 60 workflows, each with a long value change: far more than one comment can hold.
    let side = |v: &str| -> Vec<Entry> {
        (0..60)
            .map(|i| {
                let name = format!("wf {i:02}");
                let lines: Vec<String> =
                    (0..40).map(|j| format!("{v} line {j} of {name}")).collect();
                Entry::Loaded(
                    profile.normalize(&json_doc(&name, json!({"name": name, "script": lines}))),
                )
            })
            .collect()
    };
    let report = diff(side("old"), side("new"), &profile, &fixture_options()).unwrap();
    let md = render(&report, Format::Markdown, &PLAIN);
    assert!(md.len() <= 60_000 + 200, "{} bytes", md.len());
    // The summary table is always complete.
    for i in 0..60 {
        assert!(
            md.contains(&format!("| wf {i:02} | modified | 40 | **yes** |")),
            "row {i} missing"
        );
    }
    assert!(
        md.contains("left out; the JSON report has everything._"),
        "{}",
        &md[md.len() - 300..]
    );
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
}
