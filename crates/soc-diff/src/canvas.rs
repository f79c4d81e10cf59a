//! Drawing: the stage between the diff and the formats that draw (the review page, Mermaid
//! graphs in Markdown).
//!
//! The diff compares normalized documents, which hold no canvas layout (it is set aside so that
//! dragging a node is not drift). To draw a workflow as the console shows it, [`draw`] asks the
//! caller for the documents of the workflows a reader will want to see, and fills in each one's
//! [`Canvas`]: the structure (nodes, names, flows) from the document normalized under the run's
//! profile, so ids, names and redaction are exactly what the report says; the coordinates
//! (`bpmndi:BPMNShape` bounds, `bpmndi:BPMNEdge` waypoints, in their order) from the decoded
//! export, since normalization reorders and drops them; what changed from the report's graph
//! summary. Renderers then only format.
//!
//! Drawn: modified workflows (both sides), layout-only ones (both sides, with the nodes that
//! moved), added and removed ones (their one side, every node marked). A side whose export is not
//! at hand (a snapshot whose raw exports stay on another machine) is drawn from its normalized
//! form with an automatic layout, and the diagram says why.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::decode::{Content, Document};
use crate::diff::graph::Graph;
use crate::diff::versions::{Active, active};
use crate::normalize::{Normalized, decode_base64};
use crate::profile::{ElementIds, Profile};
use crate::report::{
    Bounds, Canvas, Diagram, DiagramFlow, DiagramNode, FlowChangeKind, Mark, NodeChangeKind, Point,
    Report, WorkflowReport, WorkflowStatus,
};

/// One side's document of a workflow, as the caller of [`draw`] has it.
#[derive(Debug)]
pub enum Drawable {
    /// The decoded export: drawn where the console placed each node.
    Document(Document),
    /// Only the normalized form (no coordinates, unless the profile keeps layout): drawn with an
    /// automatic layout; `why` says why the export is not at hand, for the reader.
    Normalized { normalized: Normalized, why: String },
}

/// Element tags that hold a diagram rather than being a node of it.
const CONTAINERS: [&str; 5] = ["process", "collaboration", "participant", "laneSet", "lane"];

/// A node that moved less than this (in the console's units) did not move: coordinates pass
/// through floating point in some exporters.
const MOVE_EPSILON: f64 = 0.5;

/// Fills in the [`Canvas`] of every workflow of `report` a reader will want drawn (see the module
/// docs), asking `left` and `right` for a workflow's document by name. A lookup that returns
/// `None` leaves that side undrawn, with a note. `profile` must be the one the report was made
/// with, so that ids and names match the report's.
pub fn draw(
    report: &mut Report,
    left: &mut dyn FnMut(&str) -> Option<Drawable>,
    right: &mut dyn FnMut(&str) -> Option<Drawable>,
    profile: &Profile,
) {
    use rayon::prelude::*;
    let labels = (report.left.clone(), report.right.clone());
    let wanted: Vec<(usize, bool, bool)> = report
        .workflows
        .iter()
        .enumerate()
        .filter_map(|(i, wf)| {
            let (l, r) = match wf.status {
                WorkflowStatus::Modified => (true, true),
                WorkflowStatus::Unchanged if wf.layout_changed => (true, true),
                WorkflowStatus::Added => (false, true),
                WorkflowStatus::Removed => (true, false),
                WorkflowStatus::Renamed | WorkflowStatus::Unchanged => return None,
            };
            Some((i, l, r))
        })
        .collect();
    // The caller's lookups run one after the other; normalizing and building, the costly part,
    // on every core, a batch at a time so that only a batch of documents is held at once.
    for batch in wanted.chunks(DRAW_BATCH) {
        let fetched: Vec<(usize, Lookup, Lookup)> = batch
            .iter()
            .map(|&(i, l, r)| {
                let name = report.workflows[i].name.as_str();
                (i, l.then(|| left(name)), r.then(|| right(name)))
            })
            .collect();
        let workflows = &report.workflows;
        let canvases: Vec<(usize, Canvas)> = fetched
            .into_par_iter()
            .map(|(i, l, r)| (i, canvas_of(&workflows[i], l, r, &labels, profile)))
            .collect();
        for (i, canvas) in canvases {
            report.workflows[i].canvas = Some(canvas);
        }
    }
}

/// What a side's lookup gave: `None` when that side is not drawn, `Some(None)` when its document
/// is not at hand.
type Lookup = Option<Option<Drawable>>;

/// How many workflows' documents [`draw`] holds at once.
const DRAW_BATCH: usize = 32;

