//! The structural diff of two normalized JSON values: objects key by key, arrays as their profile
//! rule says (ordered arrays aligned by a diff over item hashes, sets by canonical text, keyed
//! arrays by their key), one change per place that differs.
//!
//! Each change carries two names for its place: the JSON pointer into the document (positions as
//! they are, the right side's, the left side's for a removal) and the stable
//! [`Address`](crate::address::Address), which names array items by identity.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};

use serde_json::{Map, Value};
use similar::{Algorithm, DiffOp};

use crate::address::{Address, Cursor, ItemId, Step};
use crate::pattern::pointer;
use crate::profile::{ArrayRule, Profile, key_of};
use crate::report::{Change, ChangeKind};

/// A change with its place still in parts (accept rules match them).
#[derive(Debug, Clone)]
pub(super) struct RawChange {
    /// Unescaped JSON pointer tokens.
    pub(super) pointer: Vec<String>,
    pub(super) address: Address,
    pub(super) kind: ChangeKind,
    pub(super) left: Option<Value>,
    pub(super) right: Option<Value>,
    pub(super) context: Option<String>,
}

impl RawChange {
    pub(super) fn into_change(self) -> Change {
        Change {
            path: self.address.to_string(),
            pointer: pointer(&self.pointer),
            kind: self.kind,
            left: self.left,
            right: self.right,
            context: self.context,
            accepted: None,
            class: None,
            base: None,
        }
    }
}

pub(super) fn raw_changes(left: &Value, right: &Value, profile: &Profile) -> Vec<RawChange> {
    let mut differ = Differ::new(profile);
    differ.value(left, right);
    differ.finish()
}

/// Walks two values in step, collecting the changes between them.
pub(super) struct Differ<'a> {
    profile: &'a Profile,
    /// Unescaped JSON pointer tokens of the current place (the right side's indices).
    path: Vec<String>,
    /// The stable address of the current place.
    cursor: Cursor,
    /// Labels of the xml-js elements enclosing the current path, innermost last.
    labels: Vec<String>,
    out: Vec<RawChange>,
}

impl<'a> Differ<'a> {
    pub(super) fn new(profile: &'a Profile) -> Self {
        Self {
            profile,
            path: Vec::new(),
            cursor: Cursor::default(),
            labels: Vec::new(),
            out: Vec::new(),
        }
    }

    pub(super) fn finish(self) -> Vec<RawChange> {
        self.out
    }

    /// Runs `f` at a place given outright: pointer tokens and address steps below the current
    /// place (for the versions of a workflow, which the caller pairs itself).
    pub(super) fn within(&mut self, pointer: &[&str], steps: Vec<Step>, f: impl FnOnce(&mut Self)) {
        let path_len = self.path.len();
        self.path
            .extend(pointer.iter().map(|token| (*token).to_owned()));
        let mark = self.cursor.enter_steps(steps);
        f(self);
        self.cursor.leave(mark);
        self.path.truncate(path_len);
    }

    pub(super) fn emit(&mut self, kind: ChangeKind, left: Option<&Value>, right: Option<&Value>) {
        // A whole element added or removed is best described by itself, anything else by the
        // element it is in.
        let own = match kind {
            ChangeKind::Added | ChangeKind::Removed => left.or(right).and_then(element_label),
            ChangeKind::Changed => None,
        };
        self.out.push(RawChange {
            pointer: self.path.clone(),
            address: self.cursor.address().clone(),
            kind,
            left: left.cloned(),
            right: right.cloned(),
            context: own.or_else(|| self.labels.last().cloned()),
        });
    }

