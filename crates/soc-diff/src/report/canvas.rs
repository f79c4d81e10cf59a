//! What the review page (`-o html`) and the Mermaid graphs of the Markdown report draw of a
//! workflow: the whole diagram of its active version on each side, every node and flow (not only
//! those that changed), with what changed marked and, where the export had them, the console's
//! coordinates.
//!
//! A canvas is a **render input, not part of the JSON report** (it is skipped when the report is
//! serialized, and absent from the schema). The JSON report says what differs, which is what
//! scripts and gates read; a canvas repeats every unchanged node and every coordinate of both
//! diagrams (tens of kilobytes for a workflow of a few hundred nodes), and coordinates are never
//! drift. [`crate::canvas::draw`] fills it in after the diff, from the documents of the workflows
//! it draws, only when a format that draws is asked for.

/// The diagrams of one workflow's active version on each side, for drawing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Canvas {
    /// The left side's diagram; absent for a workflow only on the right (or when it could not be
    /// drawn: `notes` says why).
    pub left: Option<Diagram>,
    /// The right side's diagram.
    pub right: Option<Diagram>,
    /// What the reader should know about the drawing: a side that could not be drawn, moves
    /// that cannot be shown.
    pub notes: Vec<String>,
}

impl Canvas {
    /// The diagrams that are there, left first, with their side.
    pub fn diagrams(&self) -> impl Iterator<Item = (Side, &Diagram)> {
        [(Side::Left, &self.left), (Side::Right, &self.right)]
            .into_iter()
            .filter_map(|(side, diagram)| diagram.as_ref().map(|d| (side, d)))
    }

    /// How many nodes sit elsewhere on the other side's canvas (counted on the right side).
    pub fn moved(&self) -> usize {
        self.right
            .iter()
            .flat_map(|d| &d.nodes)
            .filter(|n| n.moved)
            .count()
    }

    /// Whether any node or flow of either diagram is marked with `mark` (any mark for `None`).
    pub fn has_mark(&self, mark: Option<Mark>) -> bool {
        let wanted = |m: Option<Mark>| m.is_some() && (mark.is_none() || m == mark);
        self.diagrams().any(|(_, d)| {
            d.nodes.iter().any(|n| wanted(n.mark)) || d.flows.iter().any(|f| wanted(f.mark))
        })
    }
}

/// Which side of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Left,
    Right,
}

impl Side {
    /// `left` or `right`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Left => "left",
            Self::Right => "right",
        }
    }
}

/// One side's diagram: every node and flow of the active version's `taskflow`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diagram {
    /// The `version` label of the version drawn, when it has one.
    pub version: Option<String>,
    /// Nodes (events, tasks, gateways, sub-processes, annotations), by id.
    pub nodes: Vec<DiagramNode>,
    /// Sequence flows (and associations), by id.
    pub flows: Vec<DiagramFlow>,
    /// Why the nodes have no coordinates, when they have none: they are then drawn with an
    /// automatic layout. `None` when every node has the console's coordinates.
    pub automatic_layout: Option<String>,
}

/// A node of a diagram.
#[derive(Debug, Clone, PartialEq)]
pub struct DiagramNode {
    /// The element id, as the report names it (after `element_ids = "by_name"`, if set).
    pub id: String,
    /// The element's tag without its namespace: `serviceTask`, `exclusiveGateway`, `startEvent`.
    pub kind: String,
    /// Its name, when it has one that is not made from its id.
    pub name: Option<String>,
    /// Where the console draws it (`bpmndi:BPMNShape`'s `dc:Bounds`).
    pub bounds: Option<Bounds>,
    /// Where the console draws its label, when apart from the shape (events, gateways).
    pub label: Option<Bounds>,
    /// How it differs from the other side, when it does.
    pub mark: Option<Mark>,
    /// It sits elsewhere on the other side's canvas (layout, never drift).
    pub moved: bool,
}

/// A flow of a diagram.
#[derive(Debug, Clone, PartialEq)]
pub struct DiagramFlow {
    /// The element id.
    pub id: String,
    /// The element's tag without its namespace: `sequenceFlow`, `association`.
    pub kind: String,
    /// Its name (a gateway branch label such as `yes`), when it has one.
    pub name: Option<String>,
    /// The id of the node it leaves.
    pub from: String,
    /// The id of the node it enters.
    pub to: String,
    /// The console's waypoints (`bpmndi:BPMNEdge`'s `di:waypoint`), in order; empty without
    /// coordinates.
    pub waypoints: Vec<Point>,
    /// Where the console draws its name.
    pub label: Option<Bounds>,
    /// How it differs from the other side, when it does.
    pub mark: Option<Mark>,
}

/// A rectangle on the canvas, in the console's units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Bounds {
    /// The centre.
    pub fn center(&self) -> Point {
        Point {
            x: self.x + self.width / 2.0,
            y: self.y + self.height / 2.0,
        }
    }
}

/// A point on the canvas.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// How a node or flow differs from the other side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mark {
    /// Only on the right side.
    Added,
    /// Only on the left side.
    Removed,
    /// On both sides, renamed, rewired or with other parameters.
    Changed,
}

impl Mark {
    /// `added`, `removed` or `changed`: the value of the review page's `data-change`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Removed => "removed",
            Self::Changed => "changed",
        }
    }
}
