//! The structural diff of two normalized JSON values: objects key by key, arrays as their profile
//! rule says (ordered arrays aligned by a diff over item hashes, sets by canonical text, keyed
//! arrays by their key), one change per place that differs.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};

use serde_json::Value;
use similar::{Algorithm, DiffOp};

use crate::pattern::pointer;
use crate::profile::{ArrayRule, Profile, key_of};
use crate::report::{Change, ChangeKind};

/// A change with its path still in segments (accept rules match segments).
pub(super) struct RawChange {
    pub(super) segments: Vec<String>,
    pub(super) kind: ChangeKind,
    pub(super) left: Option<Value>,
    pub(super) right: Option<Value>,
    pub(super) context: Option<String>,
}

impl RawChange {
    pub(super) fn into_change(self) -> Change {
        Change {
            path: pointer(&self.segments),
            kind: self.kind,
            left: self.left,
            right: self.right,
            context: self.context,
            accepted: None,
        }
    }
}

pub(super) fn raw_changes(left: &Value, right: &Value, profile: &Profile) -> Vec<RawChange> {
    let mut differ = Differ {
        profile,
        path: Vec::new(),
        labels: Vec::new(),
        out: Vec::new(),
    };
    differ.value(left, right);
    differ.out
}

struct Differ<'a> {
    profile: &'a Profile,
    path: Vec<String>,
    /// Labels of the xml-js elements enclosing the current path, innermost last.
    labels: Vec<String>,
    out: Vec<RawChange>,
}

