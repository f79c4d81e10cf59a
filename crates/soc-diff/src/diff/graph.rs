//! The graph summary of a modified workflow: its active version's BPMN diagram compared node by
//! node and flow by flow, so a reviewer reads "Block on WAF: duration 86400 -> 3600" and
//! "Enrich alert → Notify" before the detailed changes.
//!
//! Nodes are matched by id; the rest by type and name (a node deleted and drawn again keeps
//! both), then by type and parameters (a renamed node, whose id changes with its name under
//! `element_ids = "by_name"`). Flows are matched by id, then by the nodes they join, then by the
//! node they leave (or enter) and their name: a flow whose other end changed is rewired. The
//! canvas layout (`bpmndi:` elements) is not part of the graph.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Map, Value};

use super::structure::Differ;
use crate::address::local_name;
use crate::profile::Profile;
use crate::report::{
    FlowChange, FlowChangeKind, GraphSummary, NodeChange, NodeChangeKind, ParamChange,
};

/// Compares the diagrams of two taskflows; `None` when neither holds one or nothing differs.
/// With `ids_only`, the diagrams are known to differ only in element ids, and the summary says
/// just that.
pub(super) fn summary(
    left: &Value,
    right: &Value,
    ids_only: bool,
    profile: &Profile,
) -> Option<GraphSummary> {
    if ids_only {
        return Some(GraphSummary {
            ids_only: true,
            ..GraphSummary::default()
        });
    }
    let (l, r) = (Graph::of(left), Graph::of(right));
    if l.nodes.is_empty() && r.nodes.is_empty() && l.flows.is_empty() && r.flows.is_empty() {
        return None;
    }
    let nodes = pair_nodes(&l, &r, profile);
    let flows = compare_flows(&l, &r, &nodes, profile);
    let summary = GraphSummary {
        ids_only: false,
        nodes: nodes.changes,
        flows,
    };
    (!summary.is_empty()).then_some(summary)
}

/// One element of a diagram, as the summary (and the drawing, [`crate::canvas`]) needs it.
pub(crate) struct Element<'v> {
    pub(crate) id: &'v str,
    pub(crate) tag: &'v str,
    pub(crate) name: Option<&'v str>,
    /// Attributes other than `id` and `name` (and a flow's ends), and child elements other than
    /// the derived `incoming`/`outgoing` references, by name.
    params: Value,
    /// A flow's ends.
    pub(crate) ends: Option<(&'v str, &'v str)>,
}

/// The nodes and flows of a decoded taskflow, by id.
pub(crate) struct Graph<'v> {
    pub(crate) nodes: BTreeMap<&'v str, Element<'v>>,
    pub(crate) flows: BTreeMap<&'v str, Element<'v>>,
}

impl<'v> Graph<'v> {
    pub(crate) fn of(taskflow: &'v Value) -> Self {
        let mut graph = Graph {
            nodes: BTreeMap::new(),
            flows: BTreeMap::new(),
        };
        graph.collect(taskflow);
        graph
    }

    fn collect(&mut self, value: &'v Value) {
        match value {
            Value::Object(map) => {
                let tag = map.get("name").and_then(Value::as_str).unwrap_or_default();
                if map.get("type").and_then(Value::as_str) == Some("element") {
                    // Canvas layout: where things are drawn, not what they do.
                    if tag.starts_with("bpmndi:") {
                        return;
                    }
                    if let Some(element) = element(tag, map) {
                        let list = match element.ends {
                            Some(_) => &mut self.flows,
                            None => &mut self.nodes,
                        };
                        list.entry(element.id).or_insert(element);
                    }
                }
                map.values().for_each(|child| self.collect(child));
            }
            Value::Array(items) => items.iter().for_each(|item| self.collect(item)),
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
        }
    }

    /// How a reader knows a node: its name, else its type and id.
    fn display(&self, id: &str) -> String {
        match self.nodes.get(id) {
            Some(Element {
                name: Some(name), ..
            }) => (*name).to_owned(),
            Some(node) => format!("{} {}", node.tag, node.id),
            None => id.to_owned(),
        }
    }
}

