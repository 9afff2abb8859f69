//! The diagram's geometry: where every lane, node, edge and note goes, its shape and colours.
//!
//! The canvas paints this and the exporters write it, so what you see is what gets exported.
//! It depends only on egui's plain geometry and colour types, never on a running UI.

use egui::{Color32, Pos2, Rect, Vec2, pos2, vec2};

use crate::model::{Group, Map, NoteColor, Trigger};
use crate::report::{Finding, Severity};

/// Light or dark colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Theme {
    #[default]
    Light,
    Dark,
}

/// The outline a node is drawn with; each palette group has its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Entry points: a pill.
    Pill,
    /// Lifecycle stages: a rounded box.
    Box,
    /// Timeouts: a hexagon.
    Hexagon,
    /// Stores: a cylinder.
    Cylinder,
}

/// Colours for one theme.
#[derive(Clone, Copy, Debug)]
pub struct Colors {
    pub background: Color32,
    pub text: Color32,
    pub muted_text: Color32,
    pub lane_fill: [Color32; 2],
    pub lane_stroke: Color32,
    pub edge: Color32,
    pub attach_edge: Color32,
    /// Text on sticky notes, readable on every note colour of the theme.
    pub note_text: Color32,
}

impl Theme {
    pub fn colors(self) -> Colors {
        match self {
            Theme::Light => Colors {
                background: Color32::from_rgb(0xfa, 0xfa, 0xf7),
                text: Color32::from_rgb(0x1f, 0x23, 0x28),
                muted_text: Color32::from_rgb(0x57, 0x60, 0x6a),
                lane_fill: [
                    Color32::from_rgb(0xf1, 0xf3, 0xf6),
                    Color32::from_rgb(0xe8, 0xec, 0xf1),
                ],
                lane_stroke: Color32::from_rgb(0xc9, 0xd1, 0xd9),
                edge: Color32::from_rgb(0x44, 0x4d, 0x56),
                attach_edge: Color32::from_rgb(0x9a, 0xa3, 0xad),
                note_text: Color32::from_rgb(0x30, 0x2a, 0x10),
            },
            Theme::Dark => Colors {
                background: Color32::from_rgb(0x16, 0x19, 0x1d),
                text: Color32::from_rgb(0xe6, 0xed, 0xf3),
                muted_text: Color32::from_rgb(0x9d, 0xa7, 0xb3),
                lane_fill: [
                    Color32::from_rgb(0x1e, 0x23, 0x29),
                    Color32::from_rgb(0x23, 0x29, 0x30),
                ],
                lane_stroke: Color32::from_rgb(0x3a, 0x42, 0x4b),
                edge: Color32::from_rgb(0xb1, 0xba, 0xc4),
                attach_edge: Color32::from_rgb(0x6e, 0x76, 0x81),
                note_text: Color32::from_rgb(0xf2, 0xec, 0xd6),
            },
        }
    }

    /// Fill and stroke of a node of this group.
    pub fn group_colors(self, group: Group) -> (Color32, Color32) {
        let (light_fill, dark_fill, stroke) = match group {
            Group::Entry => ((0xd8, 0xf3, 0xdc), (0x1b, 0x3a, 0x24), (0x2d, 0x9c, 0x4a)),
            Group::Lifecycle => ((0xdb, 0xe9, 0xfb), (0x17, 0x2f, 0x4d), (0x2f, 0x6f, 0xce)),
            Group::Timeout => ((0xfd, 0xed, 0xc9), (0x45, 0x33, 0x12), (0xc7, 0x82, 0x0a)),
            Group::Store => ((0xec, 0xe1, 0xfa), (0x33, 0x22, 0x4d), (0x81, 0x4f, 0xc9)),
        };
        let fill = match self {
            Theme::Light => light_fill,
            Theme::Dark => dark_fill,
        };
        (
            Color32::from_rgb(fill.0, fill.1, fill.2),
            Color32::from_rgb(stroke.0, stroke.1, stroke.2),
        )
    }

