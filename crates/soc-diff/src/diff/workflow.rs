//! Judging one workflow: unchanged, compared change by change, or added, removed or renamed as a
//! whole; with the notes a reader needs.

use std::collections::HashSet;

use serde_json::Value;

use super::structure::RawChange;
use super::text::unified_diff;
use super::{DiffOptions, Rules, raw_changes};
use crate::normalize::{Normalized, NormalizedContent, parse_canonical};
use crate::profile::{ElementIds, Profile};
use crate::report::{WorkflowReport, WorkflowStatus};

pub(super) fn unchanged(name: String, layout_changed: bool) -> WorkflowReport {
    WorkflowReport {
        name,
        status: WorkflowStatus::Unchanged,
        previous_name: None,
        drift: false,
        accepted: None,
        layout_changed,
        changes: Vec::new(),
        text_diff: None,
        notes: Vec::new(),
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
    let mut notes = side_notes(l, r, options);
    let mut changes = Vec::new();
    let mut drift = false;
    let mut accepted = None;
    let trees = parse_both(l, r, options, &mut notes);
    match trees {
        Some((lv, rv)) => {
            let raw = raw_changes(&lv, &rv, profile);
            if raw.is_empty() {
                // The hashes differ only because of item order in arrays compared as sets or by
                // key (a profile that compares them so should also sort them; say so rather than
                // hide it).
                let mut report = unchanged(name, layout_changed);
                report.notes.push(
                    "canonical texts differ only in the order of array items that are compared \
                     as sets or by key"
                        .to_owned(),
                );
                return report;
            }
            // Renormalizing both sides is not free: only when a taskflow changed at all.
            let in_taskflow = |c: &RawChange| c.segments.iter().any(|s| s == "taskflow");
            if profile.element_ids() == ElementIds::Keep
                && raw.iter().all(in_taskflow)
                && crate::element_ids::differ_only_in_element_ids(&lv, &rv, profile)
            {
                notes.push(
                    "only the ids of BPMN elements differ; if this workflow was built separately \
                     in each workspace rather than exported and imported, set \
                     `element_ids = \"by_name\"` in [normalize]"
                        .to_owned(),
                );
            }
            for change in raw {
                let verdict = rules.verdict(&[&name], Some(&change.segments));
                notes.extend(verdict.expired);
                drift |= verdict.accepted.is_none();
                let mut change = change.into_change();
                change.accepted = verdict.accepted;
                changes.push(change);
            }
        }
        None => {
            let verdict = rules.verdict(&[&name], None);
            notes.extend(verdict.expired);
            drift = verdict.accepted.is_none();
            accepted = verdict.accepted;
        }
    }
    let text_diff = l
        .canonical()
        .zip(r.canonical())
        .and_then(|(lc, rc)| unified_diff(lc, rc, &name, &name, options));
    dedup_in_order(&mut notes);
    WorkflowReport {
        name,
        status: WorkflowStatus::Modified,
        previous_name: None,
        drift,
        accepted,
        layout_changed,
        changes,
        text_diff,
        notes,
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
        name: doc.name.clone(),
        status,
        previous_name: previous_name.map(str::to_owned),
        drift: verdict.accepted.is_none(),
        accepted: verdict.accepted,
        layout_changed: false,
        changes: Vec::new(),
        text_diff: None,
        notes,
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
