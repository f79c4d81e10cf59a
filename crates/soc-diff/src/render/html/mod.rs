//! The review page (`-o html`): one self-contained HTML file that draws each changed workflow's
//! canvas from its diagram coordinates, left and right side by side, with what changed marked,
//! and lists the changes under each canvas, linked to the nodes.
//!
//! Self-contained means: no external URL of any kind (no script, style sheet, font, image or
//! link to fetch), so the page works opened from disk, offline, and as a CI artifact. Its
//! Content-Security-Policy says so too (`default-src 'none'`; the one inline style sheet and the
//! one inline script allowed by their SHA-256), so even a name that got through escaping could
//! neither load nor run anything.
//!
//! Every string from the data goes through [`esc`]: [`printable`] (control and bidirectional
//! characters spelled out), then HTML escaping of `<`, `>`, `&`, `"` and `'`, in text and in
//! attribute values alike (attributes are always double-quoted). Element ids are made from
//! positions, never from data.

mod layout;
mod svg;

use std::collections::HashMap;
use std::fmt::Write as _;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::{
    IDS_ONLY, RenderOptions, acceptance_text, active_line, by_class, change_classes, class_meaning,
    counts, diff_lines, error_facts, graph_lines, marker, pair_counts, plural, short_value,
    shows_text_diff, version_line, workflow_remark,
};
use crate::report::{
    Canvas, Change, ChangeKind, CheckReport, CheckStatus, Diagram, FlowChangeKind, GraphSummary,
    Mark, NodeChangeKind, PairError, PairReport, Report, Side, WorkflowReport, WorkflowStatus,
    printable,
};
use soc_normalize::Kind;
use soc_normalize::address::{Address, Step, element_identity};

const CSS: &str = include_str!("page.css");
/// Diagrams wider than this (in the console's units) and flat are shown one above the other.
const WIDE: f64 = 1600.0;
const JS: &str = include_str!("page.js");

/// Text and attribute values from the data, made inert (see the module docs).
pub(super) fn esc(text: &str) -> String {
    quick_xml::escape::escape(printable(text).as_ref()).into_owned()
}

/// `'sha256-…'` of an inline element's text, for the Content-Security-Policy.
fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

pub(super) fn render(report: &CheckReport, options: &RenderOptions) -> String {
    let mut page = String::with_capacity(64 * 1024);
    let verdict = verdict(report.status);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src {}; \
         script-src {}; img-src data:; base-uri 'none'; form-action 'none'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"socdrift\">\n\
         <title>socdrift review: {verdict}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        csp_hash(CSS),
        csp_hash(JS)
    );
    defs(&mut page);
    header(&mut page, report, verdict);
    page.push_str("<main>\n");
    // Errors first, then drift, then the pairs without drift, as in the Markdown report.
    let mut ordered: Vec<(usize, &PairReport)> = report.pairs.iter().enumerate().collect();
    ordered.sort_by_key(|(_, pair)| std::cmp::Reverse(pair.status()));
    if ordered.len() > 1 {
        toc(&mut page, &ordered);
    }
    for (index, pair) in ordered {
        let prefix = format!("p{index}");
        match pair {
            PairReport::Failed(failure) => {
                let _ = writeln!(
                    page,
                    "<section class=\"pair\" id=\"{prefix}\" data-status=\"error\">\n\
                     <h2>{} → {} <span class=\"verdict error\">Error</span></h2>\n\
                     <div class=\"error-box\" role=\"alert\"><b>Could not be compared:</b> ",
                    esc(&failure.left),
                    esc(&failure.right)
                );
                error_text(&mut page, &failure.error);
                page.push_str("</div>\n</section>\n");
            }
            PairReport::Compared(compared) => {
                pair_section(&mut page, compared, &prefix, options);
            }
        }
    }
    page.push_str(
        "</main>\n<footer>Written by socdrift. This page loads nothing from the network; \
                   the JSON report (<code>-o json</code>) holds every value in full.</footer>\n",
    );
    let _ = write!(page, "<script>{JS}</script>\n</body>\n</html>\n");
    page
}

