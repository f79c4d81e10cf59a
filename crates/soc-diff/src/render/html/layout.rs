//! Where each node and flow of a diagram is drawn: the console's coordinates when the diagram
//! has them, else a simple automatic layout (layers from the start events, left to right).

use std::collections::{HashMap, VecDeque};

use crate::report::{Bounds, Diagram, DiagramFlow, DiagramNode, Point};

/// Room around the drawing, and under it for the labels of events and gateways.
const MARGIN: f64 = 30.0;
const LABEL_ROOM: f64 = 40.0;
/// Gaps between layers and between the nodes of a layer, in the automatic layout.
const LAYER_GAP: f64 = 90.0;
const ROW_GAP: f64 = 60.0;

/// What kind of shape a node is drawn as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    Event,
    Gateway,
    Task,
    /// Annotations, data objects, anything else with an id.
    Other,
}

impl Shape {
    pub(super) fn of(kind: &str) -> Self {
        if kind.ends_with("Event") {
            Self::Event
        } else if kind.ends_with("Gateway") {
            Self::Gateway
        } else if kind.ends_with("Task")
            || matches!(kind, "task" | "subProcess" | "callActivity" | "transaction")
        {
            Self::Task
        } else {
            Self::Other
        }
    }

    /// The size the automatic layout gives it (the console's defaults).
    fn size(self) -> (f64, f64) {
        match self {
            Self::Event => (36.0, 36.0),
            Self::Gateway => (50.0, 50.0),
            Self::Task | Self::Other => (120.0, 80.0),
        }
    }
}

/// A diagram with a place for everything.
pub(super) struct Placed<'d> {
    pub(super) nodes: Vec<(&'d DiagramNode, Bounds)>,
    pub(super) flows: Vec<(&'d DiagramFlow, Vec<Point>)>,
    /// The part of the plane to show (the SVG `viewBox`).
    pub(super) view: Bounds,
}

/// Places `diagram`: with its own coordinates, or automatically when it has none.
pub(super) fn place(diagram: &Diagram) -> Placed<'_> {
    let boxes: HashMap<&str, Bounds> = if diagram.automatic_layout.is_none() {
        diagram
            .nodes
            .iter()
            .filter_map(|n| Some((n.id.as_str(), n.bounds?)))
            .collect()
    } else {
        automatic(diagram)
    };
    // Larger shapes first, so a sub-process never hides the nodes drawn inside it.
    let mut nodes: Vec<(&DiagramNode, Bounds)> = diagram
        .nodes
        .iter()
        .filter_map(|n| Some((n, *boxes.get(n.id.as_str())?)))
        .collect();
    nodes.sort_by(|(_, a), (_, b)| (b.width * b.height).total_cmp(&(a.width * a.height)));
    let flows: Vec<(&DiagramFlow, Vec<Point>)> = diagram
        .flows
        .iter()
        .filter_map(|flow| {
            let from = boxes.get(flow.from.as_str())?;
            let to = boxes.get(flow.to.as_str())?;
            let points = if flow.waypoints.len() >= 2 && diagram.automatic_layout.is_none() {
                flow.waypoints.clone()
            } else {
                straight(*from, *to)
            };
            Some((flow, points))
        })
        .collect();
    let view = view_of(&nodes, &flows);
    Placed { nodes, flows, view }
}

/// The bounding box of everything drawn, with a margin.
fn view_of(nodes: &[(&DiagramNode, Bounds)], flows: &[(&DiagramFlow, Vec<Point>)]) -> Bounds {
    let mut min = Point {
        x: f64::INFINITY,
        y: f64::INFINITY,
    };
    let mut max = Point {
        x: f64::NEG_INFINITY,
        y: f64::NEG_INFINITY,
    };
    let mut take = |p: Point| {
        min.x = min.x.min(p.x);
        min.y = min.y.min(p.y);
        max.x = max.x.max(p.x);
        max.y = max.y.max(p.y);
    };
    for (node, b) in nodes {
        take(Point { x: b.x, y: b.y });
        take(Point {
            x: b.x + b.width,
            y: b.y + b.height,
        });
        if let Some(label) = node.label {
            take(Point {
                x: label.x,
                y: label.y,
            });
            take(Point {
                x: label.x + label.width,
                y: label.y + label.height,
            });
        }
    }
    for (_, points) in flows {
        points.iter().copied().for_each(&mut take);
    }
    if !min.x.is_finite() {
        return Bounds {
            x: 0.0,
            y: 0.0,
            width: 200.0,
            height: 80.0,
        };
    }
    Bounds {
        x: min.x - MARGIN,
        y: min.y - MARGIN,
        width: (max.x - min.x) + 2.0 * MARGIN,
        height: (max.y - min.y) + 2.0 * MARGIN + LABEL_ROOM,
    }
}

/// A line between two boxes, from edge to edge along the line between their centres.
fn straight(from: Bounds, to: Bounds) -> Vec<Point> {
    let (a, b) = (from.center(), to.center());
    vec![clip(from, b), clip(to, a)]
}

/// Where the segment from `b`'s centre towards `toward` leaves `b`.
fn clip(b: Bounds, toward: Point) -> Point {
    let c = b.center();
    let (dx, dy) = (toward.x - c.x, toward.y - c.y);
    if dx == 0.0 && dy == 0.0 {
        return c;
    }
    let (hw, hh) = (b.width / 2.0, b.height / 2.0);
    let t = match (dx == 0.0, dy == 0.0) {
        (true, _) => hh / dy.abs(),
        (_, true) => hw / dx.abs(),
        _ => (hw / dx.abs()).min(hh / dy.abs()),
    };
    Point {
        x: c.x + dx * t,
        y: c.y + dy * t,
    }
}

