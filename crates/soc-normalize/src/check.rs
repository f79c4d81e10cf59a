//! Content checks of an export, as `socdrift verify` runs them: it decodes, and every BPMN sequence
//! flow connects elements that exist.
//!
//! The store verifies bytes against hashes; these checks catch an export that was stored intact
//! but is broken in itself (a truncated download kept verbatim, a hand-edited file, a workflow
//! whose flow points at a deleted node).
//!
//! One rule for every command: an export that cannot be read at all is a **problem**; a payload
//! inside a readable export that does not decode (a `taskflow` that is not base64 of JSON, a
//! `taskconfig` that is not JSON) is compared as text by `snapshot`, `diff` and `check`, and is a
//! **note** here too, worded by the normalizer itself, so the commands cannot disagree. Comparing
//! such a payload as text never hides drift: equal text is equal content, and any change shows.

use std::collections::BTreeSet;

use crate::decode::kind_of;
use crate::{Content, Profile};
use serde_json::Value;

/// What checking one export found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportCheck {
    /// What makes the export unusable or inconsistent: it does not decode, or a sequence flow
    /// points at no element. Empty when it is sound.
    pub problems: Vec<String>,
    /// What the reader should know: payloads compared as text, exactly as `snapshot` and `diff`
    /// note them (`NAME: /versions/0/taskflow: not valid base64, compared as text`).
    pub notes: Vec<String>,
}

impl ExportCheck {
    /// Whether nothing is wrong (notes are not problems).
    pub fn is_sound(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks one export file: it decodes, and every decoded taskflow's flows connect.
pub fn check_export(source: &str, bytes: &[u8], profile: &Profile) -> ExportCheck {
    let documents = match crate::decode_export(source, bytes, profile) {
        Ok(documents) => documents,
        Err(err) => {
            return ExportCheck {
                problems: vec![format!("does not decode: {}", soc_text::error_chain(&err))],
                notes: Vec::new(),
            };
        }
    };
    let mut check = ExportCheck::default();
    for doc in &documents {
        let Content::Json(value) = &doc.content else {
            continue;
        };
        check.problems.extend(check_workflow(&doc.name, value));
        check.notes.extend(
            profile
                .normalize(doc)
                .notes
                .into_iter()
                .map(|note| format!("{}: {note}", doc.name)),
        );
    }
    check
}

/// The graph problems of one workflow, raw or normalized: in every version whose `taskflow` is
/// (or decodes to) a graph, each sequence flow must connect existing elements. A taskflow that
/// does not decode is not a problem here; normalization notes it.
pub fn check_workflow(name: &str, workflow: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let versions = workflow.get("versions").and_then(Value::as_array);
    for (i, version) in versions.into_iter().flatten().enumerate() {
        let Some(Ok(graph)) = version.get("taskflow").map(decode_taskflow) else {
            continue;
        };
        let at = format!("{name}: /versions/{i}/taskflow");
        problems.extend(
            dangling_flows(&graph)
                .into_iter()
                .map(|p| format!("{at}: {p}")),
        );
    }
    problems
}

/// A taskflow as stored: standard base64 of JSON (padding and line breaks tolerated), or JSON
/// text, or (already decoded) a JSON object.
pub(crate) fn decode_taskflow(taskflow: &Value) -> Result<Value, String> {
    let text = match taskflow {
        Value::Object(_) => return Ok(taskflow.clone()),
        Value::String(text) => text,
        other => return Err(format!("expected a string, found {}", kind_of(other))),
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        return serde_json::from_str(trimmed).map_err(|e| format!("not valid JSON: {e}"));
    }
    // The normalizer's decoder, so `verify` and `diff` accept exactly the same taskflows.
    let bytes =
        crate::normalize::decode_base64(text).map_err(|e| format!("not valid base64: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("the decoded bytes are not JSON: {e}"))
}

/// Sequence flows whose `sourceRef` or `targetRef` names no element of the diagram.
pub(crate) fn dangling_flows(graph: &Value) -> Vec<String> {
    let mut ids = BTreeSet::new();
    let mut flows = Vec::new();
    collect(graph, &mut ids, &mut flows);
    let mut problems = Vec::new();
    for flow in flows {
        let id = attribute(flow, "id").unwrap_or("(no id)");
        for end in ["sourceRef", "targetRef"] {
            match attribute(flow, end) {
                None => problems.push(format!("sequence flow {id} has no {end}")),
                Some(target) if !ids.contains(target) => problems.push(format!(
                    "sequence flow {id} has {end} {target}, which is not an element of the diagram"
                )),
                Some(_) => {}
            }
        }
    }
    problems
}

fn collect<'a>(value: &'a Value, ids: &mut BTreeSet<&'a str>, flows: &mut Vec<&'a Value>) {
    match value {
        Value::Object(map) => {
            if let Some(id) = attribute(value, "id") {
                ids.insert(id);
            }
            let is_flow = map
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.rsplit(':').next() == Some("sequenceFlow"));
            if is_flow {
                flows.push(value);
            }
            for child in map.values() {
                collect(child, ids, flows);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect(item, ids, flows);
            }
        }
        _ => {}
    }
}

fn attribute<'a>(element: &'a Value, name: &str) -> Option<&'a str> {
    element.get("attributes")?.get(name)?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use serde_json::json;