/// One workflow's canvas from the documents looked up for it.
fn canvas_of(
    wf: &WorkflowReport,
    left: Lookup,
    right: Lookup,
    labels: &(String, String),
    profile: &Profile,
) -> Canvas {
    let mut notes = Vec::new();
    let mut side = |drawable: Lookup, label: &str| match drawable? {
        Some(drawable) => Prepared::new(drawable, label, profile, &mut notes),
        None => {
            notes.push(format!("{label}: the workflow's document is not at hand"));
            None
        }
    };
    let l = side(left, &labels.0);
    let r = side(right, &labels.1);
    let mut canvas = build(wf, l.as_ref(), r.as_ref(), labels, profile, &mut notes);
    canvas.notes = notes;
    canvas
}

/// [`draw`] from decoded documents (a folder of exports, a test's hand-built documents).
pub fn draw_documents(
    report: &mut Report,
    left: Vec<Document>,
    right: Vec<Document>,
    profile: &Profile,
) {
    let by_name = |docs: Vec<Document>| -> HashMap<String, Document> {
        docs.into_iter()
            .map(|doc| (doc.name.clone(), doc))
            .collect()
    };
    let (mut left, mut right) = (by_name(left), by_name(right));
    draw(
        report,
        &mut |name| left.remove(name).map(Drawable::Document),
        &mut |name| right.remove(name).map(Drawable::Document),
        profile,
    );
}

/// One side's document, ready to draw from.
struct Prepared {
    /// The normalized workflow (structure, names, ids as the report has them).
    tree: Value,
    /// The decoded export, when at hand (coordinates).
    raw: Option<Value>,
    /// Why there are no coordinates, when the caller said.
    why: Option<String>,
}

impl Prepared {
    fn new(
        drawable: Drawable,
        label: &str,
        profile: &Profile,
        notes: &mut Vec<String>,
    ) -> Option<Self> {
        let (normalized, raw, why) = match drawable {
            Drawable::Document(doc) => {
                let normalized = profile.normalize(&doc);
                let raw = match doc.content {
                    Content::Json(value) => Some(value),
                    Content::Opaque { .. } => None,
                };
                (normalized, raw, None)
            }
            Drawable::Normalized { normalized, why } => (normalized, None, Some(why)),
        };
        match normalized.value() {
            Some(Ok(tree)) => Some(Self { tree, raw, why }),
            Some(Err(err)) => {
                notes.push(format!(
                    "{label}: the normalized document does not parse ({err})"
                ));
                None
            }
            None => {
                notes.push(format!("{label}: binary content, nothing to draw"));
                None
            }
        }
    }
}

/// The canvas of one workflow from its prepared sides.
fn build(
    wf: &WorkflowReport,
    left: Option<&Prepared>,
    right: Option<&Prepared>,
    labels: &(String, String),
    profile: &Profile,
    notes: &mut Vec<String>,
) -> Canvas {
    let mut canvas = Canvas::default();
    let versions = match chosen_versions(left.map(|p| &p.tree), right.map(|p| &p.tree)) {
        Ok(versions) => versions,
        Err(why) => {
            notes.push(format!("not drawn: {why}"));
            return canvas;
        }
    };
    for (prepared, version, label, slot) in [
        (left, versions.0, &labels.0, &mut canvas.left),
        (right, versions.1, &labels.1, &mut canvas.right),
    ] {
        let Some(prepared) = prepared else { continue };
        let Some(version) = version else {
            notes.push(format!(
                "{label}: no version of this workflow runs, nothing to draw"
            ));
            continue;
        };
        *slot = diagram(prepared, version, label, profile, notes);
    }
    let shift = mark(&mut canvas, wf);
    if let Some(shift) = shift {
        notes.push(format!(
            "{} has the whole diagram {} of where {} has it: dragged as a whole, no node moved \
             relative to the others",
            labels.1,
            offset_words(shift),
            labels.0
        ));
    }
    if wf.status == WorkflowStatus::Unchanged {
        layout_notes(&canvas, shift.is_some(), labels, notes);
    }
    canvas
}

/// The version (or the workflow itself, when it has no versions) drawn on each side: the
/// active one, as the diff compares it; when only one side runs a version, the other side's
/// version of the same label.
fn chosen_versions<'v>(
    left: Option<&'v Value>,
    right: Option<&'v Value>,
) -> Result<(Option<&'v Value>, Option<&'v Value>), String> {
    let (l, r) = (active_of(left)?, active_of(right)?);
    Ok(match (l, r) {
        (Some(l), None) => (Some(l), right.and_then(|tree| labelled(tree, label(l)))),
        (None, Some(r)) => (left.and_then(|tree| labelled(tree, label(r))), Some(r)),
        pair => pair,
    })
}

/// The active version of one side's workflow (the workflow itself when it has no versions).
fn active_of(tree: Option<&Value>) -> Result<Option<&Value>, String> {
    let Some(tree) = tree else { return Ok(None) };
    let Some((workflow, versions)) = versions_of(tree) else {
        return Ok(Some(tree));
    };
    match active(workflow, versions) {
        Active::Index(i) => Ok(versions.get(i)),
        Active::None => Ok(None),
        Active::Unknown(why) => Err(format!("cannot tell which version is active ({why})")),
    }
}

