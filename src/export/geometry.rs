//! The diagram's geometry: where every lane, node, edge and note goes, its shape and colours.
//!
//! The canvas paints this and the exporters write it, so what you see is what gets exported.
//! It depends only on egui's plain geometry and colour types, never on a running UI.
//!
//! Each edge is one cubic Bézier between facing sides of its boxes; when that runs through
//! another box, the `Router` tries other sides and reaches and keeps the curve that crosses the
//! fewest boxes (none, where one curve can get around). Labels sit mid-curve, moved along it
//! when they would cover a box or an earlier label.

use std::collections::HashMap;

use egui::{Color32, Pos2, Rect, Vec2, pos2, vec2};

use super::measure::{self, Fitted};
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
    /// The text wrapped, and shrunk or cut short where it must be, to stay inside the note
    /// (inside [`NOTE_PADDING`]).
    pub fitted: Fitted,
}

/// Room between a note's edge and its text: left and right, top and bottom.
pub const NOTE_PADDING: Vec2 = vec2(8.0, 6.0);
/// The font size of note text, and the smallest it is shrunk to when the note is too small.
pub const NOTE_FONT: (f32, f32) = (13.0, 11.0);

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
        .map(|n| {
            let rect = Rect::from_min_size(pos2(n.pos.0, n.pos.1), vec2(n.size.0, n.size.1));
            let inner = rect.shrink2(NOTE_PADDING);
            NoteShape {
                id: n.id.clone(),
                rect,
                fill: theme.note_fill(n.color),
                text: n.text.clone(),
                fitted: measure::fit(
                    &n.text,
                    inner.width(),
                    inner.height(),
                    NOTE_FONT.0,
                    NOTE_FONT.1,
                ),
            }
        })
        .collect();

    let index: HashMap<&str, usize> = map
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let mut router = Router::new(nodes.iter().map(|n| n.rect).collect());
    let mut edges = map
        .edges
        .iter()
        .filter_map(|e| {
            let from = *index.get(e.from.as_str())?;
            let to = *index.get(e.to.as_str())?;
            let attach = e.trigger == Trigger::Attach;
            let curve = router.route(from, to);
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
    place_labels(&mut edges, &router.grid, &router.rects);

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
    // Edges that arc outside the boxes (back along a row, around a box) are inside the bounds
    // too, with their labels. Measured on the curve itself: the hull of its control points can
    // reach much further than the line does.
    let bounds = lanes
        .iter()
        .map(|l| l.rect)
        .chain(edges.iter().map(|e: &EdgeShape| {
            let points: Vec<Pos2> = (0..=32).map(|i| bezier(e.curve, i as f32 / 32.0)).collect();
            let curve = Rect::from_points(&points).expand(4.0);
            if e.label.is_empty() {
                curve
            } else {
                curve.union(Rect::from_center_size(e.label_pos, label_size(&e.label)).expand(4.0))
            }
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

/// Clearance kept between an edge and the boxes it passes.
const CLEARANCE: f32 = 8.0;

/// Routes edges around node boxes. The boxes are bucketed on a coarse grid so a curve is checked
/// only against the boxes near it, and a detour stops being measured as soon as it is worse than
/// the best so far (a 1,000-node, 2,000-edge map routes in milliseconds). It remembers the
/// sides edges already use, so a detour does not land where another edge starts or ends.
struct Router {
    rects: Vec<Rect>,
    grid: Grid,
    /// Per box, the sides edges already leave or enter by (a bit per [`Side`]).
    used: Vec<u8>,
}

/// Box indices by cell of a coarse grid over the boxes (with their clearance).
struct Grid {
    origin: Pos2,
    columns: usize,
    rows: usize,
    cells: Vec<Vec<usize>>,
}

impl Grid {
    const CELL: f32 = 256.0;

    fn new(rects: &[Rect]) -> Self {
        let area = rects
            .iter()
            .map(|r| r.expand(CLEARANCE))
            .reduce(|a, b| a.union(b))
            .unwrap_or(Rect::ZERO);
        let columns = (area.width() / Self::CELL).floor() as usize + 1;
        let rows = (area.height() / Self::CELL).floor() as usize + 1;
        let mut grid = Grid {
            origin: area.min,
            columns,
            rows,
            cells: vec![Vec::new(); columns * rows],
        };
        for (i, r) in rects.iter().enumerate() {
            let r = r.expand(CLEARANCE);
            let (x0, y0) = grid.cell_of(r.min).unwrap_or((0, 0));
            let (x1, y1) = grid.cell_of(r.max).unwrap_or((columns - 1, rows - 1));
            for y in y0..=y1 {
                for x in x0..=x1 {
                    grid.cells[y * columns + x].push(i);
                }
            }
        }
        grid
    }

    fn cell_of(&self, p: Pos2) -> Option<(usize, usize)> {
        let d = (p - self.origin) / Self::CELL;
        if !(d.x >= 0.0 && d.y >= 0.0) {
            return None;
        }
        let (x, y) = (d.x as usize, d.y as usize);
        (x < self.columns && y < self.rows).then_some((x, y))
    }

    fn near(&self, p: Pos2) -> &[usize] {
        match self.cell_of(p) {
            Some((x, y)) => &self.cells[y * self.columns + x],
            None => &[],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Right = 1,
    Left = 2,
    Bottom = 4,
    Top = 8,
}

/// How badly a curve runs: boxes it crosses (its own ends' boxes included, apart from leaving
/// and entering them), then about how far it runs inside them (a corner clipped is better than
/// a box crossed through), then points within the clearance of a box plus sides shared with
/// other edges, then the length of its control polygon. Compared in that order.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
struct Cost {
    boxes: usize,
    inside: f32,
    crowding: usize,
    length: f32,
}

impl Router {
    fn new(rects: Vec<Rect>) -> Self {
        Router {
            grid: Grid::new(&rects),
            used: vec![0; rects.len()],
            rects,
        }
    }

    /// The curve from box `from` to box `to`: the plain [`route`] unless it runs through a box,
    /// else the detour that runs through the fewest (then keeps clearest, then is shortest).
    fn route(&mut self, from: usize, to: usize) -> [Pos2; 4] {
        let (a, b) = (self.rects[from], self.rects[to]);
        let plain = route(a, b);
        let plain_cost = self.cost(plain, from, to, None);
        let mut best = (plain_cost, plain);
        if let Some(crossing) = plain_cost.filter(|c| c.boxes > 0) {
            // Shortest first: the first detour that crosses no box and keeps clear of the others
            // will do, and a good one found early cuts the measuring of the rest short.
            let mut detours: Vec<([Pos2; 4], f32)> =
                detours(a, b).map(|c| (c, hull_length(c))).collect();
            detours.sort_by(|x, y| x.1.total_cmp(&y.1));
            let clear = Cost {
                boxes: 0,
                inside: 0.0,
                crowding: usize::MAX,
                length: f32::INFINITY,
            };
            let mut found: Option<(Cost, [Pos2; 4])> = None;
            for &(detour, _) in &detours {
                let limit = found.map_or(clear, |f| f.0);
                if let Some(cost) = self.cost(detour, from, to, Some(limit))
                    && found.is_none_or(|f| cost < f.0)
                {
                    found = Some((cost, detour));
                    if cost.crowding == 0 {
                        break;
                    }
                }
            }
            if let Some((cost, detour)) = found {
                best = (Some(cost), detour);
            } else if crossing.boxes <= 2 {
                // No way around: cross as little as can be (a corner rather than a box). Not
                // for edges through a crowd of boxes, where no single curve does much better.
                for &(detour, _) in &detours {
                    if let Some(cost) = self.cost(detour, from, to, best.0)
                        && best.0.is_none_or(|b| cost < b)
                    {
                        best = (Some(cost), detour);
                    }
                }
            }
        }
        let curve = best.1;
        if let Some(side) = side_of(a, curve[0]) {
            self.used[from] |= side as u8;
        }
        if let Some(side) = side_of(b, curve[3]) {
            self.used[to] |= side as u8;
        }
        curve
    }

    /// The cost of a curve, or `None` as soon as it is clearly worse than `limit`.
    fn cost(&self, curve: [Pos2; 4], from: usize, to: usize, limit: Option<Cost>) -> Option<Cost> {
        // Every count only grows as the points are walked.
        let worse = |c: &Cost| {
            limit.is_some_and(|l| (c.boxes, c.inside, c.crowding) > (l.boxes, l.inside, l.crowding))
        };
        let shared = [
            (from, self.rects[from], curve[0]),
            (to, self.rects[to], curve[3]),
        ]
        .into_iter()
        .filter(|&(i, r, p)| side_of(r, p).is_some_and(|s| self.used[i] & s as u8 != 0))
        .count();
        let mut cost = Cost {
            boxes: 0,
            inside: 0.0,
            crowding: 2 * shared,
            length: 0.0,
        };
        let mut crossed: Vec<usize> = Vec::new();
        // About one point every 24 units of the control polygon (which is longer than the
        // curve), up to 32, so a box is seldom stepped over; a power of two, to visit the points
        // coarse to fine (bit-reversed order), so a detour through a box is given up after a few.
        let hull = hull_length(curve);
        let samples = ((hull / 24.0) as usize).clamp(8, 32).next_power_of_two();
        let bits = samples.trailing_zeros();
        let step = hull / samples as f32;
        cost.length = hull;
        for k in 1..samples {
            let i = k.reverse_bits() >> (usize::BITS - bits);
            let p = bezier(curve, i as f32 / samples as f32);
            for &j in self.grid.near(p) {
                let r = self.rects[j];
                // Leaving or entering its own box is the point; crossing it is not.
                let inside = if j == from || j == to {
                    r.shrink(2.0).contains(p)
                } else {
                    r.contains(p)
                };
                if inside {
                    cost.inside += step;
                    if !crossed.contains(&j) {
                        crossed.push(j);
                        cost.boxes += 1;
                    }
                } else if j != from && j != to && r.expand(CLEARANCE).contains(p) {
                    cost.crowding += 1;
                }
            }
            if worse(&cost) {
                return None;
            }
        }
        Some(cost)
    }
}

/// The length of a curve's control polygon: at least the curve's.
fn hull_length(c: [Pos2; 4]) -> f32 {
    distance(c[0], c[1]) + distance(c[1], c[2]) + distance(c[2], c[3])
}

/// `Pos2::distance` without `hypot`, which is several times slower and not needed here.
fn distance(a: Pos2, b: Pos2) -> f32 {
    (a - b).length_sq().sqrt()
}

/// The room an edge label takes: its 11 px text, measured in the app's font, on a plate.
pub(crate) fn label_size(label: &str) -> Vec2 {
    vec2(measure::width(label, 11.0) + 8.0, 16.0)
}

/// Puts each label on its curve where it covers neither a box nor a label placed before it:
/// the middle if that is free, else a little either side of it, else the middle anyway.
fn place_labels(edges: &mut [EdgeShape], grid: &Grid, boxes: &[Rect]) {
    let cell = |p: Pos2| {
        (
            (p.x / Grid::CELL).floor() as i32,
            (p.y / Grid::CELL).floor() as i32,
        )
    };
    let mut placed: HashMap<(i32, i32), Vec<Rect>> = HashMap::new();
    for edge in edges.iter_mut().filter(|e| !e.label.is_empty()) {
        let size = label_size(&edge.label);
        let free = |at: Pos2| {
            let r = Rect::from_center_size(at, size);
            let corners = [
                r.left_top(),
                r.right_top(),
                r.left_bottom(),
                r.right_bottom(),
            ];
            corners.iter().all(|&c| {
                grid.near(c).iter().all(|&i| !boxes[i].intersects(r))
                    && placed
                        .get(&cell(c))
                        .is_none_or(|others| others.iter().all(|o| !o.intersects(r)))
            })
        };
        // On the curve near its middle; else beside it (a short edge between two close boxes
        // has no room on it), above or below by one to three label heights.
        let curve = edge.curve;
        let normal = |t: f32| {
            let d = bezier(curve, (t + 0.01).min(1.0)) - bezier(curve, (t - 0.01).max(0.0));
            let n = vec2(-d.y, d.x);
            if n.length_sq() > 1e-6 {
                n.normalized()
            } else {
                vec2(0.0, 1.0)
            }
        };
        let at = [0.0, -1.0, 1.0, -2.0, 2.0, -3.0, 3.0]
            .into_iter()
            .flat_map(|k| {
                [0.5, 0.4, 0.6, 0.3, 0.7]
                    .into_iter()
                    .map(move |t| (t, k * (size.y + 2.0)))
            })
            .map(|(t, off)| bezier(curve, t) + normal(t) * off)
            .find(|&p| free(p))
            .unwrap_or(edge.label_pos);
        edge.label_pos = at;
        let r = Rect::from_center_size(at, size);
        let corners = [
            r.left_top(),
            r.right_top(),
            r.left_bottom(),
            r.right_bottom(),
        ];
        let mut cells: Vec<(i32, i32)> = corners.iter().map(|&c| cell(c)).collect();
        cells.dedup();
        for c in cells {
            placed.entry(c).or_default().push(r);
        }
    }
}

/// The sides of a box an edge can leave or enter by: the side, its middle and the outward
/// direction.
fn ports(r: Rect) -> [(Side, Pos2, Vec2); 4] {
    [
        (Side::Right, r.right_center(), Vec2::X),
        (Side::Left, r.left_center(), -Vec2::X),
        (Side::Bottom, r.center_bottom(), Vec2::Y),
        (Side::Top, r.center_top(), -Vec2::Y),
    ]
}

fn side_of(r: Rect, p: Pos2) -> Option<Side> {
    ports(r)
        .into_iter()
        .find(|&(_, at, _)| at == p)
        .map(|(side, ..)| side)
}

/// Other ways from one box to another, for when the plain route runs through a box: every pair
/// of sides that do not face straight away from the other box, each with a short reach
/// (threads between close rows), the usual one and a wide one (swings around a box sitting next
/// to an end).
fn detours(from: Rect, to: Rect) -> impl Iterator<Item = [Pos2; 4]> {
    let away = |side: Vec2, toward: Vec2| side.dot(toward.normalized()) < -0.7;
    ports(from)
        .into_iter()
        .filter(move |&(_, start, out)| !away(out, to.center() - start))
        .flat_map(move |(_, start, out)| {
            ports(to)
                .into_iter()
                .filter(move |&(_, end, into)| !away(into, from.center() - end))
                .flat_map(move |(_, end, into)| {
                    let reach = (distance(start, end) * 0.4).clamp(40.0, 160.0);
                    [24.0, reach, reach * 2.0]
                        .map(|reach| [start, start + out * reach, end + into * reach, end])
                })
        })
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
    #[test]
    fn no_edge_label_of_any_template_lies_under_a_node() {
        for t in crate::templates::ALL {
            let map = t.load().expect("loads").map;
            let d = super::diagram(&map, super::Theme::Light);
            for e in d.edges.iter().filter(|e| !e.label.is_empty()) {
                let label = super::Rect::from_center_size(e.label_pos, super::label_size(&e.label));
                for n in &d.nodes {
                    assert!(
                        !n.rect.intersects(label),
                        "{}: the label {:?} lies under {}",
                        t.name,
                        e.label,
                        n.id
                    );
                }
            }
        }
    }

    use super::*;

    #[test]
    fn no_note_text_of_any_template_leaves_its_note() {
        for t in crate::templates::ALL {
            let map = t.load().expect("loads").map;
            for note in super::diagram(&map, Theme::Light).notes {
                let inner = note.rect.shrink2(NOTE_PADDING);
                let fitted = &note.fitted;
                assert!(
                    measure::block_height(fitted.lines.len(), fitted.size) <= inner.height(),
                    "{}: note {} is {} lines at {} px, taller than its {} px",
                    t.name,
                    note.id,
                    fitted.lines.len(),
                    fitted.size,
                    inner.height()
                );
                for line in &fitted.lines {
                    assert!(
                        measure::width(line, fitted.size) <= inner.width(),
                        "{}: {line:?} is wider than note {}",
                        t.name,
                        note.id
                    );
                }
                // Nothing is cut from a template's notes: they are drawn to fit.
                assert_eq!(
                    fitted
                        .lines
                        .join(" ")
                        .split_whitespace()
                        .collect::<Vec<_>>(),
                    note.text.split_whitespace().collect::<Vec<_>>(),
                    "{}: note {} lost words",
                    t.name,
                    note.id
                );
            }
        }
    }

    #[test]
    fn a_note_drawn_too_small_for_its_text_ends_in_an_ellipsis_inside_its_box() {
        let mut map = crate::templates::ALL[0].load().expect("loads").map;
        map.notes.push(crate::model::StickyNote {
            id: "tiny".into(),
            pos: crate::model::Pos(0.0, 0.0),
            size: crate::model::Size(120.0, 50.0),
            text: "This note says far more than a note of this size can hold, on purpose.".into(),
            color: NoteColor::default(),
        });
        let d = super::diagram(&map, Theme::Light);
        let note = d.notes.iter().find(|n| n.id == "tiny").expect("drawn");
        assert_eq!(note.fitted.size, NOTE_FONT.1);
        assert!(note.fitted.lines.last().expect("a line").ends_with('…'));
        assert!(measure::block_height(note.fitted.lines.len(), note.fitted.size) <= 38.0);
    }

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
            for p in (0..=100).map(|i| bezier(e.curve, i as f32 / 100.0)) {
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
    fn an_edge_with_a_box_in_its_way_goes_around_it() {
        let a = Rect::from_min_size(pos2(0.0, 0.0), vec2(100.0, 50.0));
        let between = Rect::from_min_size(pos2(250.0, 0.0), vec2(100.0, 50.0));
        let b = Rect::from_min_size(pos2(500.0, 0.0), vec2(100.0, 50.0));
        let mut router = Router::new(vec![a, between, b]);
        assert!(
            router
                .cost(route(a, b), 0, 2, None)
                .is_some_and(|c| c.boxes > 0)
        );
        let c = router.route(0, 2);
        for i in 0..=100 {
            let p = bezier(c, i as f32 / 100.0);
            assert!(!between.contains(p), "{p:?} is inside the box between");
        }
    }

    #[test]
    fn labels_that_would_cover_each_other_are_moved_along_their_curves() {
        let edge = |id: &str, curve: [Pos2; 4]| EdgeShape {
            id: id.to_owned(),
            curve,
            arrow: arrowhead(curve),
            dashed: false,
            color: Color32::BLACK,
            label: "user action".to_owned(),
            label_pos: bezier(curve, 0.5),
        };
        // Two curves crossing in the middle.
        let mut edges = vec![
            edge(
                "a",
                [
                    pos2(0.0, 0.0),
                    pos2(100.0, 0.0),
                    pos2(200.0, 200.0),
                    pos2(300.0, 200.0),
                ],
            ),
            edge(
                "b",
                [
                    pos2(0.0, 200.0),
                    pos2(100.0, 200.0),
                    pos2(200.0, 0.0),
                    pos2(300.0, 0.0),
                ],
            ),
        ];
        let router = Router::new(Vec::new());
        place_labels(&mut edges, &router.grid, &router.rects);
        let [a, b] = [&edges[0], &edges[1]]
            .map(|e| Rect::from_center_size(e.label_pos, label_size(&e.label)));
        assert_eq!(
            edges[0].label_pos,
            bezier(edges[0].curve, 0.5),
            "the first keeps the middle"
        );
        assert!(!a.intersects(b), "{a:?} and {b:?} overlap");
    }

    #[test]
    fn an_edge_with_nothing_in_its_way_keeps_the_plain_route() {
        let a = Rect::from_min_size(pos2(0.0, 0.0), vec2(100.0, 50.0));
        let b = Rect::from_min_size(pos2(300.0, 200.0), vec2(100.0, 50.0));
        let elsewhere = Rect::from_min_size(pos2(0.0, 600.0), vec2(100.0, 50.0));
        let mut router = Router::new(vec![a, b, elsewhere]);
        assert_eq!(router.route(0, 1), route(a, b));
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
