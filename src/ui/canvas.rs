//! The canvas: paints a map's [`Diagram`] in a pannable, zoomable scene and turns pointer
//! gestures into [`Command`]s (it never changes the map itself).
//!
//! Each node is also an accessible widget labelled with its label, so screen readers and UI
//! tests find it by name.

use egui::{
    Align2, Color32, CornerRadius, FontId, Pos2, Rect, Sense, Shape as EShape, Stroke, StrokeKind,
    epaint::CubicBezierShape, vec2,
};

use super::document::{Command, Selection};
use super::palette::{PaletteDrag, PaletteState};
use crate::export::geometry::{self, Diagram, EdgeShape, NodeShape, Shape};
use crate::model::{Map, NodeId, NodeKind, Pos};

/// What the canvas remembers between frames.
#[derive(Clone, Debug)]
pub struct CanvasState {
    /// The part of the scene in view; `Rect::ZERO` means "fit the map on the next frame".
    pub view: Rect,
    /// Snap moved and placed nodes to the grid.
    pub snap: bool,
    /// Show the minimap.
    pub minimap: bool,
}

impl Default for CanvasState {
    fn default() -> Self {
        CanvasState {
            view: Rect::ZERO,
            snap: false,
            minimap: false,
        }
    }
}

impl CanvasState {
    /// Fits the whole map in view.
    pub fn fit(&mut self, diagram: &Diagram) {
        self.view = diagram.bounds;
    }

    /// Fits the whole map in view on the next frame (after a new map is loaded).
    pub fn fit_next_frame(&mut self) {
        self.view = Rect::ZERO;
    }

    /// Brings the selected nodes into view (the whole map when nothing is selected).
    pub fn zoom_to(&mut self, diagram: &Diagram, selection: &Selection) {
        let rect = diagram
            .nodes
            .iter()
            .filter(|n| selection.nodes.iter().any(|id| id.as_str() == n.id))
            .map(|n| n.rect)
            .reduce(|a, b| a.union(b));
        match rect {
            Some(r) => self.view = r.expand(120.0),
            None => self.fit(diagram),
        }
    }
}

/// What the canvas asks for this frame.
#[derive(Debug, Default)]
pub struct CanvasOutput {
    pub commands: Vec<Command>,
    /// A drag of the selection ended: the next move is a new undo step.
    pub drag_ended: bool,
    /// Select what the commands create (a node placed from the palette).
    pub select_created: bool,
    /// The node under the pointer.
    pub hovered: Option<NodeId>,
}

/// Grid spacing for snapping, in scene units.
pub const GRID: f32 = 20.0;

fn snapped(p: Pos2, snap: bool) -> Pos2 {
    if snap {
        Pos2::new((p.x / GRID).round() * GRID, (p.y / GRID).round() * GRID)
    } else {
        p
    }
}

fn place(kind: &NodeKind, at: Pos2, map: &Map, snap: bool) -> Command {
    let size = crate::model::Size::NODE;
    let top_left = snapped(at - vec2(size.0 / 2.0, size.1 / 2.0), snap);
    Command::AddNode {
        kind: kind.clone(),
        pos: Pos(top_left.x, top_left.y),
        lane: super::layout::lane_at(map, at.y),
    }
}

