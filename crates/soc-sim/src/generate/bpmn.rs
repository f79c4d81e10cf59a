//! A graph as SecMaster stores it: BPMN 2.0 XML in xml-js's JSON form, base64-encoded in `taskflow`.

use std::collections::HashMap;

use base64::Engine as _;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

use super::graph::{Graph, Node};

impl Graph {
    /// The xml-js rendering of the BPMN document, base64-encoded as `taskflow` holds it.
    pub(super) fn taskflow_base64(&self) -> String {
        let json = serde_json::to_vec(&self.document()).unwrap_or_default();
        base64::engine::general_purpose::STANDARD.encode(json)
    }

    /// The xml-js document: the process (nodes, then flows) and its diagram (shapes, then edges).
    fn document(&self) -> Doc {
        let proc_id = format!("Process_{}", self.process_ms);
        let definitions = definitions(&proc_id).with_children(vec![
            El::new(
                "bpmn2:process",
                vec![
                    ("id", proc_id.clone()),
                    ("name", format!("Service_Process{}", self.process_ms)),
                    ("isExecutable", "true".to_owned()),
                ],
            )
            .with_children(self.process_elements()),
            El::new(
                "bpmndi:BPMNDiagram",
                vec![("id", "BPMNDiagram_1".to_owned())],
            )
            .with_children(vec![
                El::new(
                    "bpmndi:BPMNPlane",
                    vec![("id", "BPMNPlane_1".to_owned()), ("bpmnElement", proc_id)],
                )
                .with_children(self.diagram_elements()),
            ]),
        ]);
        Doc {
            element_type: "{}",
            workflow: Elements {
                elements: vec![definitions],
            },
        }
    }

    /// The process: a BPMN element per node, with its incoming and outgoing flows, then a
    /// sequence flow per flow.
    fn process_elements(&self) -> Vec<El> {
        // Index flows once: linear scans per node made large graphs quadratic.
        let mut incoming: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut outgoing: HashMap<&str, Vec<&str>> = HashMap::new();
        for f in &self.flows {
            incoming.entry(&f.target).or_default().push(&f.id);
            outgoing.entry(&f.source).or_default().push(&f.id);
        }
        let mut process = Vec::with_capacity(self.nodes.len() + self.flows.len());
        for node in &self.nodes {
            let mut children = Vec::new();
            for (tag, index) in [("bpmn2:incoming", &incoming), ("bpmn2:outgoing", &outgoing)] {
                for id in index.get(node.id.as_str()).into_iter().flatten() {
                    children.push(El::new(tag, vec![]).with_children(vec![El::text(id)]));
                }
            }
            process.push(
                El::new(&format!("bpmn2:{}", node.kind), node_attributes(node))
                    .with_children(children),
            );
        }
        for f in &self.flows {
            let mut attrs = vec![
                ("id", f.id.clone()),
                ("sourceRef", f.source.clone()),
                ("targetRef", f.target.clone()),
            ];
            if let Some(name) = f.name {
                attrs.push(("name", name.to_owned()));
            }
            process.push(El::new("bpmn2:sequenceFlow", attrs));
        }
        process
    }

    /// The canvas: a shape with its bounds per node, then an edge with two waypoints per flow.
    fn diagram_elements(&self) -> Vec<El> {
        // Index shapes once: linear scans per flow made large graphs quadratic.
        let bounds: HashMap<&str, (i64, i64, i64, i64)> = self
            .nodes
            .iter()
            .map(|n| {
                let (w, h) = n.size();
                (n.id.as_str(), (n.x, n.y, w, h))
            })
            .collect();
        let position = |id: &str| bounds.get(id).copied().unwrap_or((0, 0, 0, 0));
        let mut shapes = Vec::with_capacity(self.nodes.len() + self.flows.len());
        for node in &self.nodes {
            let (w, h) = node.size();
            shapes.push(
                El::new(
                    "bpmndi:BPMNShape",
                    vec![
                        ("id", format!("{}_di", node.id)),
                        ("bpmnElement", node.id.clone()),
                    ],
                )
                .with_children(vec![El::new(
                    "dc:Bounds",
                    vec![
                        ("x", node.x.to_string()),
                        ("y", node.y.to_string()),
                        ("width", w.to_string()),
                        ("height", h.to_string()),
                    ],
                )]),
            );
        }
        for f in &self.flows {
            let (sx, sy, sw, sh) = position(&f.source);
            let (tx, ty, _, th) = position(&f.target);
            shapes.push(
                El::new(
                    "bpmndi:BPMNEdge",
                    vec![
                        ("id", format!("{}_di", f.id)),
                        ("bpmnElement", f.id.clone()),
                    ],
                )
                .with_children(vec![
                    El::new(
                        "di:waypoint",
                        vec![
                            ("x", (sx + sw).to_string()),
                            ("y", (sy + sh / 2).to_string()),
                        ],
                    ),
                    El::new(
                        "di:waypoint",
                        vec![("x", tx.to_string()), ("y", (ty + th / 2).to_string())],
                    ),
                ]),
            );
        }
        shapes
    }
}