/// The page's header: the run's verdict, when it started and what it was limited to, and the
/// error that failed the run as a whole, if any.
fn header(page: &mut String, report: &CheckReport, verdict: &str) {
    let _ = writeln!(
        page,
        "<header>\n<h1>socdrift review <span class=\"verdict {}\">{verdict}</span></h1>\n\
         <p class=\"meta\">{}</p>",
        report.status.as_str(),
        esc(&pair_counts(report))
    );
    let mut meta = Vec::new();
    if let Some(started) = &report.started_at {
        meta.push(format!("started {}", esc(started)));
    }
    if !report.filters.is_empty() {
        let list = |globs: &[String]| {
            globs
                .iter()
                .map(|g| format!("<code>{}</code>", esc(g)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !report.filters.workflow.is_empty() {
            meta.push(format!("workflows {}", list(&report.filters.workflow)));
        }
        if !report.filters.playbook.is_empty() {
            meta.push(format!("playbooks {}", list(&report.filters.playbook)));
        }
        if !report.filters.exclude.is_empty() {
            meta.push(format!("excluding {}", list(&report.filters.exclude)));
        }
    }
    if !meta.is_empty() {
        let _ = writeln!(page, "<p class=\"meta\">{}</p>", meta.join(" · "));
    }
    page.push_str("</header>\n");
    if let Some(error) = &report.error {
        page.push_str("<div class=\"error-box\" role=\"alert\"><b>The run failed:</b> ");
        error_text(page, error);
        page.push_str("</div>\n");
    }
}

fn verdict(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::NoDrift => "No drift",
        CheckStatus::Drift => "Drift",
        CheckStatus::Error => "Error",
    }
}

/// Arrow heads and the hatching of removed nodes, referenced by every canvas of the page.
fn defs(page: &mut String) {
    page.push_str(
        "<svg class=\"defs\" width=\"0\" height=\"0\" aria-hidden=\"true\" focusable=\"false\">\n<defs>\n",
    );
    for (id, colour) in [
        ("arrow", "#4b5563"),
        ("arrow-added", "#1a7f37"),
        ("arrow-removed", "#cf222e"),
        ("arrow-changed", "#9a6700"),
    ] {
        let _ = writeln!(
            page,
            "<marker id=\"{id}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" \
             markerHeight=\"8\" markerUnits=\"userSpaceOnUse\" orient=\"auto-start-reverse\">\
             <path d=\"M0 0 L10 5 L0 10 Z\" fill=\"{colour}\"/></marker>"
        );
    }
    page.push_str(
        "<pattern id=\"hatch-removed\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" fill=\"#ffebe9\"/>\
         <line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#cf222e\" stroke-opacity=\"0.35\" \
         stroke-width=\"3\"/></pattern>\n</defs>\n</svg>\n",
    );
}

fn toc(page: &mut String, ordered: &[(usize, &PairReport)]) {
    page.push_str("<nav class=\"toc\"><b>Pairs</b><ul>\n");
    for (index, pair) in ordered {
        let _ = writeln!(
            page,
            "<li><a href=\"#p{index}\">{} → {}</a>: {}</li>",
            esc(pair.left()),
            esc(pair.right()),
            pair.status().as_str().replace('_', " ")
        );
    }
    page.push_str("</ul></nav>\n");
}

fn error_text(page: &mut String, error: &PairError) {
    page.push_str(&esc(&error.message));
    for hint in &error.hints {
        let _ = write!(page, "<br>hint: {}", esc(hint));
    }
    let facts: Vec<String> = error_facts(error)
        .into_iter()
        .map(|(label, value)| format!("{label} <code>{}</code>", esc(&value)))
        .collect();
    if !facts.is_empty() {
        let _ = write!(page, "<br>{}", facts.join(", "));
    }
}

/// One compared pair: its verdict, the table of workflows, then a section per workflow.
fn pair_section(page: &mut String, report: &Report, prefix: &str, options: &RenderOptions) {
    let status = if report.has_drift() {
        "drift"
    } else {
        "no_drift"
    };
    let base = report
        .base
        .as_deref()
        .map(|base| format!(" <small>(base {})</small>", esc(base)))
        .unwrap_or_default();
    let _ = writeln!(
        page,
        "<section class=\"pair\" id=\"{prefix}\" data-status=\"{status}\">\n\
         <h2>{} → {}{base} <span class=\"verdict {status}\">{}</span></h2>\n<p>{}</p>",
        esc(&report.left),
        esc(&report.right),
        if report.has_drift() {
            "Drift"
        } else {
            "No drift"
        },
        esc(&counts(report))
    );
    let kinds: Vec<Kind> = if report.has_playbooks() {
        Kind::ALL.to_vec()
    } else {
        vec![Kind::Workflow]
    };
    let listed: Vec<(Kind, Vec<(usize, &WorkflowReport)>)> = kinds
        .into_iter()
        .map(|kind| (kind, listed(report, kind)))
        .collect();
    let nothing_listed = listed.iter().all(|(_, members)| members.is_empty());
    if nothing_listed && report.not_compared.is_empty() {
        page.push_str("<p>No differences.</p>\n</section>\n");
        return;
    }
    for (kind, members) in &listed {
        kind_table(page, report, *kind, members, prefix, options);
    }
    if report.base.is_some() {
        page.push_str("<ul class=\"classes\">\n");
        for class in crate::report::ChangeClass::ALL.into_iter().rev() {
            let _ = writeln!(
                page,
                "<li><b>{}</b>: {}</li>",
                class.as_str(),
                esc(&class_meaning(class, report))
            );
        }
        page.push_str("</ul>\n");
    }
    if !options.stat_only {
        for (kind, members) in listed {
            for (index, wf) in members {
                workflow_section(page, report, (kind, wf), &anchor(prefix, kind, index));
            }
        }
    }
    page.push_str("</section>\n");
}

/// The anchor of one workflow's or playbook's section.
fn anchor(prefix: &str, kind: Kind, index: usize) -> String {
    match kind {
        Kind::Workflow => format!("{prefix}-w{index}"),
        Kind::Playbook => format!("{prefix}-p{index}"),
    }
}

/// The table of one kind's differences (headed by the kind when the report speaks of
/// playbooks), or why that kind was not compared.
fn kind_table(
    page: &mut String,
    report: &Report,
    kind: Kind,
    listed: &[(usize, &WorkflowReport)],
    prefix: &str,
    options: &RenderOptions,
) {
    if report.has_playbooks() {
        let _ = writeln!(page, "<h3 class=\"kind\">{}</h3>", kind.heading());
    }
    if let Some(reason) = report.not_compared(kind) {
        let _ = writeln!(page, "<p>Not compared: {}</p>", esc(reason));
        return;
    }
    if listed.is_empty() {
        page.push_str("<p>No differences.</p>\n");
        return;
    }
    let three_way = report.base.is_some();
    let column = match kind {
        Kind::Workflow => "Workflow",
        Kind::Playbook => "Playbook",
    };
    let _ = write!(
        page,
        "<table class=\"workflows\" data-kind=\"{}\">\n<thead><tr><th></th><th>{column}</th>",
        kind.as_str()
    );
    if three_way {
        page.push_str("<th>Class</th>");
    }
    page.push_str("<th>Status</th><th>Changes</th><th>Drift</th></tr></thead>\n<tbody>\n");
    for &(index, wf) in listed {
        let name = match (&wf.previous_name, wf.status) {
            (Some(previous), _) => format!("{} → {}", esc(previous), esc(&wf.name)),
            _ => esc(&wf.name),
        };
        let link = if options.stat_only {
            name
        } else {
            format!("<a href=\"#{}\">{name}</a>", anchor(prefix, kind, index))
        };
        let _ = write!(
            page,
            "<tr><td class=\"marker\">{}</td><td>{link}</td>",
            marker(wf.status)
        );
        if three_way {
            let _ = write!(
                page,
                "<td>{}</td>",
                wf.class.map(|c| c.as_str()).unwrap_or_default()
            );
        }
        let changes = match change_classes(wf) {
            Some(classes) => format!("{} ({classes})", wf.changes.len()),
            None if wf.changes.is_empty() => String::new(),
            None => wf.changes.len().to_string(),
        };
        let _ = writeln!(
            page,
            "<td>{}</td><td>{changes}</td><td>{}</td></tr>",
            status_words(wf),
            drift_words(wf)
        );
    }
    page.push_str("</tbody>\n</table>\n");
}

/// One kind's outcomes worth a section, with their position in the report (for stable
/// anchors); in a three-way report grouped by class, the most severe first.
fn listed(report: &Report, kind: Kind) -> Vec<(usize, &WorkflowReport)> {
    let all = report.of_kind(kind);
    let listed: Vec<&WorkflowReport> = all
        .iter()
        .filter(|wf| wf.differs() || wf.layout_changed || !wf.notes.is_empty())
        .collect();
    let ordered: Vec<&WorkflowReport> = if report.base.is_none() {
        listed
    } else {
        by_class(&listed)
            .into_iter()
            .flat_map(|(_, members)| members)
            .collect()
    };
    ordered
        .into_iter()
        .map(|wf| {
            let index = all
                .iter()
                .position(|w| std::ptr::eq(w, wf))
                .unwrap_or_default();
            (index, wf)
        })
        .collect()
}

fn status_words(wf: &WorkflowReport) -> &'static str {
    match wf.status {
        WorkflowStatus::Unchanged if wf.layout_changed => "layout only",
        status => status.as_str(),
    }
}

fn drift_words(wf: &WorkflowReport) -> &'static str {
    if wf.drift {
        "<b>yes</b>"
    } else if wf.is_accepted() {
        "accepted"
    } else {
        "no"
    }
}

