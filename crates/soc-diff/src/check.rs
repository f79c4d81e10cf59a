//! Content checks of an export, as `socdrift verify` runs them: it decodes, each version's taskflow
//! decodes, and every BPMN sequence flow connects elements that exist.
//!
//! The store verifies bytes against hashes; these checks catch an export that was stored intact
//! but is broken in itself (a truncated download kept verbatim, a hand-edited file, a workflow
//! whose flow points at a deleted node).

use std::collections::BTreeSet;

use crate::decode::kind_of;
use crate::{Content, Profile};
use serde_json::Value;

/// The problems found in one export file; empty when it is sound.
pub fn check_export(source: &str, bytes: &[u8], profile: &Profile) -> Vec<String> {
    let documents = match crate::decode_export(source, bytes, profile) {
        Ok(documents) => documents,
        Err(err) => return vec![format!("does not decode: {}", chain(&err))],
    };
    let mut problems = Vec::new();
    for doc in &documents {
        let Content::Json(value) = &doc.content else {
            continue;
        };
        let versions = value.get("versions").and_then(Value::as_array);
        for (i, version) in versions.into_iter().flatten().enumerate() {
            let Some(taskflow) = version.get("taskflow") else {
                continue;
            };
            let at = format!("{}: /versions/{i}/taskflow", doc.name);
            match decode_taskflow(taskflow) {
                Ok(graph) => problems.extend(
                    dangling_flows(&graph)
                        .into_iter()
                        .map(|p| format!("{at}: {p}")),
                ),
                Err(why) => problems.push(format!("{at} does not decode: {why}")),
            }
        }
    }
    problems
}

/// A taskflow as stored: standard base64 of JSON (padding and line breaks tolerated), or JSON
/// text, or (already decoded) a JSON object.
pub fn decode_taskflow(taskflow: &Value) -> Result<Value, String> {
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
pub fn dangling_flows(graph: &Value) -> Vec<String> {
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

/// An error and its causes on one line.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
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
                let problems = check_export("f.json", &bytes, &Profile::secmaster());
                assert!(problems.is_empty(), "{}: {problems:?}", path.display());
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
    fn a_broken_taskflow_or_export_is_reported() {
        let mut export: Value =
            serde_json::from_slice(&fixture("staging", "01-block-ip.json")).unwrap();
        export["versions"][0]["taskflow"] = json!("%%% not base64 %%%");
        let bytes = serde_json::to_vec(&export).unwrap();
        let problems = check_export("x.json", &bytes, &Profile::secmaster());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with(
                "Block malicious source IP: /versions/0/taskflow does not decode: not valid base64"
            ),
            "{problems:?}"
        );
        let problems = check_export("x.json", b"{\"name\": ", &Profile::secmaster());
        assert!(
            problems[0].starts_with("does not decode: x.json: invalid JSON"),
            "{problems:?}"
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