/// A node's BPMN attributes: id and name, then what its kind of task needs.
fn node_attributes(node: &Node) -> Vec<(&'static str, String)> {
    let mut attrs = vec![("id", node.id.clone()), ("name", node.name.clone())];
    match (node.kind, &node.plugin) {
        (_, Some(p)) => {
            attrs.extend([
                ("soar:type", "plugin".to_owned()),
                ("soar:plugin_name", p.plugin.to_owned()),
                ("soar:action", p.action.to_owned()),
                ("soar:timeout", "60".to_owned()),
                ("soar:retry", "0".to_owned()),
                ("soar:params", Value::Object(p.params.clone()).to_string()),
            ]);
        }
        ("userTask", None) => attrs.extend([
            ("flowable:dueDate", String::new()),
            ("soar:due_handle", "interrupt".to_owned()),
            (
                "soar:handlers",
                r#"[{"type":"role","value":"soc_analyst"}]"#.to_owned(),
            ),
        ]),
        _ => {}
    }
    attrs
}

/// The `bpmn2:definitions` root with the namespaces SecMaster's editor writes.
fn definitions(proc_id: &str) -> El {
    El::new(
        "bpmn2:definitions",
        vec![
            (
                "xmlns:xsi",
                "http://www.w3.org/2001/XMLSchema-instance".to_owned(),
            ),
            (
                "xmlns:bpmn2",
                "http://www.omg.org/spec/BPMN/20100524/MODEL".to_owned(),
            ),
            (
                "xmlns:bpmndi",
                "http://www.omg.org/spec/BPMN/20100524/DI".to_owned(),
            ),
            (
                "xmlns:dc",
                "http://www.omg.org/spec/DD/20100524/DC".to_owned(),
            ),
            (
                "xmlns:di",
                "http://www.omg.org/spec/DD/20100524/DI".to_owned(),
            ),
            ("xmlns:flowable", "http://flowable.org/bpmn".to_owned()),
            ("xmlns:soar", "https://soc.cloudsre.com/soar/v2".to_owned()),
            ("id", format!("diagram_{proc_id}")),
            ("targetNamespace", "http://flowable.org/bpmn".to_owned()),
        ],
    )
}

/// The xml-js document root, serialized with SecMaster's key order.
#[derive(Serialize)]
struct Doc {
    #[serde(rename = "elementType")]
    element_type: &'static str,
    workflow: Elements,
}

#[derive(Serialize)]
struct Elements {
    elements: Vec<El>,
}

/// An xml-js node: an element (name, ordered attributes, children) or a text node.
enum El {
    Element {
        name: String,
        attributes: Vec<(&'static str, String)>,
        elements: Option<Vec<El>>,
    },
    Text(String),
}

impl El {
    fn new(name: &str, attributes: Vec<(&'static str, String)>) -> Self {
        Self::Element {
            name: name.to_owned(),
            attributes,
            elements: None,
        }
    }

    fn text(t: &str) -> Self {
        Self::Text(t.to_owned())
    }

    fn with_children(self, children: Vec<El>) -> Self {
        match self {
            Self::Element {
                name, attributes, ..
            } => Self::Element {
                name,
                attributes,
                elements: Some(children),
            },
            text @ Self::Text(_) => text,
        }
    }
}

/// Serializes ordered pairs as a JSON object, keeping their order (serde_json maps would sort).
struct Attrs<'a>(&'a [(&'static str, String)]);

impl Serialize for Attrs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Serialize for El {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Element {
                name,
                attributes,
                elements,
            } => {
                let mut map = s.serialize_map(None)?;
                map.serialize_entry("type", "element")?;
                map.serialize_entry("name", name)?;
                if !attributes.is_empty() {
                    map.serialize_entry("attributes", &Attrs(attributes))?;
                }
                if let Some(children) = elements {
                    map.serialize_entry("elements", children)?;
                }
                map.end()
            }
            Self::Text(t) => {
                let mut map = s.serialize_map(Some(2))?;
                map.serialize_entry("type", "text")?;
                map.serialize_entry("text", t)?;
                map.end()
            }
        }
    }
}
