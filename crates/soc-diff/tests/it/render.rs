//! Every renderer over the bundled fixtures and over hand-built edge cases (renames, binary
//! content, accepted and expired differences, hostile names), as reviewed insta snapshots.

use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::json;
use soc_diff::diff::AcceptRule;
use soc_diff::render::{AnnotationOptions, Format, RenderOptions, github_annotations};
use soc_diff::{
    CheckReport, Content, DiffOptions, Document, Entry, PairError, PairReport, Profile, Report,
    diff,
};

use crate::diff::{fixture_options, fixture_report};

fn snapshot(name: &str, text: &str) {
    // The review page's style sheet and script are reviewed as code, not in every snapshot.
    let text = &crate::review::skeleton(text);
    insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!(name, text);
    });
}

/// Renders one compared pair, as `socdrift diff` does.
fn render(report: &Report, format: Format, options: &RenderOptions) -> String {
    soc_diff::render(&CheckReport::single(report.clone()), format, options)
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
        json_doc(
            "invoice\u{202e}gpj.exe",
            json!({"name": "invoice\u{202e}gpj.exe", "note": "a\u{2066}b\u{2069}c", "v": 1}),
        ),
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
        json_doc(
            "invoice\u{202e}gpj.exe",
            json!({"name": "invoice\u{202e}gpj.exe", "note": "a\u{2066}b\u{2069}d", "v": 1}),
        ),
    ];
    let entries = |docs: Vec<Document>| {
        docs.iter()
            .map(|d| Entry::Loaded(profile.normalize(d)))
            .collect()
    };
    let options = DiffOptions {
        accept: vec![
            AcceptRule::new("Accepted", "production is slower")
                .unwrap()
                .with_path("/timeout")
                .unwrap()
                .with_expires("2026-12-31")
                .unwrap(),
            AcceptRule::new("Expired", "temporary while migrating")
                .unwrap()
                .with_path("/timeout")
                .unwrap()
                .with_expires("2026-01-31")
                .unwrap(),
            AcceptRule::new("New name", "renamed on purpose").unwrap(),
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
        let run = CheckReport::single(report);
        let text = soc_diff::render(&run, Format::Json, &PLAIN);
        assert!(text.ends_with("}\n"));
        let back: CheckReport = serde_json::from_str(&text).unwrap();
        assert_eq!(back, run);
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
    for format in [Format::Text, Format::Markdown, Format::Junit] {
        let out = render(&report, format, &PLAIN);
        for bad in ['\u{1b}', '\u{202e}', '\u{2066}', '\u{2069}'] {
            assert!(
                !out.contains(bad),
                "{bad:?} passed through {format}:\n{out}"
            );
        }
        assert!(out.contains("invoice\\u{202e}gpj.exe"), "{format}:\n{out}");
    }
    // JSON keeps the real strings: it is data, and escaping is its reader's job.
    let json = render(&report, Format::Json, &PLAIN);
    assert!(json.contains("invoice\u{202e}gpj.exe"), "{json}");
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
        xml.contains(
            "<testsuite name=\"staging vs production\" tests=\"0\" failures=\"0\" errors=\"0\""
        ),
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

// ---------------------------------------------------------------------------------------------
// Runs of several pairs

/// A small drifted pair: one workflow modified, one added.
fn drifted(left: &str, right: &str) -> PairReport {
    let profile = Profile::secmaster();
    let side = |docs: Vec<Document>| -> Vec<Entry> {
        docs.iter()
            .map(|d| Entry::Loaded(profile.normalize(d)))
            .collect()
    };
    let options = DiffOptions {
        left_label: left.into(),
        right_label: right.into(),
        ..fixture_options()
    };
    let report = diff(
        side(vec![
            json_doc("Block IP", json!({"name": "Block IP", "hours": 24})),
            json_doc("Same", json!({"name": "Same"})),
        ]),
        side(vec![
            json_doc("Block IP", json!({"name": "Block IP", "hours": 1})),
            json_doc("Same", json!({"name": "Same"})),
            json_doc("New", json!({"name": "New"})),
        ]),
        &profile,
        &options,
    )
    .unwrap();
    PairReport::Compared(report)
}

/// A pair without drift.
fn quiet(left: &str, right: &str) -> PairReport {
    let profile = Profile::secmaster();
    let docs = || {
        vec![Entry::Loaded(
            profile.normalize(&json_doc("Same", json!({"name": "Same"}))),
        )]
    };
    let options = DiffOptions {
        left_label: left.into(),
        right_label: right.into(),
        ..fixture_options()
    };
    PairReport::Compared(diff(docs(), docs(), &profile, &options).unwrap())
}

/// A pair whose right side could not be exported.
fn failed(left: &str, right: &str) -> PairReport {
    PairReport::failed(
        left,
        right,
        PairError {
            message: "cannot export workflows of `production`: listing workflows (request id \
                      r-42, 1 attempt): authentication failed with http 401"
                .into(),
            hints: vec!["check PRODUCTION_AK and PRODUCTION_SK".into()],
            workflow: None,
            http_status: Some(401),
            request_id: Some("r-42".into()),
        },
    )
}

/// Runs of one, two and three pairs with the failing pair first, in the middle and last.
fn runs() -> Vec<(&'static str, CheckReport)> {
    let timed = |pairs: Vec<PairReport>| {
        let pairs = pairs
            .into_iter()
            .enumerate()
            .map(|(i, mut p)| {
                p.set_seconds(0.25 * (i + 1) as f64);
                p
            })
            .collect();
        CheckReport::new(pairs).started_at("2026-03-02T06:17:00Z")
    };
    let (e, d, q) = (
        || failed("staging@live", "production@live"),
        || drifted("staging@latest", "staging@live"),
        || quiet("production@latest", "production@live"),
    );
    vec![
        ("one-error", timed(vec![e()])),
        ("one-drift", timed(vec![d()])),
        ("two-error-first", timed(vec![e(), d()])),
        ("two-error-last", timed(vec![q(), e()])),
        ("three-error-first", timed(vec![e(), d(), q()])),
        ("three-error-middle", timed(vec![d(), e(), q()])),
        ("three-error-last", timed(vec![q(), d(), e()])),
        ("three-no-error", timed(vec![q(), d(), q()])),
    ]
}

#[test]
fn every_format_shows_every_pair_and_errors_win() {
    for (name, report) in runs() {
        let failures = report.failures().count();
        let expected = if failures > 0 {
            "error"
        } else if report.has_drift() {
            "drift"
        } else {
            "no_drift"
        };
        assert_eq!(report.status.as_str(), expected, "{name}");
        for format in Format::ALL {
            let out = soc_diff::render(&report, format, &PLAIN);
            snapshot(&format!("run-{name}.{format}"), &out);
            for pair in &report.pairs {
                let left = match format {
                    Format::Markdown => pair.left().replace('@', "&#64;"),
                    _ => pair.left().to_owned(),
                };
                assert!(out.contains(&left), "{name} {format} lacks {left}:\n{out}");
            }
            if failures > 0 {
                assert!(
                    out.contains("authentication failed with http 401"),
                    "{name} {format} lacks the error message:\n{out}"
                );
            }
        }
        // One JSON document whose status and pairs are the report's.
        let json: serde_json::Value =
            serde_json::from_str(&soc_diff::render(&report, Format::Json, &PLAIN)).unwrap();
        assert_eq!(json["status"], expected, "{name}");
        assert_eq!(json["schema_version"], soc_diff::report::SCHEMA_VERSION);
        let statuses: Vec<_> = json["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["status"].as_str().unwrap().to_owned())
            .collect();
        let want: Vec<_> = report
            .pairs
            .iter()
            .map(|p| p.status().as_str().to_owned())
            .collect();
        assert_eq!(statuses, want, "{name}: pairs in the configured order");
        // One XML document: counts add up, and the error pair is an <error>, never a pass.
        let xml = soc_diff::render(&report, Format::Junit, &PLAIN);
        let suites = junit_suites(&xml);
        assert_eq!(suites.len(), report.pairs.len(), "{name}");
        assert_eq!(
            suites.iter().map(|s| s.errors).sum::<usize>(),
            failures,
            "{name}"
        );
        assert_eq!(xml.matches("<?xml").count(), 1, "{name}");
        // Markdown: errors first.
        if failures > 0 && report.pairs.len() > 1 {
            let md = soc_diff::render(&report, Format::Markdown, &PLAIN);
            let error_at = md.find("**Error**: could not be compared").unwrap();
            let drift_at = md.find("**Drift**:").or(md.find("**No drift**:")).unwrap();
            assert!(error_at < drift_at, "{name}: errors come first\n{md}");
        }
    }
}

#[derive(Debug)]
struct Suite {
    name: String,
    tests: usize,
    errors: usize,
}

/// The `<testsuite>` elements of a JUnit document, with the counts they declare, checked against
/// the test cases they hold.
fn junit_suites(xml: &str) -> Vec<Suite> {
    let mut reader = Reader::from_str(xml);
    let mut suites: Vec<Suite> = Vec::new();
    let (mut cases, mut errors) = (0, 0);
    let attr = |e: &quick_xml::events::BytesStart<'_>, name: &str| {
        e.try_get_attribute(name)
            .unwrap()
            .map(|a| a.unescape_value().unwrap().into_owned())
            .unwrap_or_default()
    };
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) if e.name().as_ref() == b"testsuite" => {
                suites.push(Suite {
                    name: attr(&e, "name"),
                    tests: attr(&e, "tests").parse().unwrap(),
                    errors: attr(&e, "errors").parse().unwrap(),
                });
                assert!(!attr(&e, "time").is_empty() && !attr(&e, "timestamp").is_empty());
                (cases, errors) = (0, 0);
            }
            Event::Empty(e) if e.name().as_ref() == b"testsuite" => suites.push(Suite {
                name: attr(&e, "name"),
                tests: 0,
                errors: 0,
            }),
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testcase" => cases += 1,
            Event::Start(e) if e.name().as_ref() == b"error" => errors += 1,
            Event::End(e) if e.name().as_ref() == b"testsuite" => {
                let suite = suites.last().unwrap();
                assert_eq!((suite.tests, suite.errors), (cases, errors), "{suite:?}");
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut names: Vec<_> = suites.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), suites.len(), "suite names are unique");
    suites
}

