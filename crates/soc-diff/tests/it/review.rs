//! Drawing: the review page (`-o html`) and the Mermaid graphs of the Markdown report, over the
//! bundled fixtures (the demo's workspaces), hostile names and a large generated workspace.
//! What a browser makes of the page is checked by `scripts/review-page.sh`.

use serde_json::json;
use soc_diff::canvas::draw_documents;
use soc_diff::render::{Format, RenderOptions};
use soc_diff::report::{Mark, WorkflowStatus};
use soc_diff::{CheckReport, Content, Document, Entry, Profile, Report, diff};
use soc_sim::generate::{GenerateOptions, generate_with_mutations};

use crate::diff::{fixture_options, fixture_report, workspace_dir};

const PLAIN: RenderOptions = RenderOptions {
    color: false,
    stat_only: false,
};

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!(name, text);
    });
}

/// The fixtures' report with every workflow a reader wants drawn, drawn.
fn drawn_fixture_report() -> Report {
    let mut report = fixture_report(&fixture_options());
    let profile = Profile::secmaster();
    let docs = |side| soc_diff::decode::load_path(&workspace_dir(side), &profile).unwrap();
    draw_documents(&mut report, docs("staging"), docs("production"), &profile);
    report
}

fn page(report: &Report) -> String {
    soc_diff::render(&CheckReport::single(report.clone()), Format::Html, &PLAIN)
}

/// The page without its style sheet and script (reviewed as code in `render/html/page.css` and
/// `page.js`) and their hashes: the structure a snapshot should show. Other text is returned as
/// it is.
pub fn skeleton(html: &str) -> String {
    if !html.starts_with("<!DOCTYPE html>") {
        return html.to_owned();
    }
    let mut out = html.to_owned();
    for (open, close) in [("<style>", "</style>"), ("<script>", "</script>")] {
        if let (Some(start), Some(end)) = (out.find(open), out.find(close)) {
            out.replace_range(start + open.len()..end, "…");
        }
    }
    let mut cleaned = String::new();
    let mut rest = out.as_str();
    while let Some(at) = rest.find("'sha256-") {
        cleaned.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after.find('\'').unwrap();
        cleaned.push_str("'sha256-…'");
        rest = &after[end + 1..];
    }
    cleaned.push_str(rest);
    cleaned
}

/// `(data-node-id, data-change)` of every drawn node of a workflow's section, in page order.
fn marked_nodes(html: &str, workflow: &str) -> Vec<(String, Option<String>)> {
    let start = html
        .find(&format!("data-workflow=\"{workflow}\""))
        .unwrap_or_else(|| panic!("no section for {workflow}"));
    let section = &html[start..];
    let section = &section[..section.find("</section>").unwrap()];
    let attribute = |tag: &str, name: &str| {
        let key = format!("{name}=\"");
        tag.find(&key).map(|i| {
            let value = &tag[i + key.len()..];
            value[..value.find('"').unwrap()].to_owned()
        })
    };
    section
        .split("<g class=\"node ")
        .skip(1)
        .filter_map(|tag| {
            let tag = &tag[..tag.find('>').unwrap()];
            Some((
                attribute(tag, "data-node-id")?,
                attribute(tag, "data-change"),
            ))
        })
        .collect()
}

#[test]
fn the_demo_workspaces_on_the_review_page() {
    let report = drawn_fixture_report();
    let html = page(&report);
    snapshot("fixtures.html", &skeleton(&html));

    // The changed task, on both canvases; nothing else of that workflow.
    let block = marked_nodes(&html, "Block malicious source IP");
    assert_eq!(block.len(), 10, "five nodes on each side: {block:?}");
    let changed: Vec<_> = block.iter().filter(|(_, c)| c.is_some()).collect();
    assert_eq!(
        changed,
        [
            &("Activity_u0ugsc7".to_owned(), Some("changed".to_owned())),
            &("Activity_u0ugsc7".to_owned(), Some("changed".to_owned()))
        ]
    );
    // Removed and added workflows: one canvas, every node marked.
    let removed = marked_nodes(&html, "Enrich alert with context");
    assert!(!removed.is_empty());
    assert!(removed.iter().all(|(_, c)| c.as_deref() == Some("removed")));
    let added = marked_nodes(&html, "Legacy ticket sync");
    assert!(!added.is_empty());
    assert!(added.iter().all(|(_, c)| c.as_deref() == Some("added")));
    // Layout only: dragged as a whole, which the page says instead of marking every node.
    assert!(
        marked_nodes(&html, "Isolate compromised host")
            .iter()
            .all(|(_, c)| c.is_none())
    );
    assert!(
        html.contains(
            "production has the whole diagram 140 right and 70 up of where staging has it"
        )
    );
    // The graph summary links to the node on both canvases.
    assert!(
        html.contains("data-targets=\"p0-w0-left-n2 p0-w0-right-n2\">node serviceTask &quot;Block on WAF&quot;</a>"),
        "{html}"
    );
    // Self-contained: nothing to fetch, one script (ours).
    assert!(!html.contains("src=") && !html.contains("href=\"http"));
    assert_eq!(html.matches("<script").count(), 1);
}