/// Where the nodes and flows of a workflow's canvases are, by id, for links.
struct Anchors {
    prefix: String,
    nodes: [HashMap<String, usize>; 2],
    flows: [HashMap<String, usize>; 2],
    /// The address step of each node (`/serviceTask[Activity_1]`), for linking changes.
    steps: Vec<(String, Side, usize)>,
}

impl Anchors {
    fn new(canvas: Option<&Canvas>, prefix: &str) -> Self {
        let mut anchors = Self {
            prefix: prefix.to_owned(),
            nodes: [HashMap::new(), HashMap::new()],
            flows: [HashMap::new(), HashMap::new()],
            steps: Vec::new(),
        };
        for (side, diagram) in canvas.into_iter().flat_map(Canvas::diagrams) {
            let slot = side_slot(side);
            for (i, node) in diagram.nodes.iter().enumerate() {
                anchors.nodes[slot].insert(node.id.clone(), i);
                let step = Address::from(vec![
                    Step::Key(node.kind.clone()),
                    Step::Item(element_identity(&node.kind, &node.id)),
                ])
                .to_string();
                anchors.steps.push((step, side, i));
            }
            for (i, flow) in diagram.flows.iter().enumerate() {
                anchors.flows[slot].insert(flow.id.clone(), i);
                let step = Address::from(vec![
                    Step::Key(flow.kind.clone()),
                    Step::Item(element_identity(&flow.kind, &flow.id)),
                ])
                .to_string();
                anchors.steps.push((format!("{step}\u{0}flow"), side, i));
            }
        }
        anchors
    }

