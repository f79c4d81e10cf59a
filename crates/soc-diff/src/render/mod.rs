//! Formatting a finished [`CheckReport`] for people and machines.
//!
//! Renderers only format: every decision (what changed, what is drift, what is accepted, which
//! pair failed) is already in the report, so all formats always agree with each other and with the
//! exit code. Every string from the data goes through [`printable`] before it is shown.

mod github;
mod html;
mod json;
mod junit;
mod markdown;
mod mermaid;
mod text;

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

pub use github::{AnnotationOptions, github_annotations};

use crate::report::{
    Change, ChangeClass, ChangeKind, CheckReport, CheckStatus, ClassCounts, FlowChangeKind,
    GraphSummary, NodeChangeKind, PairError, ParamChange, Report, VersionReport, WorkflowReport,
    WorkflowStatus, printable,
};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// Git-like text for terminals (coloured on request).
    #[default]
    Text,
    /// The report's JSON form (see `docs/report-schema.md`), pretty-printed.
    Json,
    /// Markdown for pull-request comments and GitHub step summaries.
    Markdown,
    /// JUnit XML, one test case per workflow, for CI test reports.
    Junit,
    /// The review page: one self-contained HTML file that draws each changed workflow's canvas
    /// (see [`crate::canvas`] for what it needs drawn first).
    Html,
}

impl Format {
    /// Every format, in the order help texts list them.
    pub const ALL: [Format; 5] = [
        Format::Text,
        Format::Json,
        Format::Markdown,
        Format::Junit,
        Format::Html,
    ];

    /// Whether the format draws workflows, so its report wants [`crate::canvas::draw`] first.
    pub fn draws(self) -> bool {
        matches!(self, Self::Markdown | Self::Html)
    }