/// Layers from the nodes nothing flows into (start events), each node one layer right of the
/// furthest node that flows into it (loops broken where they close); within a layer, nodes in
/// the order they were reached.
fn automatic(diagram: &Diagram) -> HashMap<&str, Bounds> {
    let index: HashMap<&str, usize> = diagram
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let n = diagram.nodes.len();
    let mut outgoing: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut incoming = vec![0usize; n];
    for flow in &diagram.flows {
        if let (Some(&a), Some(&b)) = (index.get(flow.from.as_str()), index.get(flow.to.as_str())) {
            if a != b {
                if let Some(out) = outgoing.get_mut(a) {
                    out.push(b);
                }
                if let Some(count) = incoming.get_mut(b) {
                    *count += 1;
                }
            }
        }
    }
    let mut layer = vec![0usize; n];
    let mut done = vec![false; n];
    let mut reached = vec![false; n];
    let mut remaining = incoming.clone();
    let mut order = Vec::with_capacity(n);
    // Start events first, then anything else nothing flows into.
    let mut starts: Vec<usize> = (0..n).filter(|&i| incoming[i] == 0).collect();
    starts.sort_by_key(|&i| diagram.nodes[i].kind != "startEvent");
    let mut queue: VecDeque<usize> = starts.into();
    while order.len() < n {
        let next = queue.pop_front().or_else(|| {
            // Only loops are left: enter one where a placed node leads into it (the loop's
            // entry), else anywhere, at the node with the fewest flows still to come.
            let open = |i: &usize| !done[*i];
            (0..n)
                .filter(open)
                .filter(|&i| reached[i])
                .min_by_key(|&i| remaining[i])
                .or_else(|| (0..n).filter(open).min_by_key(|&i| remaining[i]))
        });
        let Some(i) = next else { break };
        if done[i] {
            continue;
        }
        done[i] = true;
        order.push(i);
        for &j in &outgoing[i] {
            if done[j] {
                continue; // a flow back into an earlier layer
            }
            layer[j] = layer[j].max(layer[i] + 1);
            reached[j] = true;
            remaining[j] = remaining[j].saturating_sub(1);
            if remaining[j] == 0 {
                queue.push_back(j);
            }
        }
    }
    let layers = layer.iter().copied().max().map_or(0, |m| m + 1);
    let mut rows = vec![0usize; layers];
    let (cell_w, cell_h) = (
        Shape::Task.size().0 + LAYER_GAP,
        Shape::Task.size().1 + ROW_GAP,
    );
    let mut boxes = HashMap::with_capacity(n);
    for i in order {
        let node = &diagram.nodes[i];
        let (w, h) = Shape::of(&node.kind).size();
        let (l, row) = (layer[i], rows[layer[i]]);
        rows[layer[i]] += 1;
        boxes.insert(
            node.id.as_str(),
            Bounds {
                x: l as f64 * cell_w + (Shape::Task.size().0 - w) / 2.0,
                y: row as f64 * cell_h + (Shape::Task.size().1 - h) / 2.0,
                width: w,
                height: h,
            },
        );
    }
    boxes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, kind: &str) -> DiagramNode {
        DiagramNode {
            id: id.into(),
            kind: kind.into(),
            name: None,
            bounds: None,
            label: None,
            mark: None,
            moved: false,
        }
    }

    fn flow(from: &str, to: &str) -> DiagramFlow {
        DiagramFlow {
            id: format!("{from}-{to}"),
            kind: "sequenceFlow".into(),
            name: None,
            from: from.into(),
            to: to.into(),
            waypoints: Vec::new(),
            label: None,
            mark: None,
        }
    }

    #[test]
    fn the_automatic_layout_puts_each_node_right_of_what_flows_into_it_and_survives_loops() {
        let diagram = Diagram {
            version: None,
            nodes: vec![
                node("end", "endEvent"),
                node("a", "serviceTask"),
                node("b", "serviceTask"),
                node("g", "exclusiveGateway"),
                node("start", "startEvent"),
                node("lonely", "textAnnotation"),
            ],
            flows: vec![
                flow("start", "a"),
                flow("a", "g"),
                flow("g", "b"),
                flow("b", "a"), // a loop back
                flow("g", "end"),
            ],
            automatic_layout: Some("test".into()),
        };
        let placed = place(&diagram);
        assert_eq!(placed.nodes.len(), 6);
        let x = |id: &str| {
            placed
                .nodes
                .iter()
                .find(|(n, _)| n.id == id)
                .map(|(_, b)| b.center().x)
                .unwrap()
        };
        assert!(x("start") < x("a") && x("a") < x("g") && x("g") < x("b"));
        assert!(x("g") < x("end"));
        assert_eq!(placed.flows.len(), 5);
        // No two nodes share a place.
        for (i, (_, a)) in placed.nodes.iter().enumerate() {
            for (_, b) in &placed.nodes[i + 1..] {
                assert!(a.center() != b.center());
            }
        }
    }

    #[test]
    fn lines_leave_their_boxes_at_the_edge() {
        let a = Bounds {
            x: 0.0,
            y: 0.0,
            width: 100.0,
            height: 80.0,
        };
        let b = Bounds { x: 200.0, ..a };
        assert_eq!(
            straight(a, b),
            [Point { x: 100.0, y: 40.0 }, Point { x: 200.0, y: 40.0 }]
        );
    }
}
