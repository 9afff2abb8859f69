//! New from template: a gallery of the bundled maps, each shown as a thumbnail of its own
//! diagram (painted from `export::geometry`, so it looks like the canvas), its title and the
//! start of its description. Clicking a card answers with the template's name; the window
//! decides what to do with it (ask about unsaved changes first).

use egui::epaint::{CubicBezierShape, RectShape};
use egui::text::LayoutJob;
use egui::{
    Color32, CornerRadius, FontId, Painter, Pos2, Rect, Sense, Shape as EShape, Stroke, StrokeKind,
    Ui, pos2, vec2,
};

use crate::export::geometry::{self, Diagram, Shape, Theme};
use crate::model::Map;
use crate::templates::{self, Template};

/// Cards per row.
const COLUMNS: usize = 4;
const CARD_WIDTH: f32 = 240.0;
const THUMB_HEIGHT: f32 = 130.0;
/// Lines of title and of description a card has room for (the rest is in its tooltip), the
/// same for every card so a row's cards line up.
const TITLE_ROWS: usize = 2;
const DESCRIPTION_ROWS: usize = 3;

/// What the gallery remembers: the bundled templates, parsed once, and their diagrams for the
/// current theme.
#[derive(Default)]
pub struct GalleryState {
    entries: Vec<Entry>,
    theme: Option<Theme>,
}

struct Entry {
    template: &'static Template,
    /// The parsed map, or why it could not be parsed (a broken build; shown, never a panic).
    map: Result<Map, String>,
    diagram: Option<Diagram>,
}

/// What the user did in the gallery this frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GalleryChoice {
    /// Start a new map from this template.
    Create(&'static str),
    /// Start from a blank map.
    Blank,
    Cancel,
}

impl GalleryState {
    fn prepare(&mut self, theme: Theme) {
        if self.entries.is_empty() {
            self.entries = templates::ALL
                .iter()
                .map(|template| Entry {
                    template,
                    map: template.load().map(|l| l.map).map_err(|e| e.to_string()),
                    diagram: None,
                })
                .collect();
        }
        if self.theme != Some(theme) {
            self.theme = Some(theme);
            for entry in &mut self.entries {
                entry.diagram = entry
                    .map
                    .as_ref()
                    .ok()
                    .map(|map| geometry::diagram(map, theme));
            }
        }
    }
}

/// Shows the gallery as a modal window; `None` while the user is still choosing.
pub fn gallery_ui(
    ctx: &egui::Context,
    state: &mut GalleryState,
    theme: Theme,
) -> Option<GalleryChoice> {
    state.prepare(theme);
    let mut choice = None;
    let modal = egui::Modal::new(egui::Id::unique("gallery")).show(ctx, |ui| {
        ui.heading("New from template");
        ui.weak("Start from one of the bundled maps; it opens as a new, unsaved map.");
        ui.add_space(8.0);
        let max_height = ctx.content_rect().height() - 160.0;
        egui::ScrollArea::vertical()
            .max_height(max_height.max(200.0))
            .show(ui, |ui| {
                let groups = [
                    ("Designed maps", false),
                    (
                        "Framework defaults: what a stack does when nobody configured it",
                        true,
                    ),
                ];
                if ui
                    .add_sized(
                        [CARD_WIDTH, 40.0],
                        egui::Button::new(egui::RichText::new("+ Blank map").size(15.0)),
                    )
                    .on_hover_text("One lane of users and one persona: draw from scratch")
                    .clicked()
                {
                    choice = Some(GalleryChoice::Blank);
                }
                ui.add_space(8.0);
                for (heading, frameworks) in groups {
                    ui.strong(heading);
                    ui.add_space(4.0);
                    egui::Grid::new(("gallery-cards", frameworks))
                        .spacing([12.0, 12.0])
                        .show(ui, |ui| {
                            let entries = state
                                .entries
                                .iter()
                                .filter(|e| e.template.is_framework_default() == frameworks);
                            for (i, entry) in entries.enumerate() {
                                if card_ui(ui, entry).clicked() {
                                    choice = Some(GalleryChoice::Create(entry.template.name));
                                }
                                if (i + 1) % COLUMNS == 0 {
                                    ui.end_row();
                                }
                            }
                        });
                    ui.add_space(12.0);
                }
            });
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.button("Cancel").clicked() {
                choice = Some(GalleryChoice::Cancel);
            }
        });
    });
    if choice.is_none() && modal.should_close() {
        choice = Some(GalleryChoice::Cancel);
    }
    choice
}

