//! A modified workflow's diagram as a Mermaid flowchart, for the Markdown report (GitHub and
//! GitLab render `mermaid` code blocks as diagrams).
//!
//! One graph per workflow: the right side's nodes and flows, plus what only the left side has,
//! so a reader sees the change in one picture. Added, removed and changed nodes and flows are
//! styled (colour and line pattern) and their labels start with `+`, `−` or `~`, so the marks read
//! without colour too.
//!
//! Names are data: each goes through [`printable`], then every character Mermaid or Markdown could
//! read as syntax is written as a Mermaid entity code (`#quot;`, `#35;`, …), so a name cannot end
//! its label, start a statement, close the code block or inject HTML.
//!
//! A large graph is cut to stay legible and within GitHub's limits: first to the changed nodes and
//! their neighbours, then to the changed nodes alone, with a note saying what is shown.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use crate::report::{Diagram, Mark, NodeChangeKind, WorkflowReport, WorkflowStatus, printable};

/// The most nodes a flowchart shows before it is cut.
const MAX_NODES: usize = 60;
/// The most characters a flowchart's text takes before it is cut.
const MAX_CHARS: usize = 10_000;
/// Names longer than this are shortened in labels.
const MAX_LABEL_CHARS: usize = 60;

/// A flowchart and, when it was cut, what it shows.
pub(super) struct Flowchart {
    /// The Mermaid text (without the code fence).
    pub(super) text: String,
    /// What was left out, for a note under the graph.
    pub(super) cut: Option<String>,
}

/// One node of the merged graph.
struct Node<'d> {
    kind: &'d str,
    name: Option<&'d str>,
    mark: Option<Mark>,
    /// Where the console draws it, to list nodes left to right.
    at: (f64, f64),
}

/// One flow of the merged graph, between node indices.
struct Flow<'d> {
    from: usize,
    to: usize,
    name: Option<&'d str>,
    mark: Option<Mark>,
}

/// The flowchart of a modified workflow whose graph changed; `None` when there is none to draw
/// (no canvas, or nothing in the diagram differs).
pub(super) fn flowchart(wf: &WorkflowReport) -> Option<Flowchart> {
    if wf.status != WorkflowStatus::Modified {
        return None;
    }
    let graph = wf.graph.as_ref().filter(|g| !g.ids_only && !g.is_empty())?;
    let canvas = wf.canvas.as_ref()?;
    let right = canvas.right.as_ref()?;
    let left = canvas.left.as_ref();
    // Left ids of nodes the summary pairs with a right node under another id.
    let paired: HashMap<&str, &str> = graph
        .nodes
        .iter()
        .filter(|n| matches!(n.change, NodeChangeKind::Renamed | NodeChangeKind::Changed))
        .filter_map(|n| Some((n.previous_id.as_deref()?, n.id.as_str())))
        .collect();
    let (nodes, flows) = merge(right, left, &paired);
    let total = nodes.len();
    let all: Vec<usize> = (0..total).collect();
    let text = write(&nodes, &flows, &all);
    if total <= MAX_NODES && text.len() <= MAX_CHARS {
        return Some(Flowchart { text, cut: None });
    }
    let changed: BTreeSet<usize> = (0..total).filter(|&i| nodes[i].mark.is_some()).collect();
    let mut near = changed.clone();
    for flow in &flows {
        if changed.contains(&flow.from) || changed.contains(&flow.to) {
            near.insert(flow.from);
            near.insert(flow.to);
        }
    }
    let near: Vec<usize> = near.into_iter().collect();
    let text = write(&nodes, &flows, &near);
    if near.len() <= MAX_NODES && text.len() <= MAX_CHARS {
        return Some(Flowchart {
            text,
            cut: Some(format!(
                "the diagram has {total} nodes: shown are the {} changed and their neighbours ({} \
                 nodes); the review page (`-o html`) draws it whole",
                changed.len(),
                near.len()
            )),
        });
    }
    // Changed nodes alone, as many as fit.
    let mut shown: Vec<usize> = Vec::new();
    let mut text = write(&nodes, &flows, &shown);
    for &i in &changed {
        shown.push(i);
        let candidate = write(&nodes, &flows, &shown);
        if shown.len() > MAX_NODES || candidate.len() > MAX_CHARS {
            shown.pop();
            break;
        }
        text = candidate;
    }
    Some(Flowchart {
        text,
        cut: Some(format!(
            "the diagram has {total} nodes, {} of them changed: shown are {} changed nodes and \
             the flows between them; the review page (`-o html`) draws it whole",
            changed.len(),
            shown.len()
        )),
    })
}

