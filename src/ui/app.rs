//! The editor window: menus and shortcuts, the palette, the canvas, the inspector and the
//! status bar around one [`Document`]. Panels return [`Command`]s; [`Editor::apply`] is the only
//! place they reach the document, so undo/redo, autosave and the live lint see every change.

use std::path::{Path, PathBuf};
use std::time::Duration;

use egui::{Key, KeyboardShortcut, Modifiers, RichText, ScrollArea};

use super::Startup;
use super::canvas::{self, CanvasState};
use super::export_dialog::{self, ExportAction, ExportDialog};
use super::gallery::{self, GalleryChoice, GalleryState};
use super::inspector::{self, InspectorState};
use super::palette::{self, PaletteState};
use super::path_field::{self, PathField};
use super::replay::{self, Replay};
use super::simulation::{self, SimulationPanel};
use crate::compile::{self, Profile};
use crate::editor::{self, Command, Document, Selection};
use crate::export::geometry::{self, Diagram, Theme};
use crate::model::{self, Level};
use crate::report::Finding;
use crate::templates;

/// How often a dirty document is written to the recovery file.
const AUTOSAVE_EVERY: Duration = Duration::from_secs(5);
/// Recent files remembered.
const RECENT_MAX: usize = 8;
/// The file type of maps, for the path field and the system dialog.
const MAP_FILTER: (&str, &str) = ("SessionMap map", "ron");

/// A keyboard shortcut, shown in menus and the help overlay.
struct Shortcut {
    keys: KeyboardShortcut,
    what: &'static str,
}

const fn shortcut(modifiers: Modifiers, key: Key, what: &'static str) -> Shortcut {
    Shortcut {
        keys: KeyboardShortcut::new(modifiers, key),
        what,
    }
}

const CMD: Modifiers = Modifiers::COMMAND;
const CMD_SHIFT: Modifiers = Modifiers {
    shift: true,
    ..Modifiers::COMMAND
};
const NEW: Shortcut = shortcut(CMD, Key::N, "New from template");
const OPEN: Shortcut = shortcut(CMD, Key::O, "Open…");
const SAVE: Shortcut = shortcut(CMD, Key::S, "Save");
const SAVE_AS: Shortcut = shortcut(CMD_SHIFT, Key::S, "Save as…");
const EXPORT: Shortcut = shortcut(CMD, Key::E, "Export…");
const UNDO: Shortcut = shortcut(CMD, Key::Z, "Undo");
const REDO: Shortcut = shortcut(CMD_SHIFT, Key::Z, "Redo");
const REDO_Y: Shortcut = shortcut(CMD, Key::Y, "Redo");
const COPY: Shortcut = shortcut(CMD, Key::C, "Copy");
const CUT: Shortcut = shortcut(CMD, Key::X, "Cut");
const DUPLICATE: Shortcut = shortcut(CMD, Key::D, "Duplicate");
const SELECT_ALL: Shortcut = shortcut(CMD, Key::A, "Select all");
const FIND: Shortcut = shortcut(CMD, Key::F, "Find a node");
const LAYOUT: Shortcut = shortcut(CMD_SHIFT, Key::L, "Auto-layout");
const DELETE: Shortcut = shortcut(Modifiers::NONE, Key::Delete, "Delete");
const BACKSPACE: Shortcut = shortcut(Modifiers::NONE, Key::Backspace, "Delete");
const FIT: Shortcut = shortcut(Modifiers::NONE, Key::F, "Zoom to fit");
const ZOOM_SELECTION: Shortcut = shortcut(Modifiers::SHIFT, Key::F, "Zoom to selection");
const PRESENT: Shortcut = shortcut(Modifiers::NONE, Key::F5, "Presentation mode");
const HELP: Shortcut = shortcut(Modifiers::NONE, Key::F1, "Keyboard shortcuts");
const ESCAPE: Shortcut = shortcut(Modifiers::NONE, Key::Escape, "Cancel / deselect");

/// Shortcuts handled by the canvas itself, listed in the help overlay.
const CANVAS_KEYS: &[(&str, &str)] = &[
    ("Arrows", "Nudge the selection (Shift: 10×)"),
    ("+ / −", "Zoom in / out"),
    ("Drag empty space, middle mouse, scroll", "Pan"),
    ("Ctrl + scroll, pinch", "Zoom"),
    ("Shift + drag", "Select with a box"),
    ("Drag a node's handle to another node", "Connect"),
    ("?", "This help"),
];

/// What the window opens with, beyond the map: where recovery files go (none in tests).
#[derive(Clone, Debug, Default)]
pub struct EditorOptions {
    /// Folder for the autosave recovery file; `None` turns autosave off.
    pub recovery_dir: Option<PathBuf>,
}

/// Preferences that persist between runs (eframe storage).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
struct Preferences {
    dark: bool,
    recent: Vec<PathBuf>,
    snap: bool,
    minimap: bool,
}

const PREFERENCES_KEY: &str = "sessionmap-preferences";

/// A question the window is waiting on.
enum Dialog {
    /// The document has unsaved changes; what to do before `then`. `error` is why saving
    /// failed: the prompt stays, and so does the work.
    Discard {
        then: Pending,
        error: Option<String>,
    },
    /// Where to save the document (then do `then`, if anything waits on the save).
    SaveAs {
        field: PathField,
        then: Option<Pending>,
        error: Option<String>,
    },
    /// Which file to open.
    Open {
        field: PathField,
        error: Option<String>,
    },
    /// A recovery file from a crashed session was found.
    Recover(Box<editor::Recovery>),
    /// Something went wrong; say so.
    Error(String),
    /// New from template.
    Gallery,
}

/// What finding badges were computed for: the diagram's revision and theme, and the simulated
/// results (their revision and finding count).
type BadgeKey = ((u64, Theme), Option<(u64, usize)>);

