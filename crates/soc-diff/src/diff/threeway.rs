//! The three-way promotion view: each difference between the left and the right side, measured
//! against a base (typically what was last promoted), is `promote` (the left side changed it
//! since the base), `drift` (the right side changed it: a promotion would overwrite it) or
//! `conflict` (both changed it, differently). A change made identically on both sides is no
//! difference between them, so it never shows.
//!
//! A change of a modified workflow is classed by whether the base-to-left and the base-to-right
//! comparisons touch its address (the same place, a place inside it or one around it; positions
//! in a list without identity count as one place, so two edits of the same such list are a
//! conflict). A workflow added, removed or renamed as a whole is classed by what the base holds
//! under its names.

use std::collections::BTreeMap;

use serde_json::Value;

use super::matching::{by_name, select_one};
use super::structure::RawChange;
use super::versions;
use super::{DiffError, DiffOptions, Entry};
use crate::normalize::{Normalized, parse_canonical};
use crate::profile::Profile;
use crate::report::ChangeClass;

/// The base of a three-way comparison: its workflows by name, loaded only when needed.
pub(super) struct Base {
    label: String,
    profile_hash: String,
    entries: BTreeMap<String, Entry>,
    loaded: BTreeMap<String, Normalized>,
}

/// What the base says about a workflow of one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InBase {
    /// The base has no workflow of that name.
    Absent,
    /// It has one with the same content.
    Same,
    /// It has one with other content.
    Different,
}

impl Base {
    pub(super) fn new(
        entries: Vec<Entry>,
        label: &str,
        profile: &Profile,
        options: &DiffOptions,
    ) -> Result<Self, DiffError> {
        let entries = select_one(entries, &options.filters);
        Ok(Self {
            label: label.to_owned(),
            profile_hash: profile.hash(),
            entries: by_name(entries, label)?,
            loaded: BTreeMap::new(),
        })
    }

    pub(super) fn label(&self) -> &str {
        &self.label
    }

    /// The base's workflow of this name, loaded.
    pub(super) fn get(&mut self, name: &str) -> Result<Option<&Normalized>, DiffError> {
        if let Some(entry) = self.entries.remove(name) {
            let doc = entry.load(&self.label)?;
            self.loaded.insert(name.to_owned(), doc);
        }
        Ok(self.loaded.get(name))
    }

    /// Whether the base holds `doc` under `name`, as it is: by hash, without loading when the
    /// stored hash can be trusted.
    pub(super) fn holds(&mut self, name: &str, doc: &Normalized) -> Result<InBase, DiffError> {
        if let Some(entry) = self.entries.get(name) {
            if let Some((sha256, _)) = entry.fingerprint(&self.profile_hash) {
                return Ok(same(sha256 == doc.sha256));
            }
        }
        Ok(match self.get(name)? {
            None => InBase::Absent,
            Some(base) => same(base.sha256 == doc.sha256),
        })
    }
}

fn same(equal: bool) -> InBase {
    if equal {
        InBase::Same
    } else {
        InBase::Different
    }
}

/// The class of a workflow only on the left side (`left_only`) or only on the right side.
pub(super) fn one_sided(in_base: InBase, left_only: bool) -> ChangeClass {
    match (in_base, left_only) {
        // Added on the left since the base, or deleted on the left (a promotion deletes it).
        (InBase::Absent, true) | (InBase::Same, false) => ChangeClass::Promote,
        // Deleted on the right, or added on the right since the base.
        (InBase::Same, true) | (InBase::Absent, false) => ChangeClass::Drift,
        // Changed on one side, deleted on the other.
        (InBase::Different, _) => ChangeClass::Conflict,
    }
}

/// The class of a renamed workflow, from what the base holds under its old and new names.
pub(super) fn renamed(old: InBase, new: InBase) -> ChangeClass {
    match (old, new) {
        // The base has it under the old name, as the left side does: the right side renamed it.
        (InBase::Same, InBase::Absent) => ChangeClass::Drift,
        (InBase::Absent, InBase::Same) => ChangeClass::Promote,
        _ => ChangeClass::Conflict,
    }
}

