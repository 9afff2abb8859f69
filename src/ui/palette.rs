//! The palette: every node kind, grouped as the legend shows them. Click a kind to arm it and
//! click the canvas to place it, or drag it onto the canvas.
//!
//! Each item is one widget that senses both clicks and drags, so a click (press and release
//! without moving) arms and a drag carries a [`PaletteDrag`]; two overlapping widgets would
//! fight over the pointer. Items are named "Add <kind>" for screen readers and tests, so they
//! never read like a node that happens to be labelled with a kind's name.

use egui::{
    Align2, CornerRadius, CursorIcon, FontId, LayerId, Order, Rect, RichText, Sense, Stroke,
    StrokeKind, TextStyle, Ui, WidgetText, vec2,
};

use crate::export::geometry::{self, Theme};
use crate::model::{Group, NodeKind};

/// The drag-and-drop payload a palette item carries onto the canvas.
#[derive(Clone, Debug)]
pub struct PaletteDrag(pub NodeKind);

/// What the palette remembers: the kind armed for placing, if any.
#[derive(Clone, Debug, Default)]
pub struct PaletteState {
    pub armed: Option<NodeKind>,
}

impl PaletteState {
    /// Whether this kind (any parameters) is the one armed.
    pub fn is_armed(&self, kind: &NodeKind) -> bool {
        self.armed
            .as_ref()
            .is_some_and(|a| std::mem::discriminant(a) == std::mem::discriminant(kind))
    }
}

/// The accessible name of a palette item ("Add Idle timeout").
fn item_name(kind: &NodeKind) -> String {
    format!("Add {}", kind.name())
}

/// Draws the palette; clicking an item arms it (clicking it again disarms), dragging it
/// carries a [`PaletteDrag`].
pub fn palette_ui(ui: &mut egui::Ui, state: &mut PaletteState, theme: Theme) {
    ui.heading("Palette");
    ui.weak("Click, then click the canvas — or drag onto it.");
    let kinds = NodeKind::palette();
    for group in Group::ALL {
        ui.add_space(6.0);
        ui.label(
            RichText::new(format!("{} {}", geometry::group_icon(group), group.title())).strong(),
        );
        let colors = theme.group_colors(group);
        for kind in kinds.iter().filter(|k| k.group() == group) {
            let armed = state.is_armed(kind);
            let response = item_ui(ui, kind, armed, colors);
            if response.drag_started() {
                egui::DragAndDrop::set_payload(ui.ctx(), PaletteDrag(kind.clone()));
                state.armed = None;
            }
            if response.dragged() {
                ghost_ui(ui, kind, colors);
            }
            if response.clicked() {
                state.armed = if armed { None } else { Some(kind.clone()) };
            }
        }
    }
}

/// One palette item: a box in the group's colours, filled stronger while armed.
fn item_ui(
    ui: &mut Ui,
    kind: &NodeKind,
    armed: bool,
    (fill, stroke): (egui::Color32, egui::Color32),
) -> egui::Response {
    let margin = vec2(6.0, 3.0);
    let galley = WidgetText::from(kind.name()).into_galley(
        ui,
        Some(egui::TextWrapMode::Truncate),
        ui.available_width() - 2.0 * margin.x,
        TextStyle::Body,
    );
    let size = vec2(ui.available_width(), galley.size().y + 2.0 * margin.y);
    let (rect, response) = ui.allocate_exact_size(size, Sense::click_and_drag());
    let name = item_name(kind);
    response.widget_info(|| {
        egui::WidgetInfo::selected(egui::Role::Button, ui.is_enabled(), armed, &name)
    });
    if ui.is_rect_visible(rect) {
        let hovered = response.hovered() || response.has_focus();
        let fill = if armed {
            stroke.gamma_multiply(0.35)
        } else {
            fill
        };
        let width = if armed {
            2.0
        } else if hovered {
            1.5
        } else {
            1.0
        };
        ui.painter().rect(
            rect,
            CornerRadius::same(4),
            fill,
            Stroke::new(width, stroke),
            StrokeKind::Inside,
        );
        let text = ui.visuals().strong_text_color();
        ui.painter().galley(rect.left_top() + margin, galley, text);
    }
    response
        .on_hover_cursor(CursorIcon::Grab)
        .on_hover_text(if armed {
            "Armed: click the canvas to place it, or click here to disarm"
        } else {
            "Click to arm, then click the canvas — or drag onto the canvas"
        })
}

/// The item following the pointer while it is dragged.
fn ghost_ui(ui: &Ui, kind: &NodeKind, (fill, stroke): (egui::Color32, egui::Color32)) {
    let Some(at) = ui.ctx().pointer_interact_pos() else {
        return;
    };
    ui.ctx().set_cursor_icon(CursorIcon::Grabbing);
    let painter = ui.ctx().layer_painter(LayerId::new(
        Order::Tooltip,
        ui.scope_id().with("palette-ghost"),
    ));
    let font = FontId::proportional(14.0);
    let text = ui.visuals().strong_text_color();
    let galley = painter.layout_no_wrap(kind.name().to_owned(), font, text);
    let rect = Rect::from_center_size(at, galley.size() + vec2(24.0, 16.0));
    painter.rect(
        rect,
        CornerRadius::same(6),
        fill.gamma_multiply(0.9),
        Stroke::new(1.5, stroke),
        StrokeKind::Inside,
    );
    painter.galley(
        Align2::CENTER_CENTER
            .anchor_size(rect.center(), galley.size())
            .min,
        galley,
        text,
    );
}