/// The right side's nodes and flows, with the nodes and flows only the left side has.
fn merge<'d>(
    right: &'d Diagram,
    left: Option<&'d Diagram>,
    paired: &HashMap<&str, &str>,
) -> (Vec<Node<'d>>, Vec<Flow<'d>>) {
    let at = |b: Option<crate::report::Bounds>| b.map_or((0.0, 0.0), |b| (b.x, b.y));
    let mut nodes: Vec<Node<'d>> = Vec::new();
    let mut right_index: HashMap<&str, usize> = HashMap::new();
    for node in &right.nodes {
        right_index.insert(&node.id, nodes.len());
        nodes.push(Node {
            kind: &node.kind,
            name: node.name.as_deref(),
            mark: node.mark,
            at: at(node.bounds),
        });
    }
    let mut left_index: HashMap<&str, usize> = HashMap::new();
    for node in left.iter().flat_map(|d| &d.nodes) {
        let index = if node.mark == Some(Mark::Removed) {
            nodes.push(Node {
                kind: &node.kind,
                name: node.name.as_deref(),
                mark: Some(Mark::Removed),
                at: at(node.bounds),
            });
            Some(nodes.len() - 1)
        } else {
            let id = paired.get(node.id.as_str()).copied().unwrap_or(&node.id);
            right_index.get(id).copied()
        };
        if let Some(index) = index {
            left_index.insert(&node.id, index);
        }
    }
    let mut flows: Vec<Flow<'d>> = right
        .flows
        .iter()
        .filter_map(|f| {
            Some(Flow {
                from: *right_index.get(f.from.as_str())?,
                to: *right_index.get(f.to.as_str())?,
                name: f.name.as_deref(),
                mark: f.mark,
            })
        })
        .collect();
    for f in left.iter().flat_map(|d| &d.flows) {
        if f.mark != Some(Mark::Removed) {
            continue;
        }
        if let (Some(&from), Some(&to)) = (
            left_index.get(f.from.as_str()),
            left_index.get(f.to.as_str()),
        ) {
            flows.push(Flow {
                from,
                to,
                name: f.name.as_deref(),
                mark: Some(Mark::Removed),
            });
        }
    }
    (nodes, flows)
}

/// The flowchart of the nodes `shown` (indices into `nodes`) and the flows between them.
fn write(nodes: &[Node<'_>], flows: &[Flow<'_>], shown: &[usize]) -> String {
    let mut order: Vec<usize> = shown.to_vec();
    order.sort_by(|&a, &b| {
        let (pa, pb) = (nodes[a].at, nodes[b].at);
        pa.0.total_cmp(&pb.0)
            .then(pa.1.total_cmp(&pb.1))
            .then(a.cmp(&b))
    });
    // Mermaid ids follow the drawing order: n0 is the leftmost node.
    let id: HashMap<usize, usize> = order.iter().enumerate().map(|(k, &i)| (i, k)).collect();
    let mut text = String::from("flowchart LR\n");
    let mut classes: [(Mark, Vec<String>); 3] = [
        (Mark::Added, Vec::new()),
        (Mark::Removed, Vec::new()),
        (Mark::Changed, Vec::new()),
    ];
    for &i in &order {
        let node = &nodes[i];
        let label = label(
            node.name.unwrap_or(&super::kind_words(node.kind)),
            node.mark,
        );
        let (open, close) = shape(node.kind);
        let _ = writeln!(text, "  n{}{open}\"{label}\"{close}", id[&i]);
        if let Some(mark) = node.mark {
            if let Some((_, members)) = classes.iter_mut().find(|(m, _)| *m == mark) {
                members.push(format!("n{}", id[&i]));
            }
        }
    }
    let kept: BTreeSet<usize> = shown.iter().copied().collect();
    for flow in flows
        .iter()
        .filter(|f| kept.contains(&f.from) && kept.contains(&f.to))
    {
        let arrow = match flow.mark {
            Some(Mark::Added | Mark::Changed) => "==>",
            Some(Mark::Removed) => "-.->",
            None => "-->",
        };
        let text_label = match (flow.mark, flow.name) {
            (None, None) => None,
            (mark, name) => Some(label(name.unwrap_or(""), mark)),
        };
        match text_label {
            Some(l) => {
                let _ = writeln!(
                    text,
                    "  n{} {arrow}|\"{l}\"| n{}",
                    id[&flow.from], id[&flow.to]
                );
            }
            None => {
                let _ = writeln!(text, "  n{} {arrow} n{}", id[&flow.from], id[&flow.to]);
            }
        }
    }
    for (mark, members) in &classes {
        if !members.is_empty() {
            let _ = writeln!(text, "  class {} {}", members.join(","), mark.as_str());
        }
    }
    text.push_str(
        "  classDef added fill:#dafbe1,stroke:#1a7f37,stroke-width:3px\n  \
         classDef removed fill:#ffebe9,stroke:#cf222e,stroke-width:2px,stroke-dasharray:6 3\n  \
         classDef changed fill:#fff8c5,stroke:#9a6700,stroke-width:3px\n",
    );
    let links: Vec<(usize, Mark)> = flows
        .iter()
        .filter(|f| kept.contains(&f.from) && kept.contains(&f.to))
        .enumerate()
        .filter_map(|(i, f)| Some((i, f.mark?)))
        .collect();
    for (mark, colour) in [
        (Mark::Added, "#1a7f37"),
        (Mark::Removed, "#cf222e"),
        (Mark::Changed, "#9a6700"),
    ] {
        let indices: Vec<String> = links
            .iter()
            .filter(|(_, m)| *m == mark)
            .map(|(i, _)| i.to_string())
            .collect();
        if !indices.is_empty() {
            let _ = writeln!(text, "  linkStyle {} stroke:{colour}", indices.join(","));
        }
    }
    text
}