#[test]
fn the_demo_workspaces_in_markdown_with_mermaid_graphs() {
    let report = drawn_fixture_report();
    let markdown = soc_diff::render(&CheckReport::single(report), Format::Markdown, &PLAIN);
    snapshot("fixtures-drawn.md", &markdown);
    // One graph: the only workflow whose diagram changed.
    assert_eq!(markdown.matches("```mermaid").count(), 1);
    assert!(markdown.contains("(\"~ Block on WAF\")"), "{markdown}");
    assert!(markdown.contains("class n2 changed"), "{markdown}");
}

#[test]
fn without_its_documents_a_page_says_the_diagrams_are_not_drawn() {
    let report = fixture_report(&fixture_options());
    let html = page(&report);
    assert!(!html.contains("data-node-id"));
    assert!(html.contains("Not drawn: this report was rendered without the workflows' documents."));
    let markdown = soc_diff::render(&CheckReport::single(report), Format::Markdown, &PLAIN);
    assert!(!markdown.contains("```mermaid"));
}

#[test]
fn the_promotion_view_has_its_classes_on_the_page() {
    let report = crate::diff::promotion_report(&fixture_options());
    let html = page(&report);
    assert!(html.contains("<th>Class</th>"));
    assert!(html.contains("(base production@promoted)"));
    assert!(html.contains("data-class=\"conflict\""));
}

/// A workflow of one version whose three nodes have the given names (the task's timeout too).
fn hostile_workflow(name: &str, names: [&str; 3], timeout: &str) -> Document {
    let nodes = [
        ("startEvent", "Event_1", names[0], 0),
        ("serviceTask", "Activity_1", names[1], 200),
        ("endEvent", "Event_2", names[2], 400),
    ];
    let mut process: Vec<serde_json::Value> = nodes
        .iter()
        .map(|(tag, id, name, _)| {
            json!({"type": "element", "name": format!("bpmn2:{tag}"),
                   "attributes": {"id": id, "name": name, "soar:timeout": timeout}})
        })
        .collect();
    process.push(json!({"type": "element", "name": "bpmn2:sequenceFlow",
        "attributes": {"id": "Flow_1", "name": names[1], "sourceRef": "Event_1", "targetRef": "Activity_1"}}));
    let shapes: Vec<serde_json::Value> = nodes
        .iter()
        .map(|(_, id, _, x)| {
            json!({"type": "element", "name": "bpmndi:BPMNShape",
                "attributes": {"id": format!("{id}_di"), "bpmnElement": id},
                "elements": [{"type": "element", "name": "dc:Bounds",
                    "attributes": {"x": x.to_string(), "y": "0", "width": "100", "height": "80"}}]})
        })
        .collect();
    let taskflow = json!({"workflow": {"elements": [{"type": "element", "name": "bpmn2:definitions",
        "attributes": {"id": "d"}, "elements": [
            {"type": "element", "name": "bpmn2:process", "attributes": {"id": "Process_1"}, "elements": process},
            {"type": "element", "name": "bpmndi:BPMNDiagram", "attributes": {"id": "D"},
             "elements": [{"type": "element", "name": "bpmndi:BPMNPlane",
                           "attributes": {"id": "P", "bpmnElement": "Process_1"}, "elements": shapes}]}]}]}});
    Document {
        name: name.into(),
        source: "hostile.json".into(),
        content: Content::Json(json!({
            "name": name,
            "versions": [{"version": "v1", "status": "activated", "taskflow": taskflow.to_string()}]
        })),
    }
}

