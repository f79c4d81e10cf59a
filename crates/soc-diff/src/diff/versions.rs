//! A workflow's versions: what runs is compared first, the rest is reported apart.
//!
//! A SecMaster workflow holds several versions (drafts, versions pending approval, rejected and
//! deactivated ones) and runs one: its active version, the one whose `status` is `activated`.
//! Comparing the versions array position by position would let a draft in staging fake drift (it
//! sits where production's active version sits) or hide it. So:
//!
//! - the active versions of the two sides are compared with each other, whatever their labels,
//!   at the address `/versions[@active]`; their differences are drift;
//! - every other version is paired with the other side's version of the same `version` label
//!   (`/versions[v1.2.0]`) and reported as an other version: never drift;
//! - when only one side has an active version, it is compared with the other side's version of the
//!   same label (so a deactivated version shows as `status: "activated" -> "not_activated"`), or
//!   reported as added or removed as a whole; either way it is drift, since what runs differs;
//! - when neither side has one, nothing runs: every version is an other version;
//! - when socdrift cannot tell which version is active (several are activated, or the status is
//!   ignored and nothing else says), every version is paired by label and counts as drift, with a
//!   note: not knowing never turns into "no drift".

use serde_json::{Map, Value};

use super::structure::{Differ, RawChange};
use crate::address::Step;
use crate::profile::Profile;
use crate::report::ChangeKind;

/// The `status` of a version that runs (secmaster-api.md §2.2).
const ACTIVATED: &str = "activated";

/// Which version of one workflow runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Active {
    /// The version at this index of `versions`.
    Index(usize),
    /// None: the workflow runs nothing (no version is activated).
    None,
    /// It cannot be told; the text says why.
    Unknown(String),
}

/// Which version of `workflow` (a normalized workflow object with a `versions` array) is active.
///
/// The version whose `status` is `activated`; when no version has a `status` (a user rule may
/// ignore it), the one whose `enabled` is `true`; when several qualify, or neither field exists,
/// the one whose `version` label is the workflow's own `version` (the label of its active version;
/// the workflow's `version_id` says the same by id, but ids are dropped by normalization).
pub(crate) fn active(workflow: &Map<String, Value>, versions: &[Value]) -> Active {
    let has = |field: &str| versions.iter().any(|v| v.get(field).is_some());
    let candidates: Vec<usize> = if has("status") {
        indices(versions, |v| {
            v.get("status").and_then(Value::as_str) == Some(ACTIVATED)
        })
    } else if has("enabled") {
        indices(versions, |v| {
            v.get("enabled").and_then(Value::as_bool) == Some(true)
        })
    } else {
        (0..versions.len()).collect()
    };
    let decided_by_status = has("status") || has("enabled");
    match candidates.as_slice() {
        [one] if decided_by_status => return Active::Index(*one),
        [] if decided_by_status => return Active::None,
        _ => {}
    }
    let label = workflow.get("version").and_then(Value::as_str);
    let by_label: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|&i| label.is_some() && label_of(versions.get(i)) == label)
        .collect();
    match by_label.as_slice() {
        [one] => Active::Index(*one),
        _ if decided_by_status => Active::Unknown(format!(
            "{} versions are activated",
            candidates.len()
        )),
        _ => Active::Unknown(
            "no version has a `status` or `enabled` field, and the workflow's `version` names none of them"
                .to_owned(),
        ),
    }
}

fn indices(versions: &[Value], keep: impl Fn(&Value) -> bool) -> Vec<usize> {
    (0..versions.len())
        .filter(|&i| versions.get(i).is_some_and(&keep))
        .collect()
}

fn label_of(version: Option<&Value>) -> Option<&str> {
    version?
        .get("version")?
        .as_str()
        .filter(|label| !label.is_empty())
}

fn status_of(version: &Value) -> Option<String> {
    version
        .get("status")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// One version of one side: its index in `versions` and its value.
type Side<'v> = Option<(usize, &'v Value)>;

