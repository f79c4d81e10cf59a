//! Replacing BPMN element ids by labels built from what the elements are.
//!
//! The SecMaster console gives every node and flow an id with a random suffix
//! (`Activity_1yhrykd`, `Flow_0bkydhy`). A workflow promoted by export and import keeps them, but
//! the same workflow built by hand in two workspaces does not, and then every element and every
//! reference to it differs. With `element_ids = "by_name"` each id becomes a label that is the
//! same on both sides when the graphs are the same:
//!
//! | element | label |
//! | --- | --- |
//! | has a `name` (not one made from its id, like `Service_Process<ms>`) | `serviceTask[Block on WAF]` (local tag name, then the name) |
//! | has `sourceRef` and `targetRef` (a flow) | `sequenceFlow[startEvent#1 -> serviceTask[Query]]`, with `name: ` before the ends when named |
//! | has `bpmnElement` (canvas shapes and edges) | `BPMNShape[serviceTask[Query]]` |
//! | anything else | `exclusiveGateway#2`: the n-th unnamed element of its tag, in document order |
//!
//! A label already taken gets `#2`, `#3`, ... in document order, so labels stay unique. Every
//! string in the taskflow that is an id, or holds one as a whole word (`${Activity_1yhrykd.result}`,
//! including inside JSON text such as `soar:params`), is rewritten. Labels never contain `"`, `\`
//! or control characters, so rewriting inside JSON text keeps it valid.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::Profile;
use crate::decode::{Content, Document};

/// Replaces the element ids of a decoded taskflow (xml-js JSON) and every reference to them.
pub(crate) fn relabel(taskflow: &mut Value) {
    let mut elements = Vec::new();
    collect(taskflow, &mut elements);
    if elements.is_empty() {
        return;
    }
    let labels = labels(&elements);
    if !labels.is_empty() {
        rewrite(taskflow, &labels);
    }
}

/// Whether two normalized workflows that differ would be equal with `element_ids = "by_name"`:
/// the hint a report gives when ids alone make workflows built separately look rewritten.
pub(crate) fn differ_only_in_element_ids(left: &Value, right: &Value, profile: &Profile) -> bool {
    let relabelled = |value: &Value| {
        let mut value = value.clone();
        relabel_taskflows(&mut value);
        // Normalizing again sorts the keyed element arrays by their new ids.
        profile
            .normalize(&Document {
                name: String::new(),
                source: String::new(),
                content: Content::Json(value),
            })
            .sha256
    };
    left != right && relabelled(left) == relabelled(right)
}