fn versions_of(tree: &Value) -> Option<(&Map<String, Value>, &[Value])> {
    let workflow = tree.as_object()?;
    let versions = workflow.get("versions")?.as_array()?;
    Some((workflow, versions))
}

fn label(version: &Value) -> Option<&str> {
    version
        .get("version")
        .and_then(Value::as_str)
        .filter(|l| !l.is_empty())
}

/// The version of `tree` with this label, when exactly one has it.
fn labelled<'v>(tree: &'v Value, wanted: Option<&str>) -> Option<&'v Value> {
    let wanted = wanted?;
    let (_, versions) = versions_of(tree)?;
    let mut matching = versions.iter().filter(|v| label(v) == Some(wanted));
    let one = matching.next()?;
    matching.next().is_none().then_some(one)
}

/// One side's diagram: the structure of `version`'s normalized taskflow, placed with the
/// coordinates of the same version in the decoded export.
fn diagram(
    prepared: &Prepared,
    version: &Value,
    label: &str,
    profile: &Profile,
    notes: &mut Vec<String>,
) -> Option<Diagram> {
    let taskflow = version.get("taskflow")?;
    if !(taskflow.is_object() || taskflow.is_array()) {
        notes.push(format!(
            "{label}: the taskflow could not be decoded, nothing to draw"
        ));
        return None;
    }
    let graph = Graph::of(taskflow);
    let nodes: Vec<DiagramNode> = graph
        .nodes
        .values()
        .filter(|node| !CONTAINERS.contains(&node.tag))
        .map(|node| DiagramNode {
            id: node.id.to_owned(),
            kind: node.tag.to_owned(),
            name: node.name.map(str::to_owned),
            bounds: None,
            label: None,
            mark: None,
            moved: false,
        })
        .collect();
    let drawn: HashSet<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
    let flows: Vec<DiagramFlow> = graph
        .flows
        .values()
        .filter_map(|flow| {
            let (from, to) = flow.ends?;
            (drawn.contains(from) && drawn.contains(to)).then(|| DiagramFlow {
                id: flow.id.to_owned(),
                kind: flow.tag.to_owned(),
                name: flow.name.map(str::to_owned),
                from: from.to_owned(),
                to: to.to_owned(),
                waypoints: Vec::new(),
                label: None,
                mark: None,
            })
        })
        .collect();
    let mut diagram = Diagram {
        version: label_of_version(version),
        nodes,
        flows,
        automatic_layout: None,
    };
    let geometry = match (&prepared.raw, &prepared.why) {
        (Some(raw), _) => raw_taskflow(raw, version, profile).map(|tf| Geometry::of(&tf)),
        (None, Some(why)) => Err(why.clone()),
        (None, None) => Err("the export is not at hand".to_owned()),
    };
    match geometry {
        Ok(geometry) => place(&mut diagram, &geometry),
        Err(why) => diagram.automatic_layout = Some(why),
    }
    Some(diagram)
}

fn label_of_version(version: &Value) -> Option<String> {
    label(version).map(str::to_owned)
}

/// The decoded taskflow of the export's version that corresponds to `version` (the normalized
/// one drawn): the same label when labels tell versions apart, else the active one. Its element
/// ids are relabelled as normalization relabels them, so they match the report's.
fn raw_taskflow(raw: &Value, version: &Value, profile: &Profile) -> Result<Value, String> {
    let raw_version = match versions_of(raw) {
        None => raw,
        Some((workflow, versions)) => labelled(raw, label(version))
            .or_else(|| match active(workflow, versions) {
                Active::Index(i) => versions.get(i),
                Active::None | Active::Unknown(_) => None,
            })
            .ok_or("the export's version could not be found")?,
    };
    let taskflow = raw_version
        .get("taskflow")
        .ok_or("the export's version has no taskflow")?;
    match taskflow {
        Value::String(text) => {
            let text = text.trim();
            let parsed = if text.starts_with(['{', '[']) {
                serde_json::from_str::<Value>(text).ok()
            } else {
                decode_base64(text)
                    .ok()
                    .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            };
            let mut parsed = parsed.ok_or("the export's taskflow could not be decoded")?;
            if profile.element_ids() == ElementIds::ByName {
                crate::element_ids::relabel(&mut parsed);
            }
            Ok(parsed)
        }
        Value::Object(_) | Value::Array(_) => Ok(taskflow.clone()),
        _ => Err("the export's taskflow is not a diagram".to_owned()),
    }
}

/// The coordinates of a taskflow's canvas, by the id of the element drawn.
#[derive(Debug, Default)]
struct Geometry {
    shapes: HashMap<String, (Bounds, Option<Bounds>)>,
    edges: HashMap<String, (Vec<Point>, Option<Bounds>)>,
    /// Whether the taskflow has a canvas at all.
    has_diagram: bool,
}

