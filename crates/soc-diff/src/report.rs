//! The drift report: what [`diff()`](crate::diff()) found, as data.
//!
//! A [`Report`] is what one comparison of two sides found; a [`CheckReport`] holds the report of
//! every pair a run compared, and the error of every pair it could not compare. The check report's
//! JSON form (see `docs/report-schema.md` and `docs/report.schema.json`) is a public interface that
//! CI jobs and other tools read, so fields are only ever added, and [`SCHEMA_VERSION`] changes when
//! a field changes meaning. Renderers ([`render`](crate::render)) format a finished check report;
//! they never recompute it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

mod run;

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
    pub not_compared: BTreeMap<crate::kind::Kind, String>,
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
    /// Unchanged workflows whose canvas layout differs.
    pub layout_only: usize,
    /// Workflows and playbooks that differ but whose every difference is accepted (they count in
    /// their status too).
    pub accepted: usize,
    /// The same counts for the workflows alone.
    #[serde(default)]
    pub workflows: Counts,
    /// The same counts for the playbooks alone.
    #[serde(default)]
    pub playbooks: Counts,
}

/// Counts of one kind's documents by outcome (see [`Summary`]).
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

/// One workflow's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WorkflowReport {
    /// The name on the right side (on the left side for removed workflows).
    pub name: String,
    pub status: WorkflowStatus,
    /// For renamed workflows: the name on the left side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_name: Option<String>,
    /// Whether this workflow has differences that are not accepted.
    pub drift: bool,
    /// Set when an `[[accept]]` rule without a `path` accepts the workflow as a whole (added,
    /// removed, renamed or binary-changed); accepted changes inside a workflow carry their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<Acceptance>,
    /// The canvas layout differs (it is never drift: the profile compares the graph, not positions).
    #[serde(default, skip_serializing_if = "is_false")]
    pub layout_changed: bool,
    /// Structural changes over the normalized documents (modified workflows only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// A unified diff of the two canonical texts (modified workflows only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_diff: Option<String>,
    /// Things the reader should know: binary content changed, expired acceptances, decoding notes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// What happened to a workflow between the left and the right side.
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
    /// JSON pointer (RFC 6901) into the normalized document; array indices are the right side's,
    /// the left side's for removals.
    pub path: String,
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
}

/// The kind of a structural change.
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
    pub fn from_workflows(
        left: impl Into<String>,
        right: impl Into<String>,
        workflows: Vec<WorkflowReport>,
    ) -> Self {
        Self::from_kinds(left, right, workflows, Vec::new())
    }

    /// Builds a report from the outcomes of both kinds: sorts each and derives `status` (drift
    /// when a document of either kind drifted) and `summary` (both kinds together and each).
    pub fn from_kinds(
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
            added: total.added,
            removed: total.removed,
            modified: total.modified,
            renamed: total.renamed,
            unchanged: total.unchanged,
            layout_only: total.layout_only,
            accepted: total.accepted,
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
    pub fn has_playbooks(&self) -> bool {
        !self.playbooks.is_empty() || !self.not_compared.is_empty()
    }

    /// Why a kind was not compared, when it was not.
    pub fn not_compared(&self, kind: crate::kind::Kind) -> Option<&str> {
        self.not_compared.get(&kind).map(String::as_str)
    }

    /// The outcomes of one kind.
    pub fn of_kind(&self, kind: crate::kind::Kind) -> &[WorkflowReport] {
        match kind {
            crate::kind::Kind::Workflow => &self.workflows,
            crate::kind::Kind::Playbook => &self.playbooks,
        }
    }

    /// Every outcome of either kind, mutably (for renderers that trim details).
    pub fn all_mut(&mut self) -> impl Iterator<Item = &mut WorkflowReport> {
        self.workflows.iter_mut().chain(self.playbooks.iter_mut())
    }
}

impl WorkflowReport {
    /// Whether the workflow differs at all (accepted or not), i.e. anything but unchanged.
    pub fn differs(&self) -> bool {
        self.status != WorkflowStatus::Unchanged
    }

    /// Whether it differs and every difference is accepted.
    pub fn is_accepted(&self) -> bool {
        self.differs() && !self.drift
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
            name: name.into(),
            status,
            previous_name: None,
            drift,
            accepted: None,
            layout_changed: false,
            changes: Vec::new(),
            text_diff: None,
            notes: Vec::new(),
        }
    }

    #[test]
    fn summary_and_status_follow_the_workflows() {
        let mut layout = wf("b", WorkflowStatus::Unchanged, false);
        layout.layout_changed = true;
        let report = Report::from_workflows(
            "staging",
            "production",
            vec![
                wf("c", WorkflowStatus::Added, false),
                layout,
                wf("a", WorkflowStatus::Modified, true),
            ],
        );
        assert_eq!(report.status, ReportStatus::Drift);
        assert!(report.has_drift());
        let names: Vec<_> = report.workflows.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        let counts = Counts {
            added: 1,
            removed: 0,
            modified: 1,
            renamed: 0,
            unchanged: 1,
            layout_only: 1,
            accepted: 1,
        };
        assert_eq!(
            report.summary,
            Summary {
                added: 1,
                removed: 0,
                modified: 1,
                renamed: 0,
                unchanged: 1,
                layout_only: 1,
                accepted: 1,
                workflows: counts,
                playbooks: Counts::default(),
            }
        );
        let quiet = Report::from_workflows("l", "r", vec![wf("c", WorkflowStatus::Added, false)]);
        assert_eq!(quiet.status, ReportStatus::NoDrift);
    }

    #[test]
    fn playbooks_count_apart_and_together_and_drift_the_report() {
        let report = Report::from_kinds(
            "l",
            "r",
            vec![wf("w", WorkflowStatus::Unchanged, false)],
            vec![
                wf("p2", WorkflowStatus::Modified, true),
                wf("p1", WorkflowStatus::Removed, false),
            ],
        );
        assert!(report.has_drift() && report.has_playbooks());
        let names: Vec<_> = report.playbooks.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["p1", "p2"]);
        assert_eq!(report.summary.modified, 1);
        assert_eq!(report.summary.unchanged, 1);
        assert_eq!(report.summary.workflows.unchanged, 1);
        assert_eq!(report.summary.playbooks.modified, 1);
        assert_eq!(
            report.summary.playbooks.accepted, 1,
            "removed, every difference accepted"
        );
        assert_eq!(report.summary.accepted, 1);
        let quiet = Report::from_workflows("l", "r", vec![]);
        assert!(!quiet.has_playbooks());
    }

    #[test]
    fn null_values_survive_a_round_trip_and_absent_ones_stay_absent() {
        let change = Change {
            path: "/a".into(),
            kind: ChangeKind::Changed,
            left: Some(Value::Null),
            right: Some(json!(1)),
            context: None,
            accepted: None,
        };
        let text = serde_json::to_string(&change).unwrap();
        assert_eq!(
            text,
            r#"{"path":"/a","kind":"changed","left":null,"right":1}"#
        );
        assert_eq!(serde_json::from_str::<Change>(&text).unwrap(), change);
        let added: Change =
            serde_json::from_str(r#"{"path":"/b","kind":"added","right":2}"#).unwrap();
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