/// What comparing two workflows found, with their versions paired as the module docs say.
#[derive(Debug, Default)]
pub(super) struct Compared<'v> {
    /// Workflow-level changes and those of the active versions: what counts as drift.
    pub(super) changes: Vec<RawChange>,
    /// The other versions that differ, by label.
    pub(super) others: Vec<OtherVersion>,
    /// The active version's label on each side, when the workflows have versions at all.
    pub(super) active_labels: Option<(Option<String>, Option<String>)>,
    /// The active versions themselves (for the graph summary), when both sides have one.
    pub(super) active_pair: Option<(&'v Value, &'v Value)>,
    /// What the reader should know about how versions were paired.
    pub(super) notes: Vec<String>,
}

/// An other version (not the active one) that differs between the sides.
#[derive(Debug)]
pub(super) struct OtherVersion {
    pub(super) label: String,
    pub(super) left_status: Option<String>,
    pub(super) right_status: Option<String>,
    /// `Added`, `Removed` or `Changed` (then `changes` says what).
    pub(super) kind: ChangeKind,
    pub(super) changes: Vec<RawChange>,
}

/// Compares two normalized workflows, versions as the module docs say. Values that are not
/// workflows with a `versions` array on both sides are compared as plain JSON.
pub(super) fn compare<'v>(
    left: &'v Value,
    right: &'v Value,
    profile: &Profile,
    labels: (&str, &str),
) -> Compared<'v> {
    let mut differ = Differ::new(profile);
    let (Some(l), Some(r)) = (left.as_object(), right.as_object()) else {
        differ.value(left, right);
        return Compared {
            changes: differ.finish(),
            ..Compared::default()
        };
    };
    let versions = |side: &'v Map<String, Value>| side.get("versions").and_then(Value::as_array);
    let (Some(lv), Some(rv)) = (versions(l), versions(r)) else {
        differ.object(l, r, None);
        return Compared {
            changes: differ.finish(),
            ..Compared::default()
        };
    };
    differ.object(l, r, Some("versions"));
    let mut compared = Compared::default();
    let (la, ra) = (active(l, lv), active(r, rv));
    let mut pairs = Pairs::new(lv, rv);
    if let Some(why) = unknown(&la, &ra, labels) {
        compared.notes.push(why);
        for (label, left, right) in pairs.by_label() {
            differ.within(&["versions"], vec![Step::Key("versions".to_owned())], |d| {
                version(d, Step::Item(label), left, right);
            });
        }
        compared.changes = differ.finish();
        return compared;
    }
    let left_active = index_of(&la).and_then(|i| pairs.take_left(i));
    let right_active = index_of(&ra).and_then(|i| pairs.take_right(i));
    compared.active_labels = Some((
        left_active
            .and_then(|(_, v)| label_of(Some(v)))
            .map(str::to_owned),
        right_active
            .and_then(|(_, v)| label_of(Some(v)))
            .map(str::to_owned),
    ));
    let (left_active, right_active) = match (left_active, right_active) {
        // Only one side runs a version: compare it with the same version on the other side.
        (Some(l), None) => (Some(l), pairs.take_right_labelled(label_of(Some(l.1)))),
        (None, Some(r)) => (pairs.take_left_labelled(label_of(Some(r.1))), Some(r)),
        pair => pair,
    };
    if let (Some((_, l)), Some((_, r))) = (left_active, right_active) {
        compared.active_pair = Some((l, r));
    }
    if left_active.is_none() && right_active.is_none() {
        compared.notes.push(
            "no version is active on either side, so nothing runs: every version is listed \
             under other versions, which are not drift"
                .to_owned(),
        );
    } else {
        differ.within(&["versions"], vec![Step::Key("versions".to_owned())], |d| {
            version(d, Step::Active, left_active, right_active);
        });
    }
    compared.changes = differ.finish();
    compared.others = others(pairs, profile);
    compared
}