/// The element an xml-js element with an id is, unless it only holds the diagram.
fn element<'v>(tag: &'v str, map: &'v Map<String, Value>) -> Option<Element<'v>> {
    let attributes = map.get("attributes")?.as_object()?;
    let attribute = |key: &str| attributes.get(key).and_then(Value::as_str);
    let id = attribute("id").filter(|id| !id.is_empty())?;
    let tag = local_name(tag);
    if tag == "definitions" {
        return None;
    }
    let name = attribute("name")
        .filter(|name| !name.is_empty() && !crate::element_ids::is_generated_name(id, name));
    let ends = attribute("sourceRef").zip(attribute("targetRef"));
    let mut params = Map::new();
    for (key, value) in attributes {
        let own = matches!(key.as_str(), "id" | "name")
            || (ends.is_some() && matches!(key.as_str(), "sourceRef" | "targetRef"));
        if !own {
            params.insert(key.clone(), value.clone());
        }
    }
    let children = map.get("elements").and_then(Value::as_array);
    for child in children.into_iter().flatten() {
        let Some(child_tag) = child.get("name").and_then(Value::as_str).map(local_name) else {
            continue;
        };
        // `incoming`/`outgoing` repeat what the flows say; children with ids are nodes of
        // their own (the elements of a process or sub-process).
        let has_id = child.get("attributes").and_then(|a| a.get("id")).is_some();
        if matches!(child_tag, "incoming" | "outgoing") || has_id {
            continue;
        }
        let entry = params
            .entry(child_tag.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            list.push(child.clone());
        }
    }
    Some(Element {
        id,
        tag,
        name,
        params: Value::Object(params),
        ends,
    })
}

/// The nodes of both sides paired, and what differs about them.
struct Nodes {
    /// Left id -> right id, for every pair.
    right_of: HashMap<String, String>,
    changes: Vec<NodeChange>,
}

fn pair_nodes(l: &Graph<'_>, r: &Graph<'_>, profile: &Profile) -> Nodes {
    let (mut pairs, mut left, mut right) = by_id(&l.nodes, &r.nodes);
    // A node drawn again keeps its type and name; a renamed one keeps its type and parameters.
    let by_name = |e: &Element<'_>| e.name.map(|name| format!("{}\u{0}{name}", e.tag));
    let by_params = |e: &Element<'_>| Some(format!("{}\u{0}{}", e.tag, e.params));
    for key in [
        &by_name as &dyn Fn(&Element<'_>) -> Option<String>,
        &by_params,
    ] {
        pairs.extend(pair_unique(
            &mut left,
            &mut right,
            |id| key(&l.nodes[id]),
            |id| key(&r.nodes[id]),
        ));
    }
    let mut changes = Vec::new();
    for &(lid, rid) in &pairs {
        let (ln, rn) = (&l.nodes[lid], &r.nodes[rid]);
        let params = params(&ln.params, &rn.params, profile);
        let renamed = ln.name != rn.name;
        if !renamed && ln.tag == rn.tag && lid == rid && params.is_empty() {
            continue;
        }
        changes.push(NodeChange {
            change: if renamed {
                NodeChangeKind::Renamed
            } else {
                NodeChangeKind::Changed
            },
            previous_name: renamed.then(|| ln.name.map(str::to_owned)).flatten(),
            previous_type: (ln.tag != rn.tag).then(|| ln.tag.to_owned()),
            previous_id: (lid != rid).then(|| lid.to_owned()),
            params,
            ..node_change(rn, NodeChangeKind::Changed)
        });
    }
    changes.extend(
        left.iter()
            .map(|id| node_change(&l.nodes[id], NodeChangeKind::Removed)),
    );
    changes.extend(
        right
            .iter()
            .map(|id| node_change(&r.nodes[id], NodeChangeKind::Added)),
    );
    changes.sort_by(|a, b| (a.change as u8, &a.id).cmp(&(b.change as u8, &b.id)));
    Nodes {
        right_of: pairs
            .into_iter()
            .map(|(l, r)| (l.to_owned(), r.to_owned()))
            .collect(),
        changes,
    }
}

fn node_change(node: &Element<'_>, change: NodeChangeKind) -> NodeChange {
    NodeChange {
        change,
        id: node.id.to_owned(),
        kind: node.tag.to_owned(),
        name: node.name.map(str::to_owned),
        previous_name: None,
        previous_type: None,
        previous_id: None,
        params: Vec::new(),
    }
}

/// The ids on both sides (as pairs), only on the left, and only on the right.
type ById<'a> = (Vec<(&'a str, &'a str)>, Vec<&'a str>, Vec<&'a str>);

fn by_id<'a>(
    left: &BTreeMap<&'a str, Element<'_>>,
    right: &BTreeMap<&'a str, Element<'_>>,
) -> ById<'a> {
    let mut pairs = Vec::new();
    let mut only_left = Vec::new();
    for &id in left.keys() {
        if right.contains_key(id) {
            pairs.push((id, id));
        } else {
            only_left.push(id);
        }
    }
    let only_right = right
        .keys()
        .copied()
        .filter(|id| !left.contains_key(id))
        .collect();
    (pairs, only_left, only_right)
}

