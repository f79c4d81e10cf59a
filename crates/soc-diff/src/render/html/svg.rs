//! One diagram as inline SVG: shapes by node type, flows along their waypoints, names, and what
//! changed marked in three ways at once (colour, line pattern, and a badge with a sign), so the
//! marks read without colour too.
//!
//! Every node is a `<g>` with `data-node-id`, `data-name`, `data-type` and, when it differs from
//! the other side, `data-change="added|removed|changed"` (and `data-moved="true"` when it sits
//! elsewhere on the other side's canvas), for tests and scripts that read the page.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::esc;
use super::layout::{Placed, Shape};
use crate::render::kind_words;
use crate::report::{Bounds, Diagram, DiagramFlow, DiagramNode, Mark, Point, Side};

/// Characters per line of a task's name, and lines at most, at the console's 100×80 task size.
const CHARS_PER_100: f64 = 14.0;
const LINE_HEIGHT: f64 = 13.0;

/// The ids of the elements the page links to: `{prefix}-{side}-n{index}` for nodes, `…-f{index}`
/// for flows; no data goes into an id.
pub(super) fn node_anchor(prefix: &str, side: Side, index: usize) -> String {
    format!("{prefix}-{}-n{index}", side.as_str())
}

pub(super) fn flow_anchor(prefix: &str, side: Side, index: usize) -> String {
    format!("{prefix}-{}-f{index}", side.as_str())
}

/// The SVG of one side's diagram. `prefix` makes element ids unique in the page.
pub(super) fn diagram(
    out: &mut String,
    diagram: &Diagram,
    placed: &Placed<'_>,
    side: Side,
    prefix: &str,
    title: &str,
) {
    let Placed { nodes, flows, view } = placed;
    let _ = writeln!(
        out,
        "<svg class=\"diagram\" viewBox=\"{} {} {} {}\" \
         width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"{}\">",
        num(view.x),
        num(view.y),
        num(view.width),
        num(view.height),
        num(view.width),
        num(view.height),
        esc(title)
    );
    // How a reader knows a node: its name, else its type and id.
    let known: HashMap<&str, String> = diagram
        .nodes
        .iter()
        .map(|n| {
            let text = n
                .name
                .clone()
                .unwrap_or_else(|| format!("{} {}", kind_words(&n.kind), n.id));
            (n.id.as_str(), text)
        })
        .collect();
    out.push_str("<g class=\"flows\">\n");
    for (flow, points) in flows {
        let index = diagram
            .flows
            .iter()
            .position(|f| std::ptr::eq(f, *flow))
            .unwrap_or_default();
        flow_svg(out, flow, points, &flow_anchor(prefix, side, index), &known);
    }
    out.push_str("</g>\n<g class=\"nodes\">\n");
    for (node, bounds) in nodes {
        let index = diagram
            .nodes
            .iter()
            .position(|n| std::ptr::eq(n, *node))
            .unwrap_or_default();
        node_svg(out, node, *bounds, &node_anchor(prefix, side, index));
    }
    out.push_str("</g>\n</svg>\n");
}

fn flow_svg(
    out: &mut String,
    flow: &DiagramFlow,
    points: &[Point],
    anchor: &str,
    known: &HashMap<&str, String>,
) {
    let class = mark_class(flow.mark);
    let _ = write!(
        out,
        "<g class=\"flow{class}\" id=\"{anchor}\" data-flow-id=\"{}\"",
        esc(&flow.id)
    );
    if let Some(mark) = flow.mark {
        let _ = write!(out, " data-change=\"{}\"", mark.as_str());
    }
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "{}{} {}",
                if i == 0 { 'M' } else { 'L' },
                num(p.x),
                num(p.y)
            )
        })
        .collect();
    let marker = match flow.mark {
        Some(mark) => format!("arrow-{}", mark.as_str()),
        None => "arrow".to_owned(),
    };
    let dashed = if flow.kind == "association" {
        " association"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "><title>{}</title><path class=\"line{dashed}\" d=\"{}\" marker-end=\"url(#{marker})\"/>",
        esc(&flow_title(flow, known)),
        path.join(" ")
    );
    if let Some(name) = &flow.name {
        let at = match flow.label {
            Some(label) => Point {
                x: label.x,
                y: label.y + LINE_HEIGHT * 0.8,
            },
            None => midpoint(points),
        };
        let _ = writeln!(
            out,
            "<text class=\"flow-name\" x=\"{}\" y=\"{}\">{}</text>",
            num(at.x),
            num(at.y),
            esc(&shorten(name, 30))
        );
    }
    if let Some(mark) = flow.mark {
        let at = midpoint(points);
        badge(out, mark, at.x, at.y);
    }
    out.push_str("</g>\n");
}

