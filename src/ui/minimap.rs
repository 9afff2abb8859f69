//! The minimap: an overview of the whole map in a corner of the canvas, with the part in view
//! outlined. Clicking or dragging on it moves the view there.
//!
//! It is drawn in screen space on a layer of its own just above the canvas scene, so the scene
//! (which covers the whole canvas) neither paints over it nor takes its clicks.

use egui::emath::TSTransform;
use egui::{Color32, CornerRadius, Id, LayerId, Rect, Sense, Stroke, StrokeKind, UiBuilder, vec2};

use crate::export::geometry::Diagram;

/// The largest the minimap gets, in screen points.
const SIZE: egui::Vec2 = vec2(220.0, 150.0);
/// Gap between the minimap and the canvas edges.
const MARGIN: f32 = 12.0;

/// Draws the minimap in the bottom-right corner of `canvas` (screen coordinates) and moves
/// `view` when it is clicked or dragged. `to_screen` is the scene's transform this frame.
pub fn minimap_ui(
    ui: &mut egui::Ui,
    canvas: Rect,
    diagram: &Diagram,
    view: &mut Rect,
    to_screen: TSTransform,
) {
    let bounds = diagram.bounds;
    // Never more than a third of the canvas either way.
    let room = SIZE.min(canvas.size() / 3.0);
    if !bounds.is_positive() || room.min_elem() < 60.0 {
        return;
    }
    let scale = (room / bounds.size()).min_elem();
    let size = bounds.size() * scale;
    let rect = Rect::from_min_size(canvas.max - size - vec2(MARGIN, MARGIN), size);
    // Scene → minimap and back.
    let to_map = TSTransform::from_translation(rect.min.to_vec2())
        * TSTransform::from_scaling(scale)
        * TSTransform::from_translation(-bounds.min.to_vec2());

    let layer = LayerId::new(ui.layer_id().order, ui.scope_id().with("minimap"));
    ui.ctx().set_sublayer(ui.layer_id(), layer);
    let ui = ui.new_child(UiBuilder::new().layer_id(layer).max_rect(rect));
    let response = ui.interact(
        rect,
        Id::unique("sessionmap-minimap"),
        Sense::click_and_drag(),
    );
    response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Image, true, "Minimap: click to move the view")
    });
    if (response.clicked() || response.dragged())
        && let Some(p) = response.interact_pointer_pos()
    {
        let at = to_map.inverse() * p;
        *view = view.translate(at - view.center());
    }

    let painter = ui.painter();
    let colors = diagram.colors;
    painter.rect(
        rect.expand(4.0),
        CornerRadius::same(4),
        colors.background.gamma_multiply(0.95),
        Stroke::new(1.0, colors.lane_stroke),
        StrokeKind::Outside,
    );
    for lane in &diagram.lanes {
        painter.rect_filled(to_map * lane.rect, CornerRadius::ZERO, lane.fill);
    }
    for note in &diagram.notes {
        painter.rect_filled(to_map * note.rect, CornerRadius::ZERO, note.fill);
    }
    for node in &diagram.nodes {
        let r = to_map * node.rect;
        // At least a point wide, so a node never vanishes from the overview.
        let r = Rect::from_center_size(r.center(), r.size().max(vec2(1.5, 1.5)));
        painter.rect_filled(r, CornerRadius::ZERO, node.stroke);
    }
    // What the canvas shows: the canvas rect taken back into the scene, then onto the minimap.
    let shown = to_map * (to_screen.inverse() * canvas);
    let shown = shown.intersect(rect.expand(2.0));
    if shown.is_positive() {
        painter.rect(
            shown,
            CornerRadius::ZERO,
            Color32::TRANSPARENT,
            Stroke::new(1.5, colors.text),
            StrokeKind::Inside,
        );
    }
}