    pub fn note_fill(self, color: NoteColor) -> Color32 {
        let (r, g, b) = match (self, color) {
            (Theme::Light, NoteColor::Yellow) => (0xff, 0xf1, 0x9c),
            (Theme::Light, NoteColor::Pink) => (0xfd, 0xd0, 0xdf),
            (Theme::Light, NoteColor::Blue) => (0xc8, 0xe4, 0xfc),
            (Theme::Light, NoteColor::Green) => (0xcf, 0xf2, 0xc8),
            (Theme::Dark, NoteColor::Yellow) => (0x5c, 0x52, 0x1a),
            (Theme::Dark, NoteColor::Pink) => (0x5c, 0x2a, 0x3b),
            (Theme::Dark, NoteColor::Blue) => (0x1f, 0x40, 0x5e),
            (Theme::Dark, NoteColor::Green) => (0x27, 0x4d, 0x26),
        };
        Color32::from_rgb(r, g, b)
    }
}

pub fn group_shape(group: Group) -> Shape {
    match group {
        Group::Entry => Shape::Pill,
        Group::Lifecycle => Shape::Box,
        Group::Timeout => Shape::Hexagon,
        Group::Store => Shape::Cylinder,
    }
}

/// A short glyph per group, drawn before the label.
pub fn group_icon(group: Group) -> &'static str {
    match group {
        Group::Entry => "⮩",
        Group::Lifecycle => "⚙",
        Group::Timeout => "⏱",
        Group::Store => "🗄",
    }
}

/// Height of a lane's title strip, left of its band.
pub const LANE_TITLE_WIDTH: f32 = 36.0;
/// Space around the drawing.
pub const MARGIN: f32 = 40.0;

#[derive(Clone, Debug)]
pub struct LaneShape {
    pub id: String,
    pub title: String,
    pub rect: Rect,
    pub fill: Color32,
}

#[derive(Clone, Debug)]
pub struct NodeShape {
    pub id: String,
    pub rect: Rect,
    pub group: Group,
    pub shape: Shape,
    pub fill: Color32,
    pub stroke: Color32,
    pub label: String,
    pub summary: String,
}

#[derive(Clone, Debug)]
pub struct EdgeShape {
    pub id: String,
    /// A cubic Bézier: start, two control points, end (at the arrow's tip).
    pub curve: [Pos2; 4],
    /// The arrowhead triangle: tip and the two back corners.
    pub arrow: [Pos2; 3],
    /// Attachments (timeout or store to stage) are drawn dashed, without a label.
    pub dashed: bool,
    pub color: Color32,
    pub label: String,
    pub label_pos: Pos2,
}

#[derive(Clone, Debug)]
pub struct NoteShape {
    pub id: String,
    pub rect: Rect,
    pub fill: Color32,
    pub text: String,
}

/// Everything needed to draw a map, in drawing order (lanes, edges, nodes, notes).
#[derive(Clone, Debug)]
pub struct Diagram {
    pub bounds: Rect,
    pub lanes: Vec<LaneShape>,
    pub edges: Vec<EdgeShape>,
    pub nodes: Vec<NodeShape>,
    pub notes: Vec<NoteShape>,
    pub colors: Colors,
}

