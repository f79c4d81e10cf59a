//! The drift report: what [`diff()`](crate::diff()) found, as data.
//!
//! A [`Report`] is what one comparison of two sides found; a [`CheckReport`] holds the report of
//! every pair a run compared, and the error of every pair it could not compare. The check report's
//! JSON form (see `docs/report-schema.md` and `docs/report.schema.json`) is a public interface that
//! CI jobs and other tools read, so fields are only ever added, and [`SCHEMA_VERSION`] changes when
//! a field changes meaning. Renderers ([`render`](mod@crate::render)) format a finished check report;
//! they never recompute it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

mod canvas;
mod graph;
mod run;

pub use canvas::{Bounds, Canvas, Diagram, DiagramFlow, DiagramNode, Mark, Point, Side};
pub use graph::{
    FlowChange, FlowChangeKind, GraphSummary, NodeChange, NodeChangeKind, ParamChange,
};
pub use run::{
    CheckReport, CheckStatus, Filters, PairError, PairFailure, PairReport, SCHEMA_VERSION,
};

/// The result of comparing two sets of workflows: one compared pair of a [`CheckReport`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// The label of the left side (e.g. `staging`, `staging@live`, or a path).
    pub left: String,
    /// The label of the right side (e.g. `production`).
    pub right: String,
    /// In a three-way comparison, the label of the base both sides are measured against (e.g.
    /// `production@promoted`); every difference then has a `class`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// `drift` when any workflow has unaccepted differences; the CLI's exit code says the same.
    pub status: ReportStatus,
    /// How long loading both sides and comparing them took, in seconds (set by the caller that
    /// timed it; absent when nobody did).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// Which API the left side's workflow documents came from (`export` or `versions`), when
    /// known: a live side, or a snapshot that recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_source: Option<soc_model::DocumentSource>,
    /// The same for the right side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right_source: Option<soc_model::DocumentSource>,
    /// How many workflows and playbooks are in each state.
    pub summary: Summary,
    /// Every workflow of either side, sorted by name, unchanged ones included.
    pub workflows: Vec<WorkflowReport>,
    /// Every playbook of either side, sorted by name, unchanged ones included; each with the
    /// same statuses as a workflow. Its bound workflows are compared by name.
    #[serde(default)]
    pub playbooks: Vec<WorkflowReport>,
    /// The kinds that were not compared (keyed `workflow` or `playbook`), each with why: a side
    /// does not know its playbooks, or the filters name only another kind. Such a kind's list is
    /// empty and says nothing about it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub not_compared: BTreeMap<soc_normalize::Kind, String>,
}

/// Whether a report shows drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Nothing differs, or every difference is accepted.
    NoDrift,
    /// At least one difference is not accepted.
    Drift,
}

/// Counts of workflows and playbooks by outcome: both kinds together, then each kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Both kinds together.
    #[serde(flatten)]
    pub total: Counts,
    /// In a three-way comparison, the differences of each class: every change of a modified
    /// workflow, and every workflow added, removed or renamed as a whole, accepted or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<ClassCounts>,
    /// The same counts for the workflows alone.
    #[serde(default)]
    pub workflows: Counts,
    /// The same counts for the playbooks alone.
    #[serde(default)]
    pub playbooks: Counts,
}

/// Counts of documents by outcome: of one kind, or of both together (see [`Summary`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Counts {
    /// Only on the right side.
    pub added: usize,
    /// Only on the left side.
    pub removed: usize,
    /// On both sides with different content.
    pub modified: usize,
    /// Same content under a different name.
    pub renamed: usize,
    /// Same content (layout-only differences included).
    pub unchanged: usize,
    /// Unchanged, but the canvas layout differs.
    pub layout_only: usize,
    /// Different, with every difference accepted.
    pub accepted: usize,
}

impl Counts {
    /// The counts of these outcomes.
    pub fn of<'a>(reports: impl IntoIterator<Item = &'a WorkflowReport>) -> Self {
        let mut counts = Counts::default();
        for wf in reports {
            match wf.status {
                WorkflowStatus::Added => counts.added += 1,
                WorkflowStatus::Removed => counts.removed += 1,
                WorkflowStatus::Modified => counts.modified += 1,
                WorkflowStatus::Renamed => counts.renamed += 1,
                WorkflowStatus::Unchanged => {
                    counts.unchanged += 1;
                    if wf.layout_changed {
                        counts.layout_only += 1;
                    }
                }
            }
            if wf.is_accepted() {
                counts.accepted += 1;
            }
        }
        counts
    }
}

