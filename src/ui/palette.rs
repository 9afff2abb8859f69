//! The palette: every node kind, grouped as the legend shows them. Click a kind to arm it and
//! click the canvas to place it, or drag it onto the canvas.

use egui::{RichText, Sense};

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
        let (fill, stroke) = theme.group_colors(group);
        for kind in kinds.iter().filter(|k| k.group() == group) {
            let armed = state
                .armed
                .as_ref()
                .is_some_and(|a| std::mem::discriminant(a) == std::mem::discriminant(kind));
            let id = ui.scope_id().with(("palette", kind.name()));
            let response = ui
                .dnd_drag_source(id, PaletteDrag(kind.clone()), |ui| {
                    egui::Frame::new()
                        .fill(if armed {
                            stroke.gamma_multiply(0.35)
                        } else {
                            fill
                        })
                        .stroke(egui::Stroke::new(if armed { 2.0 } else { 1.0 }, stroke))
                        .corner_radius(4)
                        .inner_margin(egui::Margin::symmetric(6, 3))
                        .show(ui, |ui| {
                            ui.set_min_width(ui.available_width());
                            ui.label(
                                RichText::new(kind.name()).color(ui.visuals().strong_text_color()),
                            );
                        });
                })
                .response;
            let response = ui.interact(response.rect, id.with("click"), Sense::click());
            response.widget_info(|| {
                egui::WidgetInfo::selected(egui::Role::Button, true, armed, kind.name())
            });
            if response.clicked() {
                state.armed = if armed { None } else { Some(kind.clone()) };
            }
        }
    }
}