impl Differ<'_> {
    fn emit(&mut self, kind: ChangeKind, left: Option<&Value>, right: Option<&Value>) {
        // A whole element added or removed is best described by itself, anything else by the
        // element it is in.
        let own = match kind {
            ChangeKind::Added | ChangeKind::Removed => left.or(right).and_then(element_label),
            ChangeKind::Changed => None,
        };
        self.out.push(RawChange {
            segments: self.path.clone(),
            kind,
            left: left.cloned(),
            right: right.cloned(),
            context: own.or_else(|| self.labels.last().cloned()),
        });
    }

    /// Runs `f` with `segment` appended to the current path.
    fn at(&mut self, segment: impl Into<String>, f: impl FnOnce(&mut Self)) {
        self.path.push(segment.into());
        f(self);
        self.path.pop();
    }

    fn value(&mut self, left: &Value, right: &Value) {
        match (left, right) {
            (Value::Object(l), Value::Object(r)) => {
                for (key, lv) in l {
                    match r.get(key) {
                        Some(rv) if lv == rv => {}
                        Some(rv) => self.at(key.as_str(), |d| d.value(lv, rv)),
                        None => self.at(key.as_str(), |d| {
                            d.emit(ChangeKind::Removed, Some(lv), None)
                        }),
                    }
                }
                for (key, rv) in r {
                    if !l.contains_key(key) {
                        self.at(key.as_str(), |d| d.emit(ChangeKind::Added, None, Some(rv)));
                    }
                }
            }
            (Value::Array(l), Value::Array(r)) => match self.profile.array_rule(&self.path) {
                ArrayRule::Ordered => self.ordered(l, r),
                ArrayRule::Set => {
                    let l: Vec<_> = l.iter().enumerate().collect();
                    let r: Vec<_> = r.iter().enumerate().collect();
                    self.set(&l, &r);
                }
                ArrayRule::Keyed(field) => self.keyed(l, r, &field),
            },
            _ if left == right => {}
            _ => self.emit(ChangeKind::Changed, Some(left), Some(right)),
        }
    }

    /// Compares two items that occupy the same place: field by field when both are containers of
    /// the same kind, else as one change. `index` is the right side's.
    fn pair(&mut self, index: usize, left: &Value, right: &Value) {
        if left == right {
            return;
        }
        let label = element_label(right).or_else(|| element_label(left));
        let labelled = label.is_some();
        self.labels.extend(label);
        self.at(index.to_string(), |d| d.value(left, right));
        if labelled {
            self.labels.pop();
        }
    }

    fn ordered(&mut self, l: &[Value], r: &[Value]) {
        let lh: Vec<u64> = l.iter().map(hash_value).collect();
        let rh: Vec<u64> = r.iter().map(hash_value).collect();
        for op in similar::capture_diff_slices(Algorithm::Patience, &lh, &rh) {
            match op {
                DiffOp::Equal {
                    old_index,
                    new_index,
                    len,
                } => {
                    // Equal hashes almost surely mean equal items; `pair` checks, so a hash
                    // collision shows as a change instead of hiding one.
                    for (i, (lv, rv)) in window(l, old_index, len)
                        .iter()
                        .zip(window(r, new_index, len))
                        .enumerate()
                    {
                        self.pair(new_index + i, lv, rv);
                    }
                }
                DiffOp::Delete {
                    old_index, old_len, ..
                } => self.removed(l, old_index, old_len),
                DiffOp::Insert {
                    new_index, new_len, ..
                } => self.added(r, new_index, new_len),
                DiffOp::Replace {
                    old_index,
                    old_len,
                    new_index,
                    new_len,
                } => {
                    let paired = old_len.min(new_len);
                    let pairs = window(l, old_index, paired)
                        .iter()
                        .zip(window(r, new_index, paired));
                    for (i, (lv, rv)) in pairs.enumerate() {
                        self.pair(new_index + i, lv, rv);
                    }
                    self.removed(l, old_index + paired, old_len - paired);
                    self.added(r, new_index + paired, new_len - paired);
                }
            }
        }
    }

    fn removed(&mut self, l: &[Value], start: usize, len: usize) {
        for (i, lv) in window(l, start, len).iter().enumerate() {
            self.at((start + i).to_string(), |d| {
                d.emit(ChangeKind::Removed, Some(lv), None)
            });
        }
    }

    fn added(&mut self, r: &[Value], start: usize, len: usize) {
        for (i, rv) in window(r, start, len).iter().enumerate() {
            self.at((start + i).to_string(), |d| {
                d.emit(ChangeKind::Added, None, Some(rv))
            });
        }
    }

    /// Items matched by canonical text, as a multiset: what is left over on either side is
    /// removed or added. Items carry their index in the whole array.
    fn set(&mut self, l: &[(usize, &Value)], r: &[(usize, &Value)]) {
        let mut available: HashMap<String, VecDeque<usize>> = HashMap::new();
        for &(i, rv) in r {
            available.entry(compact(rv)).or_default().push_back(i);
        }
        let mut matched = HashSet::new();
        for &(i, lv) in l {
            match available
                .get_mut(&compact(lv))
                .and_then(VecDeque::pop_front)
            {
                Some(j) => {
                    matched.insert(j);
                }
                None => self.at(i.to_string(), |d| {
                    d.emit(ChangeKind::Removed, Some(lv), None)
                }),
            }
        }
        for &(j, rv) in r {
            if !matched.contains(&j) {
                self.at(j.to_string(), |d| d.emit(ChangeKind::Added, None, Some(rv)));
            }
        }
    }

    /// Items matched by the value at the dotted `field` path and compared field by field; items
    /// without the field, or whose key is not unique on its side, are compared as a set.
    fn keyed(&mut self, l: &[Value], r: &[Value], field: &str) {
        let lk: Vec<Option<String>> = l.iter().map(|v| key_of(v, field)).collect();
        let rk: Vec<Option<String>> = r.iter().map(|v| key_of(v, field)).collect();
        // A key seen twice on either side identifies nothing; such items are compared as a set.
        let repeated = repeated_keys(&lk, &rk);
        let usable = |k: &Option<String>| k.as_deref().is_some_and(|k| !repeated.contains(k));
        let right_index: HashMap<&str, usize> = rk
            .iter()
            .enumerate()
            .filter(|(_, k)| usable(k))
            .filter_map(|(j, k)| k.as_deref().map(|k| (k, j)))
            .collect();
        let mut rest_l = Vec::new();
        let mut matched = HashSet::new();
        for (i, (lv, k)) in l.iter().zip(&lk).enumerate() {
            if !usable(k) {
                rest_l.push((i, lv));
                continue;
            }
            match k.as_deref().and_then(|k| right_index.get(k)) {
                Some(&j) => {
                    matched.insert(j);
                    if let Some(rv) = r.get(j) {
                        self.pair(j, lv, rv);
                    }
                }
                None => self.at(i.to_string(), |d| {
                    d.emit(ChangeKind::Removed, Some(lv), None)
                }),
            }
        }
        let mut rest_r = Vec::new();
        for (j, (rv, k)) in r.iter().zip(&rk).enumerate() {
            if !usable(k) {
                rest_r.push((j, rv));
            } else if !matched.contains(&j) {
                self.at(j.to_string(), |d| d.emit(ChangeKind::Added, None, Some(rv)));
            }
        }
        self.set(&rest_l, &rest_r);
    }
}

