//! File > Export: choose a format, see a preview of exactly what will be written, save it where
//! you choose, or copy the Mermaid text. Exporting never changes the map.

use std::path::Path;

use egui::{RichText, ScrollArea, TextureHandle, TextureOptions};

use super::path_field::PathField;
use crate::export::{self, Format, Options, geometry::Theme};
use crate::model::Map;
use crate::report::Finding;
use crate::sim::Builder;

/// What the export dialog remembers while open.
pub struct ExportDialog {
    pub kind: Format,
    pub theme: Theme,
    /// PNG pixels per canvas unit.
    pub scale: f32,
    /// Mark nodes with findings on SVG and PNG.
    pub badges: bool,
    /// Which way the Graphviz diagram runs.
    pub direction: export::Direction,
    /// Where the export goes: a path typed in the window (Browse asks the system dialog).
    pub field: PathField,
    /// The format the field's extension was set for.
    field_kind: Format,
    /// What the last save said (written, or why not), shown in the dialog.
    pub message: Option<Result<String, String>>,
    /// What the preview was made for, and the preview itself.
    made_for: Option<PreviewKey>,
    preview: Preview,
}

/// What a preview depends on: the map's revision, format, theme, badges, DOT direction, how
/// many findings the badges mark, and the pixel width a picture is shown at.
type PreviewKey = (u64, Format, Theme, bool, export::Direction, usize, u32);

enum Preview {
    None,
    Picture(TextureHandle, [u32; 2]),
    Text(String),
    Failed(String),
}

impl ExportDialog {
    /// The dialog for a map whose exports go to `base` plus the format's extension.
    pub fn new(theme: Theme, base: &Path) -> Self {
        let kind = Format::Svg;
        ExportDialog {
            kind,
            theme,
            scale: 2.0,
            badges: false,
            direction: export::Direction::Lr,
            field: PathField::for_save(
                &base.with_extension(kind.extension()),
                (kind.name(), kind.extension()),
            ),
            field_kind: kind,
            message: None,
            made_for: None,
            preview: Preview::None,
        }
    }
}

/// What the dialog asks of the window.
#[derive(Debug, PartialEq)]
pub enum ExportAction {
    None,
    Close,
    /// Copy this text to the clipboard.
    Copy(String),
    /// Say this in the status bar.
    Done(String),
}

/// What the window knows that an export needs: the map file as reports name it, its saved text
/// (for line numbers) and the simulation panel's profile and population.
pub struct ExportContext<'a> {
    pub file: &'a str,
    pub source: Option<&'a str>,
    pub population: Builder,
    /// The findings the canvas's badges mark, so the export's badges are the same.
    pub findings: &'a [Finding],
}

impl ExportDialog {
    /// The export options for what the dialog shows, with the window's context.
    fn options<'a>(&self, context: &ExportContext<'a>, population: Builder) -> Options<'a> {
        Options {
            theme: self.theme,
            scale: self.scale,
            badges: self.badges,
            population,
            file: context.file,
            source: context.source,
            direction: self.direction,
            findings: Some(context.findings),
        }
    }
}

/// The quick population: what the Markdown preview simulates so the window stays responsive.
fn preview_population(full: &Builder) -> Builder {
    Builder {
        users: full.users.min(super::simulation::QUICK_USERS),
        days: 1,
        ..full.clone()
    }
}