/// Moves pairs of `left` and `right` ids whose keys are equal, and unique on both sides, out of
/// the lists; ids without a key stay.
fn pair_unique<'a>(
    left: &mut Vec<&'a str>,
    right: &mut Vec<&'a str>,
    left_key: impl Fn(&str) -> Option<String>,
    right_key: impl Fn(&str) -> Option<String>,
) -> Vec<(&'a str, &'a str)> {
    let unique = |ids: &[&'a str], key: &dyn Fn(&str) -> Option<String>| {
        let mut seen: HashMap<String, Option<&'a str>> = HashMap::new();
        for &id in ids {
            if let Some(k) = key(id) {
                seen.entry(k)
                    .and_modify(|slot| *slot = None)
                    .or_insert(Some(id));
            }
        }
        seen
    };
    let (lk, rk) = (unique(left, &left_key), unique(right, &right_key));
    let mut pairs = Vec::new();
    for (key, l) in &lk {
        if let (Some(l), Some(Some(r))) = (l, rk.get(key)) {
            pairs.push((*l, *r));
        }
    }
    pairs.sort_unstable();
    let (taken_l, taken_r): (HashSet<&str>, HashSet<&str>) = pairs.iter().copied().unzip();
    left.retain(|id| !taken_l.contains(id));
    right.retain(|id| !taken_r.contains(id));
    pairs
}

/// The parameters of two matched elements that differ, as addresses relative to the element.
fn params(left: &Value, right: &Value, profile: &Profile) -> Vec<ParamChange> {
    if left == right {
        return Vec::new();
    }
    let mut differ = Differ::new(profile);
    differ.value(left, right);
    differ
        .finish()
        .into_iter()
        .map(|change| ParamChange {
            name: change
                .address
                .to_string()
                .trim_start_matches('/')
                .to_owned(),
            left: change.left.map(simplify),
            right: change.right.map(simplify),
        })
        .collect()
}

/// A child element that holds only text is shown as its text.
fn simplify(value: Value) -> Value {
    let text = |element: &Value| -> Option<String> {
        let children = element.get("elements")?.as_array()?;
        let mut text = String::new();
        for child in children {
            text.push_str(child.get("text").or_else(|| child.get("cdata"))?.as_str()?);
        }
        Some(text)
    };
    match &value {
        Value::Array(items) if items.len() == 1 => items
            .first()
            .and_then(text)
            .map_or(value.clone(), Value::String),
        _ => text(&value).map_or(value, Value::String),
    }
}