#[test]
fn a_run_that_failed_as_a_whole_is_an_error_everywhere() {
    let report = CheckReport::new(vec![])
        .started_at("2026-03-02T06:17:00Z")
        .with_error(PairError::new(
            "socdrift.toml:3: unknown key `pairz` in [check]",
        ));
    for format in Format::ALL {
        let out = soc_diff::render(&report, format, &PLAIN);
        snapshot(&format!("run-failed.{format}"), &out);
        assert!(out.contains("pairz"), "{format}: {out}");
    }
    let xml = soc_diff::render(&report, Format::Junit, &PLAIN);
    assert!(xml.contains("errors=\"1\""), "{xml}");
}

#[test]
fn github_annotations_cover_errors_drift_and_expiring_acceptances() {
    let mut pairs = vec![failed("staging@live", "production@live")];
    pairs.push(PairReport::Compared(edge_report()));
    let report = CheckReport::new(pairs);
    let soon = AnnotationOptions {
        warn_expiring_until: Some("2026-12-31".into()),
    };
    let out = github_annotations(&report, &soon);
    snapshot("github-annotations", &out);
    for line in out.lines() {
        assert!(
            line.starts_with("::error title=") || line.starts_with("::warning title="),
            "{line}"
        );
    }
    assert!(
        !out.contains('\u{1b}') && !out.contains('\u{202e}'),
        "{out}"
    );
    // "Accepted" expires 2026-12-31: within the window. Outside it, no warning.
    assert!(out.contains("::warning title=Accepted::"), "{out}");
    let later = AnnotationOptions {
        warn_expiring_until: Some("2026-12-30".into()),
    };
    assert!(!github_annotations(&report, &later).contains("::warning"));
}

#[test]
fn the_promotion_view_in_text_and_markdown() {
    let report = crate::diff::promotion_report(&fixture_options());
    snapshot("promotion.txt", &render(&report, Format::Text, &PLAIN));
    snapshot("promotion.md", &render(&report, Format::Markdown, &PLAIN));
}
