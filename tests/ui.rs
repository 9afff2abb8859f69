//! The window, driven headless through egui_kittest.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use sessionmap::ui::{Editor, EditorOptions, Startup};

#[test]
fn the_editor_draws_every_node_of_the_default_template() {
    let mut viewer = Editor::open(&Startup::Default, EditorOptions::default());
    let template = sessionmap::templates::find(sessionmap::templates::DEFAULT).expect("bundled");
    let map = template.load().expect("loads").map;
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui(|ui| viewer.ui(ui));
    harness.run();
    for node in &map.nodes {
        // Exactly one button: palette items are named "Add <kind>", never like a node.
        harness.get_by_role_and_label(egui::accesskit::Role::Button, &node.label);
    }
    assert!(
        harness.get_all_by_label(&map.title).next().is_some(),
        "the title is shown"
    );
}

#[test]
fn a_file_that_fails_to_load_shows_its_error_with_the_location() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("broken.ron");
    let broken = "(format_version: 1, title: \"x\", nodes: [(id: 3)])";
    std::fs::write(&file, broken).expect("write");
    let mut viewer = Editor::open(&Startup::File(file.clone()), EditorOptions::default());
    let mut harness = Harness::builder().build_ui(|ui| viewer.ui(ui));
    harness.run();
    harness.get_by_label("This map could not be opened");
    let shown = harness
        .query_by_label_contains(&format!("{}:1:", file.display()))
        .is_some();
    assert!(shown, "the error names the file and line");
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        broken,
        "nothing was overwritten"
    );
}

#[path = "ui/simulation.rs"]
mod simulation;

#[path = "ui/inspector.rs"]
mod inspector;

#[path = "ui/canvas.rs"]
mod canvas;

#[path = "ui/files.rs"]
mod files;