    fn fixture(side: &str, file: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/workspaces")
            .join(side)
            .join("workflows")
            .join(file);
        std::fs::read(path).unwrap()
    }

    #[test]
    fn every_bundled_fixture_is_sound() {
        for side in ["staging", "production"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../testdata/workspaces")
                .join(side)
                .join("workflows");
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let bytes = std::fs::read(&path).unwrap();
                let check = check_export("f.json", &bytes, &Profile::secmaster());
                assert_eq!(check, ExportCheck::default(), "{}", path.display());
            }
        }
    }

    fn flow(id: &str, source: &str, target: &str) -> Value {
        json!({"type": "element", "name": "bpmn2:sequenceFlow",
               "attributes": {"id": id, "sourceRef": source, "targetRef": target}})
    }

    #[test]
    fn a_flow_to_a_missing_node_is_reported() {
        let graph = json!({"elements": [
            {"type": "element", "name": "bpmn2:startEvent", "attributes": {"id": "Start"}},
            {"type": "element", "name": "bpmn2:endEvent", "attributes": {"id": "End"}},
            flow("F1", "Start", "End"),
            flow("F2", "Start", "Gone"),
            {"type": "element", "name": "bpmn2:sequenceFlow", "attributes": {"id": "F3", "targetRef": "End"}},
        ]});
        assert_eq!(
            dangling_flows(&graph),
            [
                "sequence flow F2 has targetRef Gone, which is not an element of the diagram",
                "sequence flow F3 has no sourceRef",
            ]
        );
    }

    #[test]
    fn an_undecodable_taskflow_is_a_note_worded_as_diff_words_it() {
        let mut export: Value =
            serde_json::from_slice(&fixture("staging", "01-block-ip.json")).unwrap();
        export["versions"][0]["taskflow"] = json!("%%% not base64 %%%");
        let bytes = serde_json::to_vec(&export).unwrap();
        let check = check_export("x.json", &bytes, &Profile::secmaster());
        assert!(check.is_sound(), "{check:?}");
        assert_eq!(
            check.notes,
            ["Block malicious source IP: /versions/0/taskflow: not valid base64, compared as text"]
        );
        // The very note `snapshot` and `diff` carry for this workflow.
        let docs = crate::decode_export("x.json", &bytes, &Profile::secmaster()).unwrap();
        assert_eq!(
            Profile::secmaster().normalize(&docs[0]).notes,
            ["/versions/0/taskflow: not valid base64, compared as text"]
        );
    }

    #[test]
    fn an_export_that_does_not_decode_is_a_problem() {
        let check = check_export("x.json", b"{\"name\": ", &Profile::secmaster());
        assert!(
            check.problems[0].starts_with("does not decode: x.json: invalid JSON"),
            "{check:?}"
        );
    }

    #[test]
    fn normalized_workflows_are_checked_like_raw_ones() {
        let raw: Value = serde_json::from_slice(&fixture("staging", "01-block-ip.json")).unwrap();
        let normalized = Profile::secmaster()
            .normalize(&crate::Document {
                name: "n".into(),
                source: "s".into(),
                content: Content::Json(raw),
            })
            .value()
            .unwrap()
            .unwrap();
        assert!(normalized["versions"][0]["taskflow"].is_object());
        assert_eq!(check_workflow("n", &normalized), Vec::<String>::new());
        let text = normalized.to_string().replacen(
            "\"targetRef\":\"Event_w8q7121\"",
            "\"targetRef\":\"Event_gone\"",
            1,
        );
        let broken: Value = serde_json::from_str(&text).unwrap();
        assert_ne!(broken, normalized);
        assert_eq!(
            check_workflow("n", &broken),
            [
                "n: /versions/0/taskflow: sequence flow Flow_99gwlq4 has targetRef Event_gone, which is not an element of the diagram"
            ]
        );
    }

    #[test]
    fn taskflow_encodings() {
        let graph = json!({"workflow": {}});
        let text = graph.to_string();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&text);
        assert_eq!(decode_taskflow(&json!(b64)).unwrap(), graph);
        assert_eq!(
            decode_taskflow(&json!(b64.trim_end_matches('='))).unwrap(),
            graph
        );
        assert_eq!(decode_taskflow(&json!(text)).unwrap(), graph);
        assert!(decode_taskflow(&json!(3)).is_err());
    }
}