fn node_svg(out: &mut String, node: &DiagramNode, b: Bounds, anchor: &str) {
    let shape = Shape::of(&node.kind);
    let shape_class = match shape {
        Shape::Event => "event",
        Shape::Gateway => "gateway",
        Shape::Task => "task",
        Shape::Other => "other",
    };
    let _ = write!(
        out,
        "<g class=\"node {shape_class}{}{}\" id=\"{anchor}\" data-node-id=\"{}\" \
         data-name=\"{}\" data-type=\"{}\"",
        mark_class(node.mark),
        if node.moved { " moved" } else { "" },
        esc(&node.id),
        esc(node.name.as_deref().unwrap_or_default()),
        esc(&node.kind)
    );
    if let Some(mark) = node.mark {
        let _ = write!(out, " data-change=\"{}\"", mark.as_str());
    }
    if node.moved {
        out.push_str(" data-moved=\"true\"");
    }
    let _ = writeln!(out, "><title>{}</title>", esc(&node_title(node)));
    let c = b.center();
    match shape {
        Shape::Event => {
            let r = b.width.min(b.height) / 2.0;
            let kind = if node.kind == "endEvent" {
                " end"
            } else if node.kind == "startEvent" {
                ""
            } else {
                " intermediate"
            };
            let _ = writeln!(
                out,
                "<circle class=\"shape{kind}\" cx=\"{}\" cy=\"{}\" r=\"{}\"/>",
                num(c.x),
                num(c.y),
                num(r)
            );
            if kind == " intermediate" {
                let _ = writeln!(
                    out,
                    "<circle class=\"inner\" cx=\"{}\" cy=\"{}\" r=\"{}\"/>",
                    num(c.x),
                    num(c.y),
                    num((r - 3.0).max(1.0))
                );
            }
        }
        Shape::Gateway => {
            let (hw, hh) = (b.width / 2.0, b.height / 2.0);
            let _ = writeln!(
                out,
                "<path class=\"shape\" d=\"M{} {} L{} {} L{} {} L{} {} Z\"/>",
                num(c.x),
                num(b.y),
                num(b.x + b.width),
                num(c.y),
                num(c.x),
                num(b.y + b.height),
                num(b.x),
                num(c.y)
            );
            gateway_glyph(out, &node.kind, c, hw.min(hh));
        }
        Shape::Task | Shape::Other => {
            let rounded = if shape == Shape::Task { 10.0 } else { 0.0 };
            let _ = writeln!(
                out,
                "<rect class=\"shape\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{}\"/>",
                num(b.x),
                num(b.y),
                num(b.width),
                num(b.height),
                num(rounded)
            );
            if b.height >= 40.0 && b.width >= 60.0 {
                let _ = writeln!(
                    out,
                    "<text class=\"type\" x=\"{}\" y=\"{}\">{}</text>",
                    num(b.x + 6.0),
                    num(b.y + 12.0),
                    esc(&kind_words(&node.kind))
                );
            }
        }
    }
    name_svg(out, node, shape, b);
    if let Some(mark) = node.mark {
        badge(out, mark, b.x + b.width, b.y);
    }
    if node.moved {
        moved_badge(out, b.x, b.y);
    }
    out.push_str("</g>\n");
}

