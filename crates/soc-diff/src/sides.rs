//! Both kinds of document compared in one run: workflows, and the playbooks that decide when they run.
//!
//! [`diff_sides`] matches and diffs each [`Kind`] on its own with [`diff()`](crate::diff()) and
//! gathers both into one [`Report`], so a workflow and a playbook of the same name are never
//! matched with each other; [`diff_sides_three`] does the same against a base, with
//! [`diff_three`].

use std::collections::BTreeMap;

use soc_normalize::{Entry, Kind, Profile, SideEntries};

use crate::diff::{AcceptRule, DiffError, DiffOptions, diff, diff_three};
use crate::report::{Report, WorkflowReport};

/// Why the versions of a playbook other than the active one never count as drift.
pub const OTHER_VERSIONS_REASON: &str =
    "not the active version: drafts and older versions do not run";

/// The accept rule every playbook comparison carries: differences in a playbook's other versions
/// (drafts, older versions) are shown, accepted with [`OTHER_VERSIONS_REASON`], never drift; the
/// active version is what runs. User rules come first, so theirs win where both apply.
pub(crate) fn other_versions_rule() -> AcceptRule {
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
/// the built-in rule that accepts every difference in a playbook's other versions
/// ([`OTHER_VERSIONS_REASON`]). A filter that selects nothing of either kind is
/// [`DiffError::NothingSelected`], as is one that selects only playbooks when a side does not know
/// its playbooks: a gate that compares nothing proves nothing.
pub fn diff_sides(
    left: SideEntries,
    right: SideEntries,
    profile: &Profile,
    options: &DiffOptions,
    playbook_rules: &[AcceptRule],
) -> Result<Report, DiffError> {
    compare_sides(left, right, None, profile, options, playbook_rules)
}

/// [`diff_sides`] with every difference classed against `base`, kind by kind, as
/// [`diff_three`] does for one kind. Playbooks are compared when all three sides know them; when
/// the base does not, the report says so (their differences cannot be classed without it).
pub fn diff_sides_three(
    left: SideEntries,
    right: SideEntries,
    base: SideEntries,
    profile: &Profile,
    options: &DiffOptions,
    playbook_rules: &[AcceptRule],
) -> Result<Report, DiffError> {
    compare_sides(left, right, Some(base), profile, options, playbook_rules)
}

/// Both kinds compared, two ways or (with `base`) three ways.
fn compare_sides(
    left: SideEntries,
    right: SideEntries,
    base: Option<SideEntries>,
    profile: &Profile,
    options: &DiffOptions,
    playbook_rules: &[AcceptRule],
) -> Result<Report, DiffError> {
    let three_way = base.is_some();
    let (base_workflows, base_playbooks) = match base {
        Some(base) => (Some(base.workflows), Some(base.playbooks)),
        None => (None, None),
    };
    let filters = &options.filters;
    let mut not_compared = BTreeMap::new();
    let unnamed = || {
        "not named by the filters (--workflow, --playbook, or [check] workflow and playbook)"
            .to_owned()
    };
    let for_kind = |kind| {
        filters.for_kind(kind).map(|filters| DiffOptions {
            filters,
            ..options.clone()
        })
    };
    let workflows = match for_kind(Kind::Workflow) {
        None => {
            not_compared.insert(Kind::Workflow, unnamed());
            None
        }
        Some(kind_options) => {
            let sides = (left.workflows, right.workflows);
            diff_kind(sides, base_workflows, profile, &kind_options)?
        }
    };
    let playbooks = match for_kind(Kind::Playbook) {
        None => {
            not_compared.insert(Kind::Playbook, unnamed());
            None
        }
        Some(kind_options) => {
            let sides = (left.playbooks, right.playbooks);
            compare_playbooks(
                sides,
                base_playbooks,
                profile,
                &kind_options,
                playbook_rules,
            )?
            .unwrap_or_else(|why| {
                not_compared.insert(Kind::Playbook, why);
                None
            })
        }
    };
    if workflows.is_none() && playbooks.is_none() && !filters.is_empty() {
        return Err(DiffError::NothingSelected {
            left: options.left_label.clone(),
            right: options.right_label.clone(),
            patterns: filters.patterns(),
        });
    }
    let mut report = Report::from_kinds(
        options.left_label.clone(),
        options.right_label.clone(),
        workflows.unwrap_or_default(),
        playbooks.unwrap_or_default(),
    );
    report.not_compared = not_compared;
    Ok(if three_way {
        report.with_base(options.base_label.clone())
    } else {
        report
    })
}

/// The playbooks of both sides diffed (against the base's in a three-way comparison) under the
/// user's playbook rules and the built-in one about other versions; `Ok(Err(why))` when a side
/// does not know its playbooks.
fn compare_playbooks(
    sides: (Option<Vec<Entry>>, Option<Vec<Entry>>),
    base: Option<Option<Vec<Entry>>>,
    profile: &Profile,
    options: &DiffOptions,
    playbook_rules: &[AcceptRule],
) -> Result<Result<Option<Vec<WorkflowReport>>, String>, DiffError> {
    let (sides, base) = match known_playbooks(sides, base, options) {
        Ok(known) => known,
        Err(why) => return Ok(Err(why)),
    };
    let mut accept = playbook_rules.to_vec();
    accept.push(other_versions_rule());
    let options = DiffOptions {
        accept,
        ..options.clone()
    };
    diff_kind(sides, base, profile, &options).map(Ok)
}

/// The documents of one kind diffed (against the base's when there is one); `None` when the
/// filters select none of them.
fn diff_kind(
    (left, right): Pair,
    base: Option<Vec<Entry>>,
    profile: &Profile,
    options: &DiffOptions,
) -> Result<Option<Vec<WorkflowReport>>, DiffError> {
    let report = match base {
        None => diff(left, right, profile, options),
        Some(base) => diff_three(left, right, base, profile, options),
    };
    match report {
        Ok(report) => Ok(Some(report.workflows)),
        Err(DiffError::NothingSelected { .. }) => Ok(None),
        Err(err) => Err(err),
    }
}

/// The left and the right side's documents of one kind.
type Pair = (Vec<Entry>, Vec<Entry>);

/// Both sides' playbooks (and the base's, in a three-way comparison), or why they cannot be
/// compared (a side that does not know them).
fn known_playbooks(
    (left, right): (Option<Vec<Entry>>, Option<Vec<Entry>>),
    base: Option<Option<Vec<Entry>>>,
    options: &DiffOptions,
) -> Result<(Pair, Option<Vec<Entry>>), String> {
    match (left, right) {
        (Some(left), Some(right)) => match base {
            None => Ok(((left, right), None)),
            Some(Some(base)) => Ok(((left, right), Some(base))),
            Some(None) => Err(format!(
                "the playbooks of the base {} are not known (a snapshot taken before socdrift \
                 read playbooks, or a folder without playbook documents), so their differences \
                 cannot be classed",
                options.base_label
            )),
        },
        (None, None) => Err(
            "neither side holds playbooks (folders of workflow exports, or \
                             snapshots taken before socdrift read playbooks)"
                .to_owned(),
        ),
        (left, _) => {
            let unknown = if left.is_none() {
                &options.left_label
            } else {
                &options.right_label
            };
            Err(format!(
                "the playbooks of {unknown} are not known (a snapshot taken before socdrift \
                 read playbooks, or a folder without playbook documents)"
            ))
        }
    }
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