/// Lays out a map for drawing. Edges whose ends are missing are skipped, not drawn to nowhere.
pub fn diagram(map: &Map, theme: Theme) -> Diagram {
    let colors = theme.colors();
    let nodes: Vec<NodeShape> = map
        .nodes
        .iter()
        .map(|n| {
            let group = n.kind.group();
            let (fill, stroke) = theme.group_colors(group);
            NodeShape {
                id: n.id.0.clone(),
                rect: Rect::from_min_size(pos2(n.pos.0, n.pos.1), vec2(n.size.0, n.size.1)),
                group,
                shape: group_shape(group),
                fill,
                stroke,
                label: n.label.clone(),
                summary: n.kind.summary(),
            }
        })
        .collect();
    let notes: Vec<NoteShape> = map
        .notes
        .iter()
        .map(|n| NoteShape {
            id: n.id.clone(),
            rect: Rect::from_min_size(pos2(n.pos.0, n.pos.1), vec2(n.size.0, n.size.1)),
            fill: theme.note_fill(n.color),
            text: n.text.clone(),
        })
        .collect();

    let index: std::collections::HashMap<&str, usize> = map
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let edges = map
        .edges
        .iter()
        .filter_map(|e| {
            let from = nodes[*index.get(e.from.as_str())?].rect;
            let to = nodes[*index.get(e.to.as_str())?].rect;
            let attach = e.trigger == Trigger::Attach;
            let curve = route(from, to);
            let label = if attach {
                String::new()
            } else if e.label.is_empty() {
                e.trigger.to_string()
            } else {
                e.label.clone()
            };
            Some(EdgeShape {
                id: e.id.0.clone(),
                arrow: arrowhead(curve),
                label_pos: bezier(curve, 0.5),
                curve,
                dashed: attach,
                color: if attach {
                    colors.attach_edge
                } else {
                    colors.edge
                },
                label,
            })
        })
        .collect::<Vec<EdgeShape>>();

    let content = nodes
        .iter()
        .map(|n| n.rect)
        .chain(notes.iter().map(|n| n.rect))
        .reduce(|a, b| a.union(b))
        .unwrap_or(Rect::from_min_size(Pos2::ZERO, vec2(800.0, 400.0)));
    let lane_left = content.min.x.min(0.0) - MARGIN - LANE_TITLE_WIDTH;
    let lane_right = content.max.x + MARGIN;
    let tops = map.lane_tops();
    let lanes: Vec<LaneShape> = map
        .lanes
        .iter()
        .zip(tops)
        .enumerate()
        .map(|(i, (lane, top))| LaneShape {
            id: lane.id.0.clone(),
            title: lane.title.clone(),
            rect: Rect::from_min_max(pos2(lane_left, top), pos2(lane_right, top + lane.height)),
            fill: colors.lane_fill[i % 2],
        })
        .collect();
    // A Bézier curve lies inside the hull of its control points, so edges that arc outside the
    // boxes (back along a row) are inside the bounds too, with room for their labels.
    let bounds = lanes
        .iter()
        .map(|l| l.rect)
        .chain(edges.iter().map(|e: &EdgeShape| {
            Rect::from_points(&e.curve).expand(if e.label.is_empty() { 4.0 } else { 12.0 })
        }))
        .fold(content.expand(MARGIN), |a, b| a.union(b));

    Diagram {
        bounds,
        lanes,
        edges,
        nodes,
        notes,
        colors,
    }
}

/// A curve from one box to another, leaving and entering on the sides that face each other.
/// An edge that runs backwards along a row (right to left) arcs over it instead of through the
/// boxes in between.
fn route(from: Rect, to: Rect) -> [Pos2; 4] {
    let d = to.center() - from.center();
    let horizontal = d.x.abs() * 0.6 >= d.y.abs();
    if horizontal && d.x < 0.0 && d.y.abs() < from.height().max(to.height()) {
        let start = from.center_top();
        let end = to.center_top();
        let lift = (d.x.abs() * 0.25).clamp(50.0, 120.0);
        return [start, start - vec2(0.0, lift), end - vec2(0.0, lift), end];
    }
    let (start, end, dir) = if horizontal {
        let s = d.x.signum();
        (
            pos2(
                if s >= 0.0 { from.right() } else { from.left() },
                from.center().y,
            ),
            pos2(if s >= 0.0 { to.left() } else { to.right() }, to.center().y),
            vec2(s, 0.0),
        )
    } else {
        let s = d.y.signum();
        (
            pos2(
                from.center().x,
                if s >= 0.0 { from.bottom() } else { from.top() },
            ),
            pos2(to.center().x, if s >= 0.0 { to.top() } else { to.bottom() }),
            vec2(0.0, s),
        )
    };
    let reach = ((end - start).length() * 0.4).clamp(20.0, 160.0);
    [start, start + dir * reach, end - dir * reach, end]
}

/// A finding badge on a node: how many findings point at it, coloured by the worst.
#[derive(Clone, Debug, PartialEq)]
pub struct Badge {
    pub node: String,
    pub center: Pos2,
    pub radius: f32,
    pub count: usize,
    pub worst: Severity,
    pub fill: Color32,
}

pub fn severity_color(s: Severity) -> Color32 {
    match s {
        Severity::Critical => Color32::from_rgb(0x9b, 0x1c, 0x31),
        Severity::High => Color32::from_rgb(0xd0, 0x3b, 0x2c),
        Severity::Medium => Color32::from_rgb(0xe0, 0x8a, 0x00),
        Severity::Low => Color32::from_rgb(0x5b, 0x6b, 0x7b),
    }
}