/// What pairs flows: a key of a flow, given whether it is the left side's.
type FlowKey<'k> = &'k dyn Fn(&Element<'_>, bool) -> String;

fn compare_flows(
    l: &Graph<'_>,
    r: &Graph<'_>,
    nodes: &Nodes,
    profile: &Profile,
) -> Vec<FlowChange> {
    let mapped = |id: &str| nodes.right_of.get(id).map_or(id, String::as_str).to_owned();
    let ends_of = |flow: &Element<'_>, left_side: bool| {
        let (source, target) = flow.ends.unwrap_or_default();
        if left_side {
            (mapped(source), mapped(target))
        } else {
            (source.to_owned(), target.to_owned())
        }
    };
    let (mut pairs, mut left, mut right) = by_id(&l.flows, &r.flows);
    let name = |e: &Element<'_>| e.name.unwrap_or_default().to_owned();
    // The same ends (a flow drawn again), then the same start or end and name (rewired).
    let keys: [FlowKey<'_>; 3] = [
        &|e, side| format!("{:?}\u{0}{}", ends_of(e, side), name(e)),
        &|e, side| format!("from\u{0}{}\u{0}{}", ends_of(e, side).0, name(e)),
        &|e, side| format!("to\u{0}{}\u{0}{}", ends_of(e, side).1, name(e)),
    ];
    for key in keys {
        pairs.extend(pair_unique(
            &mut left,
            &mut right,
            |id| Some(key(&l.flows[id], true)),
            |id| Some(key(&r.flows[id], false)),
        ));
    }
    let mut changes = Vec::new();
    for (lid, rid) in pairs {
        let (lf, rf) = (&l.flows[lid], &r.flows[rid]);
        let (ls, lt) = ends_of(lf, true);
        let (rs, rt) = ends_of(rf, false);
        let params = params(&lf.params, &rf.params, profile);
        let rewired = (ls != rs, lt != rt);
        if rewired == (false, false) && lf.name == rf.name && params.is_empty() {
            continue;
        }
        let (source, target) = lf.ends.unwrap_or_default();
        changes.push(FlowChange {
            change: if rewired != (false, false) {
                FlowChangeKind::Rewired
            } else {
                FlowChangeKind::Changed
            },
            previous_from: rewired.0.then(|| l.display(source)),
            previous_to: rewired.1.then(|| l.display(target)),
            params,
            ..flow_change(r, rf, FlowChangeKind::Changed)
        });
    }
    changes.extend(
        left.iter()
            .map(|id| flow_change(l, &l.flows[id], FlowChangeKind::Removed)),
    );
    changes.extend(
        right
            .iter()
            .map(|id| flow_change(r, &r.flows[id], FlowChangeKind::Added)),
    );
    changes.sort_by(|a, b| (a.change as u8, &a.id).cmp(&(b.change as u8, &b.id)));
    changes
}