/// How many differences of a three-way comparison are of each class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ClassCounts {
    /// Changed on the left side since the base: waiting to be promoted.
    pub promote: usize,
    /// Changed on the right side since the base: a promotion would overwrite it.
    pub drift: usize,
    /// Changed on both sides since the base, differently.
    pub conflict: usize,
}

impl ClassCounts {
    /// The classes of these outcomes: each change of a modified one, each other one as a whole;
    /// `None` when nothing has a class (not a three-way comparison).
    fn of<'a>(reports: impl IntoIterator<Item = &'a WorkflowReport>) -> Option<Self> {
        let mut classes: Option<Self> = None;
        for wf in reports {
            let Some(class) = wf.class else {
                continue;
            };
            let counts = classes.get_or_insert_with(Self::default);
            match wf.status {
                WorkflowStatus::Modified => {
                    wf.changes
                        .iter()
                        .filter_map(|c| c.class)
                        .for_each(|c| counts.add(c));
                }
                _ => counts.add(class),
            }
        }
        classes
    }

    fn add(&mut self, class: ChangeClass) {
        match class {
            ChangeClass::Promote => self.promote += 1,
            ChangeClass::Drift => self.drift += 1,
            ChangeClass::Conflict => self.conflict += 1,
        }
    }
}

/// What a difference between the left and the right side is, measured against a base (a
/// three-way comparison, such as staging and production against what was last promoted).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ChangeClass {
    /// Changed on the left side since the base: new work that a promotion would carry over.
    Promote,
    /// Changed on the right side since the base: a promotion from the left would overwrite it.
    Drift,
    /// Changed on both sides since the base, differently.
    Conflict,
}

impl ChangeClass {
    /// Every class, the most severe last.
    pub const ALL: [ChangeClass; 3] = [Self::Promote, Self::Drift, Self::Conflict];

    /// The lowercase word used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Promote => "promote",
            Self::Drift => "drift",
            Self::Conflict => "conflict",
        }
    }
}

impl std::str::FromStr for ChangeClass {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|class| class.as_str() == s)
            .ok_or_else(|| format!("unknown class {s:?}; expected promote, drift or conflict"))
    }
}

/// One workflow's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WorkflowReport {
    /// The name on the right side (on the left side for removed workflows).
    pub name: String,
    /// What happened to it between the sides.
    pub status: WorkflowStatus,
    /// For renamed workflows: the name on the left side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_name: Option<String>,
    /// Whether this workflow has differences that are not accepted (in a three-way comparison:
    /// of a class the gate fails on, by default `drift` and `conflict`).
    pub drift: bool,
    /// In a three-way comparison: the class of a workflow added, removed or renamed as a whole,
    /// and for a modified one the most severe class of its changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<ChangeClass>,
    /// Set when an `[[accept]]` rule without a `path` accepts the workflow as a whole (added,
    /// removed, renamed or binary-changed); accepted changes inside a workflow carry their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<Acceptance>,
    /// The canvas layout differs (it is never drift: the profile compares the graph, not positions).
    #[serde(default, skip_serializing_if = "is_false")]
    pub layout_changed: bool,
    /// Which version runs on each side, when the workflows have versions (modified workflows
    /// only). Changes of the active versions are addressed `/versions[@active]/…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<ActiveVersions>,
    /// What changed in the diagram of the active version, node by node and flow by flow: the
    /// summary a reviewer reads before `changes` (modified workflows with a diagram only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph: Option<GraphSummary>,
    /// Structural changes over the normalized documents (modified workflows only): of the
    /// workflow itself and of its active version, which is what runs. Other versions are in
    /// `versions`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// Versions other than the active one (drafts, versions pending approval, rejected or
    /// deactivated ones) that differ, paired by their `version` label. Never drift: they do not
    /// run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<VersionReport>,
    /// A unified diff of the two canonical texts (modified workflows only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_diff: Option<String>,
    /// Things the reader should know: binary content changed, expired acceptances, decoding notes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The diagrams to draw (the review page, Mermaid graphs), filled in by
    /// [`crate::canvas::draw`] when a format that draws is asked for. A render input only: never
    /// in the JSON report (see [`Canvas`] for why).
    #[serde(skip)]
    #[schemars(skip)]
    pub canvas: Option<Canvas>,
}

/// The label of the version that runs on each side; absent when no version runs there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ActiveVersions {
    /// The left side's active version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<String>,
    /// The right side's active version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<String>,
}