/// The brackets of a node's shape: events round, gateways diamonds, sub-processes framed.
fn shape(kind: &str) -> (&'static str, &'static str) {
    if kind == "endEvent" {
        ("(((", ")))")
    } else if kind.ends_with("Event") {
        ("((", "))")
    } else if kind.ends_with("Gateway") {
        ("{", "}")
    } else if matches!(kind, "subProcess" | "callActivity" | "transaction") {
        ("[[", "]]")
    } else if kind.ends_with("Task") || kind == "task" {
        ("(", ")")
    } else {
        ("[", "]")
    }
}

/// A label: the sign of its mark, then the text, made inert (see the module docs).
fn label(text: &str, mark: Option<Mark>) -> String {
    let sign = match mark {
        Some(Mark::Added) => "+ ",
        Some(Mark::Removed) => "− ",
        Some(Mark::Changed) => "~ ",
        None => "",
    };
    let text = super::shorten(&printable(text), MAX_LABEL_CHARS);
    let mut out = String::from(sign);
    for c in text.trim().chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '`' => out.push_str("#96;"),
            '|' => out.push_str("#124;"),
            '\\' => out.push_str("#92;"),
            ';' => out.push_str("#59;"),
            c => out.push(c),
        }
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn no_name_ends_its_label_or_the_code_block(text in "\\PC*|.*[\"`|<>#;\\\n\u{202e}].*") {
            let l = label(&text, Some(Mark::Added));
            proptest::prop_assert!(!l.contains(['"', '`', '|', '<', '>', '\n', '\r']));
            proptest::prop_assert!(!l.chars().any(soc_text::is_unsafe));
            // Every `#` starts an entity code this function wrote.
            for (i, _) in l.match_indices('#') {
                let code: String = l[i + 1..].chars().take_while(|c| *c != ';').collect();
                proptest::prop_assert!(
                    code == "quot" || code == "amp" || code == "lt" || code == "gt"
                        || code.chars().all(|c| c.is_ascii_digit()) && !code.is_empty(),
                    "{}", l
                );
            }
        }
    }

    #[test]
    fn labels_cannot_break_out_of_their_quotes_or_the_code_block() {
        let l = label("a\"] --> x[\"<script>`#x;|\\\n", Some(Mark::Changed));
        for bad in ['"', '<', '>', '`', '|', '\n', '\\'] {
            assert!(!l.contains(bad), "{bad:?} in {l}");
        }
        assert!(l.starts_with("~ a#quot;]"), "{l}");
        assert_eq!(
            label("invoice\u{202e}gpj", None),
            "invoice\\u{202e}gpj".replace('\\', "#92;")
        );
    }
}
