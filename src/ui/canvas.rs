//! The canvas: paints a map's [`Diagram`] in a pannable, zoomable scene.
//!
//! Each node is also an accessible widget labelled with its label, so screen readers and UI
//! tests find it by name.

use egui::{
    Align2, Color32, CornerRadius, FontId, Pos2, Rect, Sense, Shape as EShape, Stroke, StrokeKind,
    epaint::CubicBezierShape, vec2,
};

use crate::export::geometry::{self, Diagram, EdgeShape, NodeShape, Shape};

/// What the canvas remembers between frames.
#[derive(Clone, Debug)]
pub struct CanvasState {
    /// The part of the scene in view; `Rect::ZERO` means "fit the map on the next frame".
    pub view: Rect,
}

impl Default for CanvasState {
    fn default() -> Self {
        CanvasState { view: Rect::ZERO }
    }
}

impl CanvasState {
    /// Fits the whole map in view on the next frame.
    pub fn fit(&mut self, diagram: &Diagram) {
        self.view = diagram.bounds;
    }
}

/// Draws the diagram; returns the id of the node under the pointer, if any.
pub fn canvas_ui(ui: &mut egui::Ui, state: &mut CanvasState, diagram: &Diagram) -> Option<String> {
    if state.view == Rect::ZERO || !state.view.is_finite() {
        state.fit(diagram);
    }
    let mut hovered = None;
    egui::Scene::new()
        .zoom_range(0.1..=4.0)
        .show(ui, &mut state.view, |ui| {
            // Claim the whole drawing so the scene knows its extent.
            ui.allocate_rect(diagram.bounds, Sense::hover());
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
                let response = ui.interact(
                    node.rect,
                    ui.scope_id().with(("node", &node.id)),
                    Sense::hover(),
                );
                let label = node.label.clone();
                response.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::Button, true, label.clone())
                });
                if response.hovered() {
                    hovered = Some(node.id.clone());
                }
                node_ui(
                    &painter,
                    node,
                    colors.text,
                    colors.muted_text,
                    response.hovered(),
                );
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
    hovered
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