/// A version that is not the active one on either side and differs between the sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VersionReport {
    /// The version's `version` label (`#1`, `#2`, … for versions without a unique label, by
    /// position).
    pub version: String,
    /// `added` (only on the right side), `removed` (only on the left) or `modified`.
    pub status: WorkflowStatus,
    /// The version's lifecycle `status` on the left side (`pending_submit`, `pending_approval`,
    /// `rejected`, `not_activated`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_status: Option<String>,
    /// The same on the right side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right_status: Option<String>,
    /// What differs (for `added` and `removed`, the version as a whole).
    pub changes: Vec<Change>,
}

/// What happened to a workflow between the left and the right side.
///
/// `added`: only on the right side; `removed`: only on the left side; `modified`: on both sides,
/// different; `renamed`: on both sides under different names, otherwise the same; `unchanged`: on
/// both sides, the same (or different in canvas layout only).
// The variants are described above rather than one by one: documented variants would turn the
// report schema's plain `enum` of names into a `oneOf`, for no gain to its readers.
#[allow(missing_docs)]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum WorkflowStatus {
    Added,
    Removed,
    Modified,
    Renamed,
    Unchanged,
}

impl WorkflowStatus {
    /// The lowercase word used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Removed => "removed",
            Self::Modified => "modified",
            Self::Renamed => "renamed",
            Self::Unchanged => "unchanged",
        }
    }
}

/// One structural difference inside a modified workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    /// Where the change is, as a stable address (see `docs/review.md`): array items are named by
    /// identity wherever they have one (`/versions[@active]/taskflow/serviceTask[Activity_1]/…`),
    /// so the same change keeps its path when unrelated nodes are added, removed or reordered.
    /// `[[accept]]` rules match it.
    pub path: String,
    /// The same place as a JSON pointer (RFC 6901) into the normalized document, for tools that
    /// look values up: array indices are the right side's, the left side's for removals.
    pub pointer: String,
    /// Whether the place was added, removed or changed.
    pub kind: ChangeKind,
    /// The left value; absent for `added`. May be `null` (a value that was JSON null).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present_value"
    )]
    pub left: Option<Value>,
    /// The right value; absent for `removed`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present_value"
    )]
    pub right: Option<Value>,
    /// Where the change is, for readers: the BPMN element it is in (or, for an element added or
    /// removed whole, that element), e.g. `bpmn2:serviceTask "Block on WAF"`. Not part of its
    /// identity: `path` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Set when an `[[accept]]` rule covers this change; such a change is not drift.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<Acceptance>,
    /// In a three-way comparison: whether the left side changed it since the base (`promote`),
    /// the right side (`drift`), or both, differently (`conflict`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<ChangeClass>,
    /// In a three-way comparison: the value in the base, when the base had one there and it is
    /// known. May be `null`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present_value"
    )]
    pub base: Option<Value>,
}

/// The kind of a structural change: `added` (only on the right side), `removed` (only on the
/// left side) or `changed` (on both sides, with different values).
// Variants described above, as for `WorkflowStatus`: the schema keeps a plain `enum`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

/// Why a difference is accepted, copied from the rule that accepted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Acceptance {
    /// The rule's reason, for reviewers.
    pub reason: String,
    /// The last day (YYYY-MM-DD) the rule applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

impl Report {
    /// Whether any workflow has differences that are not accepted (exit code 1 in the CLI).
    pub fn has_drift(&self) -> bool {
        self.status == ReportStatus::Drift
    }

    /// Builds a report from per-workflow outcomes: sorts them and derives `status` and `summary`,
    /// so the three can never disagree.
    pub(crate) fn from_workflows(
        left: impl Into<String>,
        right: impl Into<String>,
        workflows: Vec<WorkflowReport>,
    ) -> Self {
        Self::from_kinds(left, right, workflows, Vec::new())
    }