    fn node(&self, side: Side, id: &str) -> Option<String> {
        self.nodes[side_slot(side)]
            .get(id)
            .map(|&i| svg::node_anchor(&self.prefix, side, i))
    }

    fn flow(&self, side: Side, id: &str) -> Option<String> {
        self.flows[side_slot(side)]
            .get(id)
            .map(|&i| svg::flow_anchor(&self.prefix, side, i))
    }

    /// The drawn elements a change is inside: its address names a node or flow of the active
    /// version's taskflow.
    fn of_change(&self, change: &Change) -> Vec<String> {
        let Some(rest) = change
            .path
            .strip_prefix("/versions[@active]/taskflow")
            .or_else(|| change.path.strip_prefix("/taskflow"))
        else {
            return Vec::new();
        };
        let mut found = Vec::new();
        for (step, side, i) in &self.steps {
            let (step, is_flow) = match step.strip_suffix("\u{0}flow") {
                Some(step) => (step, true),
                None => (step.as_str(), false),
            };
            let inside = rest
                .strip_prefix(step)
                .is_some_and(|after| after.is_empty() || after.starts_with('/'));
            if inside {
                found.push(if is_flow {
                    svg::flow_anchor(&self.prefix, *side, *i)
                } else {
                    svg::node_anchor(&self.prefix, *side, *i)
                });
            }
        }
        found
    }
}

fn side_slot(side: Side) -> usize {
    match side {
        Side::Left => 0,
        Side::Right => 1,
    }
}

