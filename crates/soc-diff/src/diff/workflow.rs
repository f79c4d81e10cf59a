//! Judging one workflow: unchanged, compared change by change, or added, removed or renamed as a
//! whole; with the notes a reader needs.

use std::collections::HashSet;

use serde_json::Value;

use super::graph;
use super::structure::RawChange;
use super::text::unified_diff;
use super::threeway::{self, Side};
use super::versions::{self, OtherVersion};
use super::{DiffOptions, Run};
use crate::normalize::{Normalized, NormalizedContent, parse_canonical};
use crate::profile::{ElementIds, Profile};
use crate::report::{
    ActiveVersions, ChangeClass, ChangeKind, GraphSummary, VersionReport, WorkflowReport,
    WorkflowStatus,
};

/// An unchanged workflow (its canvas layout may differ).
pub(super) fn unchanged(name: String, layout_changed: bool) -> WorkflowReport {
    WorkflowReport {
        layout_changed,
        ..WorkflowReport::new(name, WorkflowStatus::Unchanged)
    }
}

/// Compares two loaded documents of the same name; in a three-way comparison `base` is
/// `Some`, holding the base's document of that name if it has one.
pub(super) fn compare(
    name: String,
    l: &Normalized,
    r: &Normalized,
    run: &Run<'_>,
    base: Option<Option<&Normalized>>,
) -> WorkflowReport {
    let (profile, options) = (run.profile, run.options);
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
            let ids_only = only_element_ids_differ(&compared.changes, &lv, &rv, profile);
            report.graph = graph_summary(&compared, (&lv, &rv), ids_only, profile);
            if ids_only {
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
            let classes = base.map(|base| {
                let (left, right) = (Side { doc: l, tree: &lv }, Side { doc: r, tree: &rv });
                let (classes, notes) = threeway::classify(
                    &compared.changes,
                    left,
                    right,
                    base,
                    &options.base_label,
                    profile,
                );
                report.notes.extend(notes);
                classes
            });
            judge_changes(&mut report, compared.changes, classes, run);
        }
        None => judge_whole(&mut report, (l, r), base, run),
    }
    report.text_diff = l
        .canonical()
        .zip(r.canonical())
        .and_then(|(lc, rc)| unified_diff(lc, rc, &report.name, &report.name, options));
    dedup_in_order(&mut report.notes);
    report
}

/// Judges a workflow that can only be compared as a whole (binary content, text that does not
/// parse): one difference, classed by which side still holds the base's content.
fn judge_whole(
    report: &mut WorkflowReport,
    (l, r): (&Normalized, &Normalized),
    base: Option<Option<&Normalized>>,
    run: &Run<'_>,
) {
    report.class = base.map(|base| match base {
        Some(b) if b.sha256 == l.sha256 => ChangeClass::Drift,
        Some(b) if b.sha256 == r.sha256 => ChangeClass::Promote,
        _ => ChangeClass::Conflict,
    });
    let verdict = run.rules.verdict(&[&report.name], None);
    report.notes.extend(verdict.expired);
    report.drift = verdict.accepted.is_none() && run.fails(report.class);
    report.accepted = verdict.accepted;
}

/// The graph summary of the active versions' diagrams (of the workflows' own `taskflow` when
/// they have no versions).
fn graph_summary(
    compared: &versions::Compared<'_>,
    (lv, rv): (&Value, &Value),
    ids_only: bool,
    profile: &Profile,
) -> Option<GraphSummary> {
    let taskflows = match compared.active_pair {
        Some((l, r)) => l.get("taskflow").zip(r.get("taskflow")),
        None => lv.get("taskflow").zip(rv.get("taskflow")),
    };
    match taskflows {
        Some((l, r)) => graph::summary(l, r, ids_only, profile),
        None => ids_only.then(|| GraphSummary {
            ids_only,
            ..GraphSummary::default()
        }),
    }
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

/// Asks the accept rules about each change (classed, in a three-way comparison); the workflow
/// drifts when a change that counts is not accepted.
fn judge_changes(
    report: &mut WorkflowReport,
    changes: Vec<RawChange>,
    classes: Option<Vec<(ChangeClass, Option<Value>)>>,
    run: &Run<'_>,
) {
    let mut classes = classes.map(Vec::into_iter);
    for change in changes {
        let place = (&change.address, change.pointer.as_slice());
        let verdict = run.rules.verdict(&[&report.name], Some(place));
        report.notes.extend(verdict.expired);
        let (class, base) = classes
            .as_mut()
            .and_then(Iterator::next)
            .map_or((None, None), |(class, base)| (Some(class), base));
        report.drift |= verdict.accepted.is_none() && run.fails(class);
        report.class = report.class.max(class);
        let mut change = change.into_change();
        change.accepted = verdict.accepted;
        change.class = class;
        change.base = base;
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

/// A workflow added, removed or renamed as a whole; `class` is its class in a three-way
/// comparison.
pub(super) fn one_sided(
    doc: &Normalized,
    status: WorkflowStatus,
    previous_name: Option<&str>,
    run: &Run<'_>,
    class: Option<ChangeClass>,
) -> WorkflowReport {
    let mut names = vec![doc.name.as_str()];
    names.extend(previous_name);
    let verdict = run.rules.verdict(&names, None);
    let mut notes = doc.notes.clone();
    notes.extend(verdict.expired);
    dedup_in_order(&mut notes);
    WorkflowReport {
        previous_name: previous_name.map(str::to_owned),
        drift: verdict.accepted.is_none() && run.fails(class),
        class,
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
