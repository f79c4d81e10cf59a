//! Both kinds of document compared in one run: workflows, and the playbooks that decide when they run.
//!
//! [`diff_sides`] matches and diffs each [`Kind`] on its own with [`diff()`](crate::diff()) and
//! gathers both into one [`Report`], so a workflow and a playbook of the same name are never
//! matched with each other.

use std::collections::BTreeMap;

use soc_normalize::{Kind, Profile, SideEntries};

use crate::diff::{AcceptRule, DiffError, DiffOptions, diff};
use crate::report::Report;

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