/// What the window derives from the document, rebuilt when its revision or the theme changes.
struct Built {
    /// The document revision and theme these were built for.
    key: (u64, Theme),
    diagram: Diagram,
    /// The map compiled (the inspector shows what each node sets).
    plan: compile::Plan,
    /// The static findings at the default profile.
    findings: Vec<Finding>,
    /// Finding badges and what they were computed for (diagram, simulated findings).
    badges: (Option<BadgeKey>, Vec<geometry::Badge>),
}

impl Built {
    /// Not yet built for `doc` (the first `refresh` builds it).
    fn new(doc: &Document, theme: Theme) -> Self {
        Built {
            key: (u64::MAX, theme),
            diagram: geometry::diagram(doc.map(), theme),
            plan: compile::compile(&model::Map::default()),
            findings: Vec::new(),
            badges: (None, Vec::new()),
        }
    }

    fn refresh(&mut self, doc: &Document, theme: Theme) {
        let key = (doc.revision(), theme);
        if self.key == key {
            return;
        }
        self.key = key;
        self.diagram = geometry::diagram(doc.map(), theme);
        self.plan = compile::compile(doc.map());
        self.findings = compile::lint(doc.map(), &self.plan, Profile::default_profile());
    }
}

/// The crash-recovery autosave: when it last ran and which revision it wrote.
#[derive(Default)]
struct Autosave {
    last: f64,
    revision: Option<u64>,
}

/// What the user answered in a dialog this frame.
enum Answer {
    Wait,
    Close,
    Proceed(Pending),
    SaveThen(Pending),
    SaveAt(PathBuf, Option<Pending>),
    OpenAt(PathBuf),
    Template(&'static str),
    Blank,
    Restore,
    DiscardRecovery,
}

/// What waits for an answer to "discard changes?".
#[derive(Clone, Debug)]
enum Pending {
    Open(PathBuf),
    OpenDialog,
    Template(&'static str),
    Blank,
    Quit,
}

/// The editor window.
pub struct Editor {
    doc: Document,
    /// Where the document came from, shown when it has no file yet (`templates/banking.ron`).
    origin: String,
    /// Why the requested file could not be opened; shown instead of the canvas until another
    /// file is opened. Nothing on disk is touched.
    error: Option<String>,
    selection: Selection,
    canvas: CanvasState,
    palette: PaletteState,
    inspector: InspectorState,
    gallery: GalleryState,
    theme: Theme,
    /// What is derived from the document for drawing and inspecting.
    built: Built,
    prefs: Preferences,
    options: EditorOptions,
    dialog: Option<Dialog>,
    help: bool,
    presenting: bool,
    find: Option<String>,
    export: Option<ExportDialog>,
    sim: SimulationPanel,
    replay: Option<Replay>,
    show_sim: bool,
    autosave: Autosave,
    title: String,
    quitting: bool,
    status: String,
}

impl Editor {
    /// The editor on a startup choice; a file that fails to load shows its error.
    pub fn open(startup: &Startup, options: EditorOptions) -> Self {
        let (doc, origin, error) = match startup {
            Startup::Default => match default_template() {
                Ok((doc, origin)) => (doc, origin, None),
                Err(e) => (Document::default(), String::new(), Some(e)),
            },
            Startup::File(path) => match Document::open(path) {
                Ok(doc) => (doc, path.display().to_string(), None),
                Err(e) => (Document::default(), String::new(), Some(e.to_string())),
            },
        };
        let theme = Theme::Light;
        let mut editor = Editor {
            built: Built::new(&doc, theme),
            doc,
            origin,
            error,
            selection: Selection::default(),
            canvas: CanvasState::default(),
            palette: PaletteState::default(),
            inspector: InspectorState::default(),
            gallery: GalleryState::default(),
            theme,
            prefs: Preferences::default(),
            dialog: None,
            help: false,
            presenting: false,
            find: None,
            export: None,
            sim: SimulationPanel::default(),
            replay: None,
            show_sim: true,
            autosave: Autosave::default(),
            title: String::new(),
            quitting: false,
            status: String::new(),
            options,
        };
        if let Some(dir) = &editor.options.recovery_dir {
            match editor::find_recovery(dir) {
                Ok(Some(found)) => editor.dialog = Some(Dialog::Recover(Box::new(found))),
                Ok(None) => {}
                Err(e) => editor.status = format!("A recovery file could not be read: {e}"),
            }
        }
        editor.rebuild();
        editor
    }

    /// The document being edited (for tests and the CLI).
    pub fn document(&self) -> &Document {
        &self.doc
    }

    /// The current selection.
    pub fn selection(&self) -> &Selection {
        &self.selection
    }

    /// The static findings of the current map, as the status bar counts them.
    pub fn findings(&self) -> &[Finding] {
        &self.built.findings
    }

    /// The title the window shows: file name, an unsaved marker, the app.
    pub fn window_title(&self) -> String {
        if self.error.is_some() {
            return "SessionMap".to_owned();
        }
        let name = self
            .doc
            .path()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("{} (unsaved)", self.doc.map().title));
        let dirty = if self.doc.is_dirty() { " •" } else { "" };
        format!("{name}{dirty} — SessionMap")
    }

    /// Applies panel intents to the document; refused ones show in the status bar.
    pub fn apply(&mut self, commands: impl IntoIterator<Item = Command>) {
        for command in commands {
            let what = command.description();
            if let Err(e) = self.doc.apply(command) {
                self.status = format!("{what}: {e}");
            }
        }
        self.forget_missing();
    }

    fn forget_missing(&mut self) {
        let map = self.doc.map();
        self.selection
            .nodes
            .retain(|id| map.nodes.iter().any(|n| &n.id == id));
        self.selection
            .edges
            .retain(|id| map.edges.iter().any(|e| &e.id == id));
        self.selection
            .notes
            .retain(|id| map.notes.iter().any(|n| &n.id == id));
    }

    /// Rebuilds what is derived from the map when it (or the theme) changed.
    fn rebuild(&mut self) {
        self.built.refresh(&self.doc, self.theme);
    }

    fn set_theme(&mut self, theme: Theme) {
        self.theme = theme;
        self.prefs.dark = theme == Theme::Dark;
        self.rebuild();
    }

