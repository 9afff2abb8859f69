//! File > Export: choose a format, see a preview of exactly what will be written, save it where
//! you choose, or copy the Mermaid text. Exporting never changes the map.

use std::path::Path;

use egui::{RichText, ScrollArea, TextureHandle, TextureOptions};

use super::path_field::PathField;
use crate::compile;
use crate::export::{self, geometry::Theme};
use crate::model::{self, Map};
use crate::report::Finding;

/// An export format, as offered in the dialog.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExportKind {
    Svg,
    Png,
    Mermaid,
    Dot,
    Markdown,
}

impl ExportKind {
    pub const ALL: [ExportKind; 5] = [
        ExportKind::Svg,
        ExportKind::Png,
        ExportKind::Mermaid,
        ExportKind::Dot,
        ExportKind::Markdown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ExportKind::Svg => "SVG",
            ExportKind::Png => "PNG",
            ExportKind::Mermaid => "Mermaid",
            ExportKind::Dot => "Graphviz DOT",
            ExportKind::Markdown => "Markdown report",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportKind::Svg => "svg",
            ExportKind::Png => "png",
            ExportKind::Mermaid => "mmd",
            ExportKind::Dot => "dot",
            ExportKind::Markdown => "md",
        }
    }
}

/// What the export dialog remembers while open.
pub struct ExportDialog {
    pub kind: ExportKind,
    pub theme: Theme,
    /// PNG pixels per canvas unit.
    pub scale: f32,
    /// Mark nodes with findings on SVG and PNG.
    pub badges: bool,
    /// Where the export goes: a path typed in the window (Browse asks the system dialog).
    pub field: PathField,
    /// The format the field's extension was set for.
    field_kind: ExportKind,
    /// What the last save said (written, or why not), shown in the dialog.
    pub message: Option<Result<String, String>>,
    /// What the preview was made for, and the preview itself.
    made_for: Option<(u64, ExportKind, Theme, bool)>,
    preview: Preview,
}

enum Preview {
    None,
    Picture(TextureHandle, [u32; 2]),
    Text(String),
    Failed(String),
}

impl ExportDialog {
    /// The dialog for a map whose exports go to `base` plus the format's extension.
    pub fn new(theme: Theme, base: &Path) -> Self {
        let kind = ExportKind::Svg;
        ExportDialog {
            kind,
            theme,
            scale: 2.0,
            badges: false,
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

/// The bytes of an export (for Markdown, the report; its SVG goes beside it).
pub fn export_bytes(
    kind: ExportKind,
    map: &Map,
    theme: Theme,
    scale: f32,
    findings: &[Finding],
    file: &str,
    svg_name: Option<&str>,
) -> Result<Vec<u8>, String> {
    Ok(match kind {
        ExportKind::Svg => export::svg(map, theme, findings).into_bytes(),
        ExportKind::Png => export::png(map, theme, scale, findings).map_err(|e| e.to_string())?,
        ExportKind::Mermaid => export::mermaid(map).into_bytes(),
        ExportKind::Dot => export::dot(map).into_bytes(),
        ExportKind::Markdown => {
            let plan = compile::compile(map);
            let report = crate::sim::report_with_simulation(
                map,
                &plan,
                file,
                crate::sim::Builder::default(),
            )
            .map_err(|e| e.to_string())?;
            export::markdown_report(map, &plan, &report, svg_name).into_bytes()
        }
    })
}

/// Writes an export to `path` atomically (for Markdown, also `path` with `.svg`).
pub fn write_export(
    kind: ExportKind,
    path: &Path,
    map: &Map,
    theme: Theme,
    scale: f32,
    findings: &[Finding],
    file: &str,
) -> Result<(), String> {
    let mut svg_name = None;
    if kind == ExportKind::Markdown {
        let svg_path = path.with_extension("svg");
        let svg = export::svg(map, theme, findings);
        model::write_atomically(&svg_path, svg.as_bytes(), model::Backup::None, &mut |_| {
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        svg_name = svg_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
    }
    let bytes = export_bytes(kind, map, theme, scale, findings, file, svg_name.as_deref())?;
    model::write_atomically(path, &bytes, model::Backup::None, &mut |_| Ok(()))
        .map_err(|e| e.to_string())
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

/// Draws the export window. `revision` keys the preview cache.
pub fn export_ui(
    ctx: &egui::Context,
    dialog: &mut ExportDialog,
    map: &Map,
    revision: u64,
    findings: &[Finding],
    file: &str,
) -> ExportAction {
    let mut action = ExportAction::None;
    let mut open = true;
    egui::Window::new("Export")
        .open(&mut open)
        .collapsible(false)
        .default_size([720.0, 560.0])
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                for kind in ExportKind::ALL {
                    ui.selectable_value(&mut dialog.kind, kind, kind.name());
                }
            });
            ui.horizontal(|ui| {
                if matches!(
                    dialog.kind,
                    ExportKind::Svg | ExportKind::Png | ExportKind::Markdown
                ) {
                    ui.selectable_value(&mut dialog.theme, Theme::Light, "Light");
                    ui.selectable_value(&mut dialog.theme, Theme::Dark, "Dark");
                    ui.checkbox(&mut dialog.badges, "Finding badges");
                }
                if dialog.kind == ExportKind::Png {
                    let label = ui.label("Scale");
                    ui.add(egui::Slider::new(&mut dialog.scale, 0.5..=4.0))
                        .labelled_by(label.id);
                }
            });
            ui.separator();
            refresh(ctx, dialog, map, revision, findings, file);
            let height = (ui.available_height() - 40.0).max(200.0);
            ScrollArea::both()
                .max_height(height)
                .auto_shrink([false, false])
                .show(ui, |ui| match &dialog.preview {
                    Preview::Picture(texture, [w, h]) => {
                        let width = ui.available_width().min(*w as f32);
                        let size = egui::vec2(width, width * *h as f32 / (*w).max(1) as f32);
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
                    action = save(dialog, map, findings, file);
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
    findings: &[Finding],
    file: &str,
) {
    let key = (revision, dialog.kind, dialog.theme, dialog.badges);
    if dialog.made_for == Some(key) {
        return;
    }
    dialog.made_for = Some(key);
    let badges: &[Finding] = if dialog.badges { findings } else { &[] };
    dialog.preview = match dialog.kind {
        ExportKind::Svg | ExportKind::Png => match export::rgba(map, dialog.theme, 1.0, badges) {
            Ok((w, h, pixels)) => {
                let image =
                    egui::ColorImage::from_rgba_premultiplied([w as usize, h as usize], &pixels);
                let texture = ctx.load_texture("export-preview", image, TextureOptions::LINEAR);
                Preview::Picture(texture, [w, h])
            }
            Err(e) => Preview::Failed(e.to_string()),
        },
        kind => match export_bytes(kind, map, dialog.theme, dialog.scale, badges, file, None) {
            Ok(bytes) => Preview::Text(String::from_utf8_lossy(&bytes).into_owned()),
            Err(e) => Preview::Failed(e),
        },
    };
}

fn save(dialog: &mut ExportDialog, map: &Map, findings: &[Finding], file: &str) -> ExportAction {
    let Some(path) = dialog.field.path() else {
        dialog.message = Some(Err(
            "Type the file to write, or choose it with Browse.".into()
        ));
        return ExportAction::None;
    };
    let badges: &[Finding] = if dialog.badges { findings } else { &[] };
    let kind = dialog.kind;
    match write_export(kind, &path, map, dialog.theme, dialog.scale, badges, file) {
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