/// A link to drawn elements (or plain text when none is drawn).
fn linked(text: &str, targets: &[String]) -> String {
    match targets.first() {
        Some(first) => format!(
            "<a href=\"#{first}\" data-targets=\"{}\">{text}</a>",
            targets.join(" ")
        ),
        None => text.to_owned(),
    }
}

/// A section's opening tag, with the `data-*` attributes a reader's script looks for, and its
/// heading.
fn section_open(page: &mut String, (kind, wf): (Kind, &WorkflowReport), prefix: &str) {
    let _ = write!(
        page,
        "<section class=\"workflow\" id=\"{prefix}\" data-workflow=\"{}\" data-status=\"{}\"",
        esc(&wf.name),
        wf.status.as_str()
    );
    if kind == Kind::Playbook {
        page.push_str(" data-kind=\"playbook\"");
    }
    if wf.layout_changed {
        page.push_str(" data-layout-changed=\"true\"");
    }
    if let Some(class) = wf.class {
        let _ = write!(page, " data-class=\"{}\"", class.as_str());
    }
    let remark = workflow_remark(wf)
        .map(|r| format!(" <span class=\"remark\">({})</span>", esc(&r)))
        .unwrap_or_default();
    let title = match &wf.previous_name {
        Some(previous) => format!("{} → {}", esc(previous), esc(&wf.name)),
        None => esc(&wf.name),
    };
    let _ = writeln!(
        page,
        ">\n<h3><span class=\"marker\">{}</span> {title}{remark}</h3>",
        marker(wf.status)
    );
}

/// The section of one workflow or playbook (a playbook's says `data-kind="playbook"`).
fn workflow_section(
    page: &mut String,
    report: &Report,
    (kind, wf): (Kind, &WorkflowReport),
    prefix: &str,
) {
    section_open(page, (kind, wf), prefix);
    if !wf.notes.is_empty() {
        page.push_str("<ul class=\"notes\">\n");
        for note in &wf.notes {
            let _ = writeln!(page, "<li>note: {}</li>", esc(note));
        }
        page.push_str("</ul>\n");
    }
    if let Some(active) = active_line(wf, report) {
        let _ = writeln!(page, "<p>{}</p>", esc(&active));
    }
    let anchors = Anchors::new(wf.canvas.as_ref(), prefix);
    canvases(page, report, wf, prefix);
    if let Some(graph) = &wf.graph {
        graph_list(page, graph, &anchors);
    }
    if !wf.changes.is_empty() {
        change_table(page, report, wf, &anchors);
    }
    if !wf.versions.is_empty() {
        page.push_str(
            "<h4>Other versions</h4>\n<p>They do not run, so they are not drift.</p>\n<ul>\n",
        );
        for version in &wf.versions {
            let _ = writeln!(page, "<li>{}</li>", esc(&version_line(version, report)));
        }
        page.push_str("</ul>\n");
    }
    if let Some(diff) = wf.text_diff.as_ref().filter(|_| shows_text_diff(wf)) {
        page.push_str("<details class=\"diff\"><summary>Unified diff of the canonical texts</summary>\n<pre class=\"diff\">");
        for line in diff_lines(diff) {
            let class = if line.starts_with("+++") || line.starts_with("---") {
                ""
            } else if line.starts_with('+') {
                "add"
            } else if line.starts_with('-') {
                "del"
            } else if line.starts_with("@@") {
                "hunk"
            } else {
                ""
            };
            if class.is_empty() {
                let _ = writeln!(page, "{}", esc(&line));
            } else {
                let _ = writeln!(page, "<span class=\"{class}\">{}</span>", esc(&line));
            }
        }
        page.push_str("</pre></details>\n");
    }
    page.push_str("</section>\n");
}

