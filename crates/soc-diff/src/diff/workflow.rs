//! Judging one workflow: unchanged, compared change by change, or added, removed or renamed as a
//! whole; with the notes a reader needs.

use std::collections::HashSet;

use serde_json::Value;

use super::structure::RawChange;
use super::text::unified_diff;
use super::versions::{self, OtherVersion};
use super::{DiffOptions, Rules};
use crate::normalize::{Normalized, NormalizedContent, parse_canonical};
use crate::profile::{ElementIds, Profile};
use crate::report::{ActiveVersions, ChangeKind, VersionReport, WorkflowReport, WorkflowStatus};

/// An unchanged workflow (its canvas layout may differ).
pub(super) fn unchanged(name: String, layout_changed: bool) -> WorkflowReport {
    WorkflowReport {
        layout_changed,
        ..WorkflowReport::new(name, WorkflowStatus::Unchanged)
    }
}

/// Compares two loaded documents of the same name.
pub(super) fn compare(
    name: String,
    l: &Normalized,
    r: &Normalized,
    profile: &Profile,
    options: &DiffOptions,
    rules: &Rules,
) -> WorkflowReport {
    let layout_changed = l.layout_sha256 != r.layout_sha256;
    if l.sha256 == r.sha256 {
        return unchanged(name, layout_changed);
    }
    let mut report = WorkflowReport {
        layout_changed,
        notes: side_notes(l, r, options),
        ..WorkflowReport::new(name, WorkflowStatus::Modified)
    };
    match parse_both(l, r, options, &mut report.notes) {
        Some((lv, rv)) => {
            let labels = (options.left_label.as_str(), options.right_label.as_str());
            let compared = versions::compare(&lv, &rv, profile, labels);
            if compared.changes.is_empty() && compared.others.is_empty() {
                // The hashes differ only because of item order in arrays compared as sets, by
                // key or (versions) by label (a profile that compares them so should also sort
                // them; say so rather than hide it).
                let mut unchanged = unchanged(report.name, layout_changed);
                unchanged.notes.push(
                    "canonical texts differ only in the order of array items that are compared \
                     as sets, by key or by version label"
                        .to_owned(),
                );
                return unchanged;
            }
            if only_element_ids_differ(&compared.changes, &lv, &rv, profile) {
                report.notes.push(
                    "only the ids of BPMN elements differ; if this workflow was built separately \
                     in each workspace rather than exported and imported, set \
                     `element_ids = \"by_name\"` in [normalize]"
                        .to_owned(),
                );
            }
            report.notes.extend(compared.notes);
            report.active = compared
                .active_labels
                .map(|(left, right)| ActiveVersions { left, right });
            report.versions = compared.others.into_iter().map(other_version).collect();
            judge_changes(&mut report, compared.changes, rules);
        }
        None => {
            let verdict = rules.verdict(&[&report.name], None);
            report.notes.extend(verdict.expired);
            report.drift = verdict.accepted.is_none();
            report.accepted = verdict.accepted;
        }
    }
    report.text_diff = l
        .canonical()
        .zip(r.canonical())
        .and_then(|(lc, rc)| unified_diff(lc, rc, &report.name, &report.name, options));
    dedup_in_order(&mut report.notes);
    report
}

/// Whether every change is inside a taskflow and the workflows would be equal with
/// `element_ids = "by_name"`: the hint for workflows built separately in each workspace.
fn only_element_ids_differ(changes: &[RawChange], l: &Value, r: &Value, profile: &Profile) -> bool {
    // Renormalizing both sides is not free: only when a taskflow changed at all.
    let in_taskflow = |c: &RawChange| c.pointer.iter().any(|s| s == "taskflow");
    profile.element_ids() == ElementIds::Keep
        && !changes.is_empty()
        && changes.iter().all(in_taskflow)
        && crate::element_ids::differ_only_in_element_ids(l, r, profile)
}

/// Asks the accept rules about each change; the workflow drifts when one is not accepted.
fn judge_changes(report: &mut WorkflowReport, changes: Vec<RawChange>, rules: &Rules) {
    for change in changes {
        let place = (&change.address, change.pointer.as_slice());
        let verdict = rules.verdict(&[&report.name], Some(place));
        report.notes.extend(verdict.expired);
        report.drift |= verdict.accepted.is_none();
        let mut change = change.into_change();
        change.accepted = verdict.accepted;
        report.changes.push(change);
    }
}

fn other_version(other: OtherVersion) -> VersionReport {
    VersionReport {
        version: other.label,
        status: match other.kind {
            ChangeKind::Added => WorkflowStatus::Added,
            ChangeKind::Removed => WorkflowStatus::Removed,
            ChangeKind::Changed => WorkflowStatus::Modified,
        },
        left_status: other.left_status,
        right_status: other.right_status,
        changes: other
            .changes
            .into_iter()
            .map(RawChange::into_change)
            .collect(),
    }
}

/// The canonical trees of both documents, or `None` (with a note saying why) when the workflow
/// can only be judged as a whole.
///
/// Documents keep only their canonical text; the trees are rebuilt here, for the workflows whose
/// hashes differ.
fn parse_both(
    l: &Normalized,
    r: &Normalized,
    options: &DiffOptions,
    notes: &mut Vec<String>,
) -> Option<(Value, Value)> {
    let (NormalizedContent::Json { canonical: lc }, NormalizedContent::Json { canonical: rc }) =
        (&l.content, &r.content)
    else {
        notes.push(format!(
            "binary content changed (sha256 {} -> {})",
            l.sha256, r.sha256
        ));
        return None;
    };
    match (parse_canonical(lc), parse_canonical(rc)) {
        (Ok(lv), Ok(rv)) => Some((lv, rv)),
        (left, right) => {
            // Normalization and the store only ever hand over text that parses; a `Normalized`
            // built some other way is still compared, as text.
            for (side, err) in [
                (&options.left_label, left.err()),
                (&options.right_label, right.err()),
            ] {
                if let Some(err) = err {
                    notes.push(format!(
                        "{side}: the canonical text does not parse ({err}); compared as text only"
                    ));
                }
            }
            None
        }
    }
}

pub(super) fn one_sided(
    doc: &Normalized,
    status: WorkflowStatus,
    previous_name: Option<&str>,
    rules: &Rules,
) -> WorkflowReport {
    let mut names = vec![doc.name.as_str()];
    names.extend(previous_name);
    let verdict = rules.verdict(&names, None);
    let mut notes = doc.notes.clone();
    notes.extend(verdict.expired);
    dedup_in_order(&mut notes);
    WorkflowReport {
        previous_name: previous_name.map(str::to_owned),
        drift: verdict.accepted.is_none(),
        accepted: verdict.accepted,
        notes,
        ..WorkflowReport::new(doc.name.clone(), status)
    }
}

/// Notes from normalizing either side; a note only one side has is prefixed with that side's label.
fn side_notes(l: &Normalized, r: &Normalized, options: &DiffOptions) -> Vec<String> {
    let mut notes = Vec::new();
    for note in &l.notes {
        if r.notes.contains(note) {
            notes.push(note.clone());
        } else {
            notes.push(format!("{}: {note}", options.left_label));
        }
    }
    for note in &r.notes {
        if !l.notes.contains(note) {
            notes.push(format!("{}: {note}", options.right_label));
        }
    }
    notes
}

fn dedup_in_order(notes: &mut Vec<String>) {
    let mut seen = HashSet::new();
    notes.retain(|note| seen.insert(note.clone()));
}