/// One side of a modified workflow: its document and its tree.
pub(super) struct Side<'a> {
    pub(super) doc: &'a Normalized,
    pub(super) tree: &'a Value,
}

/// The class of each change (left to right) of a modified workflow, with the value the base
/// held there when it is known, and what the reader should know.
pub(super) fn classify(
    changes: &[RawChange],
    left: Side<'_>,
    right: Side<'_>,
    base: Option<&Normalized>,
    base_label: &str,
    profile: &Profile,
) -> (Vec<(ChangeClass, Option<Value>)>, Vec<String>) {
    let all = |class: ChangeClass, base_of: &dyn Fn(&RawChange) -> Option<Value>| {
        changes.iter().map(|c| (class, base_of(c))).collect()
    };
    let Some(base) = base else {
        let note = format!(
            "not in the base {base_label}: added on both sides since, differently, so every \
             difference is a conflict"
        );
        return (all(ChangeClass::Conflict, &|_| None), vec![note]);
    };
    // Only one side changed since the base: no need to read it.
    if base.sha256 == left.doc.sha256 {
        return (all(ChangeClass::Drift, &|c| c.left.clone()), Vec::new());
    }
    if base.sha256 == right.doc.sha256 {
        return (all(ChangeClass::Promote, &|c| c.right.clone()), Vec::new());
    }
    let Some(Ok(base_tree)) = base.canonical().map(parse_canonical) else {
        let note = format!(
            "the base {base_label} cannot be compared change by change, so every difference is \
             a conflict"
        );
        return (all(ChangeClass::Conflict, &|_| None), vec![note]);
    };
    let labels = (base_label, "");
    let since_left = versions::compare(&base_tree, left.tree, profile, labels).changes;
    let since_right = versions::compare(&base_tree, right.tree, profile, labels).changes;
    let mut unknown = 0;
    let classes = changes
        .iter()
        .map(|change| {
            let touched =
                |since: &[RawChange]| since.iter().any(|d| d.address.overlaps(&change.address));
            let class = match (touched(&since_left), touched(&since_right)) {
                (true, false) => ChangeClass::Promote,
                (false, true) => ChangeClass::Drift,
                (true, true) => ChangeClass::Conflict,
                (false, false) => {
                    unknown += 1;
                    ChangeClass::Conflict
                }
            };
            (class, base_value(change, &since_left, &since_right))
        })
        .collect();
    let mut notes = Vec::new();
    if unknown > 0 {
        notes.push(format!(
            "socdrift cannot tell which side changed {unknown} of these differences since the \
             base {base_label}; they count as conflicts"
        ));
    }
    (classes, notes)
}

/// The base's value at the change's place: the left value of a base-to-side change at exactly
/// that place (none when the base had nothing there).
fn base_value(
    change: &RawChange,
    since_left: &[RawChange],
    since_right: &[RawChange],
) -> Option<Value> {
    since_left
        .iter()
        .chain(since_right)
        .find(|d| d.address == change.address)
        .and_then(|d| d.left.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_workflows_are_classed_by_what_the_base_holds() {
        use ChangeClass::*;
        use InBase::*;
        // Only on the left: new work, the right deleted it, or both touched it.
        assert_eq!(one_sided(Absent, true), Promote);
        assert_eq!(one_sided(Same, true), Drift);
        assert_eq!(one_sided(Different, true), Conflict);
        // Only on the right: added there, deleted on the left, or both touched it.
        assert_eq!(one_sided(Absent, false), Drift);
        assert_eq!(one_sided(Same, false), Promote);
        assert_eq!(one_sided(Different, false), Conflict);
        assert_eq!(renamed(Same, Absent), Drift);
        assert_eq!(renamed(Absent, Same), Promote);
        assert_eq!(renamed(Absent, Absent), Conflict);
        assert_eq!(renamed(Different, Absent), Conflict);
    }
}