impl Geometry {
    fn of(taskflow: &Value) -> Self {
        let mut geometry = Self::default();
        geometry.collect(taskflow);
        geometry
    }

    fn collect(&mut self, value: &Value) {
        match value {
            Value::Object(map) => {
                if map.get("type").and_then(Value::as_str) == Some("element") {
                    let tag = map.get("name").and_then(Value::as_str).unwrap_or_default();
                    let local = crate::address::local_name(tag);
                    if local == "BPMNDiagram" {
                        self.has_diagram = true;
                    }
                    if matches!(local, "BPMNShape" | "BPMNEdge") {
                        self.element(local, map);
                        return;
                    }
                }
                map.values().for_each(|child| self.collect(child));
            }
            Value::Array(items) => items.iter().for_each(|item| self.collect(item)),
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
        }
    }

    fn element(&mut self, local: &str, map: &Map<String, Value>) {
        let Some(id) = map
            .get("attributes")
            .and_then(|a| a.get("bpmnElement"))
            .and_then(Value::as_str)
        else {
            return;
        };
        let children = map
            .get("elements")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let named = |wanted: &'static str| {
            children.iter().filter(move |child| {
                child
                    .get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|tag| crate::address::local_name(tag) == wanted)
            })
        };
        let label = named("BPMNLabel").find_map(|label| {
            label
                .get("elements")
                .and_then(Value::as_array)?
                .iter()
                .find_map(bounds)
        });
        if local == "BPMNShape" {
            if let Some(b) = named("Bounds").find_map(bounds) {
                self.shapes.insert(id.to_owned(), (b, label));
            }
        } else {
            let points: Vec<Point> = named("waypoint").filter_map(point).collect();
            self.edges.insert(id.to_owned(), (points, label));
        }
    }
}