/// The name: wrapped inside a task, under an event or gateway (or where the console puts its
/// label).
fn name_svg(out: &mut String, node: &DiagramNode, shape: Shape, b: Bounds) {
    let Some(name) = node.name.as_deref() else {
        return;
    };
    let (width, x, top, max_lines) = match (shape, node.label) {
        (Shape::Task | Shape::Other, _) => {
            let lines = ((b.height - 20.0) / LINE_HEIGHT).floor().max(1.0);
            (b.width, b.x + b.width / 2.0, None, lines)
        }
        (_, Some(label)) => (
            label.width.max(90.0),
            label.x + label.width / 2.0,
            Some(label.y),
            3.0,
        ),
        (_, None) => (100.0, b.x + b.width / 2.0, Some(b.y + b.height + 4.0), 3.0),
    };
    // f64 to usize: small positive numbers, floored.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (per_line, max_lines) = (
        ((width / 100.0) * CHARS_PER_100).floor().max(4.0) as usize,
        max_lines as usize,
    );
    let lines = wrap(name, per_line, max_lines);
    #[allow(clippy::cast_precision_loss)]
    let first = match top {
        Some(top) => top + LINE_HEIGHT * 0.8,
        None => {
            let block = lines.len() as f64 * LINE_HEIGHT;
            b.y + 8.0 + (b.height - block) / 2.0 + LINE_HEIGHT * 0.8
        }
    };
    let _ = write!(
        out,
        "<text class=\"name\" x=\"{}\" y=\"{}\">",
        num(x),
        num(first)
    );
    for (i, line) in lines.iter().enumerate() {
        let dy = if i == 0 { 0.0 } else { LINE_HEIGHT };
        let _ = write!(
            out,
            "<tspan x=\"{}\" dy=\"{}\">{}</tspan>",
            num(x),
            num(dy),
            esc(line)
        );
    }
    out.push_str("</text>\n");
}

