//! Ignore rules matched against addresses.
//!
//! Normalization drops ignored values while it walks the export, where a place is known only by
//! its JSON pointer (`/versions/0/status`). A user's ignore rule may instead name a place the way
//! reports do, by address (`/versions[@active]/status`, `/**/serviceTask[*]/soar:timeout`), which
//! needs the finished document: decoded payloads, element labels, which version is active. So
//! after the walk, the user's rules are matched once more, against every place's address, and
//! what they match is removed. A position in a rule (`/list/1`) names a position in the export as
//! read and was applied by the walk; it matches no position here, so it never removes a second
//! item. Profiles without user ignore rules skip this pass.

use serde_json::{Map, Value};

use crate::address::{Cursor, ItemId};
use crate::diff::versions;
use crate::normalize::{sort_keyed, sort_set};
use crate::pattern::PathPattern;
use crate::profile::{ArrayRule, Profile};

/// Removes from a normalized document every place whose address one of `patterns` matches.
pub(crate) fn prune(document: &mut Value, profile: &Profile, patterns: &[PathPattern]) {
    if patterns.is_empty() {
        return;
    }
    let mut pass = Prune {
        profile,
        patterns,
        cursor: Cursor::default(),
        path: Vec::new(),
    };
    match document {
        Value::Object(workflow) => pass.workflow(workflow),
        other => {
            pass.value(other);
        }
    }
}

struct Prune<'p> {
    profile: &'p Profile,
    patterns: &'p [PathPattern],
    cursor: Cursor,
    /// JSON pointer tokens of the current place, for the profile's array rules.
    path: Vec<String>,
}

impl Prune<'_> {
    fn ignored(&self) -> bool {
        let address = self.cursor.address();
        self.patterns.iter().any(|p| p.matches_identities(address))
    }

    /// The document root: its versions are named as the differ names them (`[@active]`).
    fn workflow(&mut self, workflow: &mut Map<String, Value>) {
        let steps = match workflow.get("versions").and_then(Value::as_array) {
            Some(list) => versions::steps(workflow, list),
            None => {
                self.object(workflow);
                return;
            }
        };
        let versions = workflow.remove("versions");
        self.object(workflow);
        let Some(mut versions) = versions else {
            return;
        };
        let mark = self.cursor.enter_key("versions", false, &versions);
        self.path.push("versions".to_owned());
        if !self.ignored() {
            if let Value::Array(items) = &mut versions {
                let mut index = 0;
                let mut steps = steps.into_iter();
                items.retain_mut(|version| {
                    let step = steps.next();
                    let mark = self.cursor.enter_steps(step.into_iter().collect());
                    self.path.push(index.to_string());
                    index += 1;
                    let keep = !self.ignored();
                    if keep {
                        self.value(version);
                    }
                    self.path.pop();
                    self.cursor.leave(mark);
                    keep
                });
            }
            workflow.insert("versions".to_owned(), versions);
        }
        self.path.pop();
        self.cursor.leave(mark);
    }

    /// Prunes below `value`; whether anything was removed.
    fn value(&mut self, value: &mut Value) -> bool {
        match value {
            Value::Object(map) => self.object(map),
            Value::Array(items) => self.array(items),
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => false,
        }
    }

    fn object(&mut self, map: &mut Map<String, Value>) -> bool {
        let element = self.cursor.is_bpmn_element(map);
        let mut doomed = Vec::new();
        let mut removed = false;
        for (key, child) in map.iter_mut() {
            let mark = self.cursor.enter_key(key, element, child);
            self.path.push(key.clone());
            if self.ignored() {
                doomed.push(key.clone());
            } else {
                removed |= self.value(child);
            }
            self.path.pop();
            self.cursor.leave(mark);
        }
        for key in &doomed {
            map.remove(key);
        }
        removed || !doomed.is_empty()
    }

    fn array(&mut self, items: &mut Vec<Value>) -> bool {
        let rule = self.profile.array_rule(&self.path);
        let mut removed = false;
        let mut index = 0;
        items.retain_mut(|item| {
            let key = rule.key_of(item);
            let id = match (&rule, &key) {
                (ArrayRule::Ordered, _) => ItemId::Position(index),
                (ArrayRule::Keyed(_), Some(key)) => ItemId::Key(key),
                _ => ItemId::Value,
            };
            let mark = self.cursor.enter_item(item, id);
            self.path.push(index.to_string());
            index += 1;
            let keep = !self.ignored();
            if keep {
                removed |= self.value(item);
            } else {
                removed = true;
            }
            self.path.pop();
            self.cursor.leave(mark);
            keep
        });
        // Removing something inside an item can change the order normalization sorted by.
        if removed {
            match rule {
                ArrayRule::Ordered => {}
                ArrayRule::Set => sort_set(items),
                ArrayRule::Keyed(field) => sort_keyed(items, &field),
            }
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pruned(mut value: Value, patterns: &[&str]) -> Value {
        let patterns: Vec<_> = patterns
            .iter()
            .map(|p| PathPattern::parse(p).unwrap())
            .collect();
        prune(&mut value, &Profile::secmaster(), &patterns);
        value
    }

    fn task(id: &str, timeout: &str) -> Value {
        json!({"type": "element", "name": "bpmn2:serviceTask",
               "attributes": {"id": id, "soar:timeout": timeout, "name": id}})
    }

    fn workflow() -> Value {
        json!({"name": "wf", "version": "v2", "versions": [
            {"version": "v1", "status": "not_activated", "taskconfig": {"t": 1}},
            {"version": "v2", "status": "activated", "taskconfig": {"t": 2},
             "taskflow": {"workflow": {"elements": [task("A", "60"), task("B", "90")]}}},
        ]})
    }

    #[test]
    fn rules_name_places_by_address() {
        let v = pruned(workflow(), &["/versions[@active]/taskconfig/t"]);
        assert_eq!(v["versions"][1]["taskconfig"], json!({}));
        assert_eq!(v["versions"][0]["taskconfig"], json!({"t": 1}));
        let v = pruned(workflow(), &["/versions[v1]"]);
        assert_eq!(v["versions"].as_array().unwrap().len(), 1);
        assert_eq!(v["versions"][0]["version"], "v2");
        let v = pruned(workflow(), &["/**/serviceTask[B]/soar:timeout"]);
        let tasks = &v["versions"][1]["taskflow"]["workflow"]["elements"];
        assert_eq!(tasks[0]["attributes"]["soar:timeout"], "60");
        assert!(tasks[1]["attributes"].get("soar:timeout").is_none());
        let v = pruned(workflow(), &["/versions[@active]/taskflow/serviceTask[A]"]);
        let tasks = &v["versions"][1]["taskflow"]["workflow"]["elements"];
        assert_eq!(tasks.as_array().unwrap().len(), 1);
    }

    #[test]
    fn no_rules_and_unmatched_rules_change_nothing() {
        assert_eq!(pruned(workflow(), &[]), workflow());
        assert_eq!(pruned(workflow(), &["/versions[v9]", "/nope"]), workflow());
        // Positions are the export's, applied by the first pass only, never a second time.
        assert_eq!(pruned(json!([1, 2]), &["/0"]), json!([1, 2]));
        assert_eq!(pruned(json!({"l": [1, 2]}), &["/l/*"]), json!({"l": []}));
    }
}