    /// Builds a report from the outcomes of both kinds: sorts each and derives `status` (drift
    /// when a document of either kind drifted) and `summary` (both kinds together and each).
    pub(crate) fn from_kinds(
        left: impl Into<String>,
        right: impl Into<String>,
        mut workflows: Vec<WorkflowReport>,
        mut playbooks: Vec<WorkflowReport>,
    ) -> Self {
        for reports in [&mut workflows, &mut playbooks] {
            reports.sort_by(|a, b| {
                a.name
                    .cmp(&b.name)
                    .then_with(|| a.status.cmp(&b.status))
                    .then_with(|| a.previous_name.cmp(&b.previous_name))
            });
        }
        let by_workflows = Counts::of(&workflows);
        let by_playbooks = Counts::of(&playbooks);
        let total = Counts::of(workflows.iter().chain(&playbooks));
        let summary = Summary {
            total,
            classes: ClassCounts::of(workflows.iter().chain(&playbooks)),
            workflows: by_workflows,
            playbooks: by_playbooks,
        };
        let status = if workflows.iter().chain(&playbooks).any(|wf| wf.drift) {
            ReportStatus::Drift
        } else {
            ReportStatus::NoDrift
        };
        Self {
            left_source: None,
            right_source: None,
            left: left.into(),
            right: right.into(),
            base: None,
            status,
            seconds: None,
            summary,
            workflows,
            playbooks,
            not_compared: BTreeMap::new(),
        }
    }

    /// Whether the report speaks of playbooks (or of a kind not compared): then renderers head
    /// a section per kind. Reports of workflows only read as they always did.
    pub(crate) fn has_playbooks(&self) -> bool {
        !self.playbooks.is_empty() || !self.not_compared.is_empty()
    }

    /// Why a kind was not compared, when it was not.
    pub fn not_compared(&self, kind: soc_normalize::Kind) -> Option<&str> {
        self.not_compared.get(&kind).map(String::as_str)
    }

    /// The outcomes of one kind.
    pub fn of_kind(&self, kind: soc_normalize::Kind) -> &[WorkflowReport] {
        match kind {
            soc_normalize::Kind::Workflow => &self.workflows,
            soc_normalize::Kind::Playbook => &self.playbooks,
        }
    }

    /// Every outcome of either kind, mutably (for renderers that trim details).
    pub(crate) fn all_mut(&mut self) -> impl Iterator<Item = &mut WorkflowReport> {
        self.workflows.iter_mut().chain(self.playbooks.iter_mut())
    }
}

impl Report {
    /// The report of a three-way comparison against `base`: counts of each class, zeros
    /// included.
    #[must_use]
    pub(crate) fn with_base(mut self, base: impl Into<String>) -> Self {
        self.base = Some(base.into());
        self.summary
            .classes
            .get_or_insert_with(ClassCounts::default);
        self
    }
}

impl WorkflowReport {
    /// A workflow with this status and nothing else said about it yet.
    pub fn new(name: impl Into<String>, status: WorkflowStatus) -> Self {
        Self {
            name: name.into(),
            status,
            previous_name: None,
            drift: false,
            class: None,
            accepted: None,
            layout_changed: false,
            active: None,
            graph: None,
            changes: Vec::new(),
            versions: Vec::new(),
            text_diff: None,
            notes: Vec::new(),
            canvas: None,
        }
    }

    /// Whether the workflow differs at all (accepted or not), i.e. anything but unchanged.
    pub fn differs(&self) -> bool {
        self.status != WorkflowStatus::Unchanged
    }

    /// Whether it differs and an `[[accept]]` rule accepted all of it: as a whole, or every
    /// change. A workflow whose only differences are in other versions, or (three-way) whose
    /// unaccepted changes are all of a class the gate lets pass, is not accepted, just not drift.
    pub fn is_accepted(&self) -> bool {
        self.differs()
            && !self.drift
            && (self.accepted.is_some()
                || (!self.changes.is_empty() && self.changes.iter().all(|c| c.accepted.is_some())))
    }
}

/// `text` with control characters, line separators, the byte-order mark and bidirectional controls
/// escaped (`\n`, `\u{1b}`, `\u{202e}`), so a hostile workflow name or key cannot move the cursor,
/// recolour a terminal, forge a line of output or reorder what the reader sees. The one definition
/// lives in `soc_text`.
///
/// Every renderer passes every string that came from the data (names, paths, values, notes,
/// messages) through this one function; Markdown then also turns the characters Markdown and
/// HTML interpret into entities, and XML escapes its own.
pub use soc_text::printable;

fn is_false(value: &bool) -> bool {
    !*value
}