    pub(super) fn value(&mut self, left: &Value, right: &Value) {
        match (left, right) {
            (Value::Object(l), Value::Object(r)) => self.object(l, r, None),
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

    /// Two objects key by key, leaving out the key `skip` (the caller compares it).
    pub(super) fn object(
        &mut self,
        l: &Map<String, Value>,
        r: &Map<String, Value>,
        skip: Option<&str>,
    ) {
        // The fields of an xml-js element are addressed as BPMN reads them.
        let element = self.cursor.is_bpmn_element(r) || self.cursor.is_bpmn_element(l);
        for (key, lv) in l {
            if Some(key.as_str()) == skip {
                continue;
            }
            match r.get(key) {
                Some(rv) if lv == rv => {}
                Some(rv) => self.at_key(key, element, rv, |d| d.value(lv, rv)),
                None => self.at_key(key, element, lv, |d| {
                    d.emit(ChangeKind::Removed, Some(lv), None)
                }),
            }
        }
        for (key, rv) in r {
            if !l.contains_key(key) && Some(key.as_str()) != skip {
                self.at_key(key, element, rv, |d| {
                    d.emit(ChangeKind::Added, None, Some(rv))
                });
            }
        }
    }

    /// Runs `f` at `key` of the current object (`element`: the object is a BPMN element).
    fn at_key(&mut self, key: &str, element: bool, child: &Value, f: impl FnOnce(&mut Self)) {
        let mark = self.cursor.enter_key(key, element, child);
        self.path.push(key.to_owned());
        f(self);
        self.path.pop();
        self.cursor.leave(mark);
    }

    /// Runs `f` at an item of the current array: `index` is its position on its side, `item` the
    /// value that names it (the right side's when both sides have it).
    fn at_item(&mut self, index: usize, item: &Value, id: ItemId<'_>, f: impl FnOnce(&mut Self)) {
        let mark = self.cursor.enter_item(item, id);
        self.path.push(index.to_string());
        f(self);
        self.path.pop();
        self.cursor.leave(mark);
    }

    /// Compares two items that occupy the same place: field by field when both are containers of
    /// the same kind, else as one change. `index` is the right side's.
    fn pair(&mut self, index: usize, id: ItemId<'_>, left: &Value, right: &Value) {
        if left == right {
            return;
        }
        let label = element_label(right).or_else(|| element_label(left));
        let labelled = label.is_some();
        self.labels.extend(label);
        self.at_item(index, right, id, |d| d.value(left, right));
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
                        self.pair(new_index + i, ItemId::Position(new_index + i), lv, rv);
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
                        self.pair(new_index + i, ItemId::Position(new_index + i), lv, rv);
                    }
                    self.removed(l, old_index + paired, old_len - paired);
                    self.added(r, new_index + paired, new_len - paired);
                }
            }
        }
    }

    fn removed(&mut self, l: &[Value], start: usize, len: usize) {
        for (i, lv) in window(l, start, len).iter().enumerate() {
            let index = start + i;
            self.at_item(index, lv, ItemId::Position(index), |d| {
                d.emit(ChangeKind::Removed, Some(lv), None)
            });
        }
    }

    fn added(&mut self, r: &[Value], start: usize, len: usize) {
        for (i, rv) in window(r, start, len).iter().enumerate() {
            let index = start + i;
            self.at_item(index, rv, ItemId::Position(index), |d| {
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
                None => self.at_item(i, lv, ItemId::Value, |d| {
                    d.emit(ChangeKind::Removed, Some(lv), None)
                }),
            }
        }
        for &(j, rv) in r {
            if !matched.contains(&j) {
                self.at_item(j, rv, ItemId::Value, |d| {
                    d.emit(ChangeKind::Added, None, Some(rv))
                });
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
            let Some(key) = k.as_deref().filter(|_| usable(k)) else {
                rest_l.push((i, lv));
                continue;
            };
            match right_index.get(key) {
                Some(&j) => {
                    matched.insert(j);
                    if let Some(rv) = r.get(j) {
                        self.pair(j, ItemId::Key(key), lv, rv);
                    }
                }
                None => self.at_item(i, lv, ItemId::Key(key), |d| {
                    d.emit(ChangeKind::Removed, Some(lv), None)
                }),
            }
        }
        let mut rest_r = Vec::new();
        for (j, (rv, k)) in r.iter().zip(&rk).enumerate() {
            match k.as_deref().filter(|_| usable(k)) {
                None => rest_r.push((j, rv)),
                Some(_) if matched.contains(&j) => {}
                Some(key) => self.at_item(j, rv, ItemId::Key(key), |d| {
                    d.emit(ChangeKind::Added, None, Some(rv))
                }),
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
    use crate::address::value_identity;
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

    /// `(address, pointer, context)` of each change.
    fn places(left: &Value, right: &Value) -> Vec<(String, String, String)> {
        structural_changes(left, right, &Profile::secmaster())
            .into_iter()
            .map(|c| (c.path, c.pointer, c.context.unwrap_or_default()))
            .collect()
    }

    fn element(tag: &str, attributes: Value, children: Vec<Value>) -> Value {
        json!({"type": "element", "name": tag, "attributes": attributes, "elements": children})
    }

    fn incoming(flow: &str) -> Value {
        json!({"type": "element", "name": "bpmn2:incoming",
               "elements": [{"type": "text", "text": flow}]})
    }

    fn taskflow(nodes: Vec<Value>) -> Value {
        json!({"taskflow": {"workflow": {"elements": [element(
            "bpmn2:definitions", json!({"id": "D"}),
            vec![element("bpmn2:process", json!({"id": "P"}), nodes)],
        )]}}})
    }

    #[test]
    fn bpmn_elements_are_addressed_by_tag_and_id_and_named_for_readers() {
        let task = |timeout: &str, flow: &str| {
            element(
                "bpmn2:serviceTask",
                json!({"id": "A1", "name": "Block on WAF", "soar:timeout": timeout}),
                vec![incoming(flow)],
            )
        };
        let flow = element(
            "bpmn2:sequenceFlow",
            json!({"id": "F9", "sourceRef": "A1", "targetRef": "E"}),
            vec![],
        );
        let got = places(
            &taskflow(vec![task("60", "F1")]),
            &taskflow(vec![task("90", "F2"), flow]),
        );
        let task = "bpmn2:serviceTask \"Block on WAF\"";
        let expected = [
            (
                "/taskflow/serviceTask[A1]/soar:timeout",
                "/taskflow/workflow/elements/0/elements/0/elements/0/attributes/soar:timeout",
                task,
            ),
            (
                "/taskflow/serviceTask[A1]/incoming[F1]",
                "/taskflow/workflow/elements/0/elements/0/elements/0/elements/0",
                task,
            ),
            (
                "/taskflow/serviceTask[A1]/incoming[F2]",
                "/taskflow/workflow/elements/0/elements/0/elements/0/elements/0",
                task,
            ),
            (
                "/taskflow/sequenceFlow[F9]",
                "/taskflow/workflow/elements/0/elements/0/elements/1",
                "bpmn2:sequenceFlow F9",
            ),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(a, p, c)| (a.to_string(), p.to_string(), c.to_string()))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn an_address_does_not_move_when_unrelated_nodes_come_and_go() {
        let node = |id: &str, timeout: &str| {
            element(
                "bpmn2:serviceTask",
                json!({"id": id, "soar:timeout": timeout}),
                vec![],
            )
        };
        let before = taskflow(vec![node("B", "1"), node("C", "1")]);
        let changed = |nodes: Vec<Value>| places(&before, &taskflow(nodes));
        let alone = changed(vec![node("B", "1"), node("C", "2")]);
        // Nodes inserted before and after it, one removed, all reordered.
        let crowded = changed(vec![node("A", "1"), node("Z", "1"), node("C", "2")]);
        assert_eq!(alone.len(), 1);
        let address = &alone[0].0;
        assert_eq!(address, "/taskflow/serviceTask[C]/soar:timeout");
        assert!(crowded.iter().any(|(a, _, _)| a == address), "{crowded:?}");
        // Its JSON pointer, by contrast, moved.
        let pointer = |list: &[(String, String, String)]| {
            list.iter()
                .find(|(a, _, _)| a == address)
                .map(|(_, p, _)| p.clone())
        };
        assert_ne!(pointer(&alone), pointer(&crowded));
    }

    #[test]
    fn elements_outside_a_taskflow_are_plain_objects() {
        let left = json!({"list": [element("x:t", json!({"id": "A", "v": 1}), vec![])]});
        let right = json!({"list": [element("x:t", json!({"id": "A", "v": 2}), vec![])]});
        let got = places(&left, &right);
        assert_eq!(got[0].0, "/list/0/attributes/v");
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
    fn keys_that_could_be_misread_are_quoted_and_pointer_tokens_escaped() {
        let left = json!({"a/b": {"c~d": 1}});
        let right = json!({"a/b": {"c~d": 2}});
        assert_eq!(
            places(&left, &right),
            [(
                r#"/"a/b"/"c~d""#.to_owned(),
                "/a~1b/c~0d".to_owned(),
                String::new()
            )]
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
                ("/tags[c]".to_owned(), ChangeKind::Removed),
                ("/tags[d]".to_owned(), ChangeKind::Added)
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
                ("/nodes[a]/attributes/v".to_owned(), ChangeKind::Changed),
                ("/nodes[b]".to_owned(), ChangeKind::Removed),
                ("/nodes[d]".to_owned(), ChangeKind::Added),
                (
                    format!("/nodes[{}]", value_identity(&json!({"free": 1}))),
                    ChangeKind::Removed
                ),
                (
                    format!("/nodes[{}]", value_identity(&json!({"free": 2}))),
                    ChangeKind::Added
                ),
            ]
        );
    }
}
