//! The eframe app. For now a read-only viewer: the map drawn from its positions (lanes, nodes,
//! edges, notes), its population and its validation problems. The UI holds no business rules;
//! it calls `model`, `templates` and `export::geometry`.

mod canvas;
mod clipboard;
mod document;
mod layout;
mod recovery;

use std::path::PathBuf;
use std::process::ExitCode;

use egui::{RichText, ScrollArea};

use crate::export::geometry::{self, Diagram, Theme};
use crate::model::{self, Diagnostic, Group, Level, Map};
use crate::templates;

pub use canvas::{CanvasState, canvas_ui};
pub use clipboard::{ClipboardError, Fragment, copy_selection, paste};
pub use document::{
    Command, Document, EdgeEdit, EditError, HISTORY_LIMIT, LaneEdit, NodeEdit, NoteEdit, Selection,
};
pub use layout::{auto_layout, lane_at, search};
pub use recovery::{
    Recovery, RecoveryError, discard_recovery, find_recovery, recovery_dir, recovery_file,
    write_recovery, write_recovery_at,
};

/// What the window opens on.
#[derive(Clone, Debug)]
pub enum Startup {
    /// The bundled default template.
    Default,
    /// A map file.
    File(PathBuf),
}

/// Opens the window and runs until it is closed.
pub fn run(startup: Startup) -> ExitCode {
    let app = Viewer::open(&startup);
    if let Some(error) = &app.error {
        eprintln!("sessionmap: {error}");
    }
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1280.0, 800.0])
            .with_title(app.window_title()),
        ..Default::default()
    };
    match eframe::run_native("SessionMap", options, Box::new(|_cc| Ok(Box::new(app)))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sessionmap: cannot open a window: {e}");
            ExitCode::from(2)
        }
    }
}

/// The read-only map viewer.
pub struct Viewer {
    map: Map,
    /// Where the map came from: a file path or `templates/NAME.ron`.
    source: String,
    diagnostics: Vec<Diagnostic>,
    /// Why the requested file could not be opened; the window says so instead of drawing it.
    error: Option<String>,
    theme: Theme,
    diagram: Diagram,
    canvas: CanvasState,
}

impl Viewer {
    pub fn open(startup: &Startup) -> Self {
        match startup {
            Startup::Default => {
                let template = templates::find(templates::DEFAULT).unwrap_or(&templates::ALL[0]);
                match template.load() {
                    Ok(loaded) => Self::new(
                        loaded.map,
                        template.path().display().to_string(),
                        loaded.diagnostics,
                    ),
                    Err(e) => Self::failed(e.to_string()),
                }
            }
            Startup::File(path) => match model::load_file(path) {
                Ok(loaded) => Self::new(loaded.map, path.display().to_string(), loaded.diagnostics),
                Err(e) => Self::failed(e.to_string()),
            },
        }
    }

    pub fn new(map: Map, source: String, diagnostics: Vec<Diagnostic>) -> Self {
        let theme = Theme::Light;
        Viewer {
            diagram: geometry::diagram(&map, theme),
            map,
            source,
            diagnostics,
            error: None,
            theme,
            canvas: CanvasState::default(),
        }
    }

    fn failed(error: String) -> Self {
        let mut viewer = Self::new(Map::default(), String::new(), Vec::new());
        viewer.error = Some(error);
        viewer
    }

    pub fn window_title(&self) -> String {
        if self.error.is_some() {
            "SessionMap".to_owned()
        } else {
            format!("{} — {} — SessionMap", self.map.title, self.source)
        }
    }

    fn set_theme(&mut self, theme: Theme) {
        self.theme = theme;
        self.diagram = geometry::diagram(&self.map, theme);
    }

    /// The whole window's contents.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        // Panels and canvas share one theme, whatever the system prefers.
        let wanted = egui_theme(self.theme);
        if ui.ctx().theme() != wanted {
            ui.ctx().set_theme(wanted);
        }
        if ui.input(|i| i.key_pressed(egui::Key::F)) {
            self.canvas.fit(&self.diagram);
        }
        egui::Panel::top("toolbar").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.strong("SessionMap");
                ui.separator();
                ui.label(&self.map.title);
                ui.weak(&self.source);
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let dark = self.theme == Theme::Dark;
                    if ui
                        .button(if dark { "☀ Light" } else { "🌙 Dark" })
                        .clicked()
                    {
                        self.set_theme(if dark { Theme::Light } else { Theme::Dark });
                    }
                    if ui.button("Fit (F)").clicked() {
                        self.canvas.fit(&self.diagram);
                    }
                });
            });
        });
        if let Some(error) = &self.error {
            egui::CentralPanel::default().show(ui, |ui| {
                ui.heading("This map could not be opened");
                ui.add_space(8.0);
                ui.label(
                    RichText::new(error)
                        .monospace()
                        .color(ui.visuals().error_fg_color),
                );
                ui.add_space(8.0);
                ui.label("Nothing was changed on disk. Fix the file and open it again.");
            });
            return;
        }
        egui::Panel::left("map-info")
            .resizable(true)
            .default_size(260.0)
            .show(ui, |ui| {
                ScrollArea::vertical().show(ui, |ui| self.info_ui(ui));
            });
        egui::CentralPanel::default()
            .frame(egui::Frame::new().fill(self.diagram.colors.background))
            .show(ui, |ui| {
                canvas_ui(ui, &mut self.canvas, &self.diagram);
            });
    }

    fn info_ui(&self, ui: &mut egui::Ui) {
        ui.heading(&self.map.title);
        if !self.map.description.is_empty() {
            ui.label(&self.map.description);
        }
        ui.add_space(6.0);
        ui.label(format!(
            "{} nodes · {} edges · {} lanes · {} notes",
            self.map.nodes.len(),
            self.map.edges.len(),
            self.map.lanes.len(),
            self.map.notes.len()
        ));
        ui.separator();
        ui.strong("Legend");
        for group in Group::ALL {
            let (fill, stroke) = self.theme.group_colors(group);
            ui.horizontal(|ui| {
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
                ui.painter().rect(
                    rect,
                    3,
                    fill,
                    egui::Stroke::new(1.5, stroke),
                    egui::StrokeKind::Inside,
                );
                ui.label(format!("{} {}", geometry::group_icon(group), group.title()));
            });
        }
        ui.separator();
        ui.strong("Population");
        let total: u32 = self
            .map
            .personas
            .iter()
            .map(|p| p.share)
            .sum::<u32>()
            .max(1);
        for persona in &self.map.personas {
            ui.label(format!(
                "{} — {:.0} %",
                persona.name,
                f64::from(persona.share) * 100.0 / f64::from(total)
            ));
        }
        if !self.diagnostics.is_empty() {
            ui.separator();
            ui.strong(format!("Problems ({})", self.diagnostics.len()));
            for d in &self.diagnostics {
                let color = match d.level {
                    Level::Error => ui.visuals().error_fg_color,
                    Level::Warning => ui.visuals().warn_fg_color,
                };
                ui.label(RichText::new(d.to_string()).color(color).small());
            }
        }
    }
}

fn egui_theme(theme: Theme) -> egui::Theme {
    match theme {
        Theme::Light => egui::Theme::Light,
        Theme::Dark => egui::Theme::Dark,
    }
}

impl eframe::App for Viewer {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        Viewer::ui(self, ui);
    }
}