/// One badge per node that findings point at, on the node's top-right corner, in node order.
pub fn badges(diagram: &Diagram, findings: &[Finding]) -> Vec<Badge> {
    diagram
        .nodes
        .iter()
        .filter_map(|n| {
            let on_node: Vec<&Finding> = findings
                .iter()
                .filter(|f| f.nodes.iter().any(|id| id.as_str() == n.id))
                .collect();
            let worst = on_node.iter().map(|f| f.severity).max()?;
            Some(Badge {
                node: n.id.clone(),
                center: n.rect.right_top() + vec2(-4.0, 4.0),
                radius: 10.0,
                count: on_node.len(),
                worst,
                fill: severity_color(worst),
            })
        })
        .collect()
}

/// A point on a cubic Bézier at `t` in 0..=1.
pub fn bezier(c: [Pos2; 4], t: f32) -> Pos2 {
    let u = 1.0 - t;
    let v = |p: Pos2| p.to_vec2();
    (v(c[0]) * (u * u * u)
        + v(c[1]) * (3.0 * u * u * t)
        + v(c[2]) * (3.0 * u * t * t)
        + v(c[3]) * (t * t * t))
        .to_pos2()
}

fn arrowhead(c: [Pos2; 4]) -> [Pos2; 3] {
    let tip = c[3];
    let back = if (c[3] - c[2]).length_sq() > 1e-3 {
        c[2]
    } else {
        c[0]
    };
    let dir = (tip - back).normalized();
    let dir = if dir.is_finite() { dir } else { Vec2::X };
    let side = dir.rot90() * 5.0;
    let base = tip - dir * 11.0;
    [tip, base + side, base - side]
}

/// The outline of a hexagon inscribed in `rect`, for timeouts.
pub fn hexagon(rect: Rect) -> Vec<Pos2> {
    let inset = (rect.height() * 0.4).min(rect.width() * 0.25);
    vec![
        pos2(rect.left() + inset, rect.top()),
        pos2(rect.right() - inset, rect.top()),
        pos2(rect.right(), rect.center().y),
        pos2(rect.right() - inset, rect.bottom()),
        pos2(rect.left() + inset, rect.bottom()),
        pos2(rect.left(), rect.center().y),
    ]
}

/// Height of the ellipse that caps a store's cylinder.
pub fn cylinder_cap(rect: Rect) -> f32 {
    (rect.height() * 0.22).min(16.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edge_to_the_right_leaves_from_the_right_side_and_ends_on_the_left_side() {
        let a = Rect::from_min_size(pos2(0.0, 0.0), vec2(100.0, 50.0));
        let b = Rect::from_min_size(pos2(300.0, 0.0), vec2(100.0, 50.0));
        let c = route(a, b);
        assert_eq!(c[0], pos2(100.0, 25.0));
        assert_eq!(c[3], pos2(300.0, 25.0));
        let arrow = arrowhead(c);
        assert!(arrow[1].x < 300.0 && arrow[2].x < 300.0);
    }

    #[test]
    fn the_bounds_hold_every_edge_even_one_arcing_above_the_lanes() {
        let map = crate::templates::find("banking")
            .and_then(|t| t.load().ok())
            .map(|l| l.map)
            .unwrap_or_default();
        let d = diagram(&map, Theme::Light);
        for e in &d.edges {
            for p in e.curve {
                assert!(
                    d.bounds.contains(p),
                    "{} reaches {p:?} outside {:?}",
                    e.id,
                    d.bounds
                );
            }
        }
    }

    #[test]
    fn an_edge_back_along_a_row_arcs_over_the_boxes_between() {
        let right = Rect::from_min_size(pos2(600.0, 0.0), vec2(100.0, 50.0));
        let left = Rect::from_min_size(pos2(0.0, 0.0), vec2(100.0, 50.0));
        let c = route(right, left);
        assert_eq!(c[0], right.center_top());
        assert_eq!(c[3], left.center_top());
        assert!(
            bezier(c, 0.5).y < 0.0,
            "the middle of the curve is above the row"
        );
    }
}