/// The canvases of a workflow, side by side, with the legend and what the drawing cannot show.
fn canvases(page: &mut String, report: &Report, wf: &WorkflowReport, prefix: &str) {
    let Some(canvas) = &wf.canvas else {
        if wf.graph.is_some() {
            page.push_str(
                "<p class=\"meta\">Not drawn: this report was rendered without the workflows' \
                 documents.</p>\n",
            );
        } else if wf.status == WorkflowStatus::Renamed {
            page.push_str("<p class=\"meta\">The same content under another name.</p>\n");
        }
        return;
    };
    let labels = [&report.left, &report.right];
    let diagrams: Vec<(Side, &Diagram)> = canvas.diagrams().collect();
    let placed: Vec<layout::Placed<'_>> = diagrams.iter().map(|(_, d)| layout::place(d)).collect();
    if !diagrams.is_empty() {
        // A long, flat diagram gets the page's whole width; side by side it would be a line.
        let wide = placed
            .iter()
            .any(|p| p.view.width > WIDE && p.view.width > 3.0 * p.view.height);
        page.push_str(if wide {
            "<div class=\"canvases stacked\">\n"
        } else {
            "<div class=\"canvases\">\n"
        });
        for ((side, diagram), placed) in diagrams.iter().zip(&placed) {
            let label = labels[side_slot(*side)];
            figure(page, wf, (*side, label), diagram, placed, prefix);
        }
        page.push_str("</div>\n");
        legend(page, report, canvas);
    }
    let mut notes: Vec<String> = canvas.notes.clone();
    let moved = canvas.moved();
    if wf.status == WorkflowStatus::Modified && !canvas.has_mark(None) && diagrams.len() == 2 {
        notes.push(
            "no node or flow of the diagram differs; the changes below are in the workflow's or \
             the version's settings"
                .to_owned(),
        );
    }
    if moved > 0 {
        notes.push(format!(
            "{} moved on the canvas (marked with a two-headed arrow): layout, never drift",
            plural(moved, "node")
        ));
    }
    if !notes.is_empty() {
        page.push_str("<ul class=\"notes\">\n");
        for note in notes {
            let _ = writeln!(page, "<li>{}</li>", esc(&note));
        }
        page.push_str("</ul>\n");
    }
}

/// One side's canvas in its figure: caption with zoom buttons, the drawing, and why it was laid
/// out automatically when it was.
fn figure(
    page: &mut String,
    wf: &WorkflowReport,
    (side, label): (Side, &str),
    diagram: &Diagram,
    placed: &layout::Placed<'_>,
    prefix: &str,
) {
    let version = diagram
        .version
        .as_deref()
        .map(|v| format!(" <span class=\"meta\">{}</span>", esc(v)))
        .unwrap_or_default();
    let _ = writeln!(
        page,
        "<figure class=\"canvas\" data-side=\"{}\">\n<figcaption><span class=\"side\">{}</span>{version}\
         <span class=\"zoom\"><button type=\"button\" data-zoom=\"out\" title=\"Zoom out\">−</button>\
         <button type=\"button\" data-zoom=\"fit\" title=\"Fit to width\">fit</button>\
         <button type=\"button\" data-zoom=\"actual\" title=\"Actual size\">1:1</button>\
         <button type=\"button\" data-zoom=\"in\" title=\"Zoom in\">+</button>\
         <output>fit</output></span></figcaption>\n<div class=\"viewport\">",
        side.as_str(),
        esc(label)
    );
    let title = format!("{} in {label}", wf.name);
    if diagram.nodes.is_empty() {
        page.push_str("<p class=\"meta\">The diagram has no nodes.</p>\n");
    } else {
        svg::diagram(page, diagram, placed, side, prefix, &title);
    }
    page.push_str("</div>\n");
    if let Some(why) = &diagram.automatic_layout {
        let _ = writeln!(
            page,
            "<p class=\"auto-layout\">No diagram coordinates ({}): drawn with an automatic layout.</p>",
            esc(why)
        );
    }
    page.push_str("</figure>\n");
}