/// The other versions (those left once the active ones are paired) that differ, by label.
fn others(pairs: Pairs<'_>, profile: &Profile) -> Vec<OtherVersion> {
    let mut others = Vec::new();
    for (label, left, right) in pairs.by_label() {
        let mut differ = Differ::new(profile);
        differ.within(&["versions"], vec![Step::Key("versions".to_owned())], |d| {
            version(d, Step::Item(label.clone()), left, right);
        });
        let changes = differ.finish();
        if changes.is_empty() {
            continue;
        }
        others.push(OtherVersion {
            label,
            left_status: left.and_then(|(_, v)| status_of(v)),
            right_status: right.and_then(|(_, v)| status_of(v)),
            kind: match (left, right) {
                (Some(_), None) => ChangeKind::Removed,
                (None, Some(_)) => ChangeKind::Added,
                _ => ChangeKind::Changed,
            },
            changes,
        });
    }
    others
}

fn index_of(active: &Active) -> Option<usize> {
    match active {
        Active::Index(i) => Some(*i),
        Active::None | Active::Unknown(_) => None,
    }
}

/// The note when a side's active version cannot be told, `None` when both can.
fn unknown(left: &Active, right: &Active, labels: (&str, &str)) -> Option<String> {
    let why: Vec<String> = [(left, labels.0), (right, labels.1)]
        .into_iter()
        .filter_map(|(active, side)| match active {
            Active::Unknown(why) => Some(format!("{side}: {why}")),
            Active::Index(_) | Active::None => None,
        })
        .collect();
    (!why.is_empty()).then(|| {
        format!(
            "cannot tell which version is active ({}); every version is compared with the other \
             side's version of the same label, and all of it counts as drift",
            why.join("; ")
        )
    })
}

/// Compares one version of each side (either may be missing) at `step` below `/versions`. The
/// pointer names the right side's index (the left side's for a removal).
fn version(differ: &mut Differ<'_>, step: Step, left: Side<'_>, right: Side<'_>) {
    match (left, right) {
        (Some((_, l)), Some((j, r))) => {
            let index = j.to_string();
            differ.within(&[&index], vec![step], |d| d.value(l, r));
        }
        (Some((i, l)), None) => {
            let index = i.to_string();
            differ.within(&[&index], vec![step], |d| {
                d.emit(ChangeKind::Removed, Some(l), None);
            });
        }
        (None, Some((j, r))) => {
            let index = j.to_string();
            differ.within(&[&index], vec![step], |d| {
                d.emit(ChangeKind::Added, None, Some(r));
            });
        }
        (None, None) => {}
    }
}

/// The name of each version in an address: its `version` label, or, for a version without a
/// label or whose label is not unique in its workflow, `#1`, `#2`, … by position among such
/// versions.
fn names(versions: &[Value]) -> Vec<String> {
    let labels: Vec<Option<&str>> = versions.iter().map(|v| label_of(Some(v))).collect();
    let mut unnamed = 0;
    labels
        .iter()
        .map(|label| match label {
            Some(l) if labels.iter().filter(|x| *x == label).count() == 1 => (*l).to_owned(),
            _ => {
                unnamed += 1;
                format!("#{unnamed}")
            }
        })
        .collect()
}

/// The address step of each version of a workflow, as the differ names them: `[@active]` for
/// the active one, its name (see [`names`]) for the others.
pub(crate) fn steps(workflow: &Map<String, Value>, versions: &[Value]) -> Vec<Step> {
    let active = index_of(&active(workflow, versions));
    names(versions)
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            if Some(i) == active {
                Step::Active
            } else {
                Step::Item(name)
            }
        })
        .collect()
}

/// The versions of both sides not yet paired, with their names.
struct Pairs<'v> {
    left: Vec<Side<'v>>,
    right: Vec<Side<'v>>,
    names: (Vec<String>, Vec<String>),
}

impl<'v> Pairs<'v> {
    fn new(left: &'v [Value], right: &'v [Value]) -> Self {
        let sides = |versions: &'v [Value]| versions.iter().enumerate().map(Some).collect();
        Self {
            left: sides(left),
            right: sides(right),
            names: (names(left), names(right)),
        }
    }

