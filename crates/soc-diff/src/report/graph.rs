//! The graph summary of a modified workflow: what changed in its BPMN diagram, node by node and
//! flow by flow, before the detailed changes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What changed in the diagram of a workflow's active version (its decoded `taskflow`). Canvas
/// layout is not part of it: moved nodes are counted as layout, not changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GraphSummary {
    /// The two diagrams are the same but for the ids of their elements: the workflow was most
    /// likely built (or re-created) separately in each workspace. `nodes` and `flows` are then
    /// empty; `element_ids = "by_name"` compares such workflows by element names.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ids_only: bool,
    /// Nodes (tasks, events, gateways, the process itself) that were added, removed, renamed or
    /// changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeChange>,
    /// Sequence flows that were added, removed, rewired or changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<FlowChange>,
}

impl GraphSummary {
    /// Whether there is nothing to say.
    pub fn is_empty(&self) -> bool {
        !self.ids_only && self.nodes.is_empty() && self.flows.is_empty()
    }
}

/// One node of the diagram that differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NodeChange {
    pub change: NodeChangeKind,
    /// The element id (the right side's; the left side's for a removed node).
    pub id: String,
    /// The element's tag without its namespace: `serviceTask`, `exclusiveGateway`, `process`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The node's name; absent for unnamed nodes (and for names the console makes from the id,
    /// like `Service_Process1756712343827`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// For a renamed node: its name on the left side (absent when it had none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_name: Option<String>,
    /// When the node's type changed: its type on the left side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_type: Option<String>,
    /// When the node is the same (type and name) but has a new id: its id on the left side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_id: Option<String>,
    /// Its parameters (attributes and child elements) that differ.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<ParamChange>,
}

/// How a node differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeChangeKind {
    /// Only on the right side.
    Added,
    /// Only on the left side.
    Removed,
    /// Its name differs (its parameters may too).
    Renamed,
    /// Its parameters, type or id differ.
    Changed,
}

/// One sequence flow of the diagram that differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FlowChange {
    pub change: FlowChangeKind,
    /// The element id (the right side's; the left side's for a removed flow).
    pub id: String,
    /// The flow's name (a gateway's branch label such as `yes`), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The node the flow leaves, as a reader knows it: its name, else its type and id.
    pub from: String,
    /// The node the flow enters.
    pub to: String,
    /// For a rewired flow: where it left from on the left side, when that differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_from: Option<String>,
    /// For a rewired flow: where it went on the left side, when that differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_to: Option<String>,
    /// Its parameters (a condition, attributes) that differ.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<ParamChange>,
}

/// How a flow differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlowChangeKind {
    /// Only on the right side.
    Added,
    /// Only on the left side.
    Removed,
    /// It joins other nodes (its parameters may differ too).
    Rewired,
    /// Its name or parameters differ.
    Changed,
}

/// A parameter of a node or flow that differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ParamChange {
    /// Where in the node, as an address relative to it: `soar:timeout`,
    /// `soar:params/duration` (inside a JSON attribute), `conditionExpression` (a child element).
    pub name: String,
    /// The left value; absent when the parameter is new.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::present_value"
    )]
    pub left: Option<Value>,
    /// The right value; absent when the parameter is gone.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::present_value"
    )]
    pub right: Option<Value>,
}

fn is_false(value: &bool) -> bool {
    !*value
}