#[test]
fn hostile_names_are_text_on_the_page_and_in_mermaid() {
    let names = [
        "</script><script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)> 'single' & `tick` |pipe| #35; ]] --> x",
        "invoice\u{202e}gpj.exe\nline",
    ];
    let workflow = "<b>wf</b>\u{2066}\"";
    let profile = Profile::secmaster();
    let (left, right) = (
        hostile_workflow(workflow, names, "60"),
        hostile_workflow(workflow, names, "90"),
    );
    let options = fixture_options();
    let mut report = diff(
        vec![Entry::Loaded(profile.normalize(&left))],
        vec![Entry::Loaded(profile.normalize(&right))],
        &profile,
        &options,
    )
    .unwrap();
    draw_documents(&mut report, vec![left], vec![right], &profile);
    let canvas = report.workflows[0].canvas.as_ref().unwrap();
    assert!(canvas.has_mark(Some(Mark::Changed)));

    let html = page(&report);
    assert_eq!(html.matches("<script").count(), 1, "only ours");
    assert!(!html.contains("<img") && !html.contains("<b>wf"));
    for c in ['\u{202e}', '\u{2066}', '\n'] {
        assert!(
            !html
                .lines()
                .any(|line| line.contains("data-name") && line.contains(c)),
            "{c:?}"
        );
    }
    assert!(html.contains("data-name=\"&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""));
    assert!(html.contains("invoice\\u{202e}gpj.exe\\nline"));

    let markdown = soc_diff::render(&CheckReport::single(report), Format::Markdown, &PLAIN);
    let start = markdown.find("```mermaid\n").unwrap() + "```mermaid\n".len();
    let mermaid = &markdown[start..start + markdown[start..].find("```").unwrap()];
    for line in mermaid.lines().filter(|l| l.contains('"')) {
        // Each label is one quoted string: two quotes per node, four per labelled flow.
        assert!(matches!(line.matches('"').count(), 2 | 4), "{line}");
    }
    assert!(!mermaid.contains('<') && !mermaid.contains('`') && !mermaid.contains('\u{202e}'));
}

/// A generated pair, every workflow drifted, diffed and drawn.
fn generated_report(workflows: usize, nodes_per_workflow: usize) -> Report {
    let generated = generate_with_mutations(&GenerateOptions {
        workflows,
        nodes_per_workflow,
        seed: 3,
        drift_rate: 1.0,
    });
    let profile = Profile::secmaster();
    let docs = |ws: &soc_sim::Workspace| -> Vec<Document> {
        ws.workflows
            .iter()
            .flat_map(|wf| {
                let bytes = wf.export_bytes().unwrap();
                soc_diff::decode_export(&format!("{}.json", wf.info.id), &bytes, &profile).unwrap()
            })
            .collect()
    };
    let (left, right) = (docs(&generated.base), docs(&generated.drifted));
    let entries = |docs: &[Document]| -> Vec<Entry> {
        docs.iter()
            .map(|d| Entry::Loaded(profile.normalize(d)))
            .collect()
    };
    let mut report = diff(
        entries(&left),
        entries(&right),
        &profile,
        &fixture_options(),
    )
    .unwrap();
    draw_documents(&mut report, left, right, &profile);
    report
}

fn mermaid_blocks(markdown: &str) -> Vec<&str> {
    markdown
        .split("```mermaid\n")
        .skip(1)
        .map(|block| &block[..block.find("```").unwrap()])
        .collect()
}

#[test]
fn many_drifted_workflows_stay_within_the_comment_limit() {
    let report = generated_report(60, 16);
    let markdown = soc_diff::render(&CheckReport::single(report), Format::Markdown, &PLAIN);
    assert!(markdown.chars().count() < 65_536, "{}", markdown.len());
    assert!(
        markdown.contains("To stay within GitHub's comment size limit"),
        "the budget was reached: {}",
        markdown.len()
    );
    assert!(!mermaid_blocks(&markdown).is_empty());
}

#[test]
fn graphs_of_200_nodes_are_cut_in_markdown_and_drawn_whole_on_the_page() {
    let report = generated_report(4, 200);
    let modified: Vec<_> = report
        .workflows
        .iter()
        .filter(|w| w.status == WorkflowStatus::Modified && w.graph.is_some())
        .collect();
    assert!(!modified.is_empty());
    let markdown = soc_diff::render(
        &CheckReport::single(report.clone()),
        Format::Markdown,
        &PLAIN,
    );
    let blocks = mermaid_blocks(&markdown);
    assert_eq!(blocks.len(), modified.len());
    assert!(markdown.contains("the diagram has 20"), "{markdown}");
    for graph in blocks {
        let nodes = graph
            .lines()
            .filter(|l| {
                l.trim_start().starts_with('n')
                    && l.contains("\"")
                    && !l.contains("--")
                    && !l.contains("==")
            })
            .count();
        assert!((1..=60).contains(&nodes), "{graph}");
    }
    // Every node of the drawn workflows is on the page, with the console's coordinates.
    let html = page(&report);
    let drawn = html.matches("data-node-id=").count();
    let expected: usize = report
        .workflows
        .iter()
        .filter_map(|w| w.canvas.as_ref())
        .flat_map(|c| c.diagrams())
        .map(|(_, d)| d.nodes.len())
        .sum();
    assert!(expected > 190 * 2 * modified.len(), "{expected}");
    assert_eq!(drawn, expected);
    assert!(!html.contains("class=\"auto-layout\""));
}