/// Draws the diagram and turns gestures into commands: click selects (Shift adds), dragging a
/// selected node moves the selection, clicking empty space with a palette kind armed places it,
/// dropping a palette item places it where it is dropped.
pub fn canvas_ui(
    ui: &mut egui::Ui,
    state: &mut CanvasState,
    diagram: &Diagram,
    map: &Map,
    selection: &mut Selection,
    palette: &mut PaletteState,
) -> CanvasOutput {
    if state.view == Rect::ZERO || !state.view.is_finite() {
        state.fit(diagram);
    }
    let mut out = CanvasOutput::default();
    let mut hovered = None;
    let snap = state.snap;
    egui::Scene::new()
        .zoom_range(0.1..=4.0)
        .show(ui, &mut state.view, |ui| {
            // Claim the whole drawing (and room around it) so the scene knows its extent and
            // clicks on empty space reach the canvas.
            let background = ui.allocate_rect(diagram.bounds.expand(2000.0), Sense::click());
            if let Some(dropped) = background.dnd_release_payload::<PaletteDrag>()
                && let Some(at) = ui.ctx().pointer_interact_pos()
            {
                let at = ui
                    .ctx()
                    .layer_transform_from_global(ui.layer_id())
                    .map_or(at, |t| t * at);
                out.commands.push(place(&dropped.0, at, map, snap));
                out.select_created = true;
            }
            if background.clicked() {
                match (&palette.armed, background.interact_pointer_pos()) {
                    (Some(kind), Some(at)) => {
                        out.commands.push(place(kind, at, map, snap));
                        out.select_created = true;
                        palette.armed = None;
                    }
                    _ => *selection = Selection::default(),
                }
            }
            let painter = ui.painter().clone();
            let colors = diagram.colors;
            for lane in &diagram.lanes {
                painter.rect_filled(lane.rect, CornerRadius::ZERO, lane.fill);
                painter.rect_stroke(
                    lane.rect,
                    CornerRadius::ZERO,
                    Stroke::new(1.0, colors.lane_stroke),
                    StrokeKind::Inside,
                );
                let title_at =
                    lane.rect.left_center() + vec2(geometry::LANE_TITLE_WIDTH / 2.0, 0.0);
                painter.add(
                    egui::epaint::TextShape::new(
                        title_at
                            + vec2(-7.0, 0.0)
                            + vec2(0.0, text_half_width(ui, &lane.title, 15.0)),
                        ui.fonts_mut(|f| {
                            f.layout_no_wrap(
                                lane.title.clone(),
                                FontId::proportional(15.0),
                                colors.muted_text,
                            )
                        }),
                        colors.muted_text,
                    )
                    .with_angle(-std::f32::consts::FRAC_PI_2),
                );
            }
            for edge in &diagram.edges {
                edge_ui(&painter, edge, colors.background, colors.text);
            }
            for node in &diagram.nodes {
                let id = NodeId(node.id.clone());
                let response = ui.interact(
                    node.rect,
                    ui.scope_id().with(("node", &node.id)),
                    Sense::click_and_drag(),
                );
                let label = node.label.clone();
                let selected = selection.nodes.contains(&id);
                response.widget_info(|| {
                    egui::WidgetInfo::selected(egui::Role::Button, true, selected, label.clone())
                });
                if response.hovered() {
                    hovered = Some(id.clone());
                }
                if response.clicked() || response.drag_started() && !selected {
                    let additive = ui.input(|i| i.modifiers.shift || i.modifiers.command);
                    if additive {
                        if !selection.nodes.remove(&id) {
                            selection.nodes.insert(id.clone());
                        }
                    } else if !(response.drag_started() && selected) {
                        *selection = Selection::of_nodes([id.clone()]);
                    }
                }
                if response.dragged() && selection.nodes.contains(&id) {
                    let delta = response.drag_delta();
                    if delta != egui::Vec2::ZERO {
                        out.commands.push(Command::Move {
                            items: selection.clone(),
                            dx: delta.x,
                            dy: delta.y,
                        });
                    }
                }
                if response.drag_stopped() {
                    out.drag_ended = true;
                    if snap {
                        let items = selection.clone();
                        let moved: Vec<(NodeId, Pos)> = map
                            .nodes
                            .iter()
                            .filter(|n| items.nodes.contains(&n.id))
                            .map(|n| {
                                let p = snapped(Pos2::new(n.pos.0, n.pos.1), true);
                                (n.id.clone(), Pos(p.x, p.y))
                            })
                            .collect();
                        out.commands.push(Command::PlaceNodes(moved));
                    }
                }
                node_ui(
                    &painter,
                    node,
                    colors.text,
                    colors.muted_text,
                    response.hovered() || selected,
                );
                if selected {
                    painter.rect_stroke(
                        node.rect.expand(4.0),
                        CornerRadius::same(10),
                        Stroke::new(2.0, ui.visuals().selection.stroke.color),
                        StrokeKind::Outside,
                    );
                }
            }
            for note in &diagram.notes {
                painter.rect_filled(note.rect, CornerRadius::same(2), note.fill);
                let galley = ui.fonts_mut(|f| {
                    f.layout(
                        note.text.clone(),
                        FontId::proportional(13.0),
                        colors.note_text,
                        note.rect.width() - 16.0,
                    )
                });
                painter.galley(note.rect.min + vec2(8.0, 8.0), galley, Color32::BLACK);
            }
        });
    out.hovered = hovered;
    out
}