/// Draws the export window. `revision` keys the preview cache.
pub fn export_ui(
    ctx: &egui::Context,
    dialog: &mut ExportDialog,
    map: &Map,
    revision: u64,
    context: &ExportContext<'_>,
) -> ExportAction {
    let mut action = ExportAction::None;
    let mut open = true;
    egui::Window::new("Export")
        .open(&mut open)
        .collapsible(false)
        .default_size([720.0, 560.0])
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                for kind in Format::ALL {
                    ui.selectable_value(&mut dialog.kind, kind, kind.name());
                }
            });
            ui.horizontal(|ui| {
                if dialog.kind.is_picture() || dialog.kind == Format::Markdown {
                    ui.selectable_value(&mut dialog.theme, Theme::Light, "Light");
                    ui.selectable_value(&mut dialog.theme, Theme::Dark, "Dark");
                    ui.checkbox(&mut dialog.badges, "Finding badges");
                }
                if dialog.kind == Format::Dot {
                    ui.selectable_value(
                        &mut dialog.direction,
                        export::Direction::Lr,
                        "Left to right",
                    );
                    ui.selectable_value(
                        &mut dialog.direction,
                        export::Direction::Tb,
                        "Top to bottom",
                    );
                }
                if dialog.kind == Format::Png {
                    let label = ui.label("Scale");
                    ui.add(egui::Slider::new(&mut dialog.scale, 0.5..=4.0))
                        .labelled_by(label.id);
                }
            });
            ui.separator();
            // Pictures are rendered at the pixels they are shown at (in steps of 64, so a
            // resize does not re-render every frame): crisp, never a scaled-down texture.
            let shown_px = ((ui.available_width() - 16.0).max(64.0) * ctx.pixels_per_point() / 64.0)
                .round() as u32
                * 64;
            refresh(ctx, dialog, map, revision, context, shown_px);
            if dialog.kind == Format::Markdown {
                let p = &context.population;
                ui.weak(format!(
                    "The preview simulates {} users × 1 day; the saved report simulates the \
                     simulation panel's {} users × {} day(s), seed {}, profile {}.",
                    preview_population(p).users,
                    p.users,
                    p.days,
                    p.seed,
                    p.profile.name
                ));
            }
            // Room below the preview for the path field, its messages and the buttons.
            let height = (ui.available_height() - 120.0).max(200.0);
            ScrollArea::both()
                .max_height(height)
                .auto_shrink([false, false])
                .show(ui, |ui| match &dialog.preview {
                    Preview::Picture(texture, [w, h]) => {
                        let size = egui::vec2(*w as f32, *h as f32) / ctx.pixels_per_point();
                        ui.add(egui::Image::new((texture.id(), size)).alt_text("Export preview"));
                    }
                    Preview::Text(text) => {
                        ui.label(RichText::new(text).monospace());
                    }
                    Preview::Failed(message) => {
                        ui.colored_label(ui.visuals().error_fg_color, message);
                    }
                    Preview::None => {}
                });
            ui.separator();
            if dialog.field_kind != dialog.kind {
                let kind = dialog.kind;
                dialog.field.set_extension(kind.extension());
                dialog.field.set_filter((kind.name(), kind.extension()));
                dialog.field_kind = kind;
            }
            let submitted = dialog.field.ui(ui);
            match &dialog.message {
                Some(Ok(done)) => {
                    ui.label(done);
                }
                Some(Err(e)) => {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                None => {}
            }
            ui.horizontal(|ui| {
                if ui.button("Save").clicked() || submitted {
                    action = save(dialog, map, context);
                }
                if ui.button("Copy Mermaid").clicked() {
                    action = ExportAction::Copy(export::mermaid(map));
                }
                if ui.button("Close").clicked() {
                    action = ExportAction::Close;
                }
            });
        });
    if !open {
        action = ExportAction::Close;
    }
    action
}

fn refresh(
    ctx: &egui::Context,
    dialog: &mut ExportDialog,
    map: &Map,
    revision: u64,
    context: &ExportContext<'_>,
    shown_px: u32,
) {
    let key = (
        revision,
        dialog.kind,
        dialog.theme,
        dialog.badges,
        dialog.direction,
        context.findings.len(),
        if dialog.kind.is_picture() {
            shown_px
        } else {
            0
        },
    );
    if dialog.made_for == Some(key) {
        return;
    }
    dialog.made_for = Some(key);
    let options = dialog.options(context, preview_population(&context.population));
    dialog.preview = match dialog.kind {
        Format::Svg | Format::Png => {
            let badges: Vec<Finding> = options.badge_findings(map);
            // As wide as shown, but never more than twice the drawing's own size.
            let width = export::geometry::diagram(map, dialog.theme).bounds.width();
            let scale = (shown_px as f32 / width.max(1.0)).min(2.0 * ctx.pixels_per_point());
            match export::rgba(map, dialog.theme, scale, &badges) {
                Ok((w, h, pixels)) => {
                    let image = egui::ColorImage::from_rgba_premultiplied(
                        [w as usize, h as usize],
                        &pixels,
                    );
                    let texture = ctx.load_texture("export-preview", image, TextureOptions::LINEAR);
                    Preview::Picture(texture, [w, h])
                }
                Err(e) => Preview::Failed(e.to_string()),
            }
        }
        kind => match export::bytes(kind, map, &options, None) {
            Ok(bytes) => Preview::Text(String::from_utf8_lossy(&bytes).into_owned()),
            Err(e) => Preview::Failed(e),
        },
    };
}

fn save(dialog: &mut ExportDialog, map: &Map, context: &ExportContext<'_>) -> ExportAction {
    let Some(path) = dialog.field.path() else {
        dialog.message = Some(Err(
            "Type the file to write, or choose it with Browse.".into()
        ));
        return ExportAction::None;
    };
    let options = dialog.options(context, context.population.clone());
    match export::write(dialog.kind, map, &path, &options) {
        Ok(()) => {
            let done = format!("Exported {}", path.display());
            dialog.message = Some(Ok(done.clone()));
            ExportAction::Done(done)
        }
        Err(e) => {
            // The dialog stays open with the reason; the status bar says it too.
            let failed = format!("Export to {} failed: {e}", path.display());
            dialog.message = Some(Err(failed.clone()));
            ExportAction::Done(failed)
        }
    }
}