/// A present field is `Some` even when it holds JSON `null` (plain `Option<Value>` would read `null`
/// as absent, so a change from `null` to `1` would not survive a round trip).
fn present_value<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wf(name: &str, status: WorkflowStatus, drift: bool) -> WorkflowReport {
        WorkflowReport {
            drift,
            ..WorkflowReport::new(name, status)
        }
    }

    #[test]
    fn summary_and_status_follow_the_workflows() {
        let mut layout = wf("b", WorkflowStatus::Unchanged, false);
        layout.layout_changed = true;
        let mut accepted = wf("c", WorkflowStatus::Added, false);
        accepted.accepted = Some(Acceptance {
            reason: "r".into(),
            expires: None,
        });
        // Differs, is not drift, but nothing accepted it (only other versions differ).
        let drafts_only = wf("d", WorkflowStatus::Modified, false);
        let report = Report::from_workflows(
            "staging",
            "production",
            vec![
                accepted,
                layout,
                drafts_only,
                wf("a", WorkflowStatus::Modified, true),
            ],
        );
        assert_eq!(report.status, ReportStatus::Drift);
        assert!(report.has_drift());
        let names: Vec<_> = report.workflows.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
        let counts = Counts {
            added: 1,
            removed: 0,
            modified: 2,
            renamed: 0,
            unchanged: 1,
            layout_only: 1,
            accepted: 1,
        };
        assert_eq!(
            report.summary,
            Summary {
                total: counts,
                classes: None,
                workflows: counts,
                playbooks: Counts::default(),
            }
        );
        let quiet = Report::from_workflows("l", "r", vec![wf("c", WorkflowStatus::Added, false)]);
        assert_eq!(quiet.status, ReportStatus::NoDrift);

        // Three-way: one change accepted, one a promotion (not drift, not accepted either).
        let change = |accepted: bool| Change {
            path: "/a".into(),
            pointer: "/a".into(),
            kind: ChangeKind::Changed,
            left: None,
            right: None,
            context: None,
            accepted: accepted.then(|| Acceptance {
                reason: "r".into(),
                expires: None,
            }),
            class: Some(ChangeClass::Promote),
            base: None,
        };
        let mut half = wf("e", WorkflowStatus::Modified, false);
        half.changes = vec![change(true), change(false)];
        assert!(!half.is_accepted());
        half.changes.pop();
        assert!(half.is_accepted());
    }

    #[test]
    fn playbooks_count_apart_and_together_and_drift_the_report() {
        let mut removed = wf("p1", WorkflowStatus::Removed, false);
        removed.accepted = Some(Acceptance {
            reason: "r".into(),
            expires: None,
        });
        let report = Report::from_kinds(
            "l",
            "r",
            vec![wf("w", WorkflowStatus::Unchanged, false)],
            vec![wf("p2", WorkflowStatus::Modified, true), removed],
        );
        assert!(report.has_drift() && report.has_playbooks());
        let names: Vec<_> = report.playbooks.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["p1", "p2"]);
        assert_eq!(report.summary.total.modified, 1);
        assert_eq!(report.summary.total.unchanged, 1);
        assert_eq!(report.summary.workflows.unchanged, 1);
        assert_eq!(report.summary.playbooks.modified, 1);
        assert_eq!(
            report.summary.playbooks.accepted, 1,
            "removed, every difference accepted"
        );
        assert_eq!(report.summary.total.accepted, 1);
        let quiet = Report::from_workflows("l", "r", vec![]);
        assert!(!quiet.has_playbooks());
    }

    #[test]
    fn null_values_survive_a_round_trip_and_absent_ones_stay_absent() {
        let change = Change {
            path: "/a".into(),
            pointer: "/a".into(),
            kind: ChangeKind::Changed,
            left: Some(Value::Null),
            right: Some(json!(1)),
            context: None,
            accepted: None,
            class: None,
            base: None,
        };
        let text = serde_json::to_string(&change).unwrap();
        assert_eq!(
            text,
            r#"{"path":"/a","pointer":"/a","kind":"changed","left":null,"right":1}"#
        );
        assert_eq!(serde_json::from_str::<Change>(&text).unwrap(), change);
        let added: Change =
            serde_json::from_str(r#"{"path":"/b","pointer":"/b","kind":"added","right":2}"#)
                .unwrap();
        assert_eq!(added.left, None);
    }

    #[test]
    fn printable_escapes_what_could_forge_output() {
        assert_eq!(printable("plain name"), "plain name");
        assert_eq!(printable("a\nM forged"), "a\\nM forged");
        assert_eq!(printable("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(printable("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(printable("a\u{2066}b\u{2069}"), "a\\u{2066}b\\u{2069}");
        assert_eq!(printable("line\u{2028}forged"), "line\\u{2028}forged");
    }

    #[test]
    fn empty_fields_are_omitted() {
        let text = serde_json::to_value(wf("a", WorkflowStatus::Unchanged, false)).unwrap();
        assert_eq!(
            text,
            json!({"name": "a", "status": "unchanged", "drift": false})
        );
    }
}