    /// Restores preferences saved by a previous run.
    pub fn load_preferences(&mut self, storage: &dyn eframe::Storage) {
        if let Some(prefs) = eframe::get_value::<Preferences>(storage, PREFERENCES_KEY) {
            self.prefs = prefs;
            self.canvas.snap = self.prefs.snap;
            self.canvas.minimap = self.prefs.minimap;
            self.set_theme(if self.prefs.dark {
                Theme::Dark
            } else {
                Theme::Light
            });
        }
    }

    // ----- files -----

    fn load(&mut self, path: &Path) {
        match Document::open(path) {
            Ok(doc) => {
                self.doc = doc;
                self.origin = path.display().to_string();
                self.error = None;
                self.selection = Selection::default();
                self.canvas.fit_next_frame();
                self.remember(path);
                self.status = format!("Opened {}", path.display());
                self.switched_map();
            }
            Err(e) => self.dialog = Some(Dialog::Error(e.to_string())),
        }
    }

    /// Another map is now the document: what was derived from the old one goes (a new document
    /// starts again at revision 0, so nothing keyed by revision alone may survive), and the
    /// quick simulation of the new one starts at once.
    fn switched_map(&mut self) {
        self.built.key.0 = u64::MAX;
        self.rebuild();
        self.sim.new_map();
        self.replay = None;
        self.export = None;
        self.built.badges = (None, Vec::new());
    }

    fn start_from_template(&mut self, name: &str) {
        let Some(template) = templates::find(name) else {
            return;
        };
        match template.load() {
            Ok(loaded) => {
                self.doc = Document::new(loaded.map, None);
                self.origin = template.path().display().to_string();
                self.error = None;
                self.selection = Selection::default();
                self.canvas.fit_next_frame();
                self.switched_map();
            }
            Err(e) => self.dialog = Some(Dialog::Error(e.to_string())),
        }
    }

    fn remember(&mut self, path: &Path) {
        let path = path.to_path_buf();
        self.prefs.recent.retain(|p| p != &path);
        self.prefs.recent.insert(0, path);
        self.prefs.recent.truncate(RECENT_MAX);
    }

    /// Saves to the document's file, or asks where (then does `then`).
    fn save(&mut self, then: Option<Pending>) {
        let Some(path) = self.doc.path().map(Path::to_path_buf) else {
            self.save_as(then);
            return;
        };
        match self.write_to(&path) {
            Ok(()) => {
                if let Some(then) = then {
                    self.proceed(then);
                }
            }
            Err(e) => {
                self.dialog = Some(match then {
                    // "Save changes?" stays open with the reason: the work is not lost.
                    Some(then) => Dialog::Discard {
                        then,
                        error: Some(e),
                    },
                    None => Dialog::Error(e),
                })
            }
        }
    }

    /// Asks where to save: a path field prefilled beside the document (or in the working
    /// folder), with Browse for the system dialog.
    fn save_as(&mut self, then: Option<Pending>) {
        let name = self.doc.path().and_then(Path::file_name).map_or_else(
            || format!("{}.ron", slug(&self.doc.map().title)),
            |n| n.to_string_lossy().into_owned(),
        );
        let suggested = path_field::default_folder(self.doc.path()).join(name);
        self.dialog = Some(Dialog::SaveAs {
            field: PathField::for_save(&suggested, MAP_FILTER),
            then,
            error: None,
        });
    }

    /// Saves atomically to `path`; the recovery file goes once the work is safe. Returns
    /// whether it was saved (a failure is shown).
    pub fn save_to(&mut self, path: &Path) -> bool {
        match self.write_to(path) {
            Ok(()) => true,
            Err(e) => {
                self.dialog = Some(Dialog::Error(e));
                false
            }
        }
    }

    fn write_to(&mut self, path: &Path) -> Result<(), String> {
        self.doc.save_as(path).map_err(|e| e.to_string())?;
        self.remember(path);
        self.origin = path.display().to_string();
        self.status = format!("Saved {}", path.display());
        if let Some(dir) = &self.options.recovery_dir {
            let _ = editor::discard_recovery(dir);
        }
        Ok(())
    }

    fn open_dialog(&mut self) {
        let folder = path_field::default_folder(self.doc.path());
        self.dialog = Some(Dialog::Open {
            field: PathField::for_open(&folder, MAP_FILTER),
            error: None,
        });
    }

    /// Runs `then` now, or first asks whether to discard unsaved changes.
    fn guarded(&mut self, then: Pending) {
        if self.doc.is_dirty() && self.error.is_none() {
            self.dialog = Some(Dialog::Discard { then, error: None });
        } else {
            self.proceed(then);
        }
    }

    fn proceed(&mut self, then: Pending) {
        match then {
            Pending::Open(path) => self.load(&path),
            Pending::OpenDialog => self.open_dialog(),
            Pending::Template(name) => self.start_from_template(name),
            Pending::Blank => {
                self.doc = Document::new(model::Map::blank(), None);
                self.origin = "a blank map".to_owned();
                self.error = None;
                self.selection = Selection::default();
                self.canvas.fit_next_frame();
                self.switched_map();
            }
            Pending::Quit => self.quitting = true,
        }
    }

    fn autosave(&mut self, now: f64) {
        let Some(dir) = self.options.recovery_dir.clone() else {
            return;
        };
        if !self.doc.is_dirty() || now - self.autosave.last < AUTOSAVE_EVERY.as_secs_f64() {
            return;
        }
        if self.autosave.revision == Some(self.doc.revision()) {
            return;
        }
        self.autosave.last = now;
        match editor::write_recovery(&dir, &self.doc) {
            Ok(()) => self.autosave.revision = Some(self.doc.revision()),
            Err(e) => self.status = format!("Autosave failed: {e}"),
        }
    }

    // ----- editing -----

