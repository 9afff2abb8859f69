//! Files in the window: save and reload byte-identically, the guard before discarding changes,
//! and the offer to restore autosaved work after a crash.

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use sessionmap::editor::{Command, write_recovery};
use sessionmap::model;
use sessionmap::ui::{Editor, EditorOptions, Startup};

fn window(editor: Editor) -> Harness<'static, Editor> {
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, editor: &mut Editor| editor.ui(ui), editor);
    harness.run();
    harness
}

#[test]
fn a_template_saved_from_the_window_reloads_and_saves_byte_identically() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = dir.path().join("bank.ron");
    let second = dir.path().join("again.ron");
    let mut editor = Editor::open(&Startup::Default, EditorOptions::default());
    assert!(editor.save_to(&first), "saved");
    assert!(!editor.document().is_dirty());
    assert!(
        editor.window_title().starts_with("bank.ron — "),
        "{}",
        editor.window_title()
    );
    let mut reopened = Editor::open(&Startup::File(first.clone()), EditorOptions::default());
    assert_eq!(reopened.document().map(), editor.document().map());
    assert!(reopened.save_to(&second));
    let a = std::fs::read(&first).expect("first");
    let b = std::fs::read(&second).expect("second");
    assert_eq!(a, b, "saving an unchanged map gives the same bytes");
    assert_eq!(
        String::from_utf8(a).expect("utf-8"),
        model::to_ron(editor.document().map()).expect("serialises")
    );
}

#[test]
fn new_from_template_with_unsaved_changes_asks_before_discarding_them() {
    let mut editor = Editor::open(&Startup::Default, EditorOptions::default());
    editor.apply([Command::SetTitle("Online banking (draft)".to_owned())]);
    let mut harness = window(editor);
    assert!(
        harness.state().window_title().contains('•'),
        "marked unsaved"
    );
    harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    harness.run();
    harness
        .get_by_role_and_label(egui::Role::Button, "Legacy web shop (as-is)")
        .click();
    harness.run();
    harness.get_by_label("Save changes?");
    harness.get_by_label("Cancel").click();
    harness.run();
    assert_eq!(
        harness.state().document().map().title,
        "Online banking (draft)",
        "cancel keeps the work"
    );
    harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    harness.run();
    harness
        .get_by_role_and_label(egui::Role::Button, "Legacy web shop (as-is)")
        .click();
    harness.run();
    harness.get_by_label("Discard changes").click();
    harness.run();
    assert_eq!(
        harness.state().document().map().title,
        "Legacy web shop (as-is)"
    );
}

#[test]
fn after_a_crash_the_next_start_offers_the_autosaved_work_and_restores_it() {
    let recovery = tempfile::tempdir().expect("temp dir");
    let options = EditorOptions {
        recovery_dir: Some(recovery.path().to_path_buf()),
    };
    // A session edits the map, autosaves, and never exits cleanly.
    let mut crashed = Editor::open(&Startup::Default, options.clone());
    crashed.apply([Command::SetTitle("Work in progress".to_owned())]);
    write_recovery(recovery.path(), crashed.document()).expect("autosaved");
    drop(crashed);

    let mut harness = window(Editor::open(&Startup::Default, options));
    harness.get_by_label("Recover unsaved work?");
    harness.get_by_label("Restore").click();
    harness.run();
    let doc = harness.state().document();
    assert_eq!(doc.map().title, "Work in progress");
    assert!(doc.is_dirty(), "restored work still needs saving");
}

#[test]
fn save_as_offers_a_path_field_that_saves_where_typed_without_the_system_dialog() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("typed.ron");
    let mut harness = window(Editor::open(&Startup::Default, EditorOptions::default()));
    harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::S);
    harness.run();
    harness.get_by_label("Save as");
    // Prefilled with a file name from the title; the system dialog is one button away.
    let field = harness.get_by_role_and_label(egui::Role::TextInput, "File");
    assert!(
        field
            .value()
            .is_some_and(|v| v.ends_with("online-banking.ron")),
        "{:?}",
        field.value()
    );
    harness.get_by_label("Browse…");
    field.set_text_value_accesskit(&target.display().to_string());
    harness.run();
    harness.get_by_label("Save").click();
    harness.run();
    assert!(target.exists(), "saved where typed");
    assert!(!harness.state().document().is_dirty());
    assert!(
        harness.query_by_label("Save as").is_none(),
        "the prompt closed"
    );
}

#[test]
fn quitting_with_a_save_that_fails_keeps_the_prompt_and_the_work() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("bank.ron");
    let mut editor = Editor::open(&Startup::Default, EditorOptions::default());
    assert!(editor.save_to(&file));
    editor.apply([Command::SetTitle("Online banking (draft)".to_owned())]);
    // The folder goes away under the editor: the next save cannot succeed.
    drop(dir);
    let mut harness = window(editor);
    harness.get_by_label("File").click();
    harness.run();
    harness.get_by_label("Quit").click();
    harness.run();
    harness.get_by_label("Save changes?");
    harness.get_by_label("Save").click();
    harness.run();
    harness.get_by_label("Save changes?");
    harness.get_by_label_contains("Saving failed, nothing was lost");
    assert!(harness.state().document().is_dirty(), "the work is kept");
    assert_eq!(
        harness.state().document().map().title,
        "Online banking (draft)"
    );
}

#[test]
fn new_offers_a_blank_map_with_a_lane_and_a_persona_ready_to_simulate() {
    let mut harness = window(Editor::open(&Startup::Default, EditorOptions::default()));
    harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    harness.run();
    harness.get_by_label("+ Blank map").click();
    harness.run();
    let map = harness.state().document().map().clone();
    assert!(map.nodes.is_empty() && map.edges.is_empty());
    assert_eq!(map.lanes.len(), 1);
    assert_eq!(map.personas.len(), 1);
    assert!(
        model::validate(&map)
            .iter()
            .all(|d| d.level != model::Level::Error),
        "{:?}",
        model::validate(&map)
    );
    assert!(
        harness.query_by_label("New from template").is_none(),
        "the gallery closed"
    );
}