/// How a reader recognizes an xml-js element (the decoded BPMN of a `taskflow`): its tag and its
/// `name` attribute, else its `id` (`bpmn2:serviceTask "Block on WAF"`, `bpmn2:sequenceFlow
/// Flow_1`). `None` for anything else, and for elements with neither (such as `bpmn2:incoming`),
/// so that a change inside one is described by the task around it.
fn element_label(value: &Value) -> Option<String> {
    let element = value.as_object()?;
    if element.get("type").and_then(Value::as_str) != Some("element") {
        return None;
    }
    let tag = element.get("name")?.as_str()?;
    let attributes = element.get("attributes").and_then(Value::as_object);
    let attribute = |key: &str| attributes?.get(key)?.as_str();
    match (attribute("name"), attribute("id")) {
        (Some(name), _) => Some(format!("{tag} {name:?}")),
        (None, Some(id)) => Some(format!("{tag} {id}")),
        (None, None) => None,
    }
}

/// `slice[start..start + len]`, or an empty slice if that is out of range (it never is for the
/// ranges `similar` reports, but this keeps a bug there from becoming a panic here).
fn window<T>(slice: &[T], start: usize, len: usize) -> &[T] {
    start
        .checked_add(len)
        .and_then(|end| slice.get(start..end))
        .unwrap_or(&[])
}