/// A number attribute (the console writes them as strings).
fn number(attributes: &Value, key: &str) -> Option<f64> {
    let value = attributes.get(key)?;
    let n = match value {
        Value::String(text) => text.trim().parse::<f64>().ok()?,
        Value::Number(n) => n.as_f64()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

fn bounds(element: &Value) -> Option<Bounds> {
    let tag = element.get("name").and_then(Value::as_str)?;
    if crate::address::local_name(tag) != "Bounds" {
        return None;
    }
    let a = element.get("attributes")?;
    let b = Bounds {
        x: number(a, "x")?,
        y: number(a, "y")?,
        width: number(a, "width")?,
        height: number(a, "height")?,
    };
    (b.width >= 0.0 && b.height >= 0.0).then_some(b)
}

fn point(element: &Value) -> Option<Point> {
    let a = element.get("attributes")?;
    Some(Point {
        x: number(a, "x")?,
        y: number(a, "y")?,
    })
}

/// Places a diagram with the console's coordinates, when every node has them; otherwise it is
/// drawn with an automatic layout, and says why.
fn place(diagram: &mut Diagram, geometry: &Geometry) {
    let missing = diagram
        .nodes
        .iter()
        .filter(|n| !geometry.shapes.contains_key(&n.id))
        .count();
    if !geometry.has_diagram || geometry.shapes.is_empty() {
        diagram.automatic_layout = Some("the taskflow has no diagram coordinates".to_owned());
        return;
    }
    if missing > 0 {
        diagram.automatic_layout = Some(format!(
            "{missing} of {} nodes have no coordinates in the taskflow",
            diagram.nodes.len()
        ));
        return;
    }
    for node in &mut diagram.nodes {
        if let Some((b, label)) = geometry.shapes.get(&node.id) {
            node.bounds = Some(*b);
            node.label = *label;
        }
    }
    for flow in &mut diagram.flows {
        if let Some((points, label)) = geometry.edges.get(&flow.id) {
            flow.waypoints.clone_from(points);
            flow.label = *label;
        }
    }
}

/// Marks what changed, from the report: every node of a workflow added or removed as a whole;
/// for a modified one, what its graph summary names; on both sides, the nodes that moved.
/// Returns how far the whole diagram was dragged, when it was.
fn mark(canvas: &mut Canvas, wf: &WorkflowReport) -> Option<Point> {
    let mark_all = |diagram: &mut Option<Diagram>, mark: Mark| {
        if let Some(diagram) = diagram {
            diagram.nodes.iter_mut().for_each(|n| n.mark = Some(mark));
            diagram.flows.iter_mut().for_each(|f| f.mark = Some(mark));
        }
    };
    match wf.status {
        WorkflowStatus::Added => {
            mark_all(&mut canvas.right, Mark::Added);
            return None;
        }
        WorkflowStatus::Removed => {
            mark_all(&mut canvas.left, Mark::Removed);
            return None;
        }
        _ => {}
    }
    // Left id -> right id, for nodes the summary pairs under another id.
    let mut right_of: HashMap<&str, &str> = HashMap::new();
    let (mut left_marks, mut right_marks) = (HashMap::new(), HashMap::new());
    let (mut left_flows, mut right_flows) = (HashMap::new(), HashMap::new());
    if let Some(graph) = wf.graph.as_ref().filter(|g| !g.ids_only) {
        for node in &graph.nodes {
            match node.change {
                NodeChangeKind::Added => {
                    right_marks.insert(node.id.as_str(), Mark::Added);
                }
                NodeChangeKind::Removed => {
                    left_marks.insert(node.id.as_str(), Mark::Removed);
                }
                NodeChangeKind::Renamed | NodeChangeKind::Changed => {
                    let left_id = node.previous_id.as_deref().unwrap_or(&node.id);
                    right_of.insert(left_id, &node.id);
                    left_marks.insert(left_id, Mark::Changed);
                    right_marks.insert(node.id.as_str(), Mark::Changed);
                }
            }
        }
        for flow in &graph.flows {
            let id = flow.id.as_str();
            match flow.change {
                FlowChangeKind::Added => {
                    right_flows.insert(id, Mark::Added);
                }
                FlowChangeKind::Removed => {
                    left_flows.insert(id, Mark::Removed);
                }
                FlowChangeKind::Rewired | FlowChangeKind::Changed => {
                    left_flows.insert(id, Mark::Changed);
                    right_flows.insert(id, Mark::Changed);
                }
            }
        }
    }
    for (diagram, nodes, flows) in [
        (&mut canvas.left, &left_marks, &left_flows),
        (&mut canvas.right, &right_marks, &right_flows),
    ] {
        let Some(diagram) = diagram else { continue };
        for node in &mut diagram.nodes {
            node.mark = nodes.get(node.id.as_str()).copied();
        }
        for flow in &mut diagram.flows {
            flow.mark = flows.get(flow.id.as_str()).copied();
        }
    }
    mark_moved(canvas, &right_of)
}

/// Marks the nodes that sit elsewhere on the two canvases (both drawn with the console's
/// coordinates), relative to the rest: when the whole diagram was dragged, every node is
/// offset alike, and that offset (returned) is not a move of any node.
fn mark_moved(canvas: &mut Canvas, right_of: &HashMap<&str, &str>) -> Option<Point> {
    let (Some(left), Some(right)) = (&mut canvas.left, &mut canvas.right) else {
        return None;
    };
    if left.automatic_layout.is_some() || right.automatic_layout.is_some() {
        return None;
    }
    let right_bounds: HashMap<&str, Bounds> = right
        .nodes
        .iter()
        .filter_map(|n| Some((n.id.as_str(), n.bounds?)))
        .collect();
    // (left node index, right id, offset, resized)
    let pairs: Vec<(usize, String, Point, bool)> = left
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(i, node)| {
            let right_id = right_of
                .get(node.id.as_str())
                .copied()
                .unwrap_or(&node.id)
                .to_owned();
            let (l, r) = (node.bounds?, right_bounds.get(right_id.as_str())?);
            let offset = Point {
                x: r.x - l.x,
                y: r.y - l.y,
            };
            let resized = (l.width - r.width).abs() > MOVE_EPSILON
                || (l.height - r.height).abs() > MOVE_EPSILON;
            Some((i, right_id, offset, resized))
        })
        .collect();
    let shift = common_offset(pairs.iter().map(|(_, _, offset, _)| *offset));
    let apart =
        |a: Point, b: Point| (a.x - b.x).abs() > MOVE_EPSILON || (a.y - b.y).abs() > MOVE_EPSILON;
    let mut moved = HashSet::new();
    for (i, right_id, offset, resized) in pairs {
        if resized || apart(offset, shift) {
            if let Some(node) = left.nodes.get_mut(i) {
                node.moved = true;
            }
            moved.insert(right_id);
        }
    }
    let right_nodes = &mut right.nodes;
    for node in right_nodes.iter_mut() {
        node.moved = moved.contains(&node.id);
    }
    apart(shift, Point { x: 0.0, y: 0.0 }).then_some(shift)
}

/// The offset most nodes share, when at least two share it and no other offset is as common;
/// else none (zero).
fn common_offset(offsets: impl Iterator<Item = Point>) -> Point {
    let mut counts: HashMap<(i64, i64), (usize, Point)> = HashMap::new();
    for offset in offsets {
        // Half-unit buckets: exporters round coordinates differently.
        #[allow(clippy::cast_possible_truncation)]
        let key = (
            (offset.x * 2.0).round() as i64,
            (offset.y * 2.0).round() as i64,
        );
        counts.entry(key).or_insert((0, offset)).0 += 1;
    }
    let mut ranked: Vec<(usize, Point)> = counts.into_values().collect();
    ranked.sort_by_key(|r| std::cmp::Reverse(r.0));
    match ranked.as_slice() {
        [(n, offset), rest @ ..] if *n >= 2 && rest.first().is_none_or(|(m, _)| m < n) => *offset,
        _ => Point { x: 0.0, y: 0.0 },
    }
}

/// `140 right and 70 up`.
fn offset_words(offset: Point) -> String {
    let mut parts = Vec::new();
    if offset.x.abs() > MOVE_EPSILON {
        let side = if offset.x > 0.0 { "right" } else { "left" };
        parts.push(format!("{} {side}", offset.x.abs()));
    }
    if offset.y.abs() > MOVE_EPSILON {
        let side = if offset.y > 0.0 { "down" } else { "up" };
        parts.push(format!("{} {side}", offset.y.abs()));
    }
    parts.join(" and ")
}

/// What a layout-only workflow's canvas cannot show by itself.
fn layout_notes(
    canvas: &Canvas,
    shifted: bool,
    labels: &(String, String),
    notes: &mut Vec<String>,
) {
    for (diagram, label) in [(&canvas.left, &labels.0), (&canvas.right, &labels.1)] {
        if let Some(why) = diagram.as_ref().and_then(|d| d.automatic_layout.as_ref()) {
            notes.push(format!(
                "which nodes moved cannot be shown: {label} has no coordinates ({why})"
            ));
            return;
        }
    }
    if canvas.moved() == 0 && !shifted && canvas.left.is_some() && canvas.right.is_some() {
        notes.push("no node moved; only flow routes or labels did".to_owned());
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use serde_json::json;

    use super::*;
    use crate::diff::{DiffOptions, Entry, diff};
    use crate::profile::ProfileConfig;
    use crate::report::Side;

    /// A node: tag, id, name, where the console draws it.
    type N<'a> = (&'a str, &'a str, Option<&'a str>, (f64, f64));
    /// A flow: id, from, to, waypoints.
    type F<'a> = (&'a str, &'a str, &'a str, &'a [(f64, f64)]);

    fn element(tag: &str, attributes: Value, elements: Vec<Value>) -> Value {
        json!({"type": "element", "name": tag, "attributes": attributes, "elements": elements})
    }

    /// A taskflow as the console writes it (xml-js, with a canvas unless `canvas` is false).
    fn taskflow(nodes: &[N<'_>], flows: &[F<'_>], canvas: bool) -> Value {
        let mut process = Vec::new();
        let mut plane = Vec::new();
        for (tag, id, name, (x, y)) in nodes {
            let mut attributes = json!({"id": id, "soar:timeout": "60"});
            if let Some(name) = name {
                attributes["name"] = json!(name);
            }
            process.push(element(&format!("bpmn2:{tag}"), attributes, vec![]));
            plane.push(element(
                "bpmndi:BPMNShape",
                json!({"id": format!("{id}_di"), "bpmnElement": id}),
                vec![element(
                    "dc:Bounds",
                    json!({"x": x.to_string(), "y": y.to_string(), "width": "100", "height": "80"}),
                    vec![],
                )],
            ));
        }
        for (id, from, to, points) in flows {
            process.push(element(
                "bpmn2:sequenceFlow",
                json!({"id": id, "sourceRef": from, "targetRef": to}),
                vec![],
            ));
            let waypoints = points
                .iter()
                .map(|(x, y)| {
                    element(
                        "di:waypoint",
                        json!({"x": x.to_string(), "y": y.to_string()}),
                        vec![],
                    )
                })
                .collect();
            plane.push(element(
                "bpmndi:BPMNEdge",
                json!({"id": format!("{id}_di"), "bpmnElement": id}),
                waypoints,
            ));
        }
        let mut definitions = vec![element(
            "bpmn2:process",
            json!({"id": "Process_1712000000000", "name": "Service_Process1712000000000"}),
            process,
        )];
        if canvas {
            definitions.push(element(
                "bpmndi:BPMNDiagram",
                json!({"id": "D"}),
                vec![element(
                    "bpmndi:BPMNPlane",
                    json!({"id": "P", "bpmnElement": "Process_1712000000000"}),
                    plane,
                )],
            ));
        }
        json!({"workflow": {"elements": [element("bpmn2:definitions", json!({"id": "defs"}), definitions)]}})
    }

    fn workflow(name: &str, taskflow: &Value) -> Document {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(taskflow.to_string().as_bytes());
        Document {
            name: name.into(),
            source: format!("{name}.json"),
            content: Content::Json(json!({
                "name": name,
                "version": "v1",
                "versions": [{"version": "v1", "status": "activated", "taskflow": encoded}]
            })),
        }
    }

    /// The report of one workflow's two sides, not drawn yet.
    fn diffed(l: &Document, r: &Document, profile: &Profile) -> Report {
        let options = DiffOptions {
            left_label: "staging".into(),
            right_label: "production".into(),
            ..DiffOptions::default()
        };
        let entry = |doc: &Document| vec![Entry::Loaded(profile.normalize(doc))];
        diff(entry(l), entry(r), profile, &options).unwrap()
    }

    /// Diffs one workflow's two sides and draws it.
    fn drawn(left: Value, right: Value, profile: &Profile) -> WorkflowReport {
        let (l, r) = (workflow("wf", &left), workflow("wf", &right));
        let mut report = diffed(&l, &r, profile);
        draw_documents(&mut report, vec![l], vec![r], profile);
        report.workflows.remove(0)
    }

    const NODES: [N<'static>; 3] = [
        ("startEvent", "Event_start00", None, (0.0, 0.0)),
        ("serviceTask", "Activity_a0000", Some("Query"), (200.0, 0.0)),
        ("serviceTask", "Activity_b0000", Some("Block"), (400.0, 0.0)),
    ];
    const FLOWS: [F<'static>; 2] = [
        (
            "Flow_1",
            "Event_start00",
            "Activity_a0000",
            &[(36.0, 18.0), (200.0, 40.0)],
        ),
        (
            "Flow_2",
            "Activity_a0000",
            "Activity_b0000",
            &[(300.0, 40.0), (350.0, 90.0), (350.0, 10.0), (400.0, 40.0)],
        ),
    ];

    fn diagram_of(wf: &WorkflowReport, side: Side) -> &Diagram {
        let canvas = wf.canvas.as_ref().unwrap();
        match side {
            Side::Left => canvas.left.as_ref().unwrap(),
            Side::Right => canvas.right.as_ref().unwrap(),
        }
    }

    fn node<'d>(diagram: &'d Diagram, id: &str) -> &'d DiagramNode {
        diagram.nodes.iter().find(|n| n.id == id).unwrap()
    }

    #[test]
    fn coordinates_come_from_the_export_and_waypoints_keep_their_order() {
        let mut right_nodes = NODES;
        right_nodes[2].2 = Some("Block on WAF");
        let wf = drawn(
            taskflow(&NODES, &FLOWS, true),
            taskflow(&right_nodes, &FLOWS, true),
            &Profile::secmaster(),
        );
        let right = diagram_of(&wf, Side::Right);
        assert_eq!(right.automatic_layout, None);
        assert_eq!(right.version.as_deref(), Some("v1"));
        assert_eq!(
            right.nodes.len(),
            3,
            "the process is no node: {:?}",
            right.nodes
        );
        let block = node(right, "Activity_b0000");
        assert_eq!(block.mark, Some(Mark::Changed));
        assert_eq!(block.name.as_deref(), Some("Block on WAF"));
        assert_eq!(
            block.bounds,
            Some(Bounds {
                x: 400.0,
                y: 0.0,
                width: 100.0,
                height: 80.0
            })
        );
        assert_eq!(node(right, "Activity_a0000").mark, None);
        let flow = right.flows.iter().find(|f| f.id == "Flow_2").unwrap();
        let points: Vec<(f64, f64)> = flow.waypoints.iter().map(|p| (p.x, p.y)).collect();
        assert_eq!(points, FLOWS[1].3, "the export's order, not a sorted one");
        let left = diagram_of(&wf, Side::Left);
        assert_eq!(node(left, "Activity_b0000").mark, Some(Mark::Changed));
        assert!(!wf.canvas.as_ref().unwrap().has_mark(Some(Mark::Added)));
    }

    #[test]
    fn nodes_and_flows_added_removed_and_rewired_are_marked_on_their_side() {
        let mut right_nodes = NODES.to_vec();
        right_nodes.remove(2);
        right_nodes.push(("userTask", "Activity_c0000", Some("Ask"), (400.0, 200.0)));
        let right_flows = [
            FLOWS[0],
            (
                "Flow_2",
                "Activity_a0000",
                "Activity_c0000",
                &[(300.0, 40.0), (400.0, 240.0)],
            ),
        ];
        let wf = drawn(
            taskflow(&NODES, &FLOWS, true),
            taskflow(&right_nodes, &right_flows, true),
            &Profile::secmaster(),
        );
        let (left, right) = (diagram_of(&wf, Side::Left), diagram_of(&wf, Side::Right));
        assert_eq!(node(left, "Activity_b0000").mark, Some(Mark::Removed));
        assert_eq!(node(right, "Activity_c0000").mark, Some(Mark::Added));
        let rewired = |d: &Diagram| d.flows.iter().find(|f| f.id == "Flow_2").unwrap().mark;
        assert_eq!(rewired(left), Some(Mark::Changed));
        assert_eq!(rewired(right), Some(Mark::Changed));
        assert!(left.nodes.iter().chain(&right.nodes).all(|n| !n.moved));
    }

    #[test]
    fn a_diagram_dragged_as_a_whole_moves_no_node_but_a_dragged_node_moves() {
        let shifted: Vec<N<'_>> = NODES
            .iter()
            .map(|&(t, id, n, (x, y))| (t, id, n, (x + 140.0, y - 70.0)))
            .collect();
        let profile = Profile::secmaster();
        let (l, r) = (
            workflow("wf", &taskflow(&NODES, &FLOWS, true)),
            workflow("wf", &taskflow(&shifted, &FLOWS, true)),
        );
        let mut report = diffed(&l, &r, &profile);
        assert!(report.workflows[0].layout_changed);
        draw_documents(&mut report, vec![l], vec![r], &profile);
        let canvas = report.workflows[0].canvas.as_ref().unwrap();
        assert_eq!(canvas.moved(), 0);
        assert!(
            canvas
                .notes
                .iter()
                .any(|n| n.contains("140 right and 70 up") && n.contains("dragged as a whole")),
            "{:?}",
            canvas.notes
        );

        let mut one_moved = shifted.clone();
        one_moved[1].3.1 += 200.0;
        let wf = drawn(
            taskflow(&NODES, &FLOWS, true),
            taskflow(&one_moved, &FLOWS, true),
            &profile,
        );
        let canvas = wf.canvas.as_ref().unwrap();
        let moved: Vec<&str> = canvas
            .right
            .iter()
            .flat_map(|d| &d.nodes)
            .filter(|n| n.moved)
            .map(|n| n.id.as_str())
            .collect();
        assert_eq!(moved, ["Activity_a0000"]);
        assert!(node(diagram_of(&wf, Side::Left), "Activity_a0000").moved);
    }

    #[test]
    fn a_diagram_without_coordinates_is_laid_out_automatically_and_says_why() {
        let mut right_nodes = NODES;
        right_nodes[1].2 = Some("Query threat intel");
        let wf = drawn(
            taskflow(&NODES, &FLOWS, false),
            taskflow(&right_nodes, &FLOWS, true),
            &Profile::secmaster(),
        );
        assert_eq!(
            diagram_of(&wf, Side::Left).automatic_layout.as_deref(),
            Some("the taskflow has no diagram coordinates")
        );
        assert_eq!(diagram_of(&wf, Side::Right).automatic_layout, None);

        // Only the normalized form at hand: the caller's reason is the diagram's.
        let profile = Profile::secmaster();
        let (l, r) = (
            workflow("wf", &taskflow(&NODES, &FLOWS, true)),
            workflow("wf", &taskflow(&right_nodes, &FLOWS, true)),
        );
        let (ln, rn) = (profile.normalize(&l), profile.normalize(&r));
        let mut report = diff(
            vec![Entry::Loaded(ln.clone())],
            vec![Entry::Loaded(rn)],
            &profile,
            &DiffOptions::default(),
        )
        .unwrap();
        let mut left = Some(Drawable::Normalized {
            normalized: ln,
            why: "no raw export here".into(),
        });
        let mut right = Some(Drawable::Document(r));
        draw(
            &mut report,
            &mut |_| left.take(),
            &mut |_| right.take(),
            &profile,
        );
        let canvas = report.workflows[0].canvas.as_ref().unwrap();
        assert_eq!(
            canvas.left.as_ref().unwrap().automatic_layout.as_deref(),
            Some("no raw export here")
        );
        assert_eq!(
            node(canvas.right.as_ref().unwrap(), "Activity_a0000").mark,
            Some(Mark::Changed)
        );
    }

    #[test]
    fn a_side_whose_document_is_not_at_hand_is_said_to_be_so() {
        let mut right_nodes = NODES;
        right_nodes[1].2 = Some("Query threat intel");
        let profile = Profile::secmaster();
        let (l, r) = (
            workflow("wf", &taskflow(&NODES, &FLOWS, true)),
            workflow("wf", &taskflow(&right_nodes, &FLOWS, true)),
        );
        let mut report = diffed(&l, &r, &profile);
        draw_documents(&mut report, vec![], vec![r], &profile);
        let canvas = report.workflows[0].canvas.as_ref().unwrap();
        assert!(canvas.left.is_none() && canvas.right.is_some());
        assert_eq!(
            canvas.notes,
            ["staging: the workflow's document is not at hand"]
        );
    }

    #[test]
    fn element_ids_by_name_find_their_coordinates() {
        let config = ProfileConfig {
            element_ids: ElementIds::ByName,
            ..ProfileConfig::default()
        };
        let profile = Profile::secmaster().with_config(&config).unwrap();
        let mut right_nodes = NODES;
        right_nodes[2].2 = Some("Block on WAF");
        let wf = drawn(
            taskflow(&NODES, &FLOWS, true),
            taskflow(&right_nodes, &FLOWS, true),
            &profile,
        );
        let right = diagram_of(&wf, Side::Right);
        assert_eq!(right.automatic_layout, None, "{:?}", right.nodes);
        let renamed = node(right, "serviceTask[Block on WAF]");
        assert_eq!(renamed.bounds.map(|b| b.x), Some(400.0));
        assert_eq!(renamed.mark, Some(Mark::Changed));
        assert_eq!(
            node(diagram_of(&wf, Side::Left), "serviceTask[Block]").mark,
            Some(Mark::Changed)
        );
    }
}
