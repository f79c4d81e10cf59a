//! Matching two sides' workflows: the filters, by name, then renames by content.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde_json::Value;

use super::threeway::{self, Base};
use super::workflow::one_sided;
use super::{DiffError, DiffOptions, Entry, Run};
use crate::normalize::{Normalized, NormalizedContent, canonical_json, parse_canonical};
use crate::report::{Filters, WorkflowReport, WorkflowStatus};

/// Keeps the workflows `options.filters` selects on each side. Filtering by name happens before
/// matching, so a workflow renamed out of (or into) the selection shows as removed (or added).
pub(super) fn select(
    left: Vec<Entry>,
    right: Vec<Entry>,
    options: &DiffOptions,
) -> Result<(Vec<Entry>, Vec<Entry>), DiffError> {
    let filters = &options.filters;
    if filters.is_empty() {
        return Ok((left, right));
    }
    let (left, right) = (select_one(left, filters), select_one(right, filters));
    if left.is_empty() && right.is_empty() && !filters.workflow.is_empty() {
        return Err(DiffError::NothingSelected {
            left: options.left_label.clone(),
            right: options.right_label.clone(),
            patterns: filters.workflow.clone(),
        });
    }
    Ok((left, right))
}

/// The entries of one side that `filters` select.
pub(super) fn select_one(entries: Vec<Entry>, filters: &Filters) -> Vec<Entry> {
    if filters.is_empty() {
        return entries;
    }
    entries
        .into_iter()
        .filter(|e| filters.matches(e.name()))
        .collect()
}

pub(super) fn by_name(
    entries: Vec<Entry>,
    side: &str,
) -> Result<BTreeMap<String, Entry>, DiffError> {
    let mut map = BTreeMap::new();
    let mut duplicates = Vec::new();
    for entry in entries {
        match map.entry(entry.name().to_owned()) {
            std::collections::btree_map::Entry::Occupied(taken) => {
                duplicates.push(taken.key().clone())
            }
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(entry);
            }
        }
    }
    if duplicates.is_empty() {
        Ok(map)
    } else {
        duplicates.sort();
        duplicates.dedup();
        Err(DiffError::DuplicateNames {
            side: side.to_owned(),
            names: duplicates,
        })
    }
}

/// Pairs removed and added workflows with the same content apart from the name into renames; the
/// rest are reported removed or added. With a base, each is classed by what the base holds.
pub(super) fn renames_and_the_rest(
    only_left: Vec<Normalized>,
    only_right: Vec<Normalized>,
    run: &Run<'_>,
    mut base: Option<&mut Base>,
) -> Result<Vec<WorkflowReport>, DiffError> {
    let name_key = run.profile.name_key();
    let mut by_content: HashMap<String, VecDeque<usize>> = HashMap::new();
    for (i, r) in only_right.iter().enumerate() {
        by_content
            .entry(content_key(r, name_key))
            .or_default()
            .push_back(i);
    }
    let mut renamed_from: HashMap<usize, &Normalized> = HashMap::new();
    let mut out = Vec::new();
    for l in &only_left {
        let partner = by_content
            .get_mut(&content_key(l, name_key))
            .and_then(VecDeque::pop_front);
        match partner {
            Some(i) => {
                renamed_from.insert(i, l);
            }
            None => {
                let class = match base.as_deref_mut() {
                    Some(base) => Some(threeway::one_sided(base.holds(&l.name, l)?, true)),
                    None => None,
                };
                out.push(one_sided(l, WorkflowStatus::Removed, None, run, class));
            }
        }
    }
    for (i, r) in only_right.iter().enumerate() {
        let previous = renamed_from.get(&i);
        let class = match (base.as_deref_mut(), previous) {
            (None, _) => None,
            (Some(base), Some(l)) => Some(threeway::renamed(
                base.holds(&l.name, l)?,
                base.holds(&r.name, r)?,
            )),
            (Some(base), None) => Some(threeway::one_sided(base.holds(&r.name, r)?, false)),
        };
        out.push(match previous {
            Some(l) => one_sided(r, WorkflowStatus::Renamed, Some(&l.name), run, class),
            None => one_sided(r, WorkflowStatus::Added, None, run, class),
        });
    }
    Ok(out)
}

/// What identifies a document's content regardless of its name.
fn content_key(doc: &Normalized, name_key: &str) -> String {
    match &doc.content {
        NormalizedContent::Json { canonical } => match parse_canonical(canonical) {
            Ok(mut value) => {
                if let Value::Object(map) = &mut value {
                    map.remove(name_key);
                }
                canonical_json(&value)
            }
            // Text that does not parse (see `compare`) is its own content.
            Err(_) => format!("text:{canonical}"),
        },
        // Opaque documents are named after their file; the same bytes under another name are a rename.
        NormalizedContent::Opaque { sha256, .. } => format!("opaque:{sha256}"),
    }
}