fn hash_value(value: &Value) -> u64 {
    // DefaultHasher::new() has fixed keys, so alignment is the same from run to run.
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// Compact JSON text; canonical because maps are sorted (`preserve_order` is never enabled).
fn compact(value: &Value) -> String {
    value.to_string()
}

/// Keys that occur more than once on either side.
fn repeated_keys<'k>(left: &'k [Option<String>], right: &'k [Option<String>]) -> HashSet<&'k str> {
    let mut repeated = HashSet::new();
    for side in [left, right] {
        let mut seen = HashSet::new();
        for key in side.iter().flatten() {
            if !seen.insert(key.as_str()) {
                repeated.insert(key.as_str());
            }
        }
    }
    repeated
}

#[cfg(test)]
mod tests {
    use super::super::structural_changes;
    use super::super::testing::*;
    use super::*;
    use crate::profile::ProfileConfig;
    use serde_json::json;

    #[test]
    fn a_changed_scalar_is_one_change_at_its_path() {
        let left = json!({"name": "w", "a": {"b": [1, {"c": "x", "d": 1}]}});
        let right = json!({"name": "w", "a": {"b": [1, {"c": "y", "d": 1}]}});
        assert_eq!(
            changes(left, right),
            [("/a/b/1/c".to_owned(), ChangeKind::Changed)]
        );
    }

    #[test]
    fn an_insertion_into_an_ordered_array_is_one_added_change() {
        let left = json!({"list": ["a", "b", "c", "d"]});
        let right = json!({"list": ["a", "x", "b", "c", "d"]});
        assert_eq!(
            changes(left.clone(), right.clone()),
            [("/list/1".to_owned(), ChangeKind::Added)]
        );
        assert_eq!(
            changes(right, left),
            [("/list/1".to_owned(), ChangeKind::Removed)]
        );
    }

    #[test]
    fn replaced_objects_are_compared_field_by_field() {
        let left = json!({"list": [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}, {"id": 3, "v": "c"}]});
        let right =
            json!({"list": [{"id": 1, "v": "a"}, {"id": 2, "v": "B"}, {"id": 3, "v": "c"}]});
        assert_eq!(
            changes(left, right),
            [("/list/1/v".to_owned(), ChangeKind::Changed)]
        );
        let left = json!({"list": [1, 2]});
        let right = json!({"list": [1, 5, 6]});
        assert_eq!(
            changes(left, right),
            [
                ("/list/1".to_owned(), ChangeKind::Changed),
                ("/list/2".to_owned(), ChangeKind::Added)
            ]
        );
    }

    #[test]
    fn keys_only_on_one_side_and_type_changes() {
        let left = json!({"gone": 1, "kept": {"a": 1}, "t": [1]});
        let right = json!({"new": null, "kept": {"a": 1}, "t": {"0": 1}});
        assert_eq!(
            changes(left, right),
            [
                ("/gone".to_owned(), ChangeKind::Removed),
                ("/t".to_owned(), ChangeKind::Changed),
                ("/new".to_owned(), ChangeKind::Added),
            ]
        );
    }

    #[test]
    fn changes_name_the_bpmn_element_they_are_in() {
        let task = |timeout: &str, incoming: &str| {
            json!({"type": "element", "name": "bpmn2:serviceTask",
                   "attributes": {"id": "A1", "name": "Block on WAF", "soar:timeout": timeout},
                   "elements": [{"type": "element", "name": "bpmn2:incoming",
                                 "elements": [{"type": "text", "text": incoming}]}]})
        };
        let flow = json!({"type": "element", "name": "bpmn2:sequenceFlow",
                          "attributes": {"id": "F9", "sourceRef": "A1", "targetRef": "E"}});
        let left = json!({"list": [task("60", "F1")]});
        let right = json!({"list": [task("90", "F2"), flow]});
        let got: Vec<_> = structural_changes(&left, &right, &Profile::secmaster())
            .into_iter()
            .map(|c| (c.path, c.context.unwrap_or_default()))
            .collect();
        let task = "bpmn2:serviceTask \"Block on WAF\"".to_owned();
        assert_eq!(
            got,
            [
                ("/list/0/attributes/soar:timeout".to_owned(), task.clone()),
                ("/list/0/elements/0/elements/0/text".to_owned(), task),
                ("/list/1".to_owned(), "bpmn2:sequenceFlow F9".to_owned()),
            ]
        );
    }

    #[test]
    fn the_deepest_normalized_documents_diff_without_exhausting_the_stack() {
        // Normalization nests at most normalize::MAX_DEPTH levels; alternate objects and arrays
        // so both recursion paths are exercised (tests run on 2 MiB thread stacks).
        let deep = |leaf: i64| {
            let mut value = json!(leaf);
            for level in 0..crate::normalize::MAX_DEPTH {
                value = if level % 2 == 0 {
                    json!([value])
                } else {
                    json!({ "k": value })
                };
            }
            value
        };
        let changes = structural_changes(&deep(1), &deep(2), &Profile::secmaster());
        assert_eq!(changes.len(), 1);
        assert_eq!(
            changes[0].path.matches('/').count(),
            crate::normalize::MAX_DEPTH
        );
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        let left = json!({"a/b": {"c~d": 1}});
        let right = json!({"a/b": {"c~d": 2}});
        assert_eq!(
            changes(left, right),
            [("/a~1b/c~0d".to_owned(), ChangeKind::Changed)]
        );
    }

    #[test]
    fn set_arrays_ignore_order_and_report_leftovers() {
        let config = ProfileConfig {
            sets: vec!["/tags".into()],
            ..ProfileConfig::default()
        };
        let profile = Profile::secmaster().with_config(&config).unwrap();
        let left = json!({"tags": ["a", "b", "c", "c"]});
        let right = json!({"tags": ["c", "d", "b", "a"]});
        assert_eq!(
            changes_under(&profile, left, right),
            [
                ("/tags/3".to_owned(), ChangeKind::Removed),
                ("/tags/1".to_owned(), ChangeKind::Added)
            ]
        );
    }

    #[test]
    fn keyed_arrays_match_items_by_key() {
        let config = ProfileConfig {
            keyed: [("/nodes".to_owned(), "attributes.id".to_owned())].into(),
            ..ProfileConfig::default()
        };
        let profile = Profile::secmaster().with_config(&config).unwrap();
        let node = |id: &str, v: i64| json!({"attributes": {"id": id, "v": v}});
        let left = json!({"nodes": [node("a", 1), node("b", 1), node("c", 1), {"free": 1}]});
        let right = json!({"nodes": [node("c", 1), node("a", 2), node("d", 1), {"free": 2}]});
        assert_eq!(
            changes_under(&profile, left, right),
            [
                ("/nodes/1/attributes/v".to_owned(), ChangeKind::Changed),
                ("/nodes/1".to_owned(), ChangeKind::Removed),
                ("/nodes/2".to_owned(), ChangeKind::Added),
                ("/nodes/3".to_owned(), ChangeKind::Removed),
                ("/nodes/3".to_owned(), ChangeKind::Added),
            ]
        );
    }
}