/// Relabels every decoded taskflow (an object or array under a `taskflow` key) in a workflow.
fn relabel_taskflows(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "taskflow" && (child.is_object() || child.is_array()) {
                    relabel(child);
                } else {
                    relabel_taskflows(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(relabel_taskflows),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

/// Whether `name` was made from `id` by the console (`Service_Process1756712343827` for
/// `Process_1756712343827`): it differs wherever the id does, so it is no name.
pub(crate) fn is_generated_name(id: &str, name: &str) -> bool {
    // Short ids (`A`, `T1`) occur in real names by chance; console ids are long.
    id.len() >= 8 && (name.contains(id) || name.contains(&id.replace('_', "")))
}

/// What labelling needs to know of one element (an object with a string `attributes.id`).
struct Element {
    id: String,
    tag: String,
    name: Option<String>,
    /// A name made from the id (the console names a process `Service_Process<ms>` after its id
    /// `Process_<ms>`): it differs wherever the id does, so it is no name and is rewritten too.
    generated_name: Option<String>,
    ends: Option<(String, String)>,
    refers_to: Option<String>,
}

fn collect(value: &Value, out: &mut Vec<Element>) {
    match value {
        Value::Object(map) => {
            let attributes = map.get("attributes").and_then(Value::as_object);
            let attribute = |key: &str| {
                attributes
                    .and_then(|a| a.get(key))
                    .and_then(Value::as_str)
                    .filter(|text| !text.is_empty())
                    .map(str::to_owned)
            };
            if let Some(id) = attribute("id") {
                let tag = map.get("name").and_then(Value::as_str).unwrap_or("element");
                let (name, generated_name) = match attribute("name") {
                    Some(name) if is_generated_name(&id, &name) => (None, Some(name)),
                    name => (name, None),
                };
                out.push(Element {
                    id,
                    tag: clean(tag.rsplit(':').next().unwrap_or(tag)),
                    name,
                    generated_name,
                    ends: attribute("sourceRef").zip(attribute("targetRef")),
                    refers_to: attribute("bpmnElement"),
                });
            }
            map.values().for_each(|child| collect(child, out));
        }
        Value::Array(items) => items.iter().for_each(|item| collect(item, out)),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

/// Old id -> label. Plain elements are labelled first, flows next (their ends are labelled by
/// then), canvas references last (they may point at flows).
fn labels(elements: &[Element]) -> HashMap<String, String> {
    let mut labels: HashMap<String, String> = HashMap::new();
    let mut taken: HashSet<String> = HashSet::new();
    let mut unnamed: HashMap<&str, usize> = HashMap::new();
    let mut assign = |labels: &mut HashMap<String, String>, element: &Element, base: String| {
        if labels.contains_key(&element.id) {
            // A repeated id names one element; the first occurrence keeps the label.
            return;
        }
        let mut label = base.clone();
        let mut n = 1;
        while !taken.insert(label.clone()) {
            n += 1;
            label = format!("{base}#{n}");
        }
        if let Some(generated) = &element.generated_name {
            labels
                .entry(generated.clone())
                .or_insert_with(|| label.clone());
        }
        labels.insert(element.id.clone(), label);
    };
    for element in elements {
        if element.ends.is_some() || element.refers_to.is_some() {
            continue;
        }
        let base = match &element.name {
            Some(name) => format!("{}[{}]", element.tag, clean(name)),
            None => {
                let n = unnamed.entry(element.tag.as_str()).or_default();
                *n += 1;
                format!("{}#{n}", element.tag)
            }
        };
        assign(&mut labels, element, base);
    }
    let label_of = |labels: &HashMap<String, String>, id: &str| {
        labels.get(id).cloned().unwrap_or_else(|| clean(id))
    };
    for element in elements {
        let Some((source, target)) = &element.ends else {
            continue;
        };
        let ends = format!(
            "{} -> {}",
            label_of(&labels, source),
            label_of(&labels, target)
        );
        let base = match &element.name {
            Some(name) => format!("{}[{}: {ends}]", element.tag, clean(name)),
            None => format!("{}[{ends}]", element.tag),
        };
        assign(&mut labels, element, base);
    }
    for element in elements {
        let Some(target) = &element.refers_to else {
            continue;
        };
        if element.ends.is_some() {
            continue;
        }
        let base = format!("{}[{}]", element.tag, label_of(&labels, target));
        assign(&mut labels, element, base);
    }
    labels
}

/// A name as it may appear in a label: no quotes, backslashes or control characters, which would
/// need escaping inside the JSON text the label may be written into.
fn clean(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// Rewrites every string that is an id or holds one as a whole word. Object keys are tag and
/// attribute names in xml-js JSON and are left alone.
fn rewrite(value: &mut Value, labels: &HashMap<String, String>) {
    match value {
        Value::Object(map) => map.values_mut().for_each(|child| rewrite(child, labels)),
        Value::Array(items) => items.iter_mut().for_each(|item| rewrite(item, labels)),
        Value::String(text) => {
            if let Some(label) = labels.get(text.as_str()) {
                label.clone_into(text);
            } else if let Some(rewritten) = rewrite_words(text, labels) {
                *text = rewritten;
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// `text` with each word that is an id replaced by its label, `None` when no word is an id. A
/// word is a run of ASCII letters, digits, `_` and `-` (the characters of console ids), so
/// `Activity_1.result` holds the word `Activity_1`. Words that JSON reads as literals (`true`,
/// `null`, numbers) are never replaced, whatever the ids are.
fn rewrite_words(text: &str, labels: &HashMap<String, String>) -> Option<String> {
    let is_word_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut start = 0;
    while start < bytes.len() {
        if !is_word_byte(bytes[start]) {
            start += 1;
            continue;
        }
        let mut end = start;
        while end < bytes.len() && is_word_byte(bytes[end]) {
            end += 1;
        }
        // Word boundaries are ASCII bytes, so these are char boundaries.
        let word = &text[start..end];
        let literal = matches!(word, "true" | "false" | "null")
            || word.starts_with(|c: char| c.is_ascii_digit() || c == '-');
        if !literal {
            if let Some(label) = labels.get(word) {
                let out = out.get_or_insert_with(|| String::with_capacity(text.len() + 32));
                out.push_str(&text[copied..start]);
                out.push_str(label);
                copied = end;
            }
        }
        start = end;
    }
    out.map(|mut out| {
        out.push_str(&text[copied..]);
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn element(tag: &str, attributes: Value, children: Vec<Value>) -> Value {
        json!({"type": "element", "name": tag, "attributes": attributes, "elements": children})
    }

    fn text_child(tag: &str, text: &str) -> Value {
        json!({"type": "element", "name": tag, "elements": [{"type": "text", "text": text}]})
    }

    /// A small process with the given ids for: start, task, gateway, flow 1, flow 2, shape.
    fn process(ids: [&str; 6]) -> Value {
        let [start, task, gateway, flow1, flow2, shape] = ids;
        json!({"elements": [
            element("bpmn2:process", json!({"id": "Process_1", "name": "P"}), vec![
                element("bpmn2:startEvent", json!({"id": start}), vec![text_child("bpmn2:outgoing", flow1)]),
                element(
                    "bpmn2:serviceTask",
                    json!({"id": task, "name": "Block on WAF", "soar:params": format!("{{\"after\":\"${{{gateway}.result}}\"}}")}),
                    vec![text_child("bpmn2:incoming", flow1), text_child("bpmn2:outgoing", flow2)],
                ),
                element("bpmn2:exclusiveGateway", json!({"id": gateway}), vec![text_child("bpmn2:incoming", flow2)]),
                element("bpmn2:sequenceFlow", json!({"id": flow1, "sourceRef": start, "targetRef": task}), vec![]),
                element("bpmn2:sequenceFlow", json!({"id": flow2, "name": "yes", "sourceRef": task, "targetRef": gateway}), vec![]),
            ]),
            element("bpmndi:BPMNShape", json!({"id": shape, "bpmnElement": task}), vec![]),
        ]})
    }

    fn relabelled(mut value: Value) -> Value {
        relabel(&mut value);
        value
    }

    #[test]
    fn graphs_that_differ_only_in_ids_become_equal() {
        let console = process([
            "Event_0a1",
            "Activity_1yhrykd",
            "Gateway_9zz",
            "Flow_0bk",
            "Flow_1x",
            "Shape_7",
        ]);
        let rebuilt = process([
            "Event_q",
            "Activity_abc",
            "Gateway_k",
            "Flow_77",
            "Flow_x1",
            "Shape_0",
        ]);
        assert_ne!(console, rebuilt);
        assert_eq!(relabelled(console), relabelled(rebuilt));
    }

    #[test]
    fn ids_and_references_become_readable_labels() {
        let v = relabelled(process(["E", "A", "G", "F1", "F2", "S"]));
        let p = &v["elements"][0]["elements"];
        assert_eq!(p[0]["attributes"]["id"], "startEvent#1");
        assert_eq!(
            p[0]["elements"][0]["elements"][0]["text"],
            "sequenceFlow[startEvent#1 -> serviceTask[Block on WAF]]"
        );
        assert_eq!(p[1]["attributes"]["id"], "serviceTask[Block on WAF]");
        assert_eq!(
            p[1]["attributes"]["soar:params"],
            "{\"after\":\"${exclusiveGateway#1.result}\"}"
        );
        assert_eq!(
            p[4]["attributes"]["id"],
            "sequenceFlow[yes: serviceTask[Block on WAF] -> exclusiveGateway#1]"
        );
        assert_eq!(p[4]["attributes"]["sourceRef"], "serviceTask[Block on WAF]");
        assert_eq!(v["elements"][0]["attributes"]["id"], "process[P]");
        assert_eq!(
            v["elements"][1]["attributes"]["id"],
            "BPMNShape[serviceTask[Block on WAF]]"
        );
        assert_eq!(
            v["elements"][1]["attributes"]["bpmnElement"],
            "serviceTask[Block on WAF]"
        );
        // The JSON text in soar:params is still JSON.
        let params = p[1]["attributes"]["soar:params"].as_str().unwrap();
        assert!(serde_json::from_str::<Value>(params).is_ok());
    }

    #[test]
    fn a_name_made_from_the_id_is_no_name_and_is_rewritten_with_it() {
        let process = |ms: &str| {
            json!({"elements": [
                element("bpmn2:definitions", json!({"id": format!("diagram_Process_{ms}")}), vec![
                    element("bpmn2:process", json!({"id": format!("Process_{ms}"), "name": format!("Service_Process{ms}")}), vec![]),
                ]),
                element("bpmndi:BPMNPlane", json!({"id": "Plane", "bpmnElement": format!("Process_{ms}")}), vec![]),
            ]})
        };
        let v = relabelled(process("1756712343827"));
        assert_eq!(v, relabelled(process("1754555831876")));
        let p = &v["elements"][0]["elements"][0]["attributes"];
        assert_eq!(p["id"], "process#1");
        assert_eq!(p["name"], "process#1");
        assert_eq!(v["elements"][1]["attributes"]["bpmnElement"], "process#1");
    }

    #[test]
    fn rewiring_still_shows() {
        let mut rewired = process(["E", "A", "G", "F1", "F2", "S"]);
        rewired["elements"][0]["elements"][3]["attributes"]["targetRef"] = json!("G");
        assert_ne!(
            relabelled(process(["E", "A", "G", "F1", "F2", "S"])),
            relabelled(rewired)
        );
    }

    #[test]
    fn equal_names_get_numbered_labels_and_hostile_names_stay_json_safe() {
        let mut v = json!({"elements": [
            element("bpmn2:task", json!({"id": "T1", "name": "Send \"mail\"\\\n"}), vec![]),
            element("bpmn2:task", json!({"id": "T2", "name": "Send \"mail\"\\\n"}), vec![]),
            element("bpmn2:task", json!({"id": "T3", "soar:params": "{\"next\": [\"T1\", \"T2\"]}"}), vec![]),
        ]});
        relabel(&mut v);
        assert_eq!(v["elements"][0]["attributes"]["id"], "task[Send 'mail'/ ]");
        assert_eq!(
            v["elements"][1]["attributes"]["id"],
            "task[Send 'mail'/ ]#2"
        );
        let params = v["elements"][2]["attributes"]["soar:params"]
            .as_str()
            .unwrap();
        let parsed: Value = serde_json::from_str(params).unwrap();
        assert_eq!(
            parsed["next"],
            json!(["task[Send 'mail'/ ]", "task[Send 'mail'/ ]#2"])
        );
    }

    #[test]
    fn words_that_are_json_literals_or_parts_of_longer_words_are_left_alone() {
        let labels: HashMap<String, String> =
            [("true", "x"), ("Flow_1", "flow[a -> b]"), ("12", "y")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        assert_eq!(rewrite_words("{\"a\": true, \"b\": 12}", &labels), None);
        assert_eq!(rewrite_words("Flow_10 Flow_1x aFlow_1", &labels), None);
        assert_eq!(
            rewrite_words("é ${Flow_1.out}, Flow_1", &labels).as_deref(),
            Some("é ${flow[a -> b].out}, flow[a -> b]")
        );
    }

    proptest::proptest! {
        #[test]
        fn any_fresh_ids_give_the_same_labels(
            suffixes in proptest::collection::hash_set("[a-z0-9]{1,9}", 6)
        ) {
            let fresh: Vec<String> = suffixes.iter().map(|s| format!("Id_{s}")).collect();
            let ids: [&str; 6] = std::array::from_fn(|i| fresh[i].as_str());
            proptest::prop_assert_eq!(
                relabelled(process(ids)),
                relabelled(process(["E", "A", "G", "F1", "F2", "S"]))
            );
        }
    }

    #[test]
    fn documents_without_element_ids_are_untouched() {
        let v = json!({"a": [1, {"attributes": {"name": "x"}}], "b": "Activity_1"});
        assert_eq!(relabelled(v.clone()), v);
    }
}