/// One template: thumbnail, title, the start of the description. The whole card is a button
/// named with the template's title.
fn card_ui(ui: &mut Ui, entry: &Entry) -> egui::Response {
    let visuals = ui.visuals().clone();
    let pad = 8.0;
    let text_width = CARD_WIDTH - 2.0 * pad;
    let (title, description) = match &entry.map {
        Ok(map) => (map.title.clone(), map.description.clone()),
        Err(e) => (entry.template.name.to_owned(), e.clone()),
    };
    let title_font = FontId::proportional(15.0);
    let description_font = FontId::proportional(12.0);
    let rows = |font: &FontId, rows: usize| ui.fonts_mut(|f| f.row_height(font)) * rows as f32;
    let mut job = LayoutJob::simple(
        title.clone(),
        title_font.clone(),
        visuals.strong_text_color(),
        text_width,
    );
    job.wrap.max_rows = TITLE_ROWS;
    let title_galley = ui.painter().layout_job(job);
    let mut job = LayoutJob::simple(
        description.clone(),
        description_font.clone(),
        visuals.weak_text_color(),
        text_width,
    );
    job.wrap.max_rows = DESCRIPTION_ROWS;
    let description_galley = ui.painter().layout_job(job);
    let title_height = rows(&title_font, TITLE_ROWS);
    let height = pad
        + THUMB_HEIGHT
        + pad
        + title_height
        + 4.0
        + rows(&description_font, DESCRIPTION_ROWS)
        + pad;
    let (rect, response) = ui.allocate_exact_size(vec2(CARD_WIDTH, height), Sense::click());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &title));
    if ui.is_rect_visible(rect) {
        let hovered = response.hovered() || response.has_focus();
        let stroke = if hovered {
            visuals.selection.stroke
        } else {
            visuals.widgets.noninteractive.bg_stroke
        };
        ui.painter().rect(
            rect,
            CornerRadius::same(6),
            visuals.faint_bg_color,
            stroke,
            StrokeKind::Inside,
        );
        let thumb = Rect::from_min_size(
            rect.min + vec2(pad, pad),
            vec2(CARD_WIDTH - 2.0 * pad, THUMB_HEIGHT),
        );
        match &entry.diagram {
            Some(diagram) => thumbnail(ui.painter(), thumb, diagram),
            None => {
                ui.painter()
                    .rect_filled(thumb, CornerRadius::same(4), visuals.extreme_bg_color);
            }
        }
        let mut at = pos2(rect.min.x + pad, thumb.max.y + pad);
        let below_title = title_galley.size().y + 4.0;
        ui.painter()
            .galley(at, title_galley, visuals.strong_text_color());
        at.y += below_title;
        ui.painter()
            .galley(at, description_galley, visuals.weak_text_color());
    }
    response.on_hover_text(description)
}

/// A map's diagram scaled into `rect`: lanes, edges, node outlines and notes, no text (it would
/// be too small to read; the card's title says what the map is).
fn thumbnail(painter: &Painter, rect: Rect, diagram: &Diagram) {
    let colors = diagram.colors;
    painter.rect_filled(rect, CornerRadius::same(4), colors.background);
    let bounds = diagram.bounds;
    if !(bounds.width() > 0.0 && bounds.height() > 0.0) {
        return;
    }
    let inner = rect.shrink(4.0);
    let scale = (inner.width() / bounds.width()).min(inner.height() / bounds.height());
    let offset = inner.center() - bounds.center().to_vec2() * scale;
    let at = |p: Pos2| pos2(p.x * scale, p.y * scale) + offset.to_vec2();
    let box_of = |r: Rect| Rect::from_min_max(at(r.min), at(r.max));
    let painter = painter.with_clip_rect(rect);
    for lane in &diagram.lanes {
        painter.rect_filled(box_of(lane.rect), CornerRadius::ZERO, lane.fill);
    }
    for edge in &diagram.edges {
        let color = if edge.dashed {
            edge.color.gamma_multiply(0.6)
        } else {
            edge.color
        };
        painter.add(CubicBezierShape::from_points_stroke(
            edge.curve.map(at),
            false,
            Color32::TRANSPARENT,
            Stroke::new(0.8, color),
        ));
    }
    for node in &diagram.nodes {
        let r = box_of(node.rect);
        let stroke = Stroke::new(1.0, node.stroke);
        match node.shape {
            Shape::Hexagon => {
                painter.add(EShape::convex_polygon(
                    geometry::hexagon(r),
                    node.fill,
                    stroke,
                ));
            }
            shape => {
                let radius = match shape {
                    Shape::Pill => r.height() / 2.0,
                    Shape::Cylinder => r.height() / 4.0,
                    _ => 2.0,
                };
                painter.add(RectShape::new(
                    r,
                    CornerRadius::same(radius.clamp(0.0, 255.0) as u8),
                    node.fill,
                    stroke,
                    StrokeKind::Inside,
                ));
            }
        }
    }
    for note in &diagram.notes {
        painter.rect_filled(box_of(note.rect), CornerRadius::same(1), note.fill);
    }
}
