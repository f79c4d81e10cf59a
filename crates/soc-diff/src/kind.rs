//! Kinds of documents: workflows, and the playbooks that decide when workflows run.
//!
//! Both kinds flow through the same machinery: decoded, normalized under the same profile
//! (a playbook document is first put in its comparable shape, see
//! [`soc_model::playbook::comparable`]), matched by name within their kind, and diffed by
//! [`diff()`](crate::diff()). [`diff_sides`] runs that once per kind and gathers both into one
//! [`Report`], so a workflow and a playbook of the same name are never matched with each other.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::decode::{Content, Document};
use crate::diff::{AcceptRule, DiffError, DiffOptions, Entry, diff};
use crate::profile::Profile;
use crate::report::Report;

/// What a document is.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A SOAR workflow (an export, or a document built from the versions API).
    #[default]
    Workflow,
    /// A playbook: its active version's trigger rule and the workflows its actions run.
    Playbook,
}

impl Kind {
    /// Every kind, in the order reports list them.
    pub const ALL: [Kind; 2] = [Kind::Workflow, Kind::Playbook];

    /// `workflow` or `playbook`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Workflow => "workflow",
            Self::Playbook => "playbook",
        }
    }

    /// `workflows` or `playbooks`.
    pub fn plural(self) -> &'static str {
        match self {
            Self::Workflow => "workflows",
            Self::Playbook => "playbooks",
        }
    }

    /// `Workflows` or `Playbooks`: how a report section is headed.
    pub fn heading(self) -> &'static str {
        match self {
            Self::Workflow => "Workflows",
            Self::Playbook => "Playbooks",
        }
    }

    /// Whether this is [`Kind::Workflow`] (for `skip_serializing_if`).
    pub fn is_workflow(&self) -> bool {
        *self == Self::Workflow
    }

    /// The kind of a decoded document: a playbook when it carries socdrift's playbook marker,
    /// else a workflow (opaque documents included).
    pub fn of(document: &Document) -> Kind {
        match &document.content {
            Content::Json(value) if soc_model::playbook::is_playbook(value) => Self::Playbook,
            _ => Self::Workflow,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One value per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ByKind<T> {
    /// The workflows'.
    pub workflows: T,
    /// The playbooks'.
    pub playbooks: T,
}

impl<T> ByKind<T> {
    /// The value of `kind`.
    pub fn get(&self, kind: Kind) -> &T {
        match kind {
            Kind::Workflow => &self.workflows,
            Kind::Playbook => &self.playbooks,
        }
    }

    /// The value of `kind`, mutably.
    pub fn get_mut(&mut self, kind: Kind) -> &mut T {
        match kind {
            Kind::Workflow => &mut self.workflows,
            Kind::Playbook => &mut self.playbooks,
        }
    }
}

impl<T> ByKind<Vec<T>> {
    /// Items split by the kind `kind_of` gives each, in their order.
    pub fn split(items: impl IntoIterator<Item = (Kind, T)>) -> Self {
        let mut out = ByKind {
            workflows: Vec::new(),
            playbooks: Vec::new(),
        };
        for (kind, item) in items {
            out.get_mut(kind).push(item);
        }
        out
    }
}

/// One side of a comparison, its documents by kind. `playbooks` is `None` when the side does not
/// know its playbooks (a snapshot taken before socdrift read them, a folder of workflow exports
/// only): then playbooks are not compared, and the report says so rather than calling every
/// playbook of the other side added or removed.
#[derive(Debug, Default)]
pub struct SideEntries {
    /// The workflows.
    pub workflows: Vec<Entry>,
    /// The playbooks, when the side knows them.
    pub playbooks: Option<Vec<Entry>>,
}

impl SideEntries {
    /// A side that knows both kinds.
    pub fn new(workflows: Vec<Entry>, playbooks: Vec<Entry>) -> Self {
        Self {
            workflows,
            playbooks: Some(playbooks),
        }
    }

    /// A side of workflows only, whose playbooks are unknown.
    pub fn workflows_only(workflows: Vec<Entry>) -> Self {
        Self {
            workflows,
            playbooks: None,
        }
    }
}

/// Why the versions of a playbook other than the active one never count as drift.
pub const OTHER_VERSIONS_REASON: &str =
    "not the active version: drafts and older versions do not run";

/// The accept rule every playbook comparison carries: differences in a playbook's other versions
/// (drafts, older versions) are shown, accepted with [`OTHER_VERSIONS_REASON`], never drift; the
/// active version is what runs. User rules come first, so theirs win where both apply.
pub fn other_versions_rule() -> AcceptRule {
    let path = format!("/{}/**", soc_model::playbook::OTHER_VERSIONS_KEY);
    AcceptRule::new("*", OTHER_VERSIONS_REASON)
        .and_then(|rule| rule.with_path(&path))
        // A constant pattern, tested below: not input, so a failure is a bug in this crate.
        .expect("the built-in pattern of other playbook versions parses")
        .for_kind(Kind::Playbook)
}

/// Compares two sides kind by kind and gathers the outcomes into one report.
///
/// Each kind is matched and diffed by [`diff()`] on its own, under `options` with the filters
/// for that kind ([`Filters::for_kind`](crate::report::Filters::for_kind)): `options.accept`
/// holds the accept rules about workflows (their `workflow` field names a workflow), and
/// `playbook_rules` those about playbooks (their `workflow` field names a playbook), followed by
/// [`other_versions_rule`]. A filter that selects nothing of either kind is
/// [`DiffError::NothingSelected`], as is one that selects only playbooks when a side does not know
/// its playbooks: a gate that compares nothing proves nothing.
pub fn diff_sides(
    left: SideEntries,
    right: SideEntries,
    profile: &Profile,
    options: &DiffOptions,
    playbook_rules: &[AcceptRule],
) -> Result<Report, DiffError> {
    let filters = &options.filters;
    let mut compared_any = false;
    let mut not_compared = BTreeMap::new();
    let mut workflows = Vec::new();
    let unnamed = || {
        "not named by the filters (--workflow, --playbook, or [check] workflow and playbook)"
            .to_owned()
    };
    if filters.for_kind(Kind::Workflow).is_none() {
        not_compared.insert(Kind::Workflow, unnamed());
    }
    if let Some(kind_filters) = filters.for_kind(Kind::Workflow) {
        let kind_options = DiffOptions {
            filters: kind_filters,
            ..options.clone()
        };
        match diff(left.workflows, right.workflows, profile, &kind_options) {
            Ok(report) => {
                compared_any = true;
                workflows = report.workflows;
            }
            Err(DiffError::NothingSelected { .. }) => {}
            Err(err) => return Err(err),
        }
    }
    let mut playbooks = Vec::new();
    if filters.for_kind(Kind::Playbook).is_none() {
        not_compared.insert(Kind::Playbook, unnamed());
    }
    if let Some(kind_filters) = filters.for_kind(Kind::Playbook) {
        match (left.playbooks, right.playbooks) {
            (Some(left_playbooks), Some(right_playbooks)) => {
                let mut accept = playbook_rules.to_vec();
                accept.push(other_versions_rule());
                let kind_options = DiffOptions {
                    filters: kind_filters,
                    accept,
                    ..options.clone()
                };
                match diff(left_playbooks, right_playbooks, profile, &kind_options) {
                    Ok(report) => {
                        compared_any = true;
                        playbooks = report.workflows;
                    }
                    Err(DiffError::NothingSelected { .. }) => {}
                    Err(err) => return Err(err),
                }
            }
            (None, None) => {
                not_compared.insert(
                    Kind::Playbook,
                    "neither side holds playbooks (folders of workflow exports, or snapshots \
                     taken before socdrift read playbooks)"
                        .to_owned(),
                );
            }
            (left_playbooks, _) => {
                let unknown = if left_playbooks.is_none() {
                    &options.left_label
                } else {
                    &options.right_label
                };
                not_compared.insert(
                    Kind::Playbook,
                    format!(
                        "the playbooks of {unknown} are not known (a snapshot taken before \
                         socdrift read playbooks, or a folder without playbook documents)"
                    ),
                );
            }
        }
    }
    if !compared_any && !filters.is_empty() {
        return Err(DiffError::NothingSelected {
            left: options.left_label.clone(),
            right: options.right_label.clone(),
            patterns: filters.patterns(),
        });
    }
    let mut report = Report::from_kinds(
        options.left_label.clone(),
        options.right_label.clone(),
        workflows,
        playbooks,
    );
    report.not_compared = not_compared;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_other_versions_rule_is_about_playbooks_and_their_other_versions() {
        let rule = other_versions_rule();
        assert_eq!(rule.kind(), Kind::Playbook);
        assert_eq!(rule.workflow(), "*");
        assert!(rule.path().is_some());
        assert_eq!(rule.reason(), OTHER_VERSIONS_REASON);
    }
}