/// What the marks mean, in words and shapes as well as colours.
fn legend(page: &mut String, report: &Report, canvas: &Canvas) {
    let mut items = Vec::new();
    for (mark, words) in [
        (Mark::Added, format!("added: only in {}", report.right)),
        (Mark::Removed, format!("removed: only in {}", report.left)),
        (
            Mark::Changed,
            "changed: renamed, rewired or other parameters".to_owned(),
        ),
    ] {
        if canvas.has_mark(Some(mark)) {
            items.push(format!(
                "<span><svg width=\"44\" height=\"22\" viewBox=\"-2 -9 44 22\" aria-hidden=\"true\">\
                 <g class=\"node task {m}\"><rect class=\"shape\" x=\"0\" y=\"0\" width=\"30\" height=\"12\" rx=\"3\"/>\
                 {badge}</g></svg>{}</span>",
                esc(&words),
                m = mark.as_str(),
                badge = legend_badge(mark),
            ));
        }
    }
    if canvas.moved() > 0 {
        items.push(
            "<span><svg width=\"44\" height=\"22\" viewBox=\"-10 -9 44 22\" aria-hidden=\"true\">\
             <g class=\"node task moved\"><rect class=\"shape\" x=\"0\" y=\"0\" width=\"30\" height=\"12\" rx=\"3\"/>\
             <g class=\"badge moved-badge\"><circle cx=\"0\" cy=\"0\" r=\"8\"/>\
             <path d=\"M-5 0 h10 M5 0 l-2.5 -2.5 M5 0 l-2.5 2.5 M-5 0 l2.5 -2.5 M-5 0 l2.5 2.5\"/></g>\
             </g></svg>moved on the canvas (not drift)</span>"
                .to_owned(),
        );
    }
    if !items.is_empty() {
        let _ = writeln!(
            page,
            "<div class=\"legend\"><b>Legend</b>{}</div>",
            items.join("")
        );
    }
}

fn legend_badge(mark: Mark) -> &'static str {
    match mark {
        Mark::Added => {
            "<g class=\"badge\"><circle cx=\"30\" cy=\"0\" r=\"8\"/><path d=\"M26 0 h8 M30 -4 v8\"/></g>"
        }
        Mark::Removed => {
            "<g class=\"badge\"><circle cx=\"30\" cy=\"0\" r=\"8\"/><path d=\"M26 0 h8\"/></g>"
        }
        Mark::Changed => {
            "<g class=\"badge\"><circle cx=\"30\" cy=\"0\" r=\"8\"/><path d=\"M26 1 q2 -4 4 0 t4 0\"/></g>"
        }
    }
}