    fn copy(&mut self, ctx: &egui::Context) {
        if self.selection.is_empty() {
            return;
        }
        match editor::copy_selection(self.doc.map(), &self.selection) {
            Ok(text) => {
                ctx.copy_text(text);
                self.status = format!("Copied {} item(s)", self.selection.len());
            }
            Err(e) => self.status = format!("Copy: {e}"),
        }
    }

    fn paste_text(&mut self, text: &str, at: Option<model::Pos>) {
        match editor::paste(self.doc.map(), text, at) {
            Ok(command) => {
                self.apply([command]);
                self.selection = self.doc.last_created().clone();
            }
            Err(e) => self.status = format!("Paste: {e}"),
        }
    }

    fn duplicate(&mut self) {
        if let Ok(text) = editor::copy_selection(self.doc.map(), &self.selection) {
            self.paste_text(&text, None);
        }
    }

    fn delete(&mut self) {
        if !self.selection.is_empty() {
            let selection = std::mem::take(&mut self.selection);
            self.apply([Command::Remove(selection)]);
        }
    }

    fn undo(&mut self) {
        if self.doc.undo() {
            self.forget_missing();
        }
    }

    fn redo(&mut self) {
        if self.doc.redo() {
            self.forget_missing();
        }
    }

    fn auto_layout(&mut self) {
        let scope = (self.selection.nodes.len() > 1).then_some(&self.selection);
        if let Some(command) = editor::auto_layout(self.doc.map(), scope) {
            self.apply([command]);
            self.canvas.fit_next_frame();
        }
    }

    /// Keyboard shortcuts that act on the document or the window (the canvas handles its own).
    fn shortcuts(&mut self, ctx: &egui::Context) {
        let typing = ctx.egui_wants_keyboard_input();
        let pressed = |s: &Shortcut| ctx.input_mut(|i| i.consume_shortcut(&s.keys));
        if pressed(&NEW) {
            self.dialog = Some(Dialog::Gallery);
        }
        if pressed(&OPEN) {
            self.guarded(Pending::OpenDialog);
        }
        if pressed(&SAVE_AS) {
            self.save_as(None);
        }
        if pressed(&SAVE) {
            self.save(None);
        }
        if pressed(&EXPORT) {
            self.open_export();
        }
        if pressed(&HELP) {
            self.help = !self.help;
        }
        if pressed(&PRESENT) {
            self.presenting = !self.presenting;
        }
        if pressed(&FIND) {
            self.find = Some(String::new());
        }
        if typing {
            return;
        }
        if pressed(&REDO) || pressed(&REDO_Y) {
            self.redo();
        }
        if pressed(&UNDO) {
            self.undo();
        }
        if pressed(&CUT) {
            self.copy(ctx);
            self.delete();
        }
        if pressed(&DUPLICATE) {
            self.duplicate();
        }
        if pressed(&SELECT_ALL) {
            self.selection = Selection::all(self.doc.map());
        }
        if pressed(&LAYOUT) {
            self.auto_layout();
        }
        if pressed(&DELETE) || pressed(&BACKSPACE) {
            self.delete();
        }
        if pressed(&ZOOM_SELECTION) {
            self.canvas.zoom_to(&self.built.diagram, &self.selection);
        }
        if pressed(&FIT) {
            self.canvas.fit(&self.built.diagram);
        }
        // An open menu or drop-down takes Escape itself (to close).
        if !egui::Popup::is_any_open(ctx) && pressed(&ESCAPE) {
            if self.help {
                self.help = false;
            } else if self.presenting {
                self.presenting = false;
            } else {
                self.palette.armed = None;
                self.selection = Selection::default();
            }
        }
        let (copied, pasted, question) = ctx.input(|i| {
            let mut copied = false;
            let mut pasted = None;
            for event in &i.events {
                match event {
                    egui::Event::Copy => copied = true,
                    egui::Event::Cut => copied = true,
                    egui::Event::Paste(text) => pasted = Some(text.clone()),
                    _ => {}
                }
            }
            let question = i
                .events
                .iter()
                .any(|e| matches!(e, egui::Event::Text(t) if t == "?"));
            (copied, pasted, question)
        });
        if copied || pressed(&COPY) {
            self.copy(ctx);
        }
        if let Some(text) = pasted {
            self.paste_text(&text, None);
        }
        if question {
            self.help = !self.help;
        }
    }

    // ----- drawing -----