fn flow_change(graph: &Graph<'_>, flow: &Element<'_>, change: FlowChangeKind) -> FlowChange {
    let (source, target) = flow.ends.unwrap_or_default();
    FlowChange {
        change,
        id: flow.id.to_owned(),
        name: flow.name.map(str::to_owned),
        from: graph.display(source),
        to: graph.display(target),
        previous_from: None,
        previous_to: None,
        params: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(tag: &str, id: &str, name: Option<&str>, params: Value) -> Value {
        let mut attributes = params.as_object().cloned().unwrap_or_default();
        attributes.insert("id".into(), json!(id));
        if let Some(name) = name {
            attributes.insert("name".into(), json!(name));
        }
        json!({"type": "element", "name": format!("bpmn2:{tag}"), "attributes": attributes,
               "elements": [{"type": "element", "name": "bpmn2:incoming",
                             "elements": [{"type": "text", "text": "whatever"}]}]})
    }

    fn flow(id: &str, from: &str, to: &str, name: Option<&str>) -> Value {
        let mut attributes = json!({"id": id, "sourceRef": from, "targetRef": to});
        if let Some(name) = name {
            attributes["name"] = json!(name);
        }
        json!({"type": "element", "name": "bpmn2:sequenceFlow", "attributes": attributes})
    }

    fn diagram(elements: Vec<Value>) -> Value {
        json!({"workflow": {"elements": [{"type": "element", "name": "bpmn2:definitions",
            "attributes": {"id": "D"}, "elements": [
                {"type": "element", "name": "bpmn2:process",
                 "attributes": {"id": "Process_1756712343827", "name": "Service_Process1756712343827"},
                 "elements": elements},
                {"type": "element", "name": "bpmndi:BPMNDiagram", "attributes": {"id": "X"},
                 "elements": [{"type": "element", "name": "bpmndi:BPMNShape",
                               "attributes": {"id": "S", "bpmnElement": "A"}}]}]}]}})
    }

    fn base() -> Vec<Value> {
        vec![
            node("startEvent", "E", None, json!({})),
            node(
                "serviceTask",
                "A",
                Some("Enrich alert"),
                json!({"soar:params": {"duration": 86400}}),
            ),
            node(
                "serviceTask",
                "B",
                Some("Notify"),
                json!({"soar:timeout": "60"}),
            ),
            node("serviceTask", "C", Some("Close alert"), json!({})),
            flow("F1", "E", "A", None),
            flow("F2", "A", "B", None),
        ]
    }

    fn summarize(left: Vec<Value>, right: Vec<Value>) -> GraphSummary {
        summary(
            &diagram(left),
            &diagram(right),
            false,
            &Profile::secmaster(),
        )
        .unwrap_or_default()
    }

    #[test]
    fn the_same_graph_has_no_summary() {
        assert!(
            summary(
                &diagram(base()),
                &diagram(base()),
                false,
                &Profile::secmaster()
            )
            .is_none()
        );
    }

    #[test]
    fn nodes_added_removed_renamed_and_changed() {
        let mut right = base();
        right[1] = node(
            "serviceTask",
            "A",
            Some("Enrich alert"),
            json!({"soar:params": {"duration": 3600}}),
        );
        right[2] = node(
            "serviceTask",
            "B",
            Some("Notify the SOC"),
            json!({"soar:timeout": "60"}),
        );
        right.remove(3);
        right.push(node("userTask", "U", Some("Ask an analyst"), json!({})));
        let summary = summarize(base(), right);
        let got: Vec<_> = summary
            .nodes
            .iter()
            .map(|n| {
                (
                    n.change,
                    n.id.as_str(),
                    n.name.as_deref(),
                    n.previous_name.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (NodeChangeKind::Added, "U", Some("Ask an analyst"), None),
                (NodeChangeKind::Removed, "C", Some("Close alert"), None),
                (
                    NodeChangeKind::Renamed,
                    "B",
                    Some("Notify the SOC"),
                    Some("Notify")
                ),
                (NodeChangeKind::Changed, "A", Some("Enrich alert"), None),
            ]
        );
        let params = &summary.nodes[3].params;
        assert_eq!(
            params,
            &[ParamChange {
                name: "soar:params/duration".into(),
                left: Some(json!(86400)),
                right: Some(json!(3600)),
            }]
        );
        assert!(summary.flows.is_empty());
    }

    #[test]
    fn flows_added_removed_and_rewired_read_by_node_names() {
        let mut right = base();
        right[5] = flow("F2", "A", "C", None);
        right.push(flow("F3", "B", "C", Some("yes")));
        right.remove(4);
        let summary = summarize(base(), right);
        let got: Vec<_> = summary
            .flows
            .iter()
            .map(|f| {
                (
                    f.change,
                    f.from.as_str(),
                    f.to.as_str(),
                    f.previous_to.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (FlowChangeKind::Added, "Notify", "Close alert", None),
                (
                    FlowChangeKind::Removed,
                    "startEvent E",
                    "Enrich alert",
                    None
                ),
                (
                    FlowChangeKind::Rewired,
                    "Enrich alert",
                    "Close alert",
                    Some("Notify")
                ),
            ]
        );
        assert_eq!(summary.flows[0].name.as_deref(), Some("yes"));
    }

    #[test]
    fn a_rewire_under_new_flow_ids_is_still_a_rewire() {
        // With element_ids = "by_name" a flow's id names its ends, so a rewired flow has a new id.
        let mut right = base();
        right[5] = flow("sequenceFlow[A -> C]", "A", "C", None);
        let summary = summarize(base(), right);
        assert_eq!(summary.flows.len(), 1);
        assert_eq!(summary.flows[0].change, FlowChangeKind::Rewired);
        assert_eq!(summary.flows[0].previous_to.as_deref(), Some("Notify"));
    }

    #[test]
    fn a_node_drawn_again_is_the_same_node_with_a_new_id() {
        let mut right = base();
        right[2] = node(
            "serviceTask",
            "B2",
            Some("Notify"),
            json!({"soar:timeout": "90"}),
        );
        right[5] = flow("F2", "A", "B2", None);
        let summary = summarize(base(), right);
        assert_eq!(summary.nodes.len(), 1, "{:#?}", summary.nodes);
        let notify = &summary.nodes[0];
        assert_eq!(
            (notify.id.as_str(), notify.previous_id.as_deref()),
            ("B2", Some("B"))
        );
        assert_eq!(notify.params[0].name, "soar:timeout");
        assert!(summary.flows.is_empty(), "{:#?}", summary.flows);
    }

    #[test]
    fn ids_only_says_so_and_nothing_else() {
        let s = summary(
            &diagram(base()),
            &diagram(vec![]),
            true,
            &Profile::secmaster(),
        )
        .unwrap();
        assert!(s.ids_only && s.nodes.is_empty() && s.flows.is_empty());
    }

    #[test]
    fn layout_and_generated_names_are_not_part_of_the_graph() {
        let graph_value = diagram(base());
        let graph = Graph::of(&graph_value);
        assert!(!graph.nodes.contains_key("S"));
        assert_eq!(graph.nodes["Process_1756712343827"].name, None);
        assert!(!graph.nodes.contains_key("D"));
    }
}