/// The graph summary, each line linked to what it names on the canvases.
fn graph_list(page: &mut String, graph: &GraphSummary, anchors: &Anchors) {
    page.push_str("<h4>Graph</h4>\n");
    if graph.ids_only {
        let _ = writeln!(page, "<p>{}</p>", esc(IDS_ONLY));
        return;
    }
    page.push_str("<ul class=\"graph\">\n");
    let mut targets: Vec<Vec<String>> = Vec::new();
    for node in &graph.nodes {
        let mut found = Vec::new();
        if node.change != NodeChangeKind::Added {
            let left_id = node.previous_id.as_deref().unwrap_or(&node.id);
            found.extend(anchors.node(Side::Left, left_id));
        }
        if node.change != NodeChangeKind::Removed {
            found.extend(anchors.node(Side::Right, &node.id));
        }
        targets.push(found);
    }
    for flow in &graph.flows {
        let mut found = Vec::new();
        if flow.change != FlowChangeKind::Added {
            found.extend(anchors.flow(Side::Left, &flow.id));
        }
        if flow.change != FlowChangeKind::Removed {
            found.extend(anchors.flow(Side::Right, &flow.id));
        }
        targets.push(found);
    }
    for (line, targets) in graph_lines(graph).into_iter().zip(targets) {
        let (class, sign) = match line.sign {
            '+' => ("added", "+"),
            '-' => ("removed", "−"),
            _ => ("changed", "~"),
        };
        let params = if line.params.is_empty() {
            String::new()
        } else {
            format!(
                ": <span class=\"params\">{}</span>",
                line.params
                    .iter()
                    .map(|p| format!("<code>{}</code>", esc(p)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let _ = writeln!(
            page,
            "<li><span class=\"sign {class}\">{sign}</span> {}{params}</li>",
            linked(&esc(&line.head), &targets)
        );
    }
    page.push_str("</ul>\n");
}

/// The changes as a table, each row linked to the node or flow it is in.
fn change_table(page: &mut String, report: &Report, wf: &WorkflowReport, anchors: &Anchors) {
    let with_class = wf.changes.iter().any(|c| c.class.is_some());
    let with_acceptance = wf.changes.iter().any(|c| c.accepted.is_some());
    page.push_str("<h4>Changes</h4>\n<table class=\"changes\">\n<thead><tr><th></th>");
    if with_class {
        page.push_str("<th>Class</th>");
    }
    let _ = write!(
        page,
        "<th>Address</th><th>{}</th><th>{}</th>",
        esc(&report.left),
        esc(&report.right)
    );
    if with_class {
        let _ = write!(
            page,
            "<th>{}</th>",
            esc(report.base.as_deref().unwrap_or("base"))
        );
    }
    if with_acceptance {
        page.push_str("<th>Accepted</th>");
    }
    page.push_str("</tr></thead>\n<tbody>\n");
    for change in &wf.changes {
        let columns = Columns {
            class: with_class,
            acceptance: with_acceptance,
        };
        change_row(page, change, anchors, columns);
    }
    page.push_str("</tbody>\n</table>\n");
}

/// The optional columns of a change table.
#[derive(Clone, Copy)]
struct Columns {
    /// The three-way class and the base's value.
    class: bool,
    /// Why a change is accepted.
    acceptance: bool,
}

/// One change as a table row: sign, class, address (linked to what it is in), the values, and
/// its acceptance; the optional columns only when the table has them.
fn change_row(page: &mut String, change: &Change, anchors: &Anchors, columns: Columns) {
    let (class, sign) = match change.kind {
        ChangeKind::Added => ("added", "+"),
        ChangeKind::Removed => ("removed", "−"),
        ChangeKind::Changed => ("changed", "~"),
    };
    let row_class = if change.accepted.is_some() {
        " class=\"accepted\""
    } else {
        ""
    };
    let _ = write!(
        page,
        "<tr{row_class}><td class=\"sign {class}\">{sign}</td>"
    );
    if columns.class {
        let _ = write!(
            page,
            "<td>{}</td>",
            change.class.map(|c| c.as_str()).unwrap_or_default()
        );
    }
    let mut location = format!("<code>{}</code>", esc(&change.path));
    if let Some(context) = &change.context {
        let _ = write!(
            location,
            "<br>{}",
            linked(&esc(context), &anchors.of_change(change))
        );
    }
    let value = |v: Option<&serde_json::Value>| {
        v.map(|v| format!("<code>{}</code>", esc(&short_value(v))))
            .unwrap_or_default()
    };
    let _ = write!(
        page,
        "<td class=\"path\">{location}</td><td class=\"value\">{}</td><td class=\"value\">{}</td>",
        value(change.left.as_ref()),
        value(change.right.as_ref())
    );
    if columns.class {
        let _ = write!(
            page,
            "<td class=\"value\">{}</td>",
            value(change.base.as_ref())
        );
    }
    if columns.acceptance {
        let accepted = change
            .accepted
            .as_ref()
            .map(|a| esc(&acceptance_text(a)))
            .unwrap_or_default();
        let _ = write!(page, "<td>{accepted}</td>");
    }
    page.push_str("</tr>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_makes_names_inert_in_text_and_attributes() {
        assert_eq!(
            esc("<script>alert(\"x\")</script> & 'y'"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &apos;y&apos;"
        );
        assert_eq!(esc("invoice\u{202e}gpj.exe"), "invoice\\u{202e}gpj.exe");
        assert_eq!(esc("a\nb"), "a\\nb");
    }

    proptest::proptest! {
        #[test]
        fn no_text_can_open_a_tag_end_an_attribute_or_reorder_a_line(text in "\\PC*|.*[<>&\"'\u{202e}\u{2066}\n].*") {
            let escaped = esc(&text);
            proptest::prop_assert!(!escaped.contains(['<', '>', '"', '\'']));
            proptest::prop_assert!(!escaped.chars().any(soc_text::is_unsafe));
            // Every `&` starts an entity this function wrote.
            for (i, _) in escaped.match_indices('&') {
                let rest = &escaped[i..];
                proptest::prop_assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].iter().any(|e| rest.starts_with(e)),
                    "{}", rest
                );
            }
        }
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_style_and_script() {
        let page = render(&CheckReport::new(Vec::new()), &RenderOptions::default());
        assert!(page.contains(&format!("style-src {};", csp_hash(CSS))));
        assert!(page.contains(&format!("script-src {};", csp_hash(JS))));
        assert!(page.contains(&format!("<style>{CSS}</style>")));
        assert!(page.contains(&format!("<script>{JS}</script>")));
        assert_eq!(page.matches("<script").count(), 1);
        assert!(!page.contains("http:") && !page.contains("https:"));
    }
}