/// Words into lines of at most `width` characters, at most `max_lines` of them; a word longer
/// than a line is cut, and text that does not fit ends in `…`.
fn wrap(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut words = text.split_whitespace().peekable();
    let mut cut = false;
    while let Some(word) = words.next() {
        let word: String = if word.chars().count() > width {
            word.chars().take(width).collect()
        } else {
            word.to_owned()
        };
        let fits =
            current.is_empty() || current.chars().count() + 1 + word.chars().count() <= width;
        if !fits {
            lines.push(std::mem::take(&mut current));
            if lines.len() == max_lines {
                cut = true;
                break;
            }
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
        if words.peek().is_none() {
            lines.push(std::mem::take(&mut current));
        }
    }
    if cut {
        if let Some(last) = lines.last_mut() {
            let mut kept: String = last.chars().take(width.saturating_sub(1)).collect();
            kept.push('…');
            *last = kept;
        }
    }
    lines
}

/// The sign drawn on a changed node or flow: a circle with `+`, `−` or `~`, drawn as lines
/// (no font needed).
fn badge(out: &mut String, mark: Mark, x: f64, y: f64) {
    let glyph = match mark {
        Mark::Added => format!(
            "M{} {} h8 M{} {} v8",
            num(x - 4.0),
            num(y),
            num(x),
            num(y - 4.0)
        ),
        Mark::Removed => format!("M{} {} h8", num(x - 4.0), num(y)),
        Mark::Changed => format!("M{} {} q2 -4 4 0 t4 0", num(x - 4.0), num(y + 1.0)),
    };
    let _ = writeln!(
        out,
        "<g class=\"badge\" aria-hidden=\"true\"><circle cx=\"{}\" cy=\"{}\" r=\"8\"/><path d=\"{glyph}\"/></g>",
        num(x),
        num(y)
    );
}

/// The sign of a node that moved: a circle with a two-headed arrow.
fn moved_badge(out: &mut String, x: f64, y: f64) {
    let _ = writeln!(
        out,
        "<g class=\"badge moved-badge\" aria-hidden=\"true\"><circle cx=\"{}\" cy=\"{}\" r=\"8\"/>\
         <path d=\"M{} {} h10 M{} {} l-2.5 -2.5 M{} {} l-2.5 2.5 M{} {} l2.5 -2.5 M{} {} l2.5 2.5\"/></g>",
        num(x),
        num(y),
        num(x - 5.0),
        num(y),
        num(x + 5.0),
        num(y),
        num(x + 5.0),
        num(y),
        num(x - 5.0),
        num(y),
        num(x - 5.0),
        num(y)
    );
}

/// The marker inside a gateway: × exclusive, + parallel, ○ inclusive, drawn as lines.
fn gateway_glyph(out: &mut String, kind: &str, c: Point, r: f64) {
    let s = r * 0.35;
    let d = match kind {
        "exclusiveGateway" => format!(
            "M{} {} L{} {} M{} {} L{} {}",
            num(c.x - s),
            num(c.y - s),
            num(c.x + s),
            num(c.y + s),
            num(c.x + s),
            num(c.y - s),
            num(c.x - s),
            num(c.y + s)
        ),
        "parallelGateway" => format!(
            "M{} {} L{} {} M{} {} L{} {}",
            num(c.x - s * 1.3),
            num(c.y),
            num(c.x + s * 1.3),
            num(c.y),
            num(c.x),
            num(c.y - s * 1.3),
            num(c.x),
            num(c.y + s * 1.3)
        ),
        "inclusiveGateway" => {
            let _ = writeln!(
                out,
                "<circle class=\"glyph\" cx=\"{}\" cy=\"{}\" r=\"{}\"/>",
                num(c.x),
                num(c.y),
                num(s * 1.3)
            );
            return;
        }
        _ => return,
    };
    let _ = writeln!(out, "<path class=\"glyph\" d=\"{d}\"/>");
}

fn mark_class(mark: Option<Mark>) -> String {
    mark.map(|m| format!(" {}", m.as_str())).unwrap_or_default()
}

/// The tooltip of a node: what it is, its id, and how it differs.
fn node_title(node: &DiagramNode) -> String {
    let mut title = kind_words(&node.kind);
    if let Some(name) = &node.name {
        title.push_str(&format!(" \u{201c}{name}\u{201d}"));
    }
    title.push_str(&format!(" ({})", node.id));
    if let Some(mark) = node.mark {
        title.push_str(&format!(": {}", mark.as_str()));
    }
    if node.moved {
        title.push_str(if node.mark.is_some() {
            ", moved"
        } else {
            ": moved"
        });
    }
    title
}

fn flow_title(flow: &DiagramFlow, known: &HashMap<&str, String>) -> String {
    let end = |id: &str| known.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let mut title = format!(
        "{} {} \u{2192} {}",
        kind_words(&flow.kind),
        end(&flow.from),
        end(&flow.to)
    );
    if let Some(name) = &flow.name {
        title.push_str(&format!(" \u{201c}{name}\u{201d}"));
    }
    if let Some(mark) = flow.mark {
        title.push_str(&format!(": {}", mark.as_str()));
    }
    title
}

/// The point halfway along a polyline.
fn midpoint(points: &[Point]) -> Point {
    let lengths: Vec<f64> = points
        .windows(2)
        .map(|w| (w[1].x - w[0].x).hypot(w[1].y - w[0].y))
        .collect();
    let mut left = lengths.iter().sum::<f64>() / 2.0;
    for (w, len) in points.windows(2).zip(&lengths) {
        if left <= *len && *len > 0.0 {
            let t = left / len;
            return Point {
                x: w[0].x + (w[1].x - w[0].x) * t,
                y: w[0].y + (w[1].y - w[0].y) * t,
            };
        }
        left -= len;
    }
    points.first().copied().unwrap_or(Point { x: 0.0, y: 0.0 })
}

fn shorten(text: &str, max: usize) -> String {
    super::super::shorten(text, max)
}

/// A coordinate as SVG text: whole numbers bare, others to one decimal, never `-0`.
pub(super) fn num(x: f64) -> String {
    let rounded = (x * 10.0).round() / 10.0;
    if rounded == 0.0 {
        return "0".to_owned();
    }
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_wrap_by_words_and_long_ones_end_in_an_ellipsis() {
        assert_eq!(wrap("Block on WAF", 15, 4), ["Block on WAF"]);
        assert_eq!(
            wrap("Query threat intel now", 15, 4),
            ["Query threat", "intel now"]
        );
        assert_eq!(
            wrap(&"word ".repeat(40), 15, 2),
            ["word word word", "word word word…"]
        );
        assert_eq!(wrap("Supercalifragilistic", 8, 2), ["Supercal"]);
        assert!(wrap("", 10, 2).is_empty());
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(-470.0), "-470");
        assert_eq!(num(12.25), "12.3");
        assert_eq!(num(-0.01), "0");
    }
}