    fn take_left(&mut self, index: usize) -> Side<'v> {
        self.left.get_mut(index).and_then(Option::take)
    }

    fn take_right(&mut self, index: usize) -> Side<'v> {
        self.right.get_mut(index).and_then(Option::take)
    }

    fn take_left_labelled(&mut self, label: Option<&str>) -> Side<'v> {
        take_labelled(&mut self.left, label?)
    }

    fn take_right_labelled(&mut self, label: Option<&str>) -> Side<'v> {
        take_labelled(&mut self.right, label?)
    }

    /// Every version left, paired by name: `(name, left, right)` in name order.
    fn by_label(self) -> Vec<(String, Side<'v>, Side<'v>)> {
        let mut paired: std::collections::BTreeMap<String, (Side<'v>, Side<'v>)> =
            std::collections::BTreeMap::new();
        for (version, name) in self.left.into_iter().zip(self.names.0) {
            if version.is_some() {
                paired.entry(name).or_default().0 = version;
            }
        }
        for (version, name) in self.right.into_iter().zip(self.names.1) {
            if version.is_some() {
                paired.entry(name).or_default().1 = version;
            }
        }
        paired
            .into_iter()
            .map(|(label, (left, right))| (label, left, right))
            .collect()
    }
}

fn take_labelled<'v>(versions: &mut [Side<'v>], label: &str) -> Side<'v> {
    versions
        .iter_mut()
        .find(|v| v.is_some_and(|(_, v)| label_of(Some(v)) == Some(label)))
        .and_then(Option::take)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(label: &str, status: &str, timeout: i64) -> Value {
        json!({"version": label, "status": status, "enabled": status == "activated",
               "taskconfig": {"timeout": timeout}})
    }

    fn workflow(label: &str, versions: Vec<Value>) -> Value {
        json!({"name": "wf", "version": label, "versions": versions})
    }

    fn active_of(workflow: &Value) -> Active {
        let map = workflow.as_object().unwrap();
        active(map, map["versions"].as_array().unwrap())
    }

    fn paths(changes: &[RawChange]) -> Vec<String> {
        changes.iter().map(|c| c.address.to_string()).collect()
    }

    fn run(left: &Value, right: &Value) -> Compared<'static> {
        let (l, r) = (
            Box::leak(Box::new(left.clone())),
            Box::leak(Box::new(right.clone())),
        );
        compare(
            l,
            r,
            Box::leak(Box::new(Profile::secmaster())),
            ("staging", "production"),
        )
    }

    #[test]
    fn the_active_version_is_the_activated_one() {
        let wf = workflow(
            "v2",
            vec![
                v("v1", "not_activated", 1),
                v("v2", "activated", 2),
                v("v3", "pending_submit", 3),
            ],
        );
        assert_eq!(active_of(&wf), Active::Index(1));
        let none = workflow(
            "v1",
            vec![v("v1", "not_activated", 1), v("v2", "pending_approval", 2)],
        );
        assert_eq!(active_of(&none), Active::None);
        // Without statuses, `enabled` decides; without either, the workflow's own label.
        let enabled = json!({"version": "x", "versions": [{"version": "a", "enabled": false}, {"version": "b", "enabled": true}]});
        assert_eq!(active_of(&enabled), Active::Index(1));
        let labelled = json!({"version": "b", "versions": [{"version": "a"}, {"version": "b"}]});
        assert_eq!(active_of(&labelled), Active::Index(1));
        let unknown = json!({"version": "z", "versions": [{"version": "a"}, {"version": "b"}]});
        assert!(matches!(active_of(&unknown), Active::Unknown(_)));
        // Two activated: the workflow's label breaks the tie, or nothing does.
        let two = workflow("v2", vec![v("v1", "activated", 1), v("v2", "activated", 2)]);
        assert_eq!(active_of(&two), Active::Index(1));
        let two = workflow("v9", vec![v("v1", "activated", 1), v("v2", "activated", 2)]);
        assert_eq!(
            active_of(&two),
            Active::Unknown("2 versions are activated".into())
        );
    }

    #[test]
    fn a_draft_neither_hides_nor_fakes_drift_in_what_runs() {
        // Staging has a new draft at the front; what runs is the same on both sides.
        let staging = workflow(
            "v1",
            vec![v("v2", "pending_submit", 99), v("v1", "activated", 10)],
        );
        let production = workflow("v1", vec![v("v1", "activated", 10)]);
        let compared = run(&staging, &production);
        assert!(
            compared.changes.is_empty(),
            "{:?}",
            paths(&compared.changes)
        );
        assert_eq!(compared.others.len(), 1);
        let draft = &compared.others[0];
        assert_eq!(
            (draft.label.as_str(), draft.kind),
            ("v2", ChangeKind::Removed)
        );
        assert_eq!(draft.left_status.as_deref(), Some("pending_submit"));
        assert_eq!(paths(&draft.changes), ["/versions[v2]"]);

        // Production's active version changed behind a draft: it is drift, at @active.
        let production = workflow("v1", vec![v("v1", "activated", 20)]);
        let compared = run(&staging, &production);
        assert_eq!(
            paths(&compared.changes),
            ["/versions[@active]/taskconfig/timeout"]
        );
        assert_eq!(
            compared.changes[0].pointer,
            ["versions", "0", "taskconfig", "timeout"]
        );
        assert_eq!(
            compared.active_labels,
            Some((Some("v1".into()), Some("v1".into())))
        );
        assert!(compared.active_pair.is_some());
    }

    #[test]
    fn active_versions_are_compared_whatever_their_labels() {
        let staging = workflow(
            "v3",
            vec![v("v2", "not_activated", 1), v("v3", "activated", 5)],
        );
        let production = workflow("v2", vec![v("v2", "activated", 1)]);
        let compared = run(&staging, &production);
        assert_eq!(
            paths(&compared.changes),
            [
                "/version",
                "/versions[@active]/taskconfig/timeout",
                "/versions[@active]/version"
            ]
        );
        // Staging's v2 is not what runs there, so it is an other version, removed.
        assert_eq!(compared.others.len(), 1);
        assert_eq!(compared.others[0].label, "v2");
    }

    #[test]
    fn one_side_without_an_active_version_is_drift() {
        let staging = workflow("v1", vec![v("v1", "activated", 1)]);
        let deactivated = workflow("v1", vec![v("v1", "not_activated", 1)]);
        let compared = run(&staging, &deactivated);
        let changed: Vec<_> = compared
            .changes
            .iter()
            .map(|c| (c.address.to_string(), c.right.clone()))
            .collect();
        assert_eq!(
            changed,
            [
                ("/versions[@active]/enabled".to_owned(), Some(json!(false))),
                (
                    "/versions[@active]/status".to_owned(),
                    Some(json!("not_activated"))
                ),
            ]
        );
        let never = workflow("v1", vec![v("v0", "pending_submit", 1)]);
        let compared = run(&staging, &never);
        assert_eq!(paths(&compared.changes), ["/versions[@active]"]);
        assert_eq!(compared.changes[0].kind, ChangeKind::Removed);
        assert_eq!(compared.others[0].label, "v0");
    }

    #[test]
    fn nothing_runs_on_either_side() {
        let staging = workflow("v1", vec![v("v1", "pending_submit", 1)]);
        let production = workflow("v1", vec![v("v1", "pending_approval", 2)]);
        let compared = run(&staging, &production);
        assert!(compared.changes.is_empty());
        assert_eq!(compared.others[0].kind, ChangeKind::Changed);
        assert!(
            compared.notes[0].contains("nothing runs"),
            "{:?}",
            compared.notes
        );
    }

    #[test]
    fn an_unknown_active_version_compares_everything_as_drift() {
        let staging = workflow("v9", vec![v("v1", "activated", 1), v("v2", "activated", 2)]);
        let production = workflow("v9", vec![v("v1", "activated", 1), v("v2", "activated", 3)]);
        let compared = run(&staging, &production);
        assert_eq!(
            paths(&compared.changes),
            ["/versions[v2]/taskconfig/timeout"]
        );
        assert!(compared.notes[0].starts_with("cannot tell which version is active (staging: 2 versions are activated; production: 2 versions are activated)"), "{:?}", compared.notes);
    }

    #[test]
    fn versions_without_unique_labels_are_paired_by_position() {
        let staging = json!({"versions": [{"n": 1}, {"n": 2}]});
        let production = json!({"versions": [{"n": 1}, {"n": 3}]});
        let compared = run(&staging, &production);
        assert_eq!(paths(&compared.changes), ["/versions[#2]/n"]);
    }
}