fn text_half_width(ui: &egui::Ui, text: &str, size: f32) -> f32 {
    ui.fonts_mut(|f| f.layout_no_wrap(text.to_owned(), FontId::proportional(size), Color32::WHITE))
        .size()
        .x
        / 2.0
}

fn edge_ui(painter: &egui::Painter, edge: &EdgeShape, background: Color32, text: Color32) {
    let stroke = Stroke::new(if edge.dashed { 1.2 } else { 1.6 }, edge.color);
    if edge.dashed {
        let points: Vec<Pos2> = (0..=24)
            .map(|i| geometry::bezier(edge.curve, i as f32 / 24.0))
            .collect();
        painter.extend(EShape::dashed_line(&points, stroke, 6.0, 4.0));
    } else {
        painter.add(CubicBezierShape::from_points_stroke(
            edge.curve,
            false,
            Color32::TRANSPARENT,
            stroke,
        ));
    }
    painter.add(EShape::convex_polygon(
        edge.arrow.to_vec(),
        edge.color,
        Stroke::NONE,
    ));
    if !edge.label.is_empty() {
        let galley = painter.layout_no_wrap(edge.label.clone(), FontId::proportional(11.0), text);
        let rect = Align2::CENTER_CENTER
            .anchor_size(edge.label_pos, galley.size())
            .expand(2.0);
        painter.rect_filled(rect, CornerRadius::same(3), background.gamma_multiply(0.9));
        painter.galley(rect.min + vec2(2.0, 2.0), galley, text);
    }
}

fn node_ui(
    painter: &egui::Painter,
    node: &NodeShape,
    text: Color32,
    muted: Color32,
    hovered: bool,
) {
    let stroke = Stroke::new(if hovered { 2.5 } else { 1.5 }, node.stroke);
    let r = node.rect;
    match node.shape {
        Shape::Pill => {
            painter.rect(
                r,
                CornerRadius::same((r.height() / 2.0) as u8),
                node.fill,
                stroke,
                StrokeKind::Inside,
            );
        }
        Shape::Box => {
            painter.rect(
                r,
                CornerRadius::same(8),
                node.fill,
                stroke,
                StrokeKind::Inside,
            );
        }
        Shape::Hexagon => {
            painter.add(EShape::convex_polygon(
                geometry::hexagon(r),
                node.fill,
                stroke,
            ));
        }
        Shape::Cylinder => {
            // Bottom cap, then the body over its upper half, then the sides and the top cap.
            let cap = geometry::cylinder_cap(r);
            let top = r.center_top() + vec2(0.0, cap / 2.0);
            let bottom = r.center_bottom() - vec2(0.0, cap / 2.0);
            let radius = vec2(r.width() / 2.0, cap / 2.0);
            painter.add(EShape::ellipse_filled(bottom, radius, node.fill));
            painter.add(EShape::ellipse_stroke(bottom, radius, stroke));
            let body =
                Rect::from_min_max(Pos2::new(r.left(), top.y), Pos2::new(r.right(), bottom.y));
            painter.rect_filled(body, CornerRadius::ZERO, node.fill);
            painter.line_segment([body.left_top(), body.left_bottom()], stroke);
            painter.line_segment([body.right_top(), body.right_bottom()], stroke);
            painter.add(EShape::ellipse_filled(top, radius, node.fill));
            painter.add(EShape::ellipse_stroke(top, radius, stroke));
        }
    }
    let icon = geometry::group_icon(node.group);
    let label = format!("{icon} {}", node.label);
    let width = r.width() - 20.0;
    let label_galley = painter.layout(label, FontId::proportional(14.0), text, width);
    let summary_galley = painter.layout(
        node.summary.clone(),
        FontId::proportional(11.0),
        muted,
        width,
    );
    let total = label_galley.size().y + 2.0 + summary_galley.size().y;
    let top = r.center().y - total / 2.0;
    painter.galley(
        Pos2::new(r.center().x - label_galley.size().x / 2.0, top),
        label_galley.clone(),
        text,
    );
    painter.galley(
        Pos2::new(
            r.center().x - summary_galley.size().x / 2.0,
            top + label_galley.size().y + 2.0,
        ),
        summary_galley,
        muted,
    );
}