    /// The whole window's contents.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let wanted = if self.theme == Theme::Dark {
            egui::Theme::Dark
        } else {
            egui::Theme::Light
        };
        if ctx.theme() != wanted {
            ctx.set_theme(wanted);
        }
        self.dropped_files(&ctx);
        self.shortcuts(&ctx);
        self.rebuild();
        let file = self
            .doc
            .path()
            .map_or_else(|| self.origin.clone(), |p| p.display().to_string());
        if self.error.is_none() {
            self.sim
                .poll(&ctx, self.doc.map(), self.doc.revision(), &file);
        }
        if !self.presenting {
            self.menu_bar(ui);
            self.status_bar(ui);
        }
        // Shown after the status bar, so it sits just above it.
        if self.replay.is_some() && self.error.is_none() {
            egui::Panel::bottom("replay").show(ui, |ui| {
                if let Some(r) = &mut self.replay
                    && !replay::replay_ui(ui, r)
                {
                    self.replay = None;
                }
            });
        }
        if !self.presenting && self.show_sim && self.error.is_none() {
            self.simulation_panel(ui, &file);
        }
        if let Some(error) = self.error.clone() {
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
            self.dialogs(&ctx);
            return;
        }
        if self.presenting {
            self.presentation_findings(ui);
        }
        if !self.presenting {
            egui::Panel::left("palette")
                .resizable(true)
                .default_size(190.0)
                .show(ui, |ui| {
                    ScrollArea::vertical().show(ui, |ui| {
                        palette::palette_ui(ui, &mut self.palette, self.theme);
                    });
                });
            egui::Panel::right("inspector")
                .resizable(true)
                .default_size(300.0)
                .show(ui, |ui| {
                    ScrollArea::vertical().show(ui, |ui| {
                        let out = inspector::inspector_ui(
                            ui,
                            &mut self.inspector,
                            self.doc.map(),
                            &self.built.plan,
                            &self.selection,
                            &self.built.findings,
                        );
                        if out.close_undo_step {
                            self.doc.close_undo_step();
                        }
                        if !out.commands.is_empty() {
                            self.apply(out.commands);
                        }
                        self.problems_ui(ui);
                    });
                });
            let focused = ui.ctx().memory(|m| m.focused());
            let key = egui::Id::unique("sessionmap-focused-last-frame");
            let before = ui
                .ctx()
                .data(|d| d.get_temp::<Option<egui::Id>>(key).flatten());
            ui.ctx().data_mut(|d| d.insert_temp(key, focused));
            if before.is_some() && focused != before {
                // A text field lost focus: the next edit starts a new undo step. Only then, not
                // on every frame without focus, or a drag on the canvas would be a step a frame.
                self.doc.close_undo_step();
            }
        }
        egui::CentralPanel::default()
            .frame(egui::Frame::new().fill(self.built.diagram.colors.background))
            .show(ui, |ui| {
                if self.presenting {
                    ctx.set_zoom_factor(1.5);
                } else if (ctx.zoom_factor() - 1.5).abs() < f32::EPSILON {
                    ctx.set_zoom_factor(1.0);
                }
                let overlay = self.overlay();
                // The smallest text in physical pixels (projector-sized when presenting), in
                // the points the canvas works in.
                let px = if self.presenting {
                    canvas::MIN_TEXT_PRESENTING
                } else {
                    canvas::MIN_TEXT
                };
                self.canvas.min_text = px / ctx.pixels_per_point();
                let out = canvas::canvas_ui(
                    ui,
                    &mut self.canvas,
                    &self.built.diagram,
                    self.doc.map(),
                    &mut self.selection,
                    &mut self.palette,
                    &overlay,
                );
                if out.close_undo_step {
                    self.doc.close_undo_step();
                }
                if !out.commands.is_empty() {
                    self.apply(out.commands);
                    if out.select_created {
                        self.selection = self.doc.last_created().clone();
                    }
                }
            });
        self.export_ui(&ctx);
        self.find_ui(&ctx);
        self.help_ui(&ctx);
        self.dialogs(&ctx);
        let now = ctx.input(|i| i.time);
        self.autosave(now);
        let title = self.window_title();
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
        self.close_requests(&ctx);
    }

    fn menu_bar(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("menu").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| {
                ui.menu_button("File", |ui| {
                    if item(ui, &NEW) {
                        self.dialog = Some(Dialog::Gallery);
                    }
                    if item(ui, &OPEN) {
                        self.guarded(Pending::OpenDialog);
                    }
                    ui.menu_button("Open recent", |ui| {
                        if self.prefs.recent.is_empty() {
                            ui.weak("No recent files");
                        }
                        for path in self.prefs.recent.clone() {
                            if ui.button(path.display().to_string()).clicked() {
                                self.guarded(Pending::Open(path));
                            }
                        }
                    });
                    ui.separator();
                    if item(ui, &SAVE) {
                        self.save(None);
                    }
                    if item(ui, &SAVE_AS) {
                        self.save_as(None);
                    }
                    ui.separator();
                    if item(ui, &EXPORT) {
                        self.open_export();
                    }
                    if ui.button("Copy as Mermaid").clicked() {
                        ui.ctx().copy_text(crate::export::mermaid(self.doc.map()));
                        self.status = "Copied the map as a Mermaid flowchart".to_owned();
                    }
                    ui.separator();
                    if ui.button("Quit").clicked() {
                        self.guarded(Pending::Quit);
                    }
                });
                ui.menu_button("Edit", |ui| {
                    let undo = match self.doc.undo_description() {
                        Some(what) => format!("Undo {what}"),
                        None => "Undo".to_owned(),
                    };
                    if ui
                        .add_enabled(self.doc.can_undo(), shortcut_button(ui, &undo, &UNDO))
                        .clicked()
                    {
                        self.undo();
                    }
                    let redo = match self.doc.redo_description() {
                        Some(what) => format!("Redo {what}"),
                        None => "Redo".to_owned(),
                    };
                    if ui
                        .add_enabled(self.doc.can_redo(), shortcut_button(ui, &redo, &REDO))
                        .clicked()
                    {
                        self.redo();
                    }
                    ui.separator();
                    if item(ui, &CUT) {
                        let ctx = ui.ctx().clone();
                        self.copy(&ctx);
                        self.delete();
                    }
                    if item(ui, &COPY) {
                        let ctx = ui.ctx().clone();
                        self.copy(&ctx);
                    }
                    if item(ui, &DUPLICATE) {
                        self.duplicate();
                    }
                    if item(ui, &DELETE) {
                        self.delete();
                    }
                    if item(ui, &SELECT_ALL) {
                        self.selection = Selection::all(self.doc.map());
                    }
                    ui.separator();
                    if item(ui, &FIND) {
                        self.find = Some(String::new());
                    }
                    if item(ui, &LAYOUT) {
                        self.auto_layout();
                    }
                });
                ui.menu_button("View", |ui| {
                    if item(ui, &FIT) {
                        self.canvas.fit(&self.built.diagram);
                    }
                    if item(ui, &ZOOM_SELECTION) {
                        self.canvas.zoom_to(&self.built.diagram, &self.selection);
                    }
                    ui.separator();
                    let dark = self.theme == Theme::Dark;
                    if ui
                        .button(if dark {
                            "☀ Light theme"
                        } else {
                            "🌙 Dark theme"
                        })
                        .clicked()
                    {
                        self.set_theme(if dark { Theme::Light } else { Theme::Dark });
                    }
                    if ui.checkbox(&mut self.canvas.snap, "Snap to grid").changed() {
                        self.prefs.snap = self.canvas.snap;
                    }
                    if ui.checkbox(&mut self.canvas.minimap, "Minimap").changed() {
                        self.prefs.minimap = self.canvas.minimap;
                    }
                    ui.checkbox(&mut self.show_sim, "Simulation panel");
                    if item(ui, &PRESENT) {
                        self.presenting = true;
                    }
                });
                ui.menu_button("Help", |ui| {
                    if item(ui, &HELP) {
                        self.help = true;
                    }
                });
                ui.separator();
                ui.label(RichText::new(&self.doc.map().title).strong());
                ui.weak(match self.doc.path() {
                    Some(p) => p.display().to_string(),
                    None => format!("{} (not saved yet)", self.origin),
                });
            });
        });
    }

    fn simulation_panel(&mut self, ui: &mut egui::Ui, file: &str) {
        let mut output = None;
        egui::Panel::bottom("simulation")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| {
                output = Some(simulation::simulation_ui(
                    ui,
                    &mut self.sim,
                    self.doc.map(),
                    self.doc.revision(),
                    file,
                ));
            });
        let Some(output) = output else {
            return;
        };
        if let Some(show) = output.show_stale_full {
            self.sim.show_stale_full = show;
        }
        if let Some(text) = output.copy {
            ui.ctx().copy_text(text);
            self.status = "Copied the finding's evidence as a Mermaid sequence diagram".to_owned();
        }
        if let Some(finding) = output.replay {
            self.selection = Selection::of_nodes(finding.nodes.clone());
            self.canvas.zoom_to(&self.built.diagram, &self.selection);
            self.replay = Some(Replay::new(finding));
        }
        if let Some(nodes) = output.select {
            self.selection = Selection::of_nodes(nodes);
            self.canvas.zoom_to(&self.built.diagram, &self.selection);
        }
        if !output.commands.is_empty() {
            self.apply(output.commands);
        }
    }

    /// In presentation mode: the findings in large type beside the canvas.
    fn presentation_findings(&mut self, ui: &mut egui::Ui) {
        let Some(result) = self.sim.current(self.doc.revision()) else {
            return;
        };
        let findings = &result.report.findings;
        let mut picked = None;
        let mut shown = self.show_sim;
        if !shown {
            // The canvas has the screen; one button brings the findings back.
            egui::Area::new(egui::Id::unique("show-presented-findings"))
                .anchor(egui::Align2::RIGHT_TOP, [-12.0, 12.0])
                .show(ui.ctx(), |ui| {
                    if ui
                        .button(
                            RichText::new(format!("Show {} findings", findings.len())).size(16.0),
                        )
                        .clicked()
                    {
                        shown = true;
                    }
                });
        } else {
            // A narrow panel beside the canvas, in projector-sized type, that can be hidden.
            egui::Panel::right("presented-findings")
                .resizable(true)
                .default_size(280.0)
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.heading(format!("{} findings", findings.len()));
                        if ui.button("Hide").clicked() {
                            shown = false;
                        }
                    });
                    ScrollArea::vertical().show(ui, |ui| {
                        for f in findings {
                            let text = RichText::new(format!("{} {}", f.severity, f.title))
                                .size(16.0)
                                .color(geometry::severity_color(f.severity));
                            if ui.button(text).clicked() {
                                picked = Some(f.nodes.clone());
                            }
                        }
                    });
                });
        }
        self.show_sim = shown;
        if let Some(nodes) = picked {
            self.selection = Selection::of_nodes(nodes);
            self.canvas.zoom_to(&self.built.diagram, &self.selection);
        }
    }

    /// The findings the badges mark: the static ones and the latest simulation's.
    fn badge_findings(&self) -> Vec<Finding> {
        let mut findings: Vec<Finding> = self.built.findings.clone();
        if let Some(r) = self.sim.current(self.doc.revision()) {
            findings.extend(
                r.report
                    .findings
                    .iter()
                    .filter(|f| f.how == crate::report::How::Sim)
                    .cloned(),
            );
        }
        findings
    }

    /// Badges on nodes with findings (static and the latest simulation's) and the replay.
    /// Badges are recomputed only when the diagram or the simulated findings change.
    fn overlay(&mut self) -> canvas::Overlay {
        let current = self.sim.current(self.doc.revision());
        let key = (
            self.built.key,
            current.map(|r| (r.revision, r.report.findings.len())),
        );
        if self.built.badges.0 != Some(key) {
            let findings = self.badge_findings();
            self.built.badges = (Some(key), geometry::badges(&self.built.diagram, &findings));
        }
        canvas::Overlay {
            badges: self.built.badges.1.clone(),
            replay: self.replay.as_ref().map(|r| r.mark(self.doc.map())),
        }
    }

    /// The replay in progress, if any (tests).
    pub fn replay(&self) -> Option<&Replay> {
        self.replay.as_ref()
    }

    /// The simulation panel's state (tests).
    pub fn simulation(&mut self) -> &mut SimulationPanel {
        &mut self.sim
    }

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                let map = self.doc.map();
                ui.label(format!(
                    "{} nodes · {} edges · {} lanes",
                    map.nodes.len(),
                    map.edges.len(),
                    map.lanes.len()
                ));
                ui.separator();
                let problems = self.doc.diagnostics();
                let errors = problems.iter().filter(|d| d.level == Level::Error).count();
                ui.label(format!(
                    "{errors} errors, {} warnings",
                    problems.len() - errors
                ));
                ui.separator();
                ui.label(format!("{} static findings", self.built.findings.len()))
                    .on_hover_text("Static rules (profile asvs-l2), re-run on every change");
                ui.separator();
                ui.label(self.sim.status(self.doc.revision())).on_hover_text(format!(
                    "A quick simulation of {} users re-runs in the background after each change",
                    simulation::QUICK_USERS
                ));
                if !self.selection.is_empty() {
                    ui.separator();
                    ui.label(format!("{} selected", self.selection.len()));
                }
                if !self.status.is_empty() {
                    ui.separator();
                    ui.weak(&self.status);
                }
            });
        });
    }

    fn problems_ui(&self, ui: &mut egui::Ui) {
        let problems = self.doc.diagnostics();
        if problems.is_empty() {
            return;
        }
        ui.separator();
        ui.strong(format!("Problems ({})", problems.len()));
        for d in problems {
            let color = match d.level {
                Level::Error => ui.visuals().error_fg_color,
                Level::Warning => ui.visuals().warn_fg_color,
            };
            ui.label(RichText::new(d.to_string()).color(color).small());
        }
    }

    fn open_export(&mut self) {
        let stem = self.doc.path().and_then(Path::file_stem).map_or_else(
            || slug(&self.doc.map().title),
            |s| s.to_string_lossy().into_owned(),
        );
        let base = path_field::default_folder(self.doc.path()).join(stem);
        self.export = Some(ExportDialog::new(self.theme, &base));
    }

    fn export_ui(&mut self, ctx: &egui::Context) {
        if self.export.is_none() {
            return;
        }
        let badge_findings = self.badge_findings();
        let Some(dialog) = self.export.as_mut() else {
            return;
        };
        let file = self
            .doc
            .path()
            .map_or_else(|| self.origin.clone(), |p| p.display().to_string());
        // Line numbers only where the map is saved as it stands (a saved file is `to_ron`).
        let source = (self.doc.path().is_some() && !self.doc.is_dirty())
            .then(|| model::to_ron(self.doc.map()).ok())
            .flatten();
        let context = export_dialog::ExportContext {
            findings: &badge_findings,
            file: &file,
            source: source.as_deref(),
            population: crate::sim::Builder {
                users: self.sim.users,
                days: self.sim.days,
                seed: self.sim.seed,
                profile: self.sim.profile,
                ..crate::sim::Builder::default()
            },
        };
        match export_dialog::export_ui(ctx, dialog, self.doc.map(), self.doc.revision(), &context) {
            ExportAction::None => {}
            ExportAction::Close => self.export = None,
            ExportAction::Copy(text) => {
                ctx.copy_text(text);
                self.status = "Copied the map as a Mermaid flowchart".to_owned();
            }
            ExportAction::Done(message) => self.status = message,
        }
    }

    fn find_ui(&mut self, ctx: &egui::Context) {
        let Some(mut query) = self.find.take() else {
            return;
        };
        let mut open = true;
        let mut jump = None;
        egui::Window::new("Find a node")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                let field = ui.text_edit_singleline(&mut query);
                field.request_focus();
                for id in editor::search(self.doc.map(), &query).into_iter().take(12) {
                    let label = self
                        .doc
                        .map()
                        .node(&id)
                        .map_or_else(|| id.to_string(), |n| format!("{} ({})", n.label, id));
                    if ui.button(label).clicked() {
                        jump = Some(id);
                    }
                }
                if field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
                    jump = editor::search(self.doc.map(), &query).into_iter().next();
                }
            });
        if let Some(id) = jump {
            self.selection = Selection::of_nodes([id]);
            self.canvas.zoom_to(&self.built.diagram, &self.selection);
        } else if open {
            self.find = Some(query);
        }
    }

    fn help_ui(&mut self, ctx: &egui::Context) {
        if !self.help {
            return;
        }
        let mut open = true;
        egui::Window::new("Keyboard shortcuts")
            .open(&mut open)
            .collapsible(false)
            .show(ctx, |ui| {
                egui::Grid::new("shortcuts").striped(true).show(ui, |ui| {
                    for s in [
                        &NEW,
                        &OPEN,
                        &SAVE,
                        &SAVE_AS,
                        &EXPORT,
                        &UNDO,
                        &REDO,
                        &REDO_Y,
                        &CUT,
                        &COPY,
                        &DUPLICATE,
                        &SELECT_ALL,
                        &DELETE,
                        &FIND,
                        &LAYOUT,
                        &FIT,
                        &ZOOM_SELECTION,
                        &PRESENT,
                        &HELP,
                        &ESCAPE,
                    ] {
                        ui.monospace(ui.ctx().format_shortcut(&s.keys));
                        ui.label(s.what);
                        ui.end_row();
                    }
                    ui.monospace(format!("{} + V", ui.ctx().format_modifiers(CMD)));
                    ui.label("Paste");
                    ui.end_row();
                    for (keys, what) in CANVAS_KEYS {
                        ui.monospace(*keys);
                        ui.label(*what);
                        ui.end_row();
                    }
                });
            });
        self.help = open;
    }

    fn dialogs(&mut self, ctx: &egui::Context) {
        let Some(mut dialog) = self.dialog.take() else {
            return;
        };
        let mut answer = Answer::Wait;
        match &dialog {
            Dialog::Discard { then, error } => {
                egui::Modal::new(egui::Id::unique("discard")).show(ctx, |ui| {
                    ui.heading("Save changes?");
                    ui.label(format!(
                        "\"{}\" has changes that are not saved.",
                        self.doc.map().title
                    ));
                    if let Some(e) = error {
                        ui.colored_label(
                            ui.visuals().error_fg_color,
                            format!("Saving failed, nothing was lost: {e}"),
                        );
                    }
                    ui.horizontal(|ui| {
                        if ui.button("Save").clicked() {
                            answer = Answer::SaveThen(then.clone());
                        }
                        if ui.button("Discard changes").clicked() {
                            answer = Answer::Proceed(then.clone());
                        }
                        if ui.button("Cancel").clicked() {
                            answer = Answer::Close;
                        }
                    });
                });
            }
            Dialog::Recover(found) => {
                egui::Modal::new(egui::Id::unique("recover")).show(ctx, |ui| {
                    ui.heading("Recover unsaved work?");
                    ui.label(format!(
                        "SessionMap closed without saving \"{}\" ({}); it was autosaved at {}.",
                        found.map.title,
                        found
                            .original_path
                            .as_ref()
                            .map_or("never saved".to_owned(), |p| p.display().to_string()),
                        found.saved_at.format("%Y-%m-%d %H:%M UTC")
                    ));
                    ui.horizontal(|ui| {
                        if ui.button("Restore").clicked() {
                            answer = Answer::Restore;
                        }
                        if ui.button("Discard").clicked() {
                            answer = Answer::DiscardRecovery;
                        }
                    });
                });
            }
            Dialog::SaveAs { field, then, error } => {
                let mut field = field.clone();
                egui::Modal::new(egui::Id::unique("save-as")).show(ctx, |ui| {
                    ui.set_width(560.0);
                    ui.heading("Save as");
                    let submitted = field.ui(ui);
                    if let Some(e) = error {
                        ui.colored_label(ui.visuals().error_fg_color, e);
                    }
                    ui.horizontal(|ui| {
                        if (ui.button("Save").clicked() || submitted)
                            && let Some(path) = field.path()
                        {
                            answer = Answer::SaveAt(path, then.clone());
                        }
                        if ui.button("Cancel").clicked() {
                            answer = Answer::Close;
                        }
                    });
                });
                if let Dialog::SaveAs { field: kept, .. } = &mut dialog {
                    *kept = field;
                }
            }
            Dialog::Open { field, error } => {
                let mut field = field.clone();
                egui::Modal::new(egui::Id::unique("open")).show(ctx, |ui| {
                    ui.set_width(560.0);
                    ui.heading("Open a map");
                    let submitted = field.ui(ui);
                    if let Some(e) = error {
                        ui.colored_label(ui.visuals().error_fg_color, e);
                    }
                    ui.horizontal(|ui| {
                        if (ui.button("Open").clicked() || submitted)
                            && let Some(path) = field.path()
                        {
                            answer = Answer::OpenAt(path);
                        }
                        if ui.button("Cancel").clicked() {
                            answer = Answer::Close;
                        }
                    });
                });
                if let Dialog::Open { field: kept, .. } = &mut dialog {
                    *kept = field;
                }
            }
            Dialog::Error(message) => {
                egui::Modal::new(egui::Id::unique("error")).show(ctx, |ui| {
                    ui.heading("That did not work");
                    ui.label(RichText::new(message).monospace());
                    ui.label("Nothing was changed on disk.");
                    if ui.button("OK").clicked() {
                        answer = Answer::Close;
                    }
                });
            }
            Dialog::Gallery => match gallery::gallery_ui(ctx, &mut self.gallery, self.theme) {
                Some(GalleryChoice::Create(name)) => answer = Answer::Template(name),
                Some(GalleryChoice::Blank) => answer = Answer::Blank,
                Some(GalleryChoice::Cancel) => answer = Answer::Close,
                None => {}
            },
        }
        if !matches!(answer, Answer::Wait) {
            // The dialog goes (or changes) now, not when the mouse next moves.
            ctx.request_repaint();
        }
        match answer {
            Answer::Wait => self.dialog = Some(dialog),
            Answer::Close => {}
            Answer::Proceed(then) => self.proceed(then),
            Answer::SaveThen(then) => self.save(Some(then)),
            Answer::SaveAt(path, then) => match self.write_to(&path) {
                Ok(()) => {
                    if let Some(then) = then {
                        self.proceed(then);
                    }
                }
                // The prompt stays, with the reason and the path as typed.
                Err(e) => {
                    if let Dialog::SaveAs { error, .. } = &mut dialog {
                        *error = Some(e);
                    }
                    self.dialog = Some(dialog);
                }
            },
            Answer::OpenAt(path) => match Document::open(&path) {
                Ok(_) => self.load(&path),
                Err(e) => {
                    if let Dialog::Open { error, .. } = &mut dialog {
                        *error = Some(e.to_string());
                    }
                    self.dialog = Some(dialog);
                }
            },
            Answer::Template(name) => self.guarded(Pending::Template(name)),
            Answer::Blank => self.guarded(Pending::Blank),
            Answer::Restore => {
                if let Dialog::Recover(found) = dialog {
                    // The recovery file stays until the work is saved.
                    self.origin = found.original_path.as_ref().map_or_else(
                        || "recovered, never saved".to_owned(),
                        |p| p.display().to_string(),
                    );
                    self.doc = found.into_document();
                    self.error = None;
                    self.selection = Selection::default();
                    self.canvas.fit_next_frame();
                    self.switched_map();
                }
            }
            Answer::DiscardRecovery => {
                if let Some(dir) = &self.options.recovery_dir {
                    let _ = editor::discard_recovery(dir);
                }
            }
        }
    }

    fn dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        if let Some(path) = dropped.into_iter().next() {
            self.guarded(Pending::Open(path));
        }
    }

    fn close_requests(&mut self, ctx: &egui::Context) {
        if ctx.input(|i| i.viewport().close_requested()) && !self.quitting {
            if self.doc.is_dirty() {
                ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
                self.guarded(Pending::Quit);
            } else {
                self.quitting = true;
            }
        }
        if self.quitting {
            if let Some(dir) = &self.options.recovery_dir {
                let _ = editor::discard_recovery(dir);
            }
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }
}

fn default_template() -> Result<(Document, String), String> {
    let template = templates::find(templates::DEFAULT).unwrap_or(&templates::ALL[0]);
    let loaded = template.load().map_err(|e| e.to_string())?;
    Ok((
        Document::new(loaded.map, None),
        template.path().display().to_string(),
    ))
}

/// A file name from a title: lowercase words joined by dashes.
fn slug(title: &str) -> String {
    let s: String = title
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s
        .split('-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if s.is_empty() { "map".to_owned() } else { s }
}

fn shortcut_button<'a>(ui: &egui::Ui, text: &'a str, s: &Shortcut) -> egui::Button<'a> {
    egui::Button::new(text).shortcut_text(ui.ctx().format_shortcut(&s.keys))
}

/// A menu item with its shortcut shown; true when clicked.
fn item(ui: &mut egui::Ui, s: &Shortcut) -> bool {
    let button = shortcut_button(ui, s.what, s);
    ui.add(button).clicked()
}

impl eframe::App for Editor {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        Editor::ui(self, ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, PREFERENCES_KEY, &self.prefs);
    }
}