    /// The name `FromStr` accepts and `Display` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Json => "json",
            Self::Markdown => "markdown",
            Self::Junit => "junit",
            Self::Html => "html",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format name that is not one of [`Format::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown report format {0:?}; expected one of text, json, markdown (or md), junit, html")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "text" | "txt" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            "markdown" | "md" => Ok(Self::Markdown),
            "junit" | "xml" => Ok(Self::Junit),
            "html" | "htm" => Ok(Self::Html),
            _ => Err(UnknownFormat(s.to_owned())),
        }
    }
}

/// How to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RenderOptions {
    /// ANSI colours (text format only). The caller decides: a terminal, and `NO_COLOR` unset.
    pub color: bool,
    /// Only the summary: no per-change lines and no unified diffs.
    pub stat_only: bool,
}

/// Formats `report` as `format`: one document covering every pair.
pub fn render(report: &CheckReport, format: Format, options: &RenderOptions) -> String {
    match format {
        Format::Text => text::render(report, options),
        Format::Json => json::render(report, options),
        Format::Markdown => markdown::render(report, options),
        Format::Junit => junit::render(report, options),
        Format::Html => html::render(report, options),
    }
}

/// Values longer than this many characters are shortened in change lines (the unified diff shows
/// them in full).
const MAX_VALUE_CHARS: usize = 80;

/// A value as compact JSON, shortened to [`MAX_VALUE_CHARS`] with a trailing `…`, made printable
/// (JSON escapes control characters but not bidirectional overrides).
fn short_value(value: &Value) -> String {
    printable(&shorten(&value.to_string(), MAX_VALUE_CHARS)).into_owned()
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A BPMN tag in words, for a node without a name: `serviceTask` -> `service task`.
fn kind_words(kind: &str) -> String {
    let mut out = String::with_capacity(kind.len() + 4);
    for c in kind.chars() {
        if c.is_uppercase() {
            out.push(' ');
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The one-letter status marker of git-like output.
fn marker(status: WorkflowStatus) -> char {
    match status {
        WorkflowStatus::Added => 'A',
        WorkflowStatus::Removed => 'D',
        WorkflowStatus::Modified => 'M',
        WorkflowStatus::Renamed => 'R',
        WorkflowStatus::Unchanged => '=',
    }
}

/// `"1 change"`, `"3 changes"`.
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The counts line shared by the text and Markdown summaries: the three-way classes first when
/// there are any, then per kind when the report speaks of playbooks (`workflows: 2 modified, …;
/// playbooks: 1 modified, …`), else the workflows' alone.
fn counts(report: &Report) -> String {
    let mut out = match &report.summary.classes {
        Some(classes) => format!("{}; ", class_counts(classes)),
        None => String::new(),
    };
    if !report.has_playbooks() {
        out.push_str(&kind_counts(&report.summary.workflows));
        return out;
    }
    let of =
        |kind: crate::kind::Kind, counts: &crate::report::Counts| match report.not_compared(kind) {
            Some(_) => format!("{}: not compared", kind.plural()),
            None => format!("{}: {}", kind.plural(), kind_counts(counts)),
        };
    out.push_str(&format!(
        "{}; {}",
        of(crate::kind::Kind::Workflow, &report.summary.workflows),
        of(crate::kind::Kind::Playbook, &report.summary.playbooks)
    ));
    out
}

fn kind_counts(s: &crate::report::Counts) -> String {
    let mut out = format!(
        "{} modified, {} added, {} removed, {} renamed, {} unchanged",
        s.modified, s.added, s.removed, s.renamed, s.unchanged
    );
    if s.layout_only > 0 {
        out.push_str(&format!(" ({} layout only)", s.layout_only));
    }
    if s.accepted > 0 {
        out.push_str(&format!(", {} accepted", s.accepted));
    }
    out
}

/// `2 conflict, 1 drift, 3 promote` (the most severe first, zero counts left out), or
/// `no differences`.
fn class_counts(counts: &ClassCounts) -> String {
    let parts: Vec<String> = [
        (counts.conflict, "conflict"),
        (counts.drift, "drift"),
        (counts.promote, "promote"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, word)| format!("{n} {word}"))
    .collect();
    if parts.is_empty() {
        "no differences".to_owned()
    } else {
        parts.join(", ")
    }
}

/// The classes of a workflow's changes, most severe first: `1 conflict, 1 promote`.
fn change_classes(wf: &WorkflowReport) -> Option<String> {
    let mut counts = ClassCounts::default();
    for class in wf.changes.iter().filter_map(|c| c.class) {
        match class {
            ChangeClass::Promote => counts.promote += 1,
            ChangeClass::Drift => counts.drift += 1,
            ChangeClass::Conflict => counts.conflict += 1,
        }
    }
    (counts != ClassCounts::default()).then(|| class_counts(&counts))
}

/// What a class means, for the heading of its group: `changed in production@live since
/// production@promoted; promoting staging@live would overwrite it`.
fn class_meaning(class: ChangeClass, report: &Report) -> String {
    let base = printable(report.base.as_deref().unwrap_or("the base"));
    let (left, right) = (printable(&report.left), printable(&report.right));
    match class {
        ChangeClass::Conflict => format!("changed on both sides since {base}, differently"),
        ChangeClass::Drift => {
            format!("changed in {right} since {base}; promoting {left} would overwrite it")
        }
        ChangeClass::Promote => format!("changed in {left} since {base}, ready to promote"),
    }
}

/// The workflows of a three-way report grouped by class, most severe first; workflows without
/// a class (unchanged, with a note or a moved node) last, under `None`.
fn by_class<'r>(
    workflows: &[&'r WorkflowReport],
) -> Vec<(Option<ChangeClass>, Vec<&'r WorkflowReport>)> {
    let mut groups = Vec::new();
    for class in ChangeClass::ALL.into_iter().rev().map(Some).chain([None]) {
        let members: Vec<_> = workflows
            .iter()
            .copied()
            .filter(|w| w.class == class)
            .collect();
        if !members.is_empty() {
            groups.push((class, members));
        }
    }
    groups
}

/// What a one-line summary of a workflow says after its name.
fn workflow_remark(wf: &WorkflowReport) -> Option<String> {
    let mut parts = Vec::new();
    if wf.status == WorkflowStatus::Modified && !wf.changes.is_empty() {
        let accepted = wf.changes.iter().filter(|c| c.accepted.is_some()).count();
        let mut part = plural(wf.changes.len(), "change");
        if let Some(classes) = change_classes(wf) {
            part.push_str(&format!(": {classes}"));
        }
        if accepted > 0 && accepted < wf.changes.len() {
            part.push_str(&format!(", {accepted} accepted"));
        }
        parts.push(part);
    }
    if !wf.versions.is_empty() {
        parts.push(plural(wf.versions.len(), "other version"));
    }
    if wf.is_accepted() {
        parts.push("accepted".to_owned());
    }
    if wf.status == WorkflowStatus::Unchanged && wf.layout_changed {
        parts.push("layout only".to_owned());
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// `~ /path: left -> right`, `+ /path: value`, `- /path: value`, with the acceptance if any;
/// values shortened, path made printable. In a three-way report the class comes first and the
/// base value after: `conflict ~ /path: 2 -> 3 (base 1)`.
fn change_line(change: &Change) -> String {
    let sign = match change.kind {
        ChangeKind::Added => '+',
        ChangeKind::Removed => '-',
        ChangeKind::Changed => '~',
    };
    let values = match (&change.left, &change.right) {
        (Some(l), Some(r)) => format!("{} -> {}", short_value(l), short_value(r)),
        (Some(v), None) | (None, Some(v)) => short_value(v),
        (None, None) => String::new(),
    };
    let class = change
        .class
        .map(|class| format!("{} ", class.as_str()))
        .unwrap_or_default();
    let mut line = format!("{class}{sign} {}: {values}", printable(&change.path));
    if let Some(base) = &change.base {
        line.push_str(&format!(" (base {})", short_value(base)));
    }
    if let Some(context) = &change.context {
        line.push_str(&format!("  [{}]", printable(context)));
    }
    if let Some(acceptance) = &change.accepted {
        line.push_str(&format!(" ({})", printable(&acceptance_text(acceptance))));
    }
    line
}

/// One line of a graph summary, its text not yet escaped for the medium: the sign, what the line
/// is about (`node serviceTask "Block on WAF"`, `flow Enrich alert → Notify (was → Close)`), and
/// each parameter that differs (`soar:timeout: "60" -> "90"`).
struct GraphLine {
    sign: char,
    head: String,
    params: Vec<String>,
}

impl GraphLine {
    fn new(sign: char, head: String, params: &[ParamChange]) -> Self {
        Self {
            sign,
            head,
            params: params.iter().map(param_text).collect(),
        }
    }
}

fn graph_lines(graph: &GraphSummary) -> Vec<GraphLine> {
    let mut lines = Vec::new();
    for node in &graph.nodes {
        let mut head = format!("node {}", node.kind);
        match &node.name {
            Some(name) => head.push_str(&format!(" {name:?}")),
            None => head.push_str(&format!(" {}", node.id)),
        }
        let mut was = Vec::new();
        if let Some(previous) = &node.previous_type {
            was.push(format!("was a {previous}"));
        }
        if node.change == NodeChangeKind::Renamed {
            match &node.previous_name {
                Some(previous) => was.push(format!("renamed from {previous:?}")),
                None => was.push("named".to_owned()),
            }
        }
        if let Some(previous) = &node.previous_id {
            was.push(format!("new id, was {previous}"));
        }
        if !was.is_empty() {
            head.push_str(&format!(" ({})", was.join(", ")));
        }
        let sign = match node.change {
            NodeChangeKind::Added => '+',
            NodeChangeKind::Removed => '-',
            NodeChangeKind::Renamed | NodeChangeKind::Changed => '~',
        };
        lines.push(GraphLine::new(sign, head, &node.params));
    }
    for flow in &graph.flows {
        let mut head = format!("flow {} \u{2192} {}", flow.from, flow.to);
        if let Some(name) = &flow.name {
            head.push_str(&format!(" ({name:?})"));
        }
        match (&flow.previous_from, &flow.previous_to) {
            (Some(from), Some(to)) => head.push_str(&format!(", was {from} \u{2192} {to}")),
            (Some(from), None) => head.push_str(&format!(", was from {from}")),
            (None, Some(to)) => head.push_str(&format!(", was \u{2192} {to}")),
            (None, None) => {}
        }
        let sign = match flow.change {
            FlowChangeKind::Added => '+',
            FlowChangeKind::Removed => '-',
            FlowChangeKind::Rewired | FlowChangeKind::Changed => '~',
        };
        lines.push(GraphLine::new(sign, head, &flow.params));
    }
    lines
}

/// `soar:timeout: "60" -> "90"`, `retries: (none) -> 3`.
fn param_text(param: &ParamChange) -> String {
    let value = |v: &Option<Value>| v.as_ref().map_or("(none)".to_owned(), short_value);
    format!(
        "{}: {} -> {}",
        param.name,
        value(&param.left),
        value(&param.right)
    )
}

/// The heading, in a three-way report, of workflows that differ in nothing that runs.
const UNCLASSED: &str = "no class: nothing that runs differs (other versions, layout, notes)";

/// Whether a workflow's unified diff is worth showing a reader: not when only versions that do
/// not run differ (a whole draft would fill the screen; the JSON report keeps it).
fn shows_text_diff(wf: &WorkflowReport) -> bool {
    !(wf.status == WorkflowStatus::Modified && wf.changes.is_empty() && !wf.versions.is_empty())
}

/// What the graph summary says when element ids are all that differ.
const IDS_ONLY: &str = "the same nodes and flows; only the ids of their elements differ";

/// `+ v1.2.0: only in production (pending_approval)`, `~ v1.0.0 (not_activated): 2 changes`.
fn version_line(version: &VersionReport, report: &Report) -> String {
    let status = |status: &Option<String>| status.as_deref().unwrap_or("no status").to_owned();
    match version.status {
        WorkflowStatus::Added => format!(
            "+ {}: only in {} ({})",
            version.version,
            report.right,
            status(&version.right_status)
        ),
        WorkflowStatus::Removed => format!(
            "- {}: only in {} ({})",
            version.version,
            report.left,
            status(&version.left_status)
        ),
        _ => {
            let statuses = if version.left_status == version.right_status {
                status(&version.left_status)
            } else {
                format!(
                    "{} -> {}",
                    status(&version.left_status),
                    status(&version.right_status)
                )
            };
            format!(
                "~ {} ({statuses}): {}",
                version.version,
                plural(version.changes.len(), "change")
            )
        }
    }
}

/// The active versions' labels when they say something: they differ, or a side runs none.
fn active_line(wf: &WorkflowReport, report: &Report) -> Option<String> {
    let active = wf.active.as_ref()?;
    if active.left == active.right {
        return None;
    }
    let label = |l: &Option<String>| l.as_deref().unwrap_or("none").to_owned();
    Some(format!(
        "active version: {} in {}, {} in {}",
        label(&active.left),
        report.left,
        label(&active.right),
        report.right
    ))
}

/// How many pairs failed, drifted and did not: `1 could not be compared, 1 drifted, 1 without
/// drift` (parts with a zero count left out).
fn pair_counts(report: &CheckReport) -> String {
    let count = |status: CheckStatus| report.pairs.iter().filter(|p| p.status() == status).count();
    let mut parts = Vec::new();
    for (status, words) in [
        (CheckStatus::Error, "could not be compared"),
        (CheckStatus::Drift, "drifted"),
        (CheckStatus::NoDrift, "without drift"),
    ] {
        let n = count(status);
        if n > 0 {
            parts.push(format!("{n} {words}"));
        }
    }
    format!(
        "{}: {}",
        plural(report.pairs.len(), "pair"),
        if parts.is_empty() {
            "none compared".to_owned()
        } else {
            parts.join(", ")
        }
    )
}

/// An error as one printable line, hints after it.
fn error_line(error: &PairError) -> String {
    let mut line = printable(&error.message).into_owned();
    for hint in &error.hints {
        line.push_str(&format!(" (hint: {})", printable(hint)));
    }
    line
}

/// What is known about where an error happened, as `(label, value)`: the workflow, the HTTP
/// status, the request id. Values are as in the data; each renderer escapes them.
fn error_facts(error: &PairError) -> Vec<(&'static str, String)> {
    let mut facts = Vec::new();
    if let Some(workflow) = &error.workflow {
        facts.push(("workflow", workflow.clone()));
    }
    if let Some(status) = error.http_status {
        facts.push(("http status", status.to_string()));
    }
    if let Some(request_id) = &error.request_id {
        facts.push(("request id", request_id.clone()));
    }
    facts
}

/// The lines of a unified diff, each made printable.
fn diff_lines(diff: &str) -> impl Iterator<Item = std::borrow::Cow<'_, str>> {
    diff.lines().map(printable)
}

/// The rule text shown next to an accepted change.
fn acceptance_text(acceptance: &crate::report::Acceptance) -> String {
    match &acceptance.expires {
        Some(expires) => format!("accepted until {expires}: {}", acceptance.reason),
        None => format!("accepted: {}", acceptance.reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_and_print_their_names() {
        for format in Format::ALL {
            assert_eq!(format.to_string().parse::<Format>(), Ok(format));
        }
        assert_eq!("MD".parse::<Format>(), Ok(Format::Markdown));
        assert_eq!("htm".parse::<Format>(), Ok(Format::Html));
        assert_eq!(kind_words("exclusiveGateway"), "exclusive gateway");
        let err = "yaml".parse::<Format>().unwrap_err();
        assert!(err.to_string().contains("\"yaml\""), "{err}");
    }

    #[test]
    fn long_values_are_shortened_on_a_char_boundary() {
        assert_eq!(shorten("short", 80), "short");
        let exact = "x".repeat(80);
        assert_eq!(shorten(&exact, 80), exact);
        let long = "é".repeat(100);
        let short = shorten(&long, 80);
        assert_eq!(short.chars().count(), 80);
        assert!(short.ends_with('…'));
        assert_eq!(
            short_value(&Value::String("a".repeat(200))).chars().count(),
            80
        );
    }
}
