//! The eframe app: the canvas editor. `app.rs` is the window (menus, shortcuts, files,
//! autosave, dialogs); `canvas.rs`, `palette.rs` and `inspector.rs` draw and return
//! [`Command`](crate::editor::Command)s that the display-free core in [`crate::editor`] applies
//! (the one place the map changes) with undo/redo; `gallery.rs` is the "New from template"
//! window with a thumbnail of each template. The UI holds no business rules: it calls
//! `editor`, `model`, `compile`, `templates` and `export::geometry`.

mod app;
mod canvas;
mod export_dialog;
mod gallery;
mod inspector;
mod minimap;
mod palette;
mod path_field;
mod replay;
mod simulation;

use std::path::PathBuf;
use std::process::ExitCode;

pub use app::{Editor, EditorOptions};
pub use canvas::{CanvasOutput, CanvasState, Overlay, ReplayMark, canvas_ui, screen_from_scene};
pub use gallery::{GalleryChoice, GalleryState, gallery_ui};
pub use inspector::{InspectorOutput, InspectorState, inspector_ui};
pub use palette::{PaletteDrag, PaletteState, palette_ui};
pub use replay::Replay;
pub use simulation::{QUICK_USERS, RunResult, SimulationPanel, virtual_time};

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
    let options = EditorOptions {
        recovery_dir: crate::editor::recovery_dir(),
    };
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1400.0, 860.0])
            .with_title("SessionMap")
            .with_drag_and_drop(true),
        ..Default::default()
    };
    let result = eframe::run_native(
        "SessionMap",
        native,
        Box::new(move |cc| {
            let mut editor = Editor::open(&startup, options);
            if let Some(storage) = cc.storage {
                editor.load_preferences(storage);
            }
            Ok(Box::new(editor))
        }),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sessionmap: cannot open a window: {e}");
            ExitCode::from(2)
        }
    }
}
