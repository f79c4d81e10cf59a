//! Which version of a workflow runs, and how versions are named in addresses.
//!
//! A SecMaster workflow holds several versions (drafts, versions pending approval, rejected and
//! deactivated ones) and runs one: its active version, the one whose `status` is `activated`.
//! Addresses name that one `[@active]` and the others by their `version` label, so a rule or a
//! change means the same version whatever its position in the array. Normalization (user ignore
//! rules matched by address) and the differ (active versions compared apart from the others) both
//! ask this module.

use serde_json::{Map, Value};

use crate::address::Step;

/// The `status` of a version that runs (secmaster-api.md §2.2).
const ACTIVATED: &str = "activated";

/// Which version of one workflow runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Active {
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
pub fn active(workflow: &Map<String, Value>, versions: &[Value]) -> Active {
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

/// A version's `version` label, when it has a non-empty one.
pub fn label_of(version: Option<&Value>) -> Option<&str> {
    version?
        .get("version")?
        .as_str()
        .filter(|label| !label.is_empty())
}

/// A version's `status` (`activated`, `not_activated`, `pending_submit`, …), when it is a string.
pub fn status_of(version: &Value) -> Option<String> {
    version
        .get("status")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

impl Active {
    /// The index of the active version, when there is one and it is known.
    pub fn index(&self) -> Option<usize> {
        match self {
            Active::Index(i) => Some(*i),
            Active::None | Active::Unknown(_) => None,
        }
    }
}

/// The name of each version in an address: its `version` label, or, for a version without a
/// label or whose label is not unique in its workflow, `#1`, `#2`, … by position among such
/// versions.
pub fn names(versions: &[Value]) -> Vec<String> {
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
pub fn steps(workflow: &Map<String, Value>, versions: &[Value]) -> Vec<Step> {
    let active = active(workflow, versions).index();
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The active version of a workflow labelled `label` with these `(label, status)` versions.
    fn active_of_versions(label: &str, versions: &[(&str, &str)]) -> Active {
        let versions: Vec<Value> = versions
            .iter()
            .map(|(label, status)| {
                json!({"version": label, "status": status, "enabled": *status == "activated"})
            })
            .collect();
        active_of(&json!({"name": "wf", "version": label, "versions": versions}))
    }

    fn active_of(workflow: &Value) -> Active {
        let map = workflow.as_object().unwrap();
        active(map, map["versions"].as_array().unwrap())
    }

    #[test]
    fn the_active_version_is_the_activated_one() {
        let wf = active_of_versions(
            "v2",
            &[
                ("v1", "not_activated"),
                ("v2", "activated"),
                ("v3", "pending_submit"),
            ],
        );
        assert_eq!(wf, Active::Index(1));
        let none = active_of_versions("v1", &[("v1", "not_activated"), ("v2", "pending_approval")]);
        assert_eq!(none, Active::None);
        // Without statuses, `enabled` decides; without either, the workflow's own label.
        let enabled = json!({"version": "x", "versions": [{"version": "a", "enabled": false}, {"version": "b", "enabled": true}]});
        assert_eq!(active_of(&enabled), Active::Index(1));
        let labelled = json!({"version": "b", "versions": [{"version": "a"}, {"version": "b"}]});
        assert_eq!(active_of(&labelled), Active::Index(1));
        let unknown = json!({"version": "z", "versions": [{"version": "a"}, {"version": "b"}]});
        assert!(matches!(active_of(&unknown), Active::Unknown(_)));
        // Two activated: the workflow's label breaks the tie, or nothing does.
        let two = active_of_versions("v2", &[("v1", "activated"), ("v2", "activated")]);
        assert_eq!(two, Active::Index(1));
        let two = active_of_versions("v9", &[("v1", "activated"), ("v2", "activated")]);
        assert_eq!(two, Active::Unknown("2 versions are activated".into()));
    }
}
