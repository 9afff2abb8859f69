//! The inspector, the palette and the template gallery, driven through the window as a user
//! would: select on the canvas, edit in the inspector, see the map and the window change.
//! Also the editor's look: snapshots of three templates in both themes.

use std::path::Path;
use std::time::Duration;

use egui::accesskit::{Role, Toggled};
use egui::{Event, Key, Modifiers, PointerButton, Pos2};
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use egui_kittest::{Harness, SnapshotResults};
use sessionmap::export::geometry::{self, Theme};
use sessionmap::model::{
    self, Activity, Cookie, Enforcement, Location, Map, Node, NodeId, NodeKind, NoteColor, Pos,
    Size, Span, Trigger,
};
use sessionmap::ui::{Editor, EditorOptions, Startup, screen_from_scene};

fn window(editor: Editor) -> Harness<'static, Editor> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 860.0))
        .with_theme(egui::Theme::Light)
        .build_ui_state(|ui, editor: &mut Editor| editor.ui(ui), editor)
}

/// Runs frames until nothing asks for another one and the quick simulation is done, then
/// checks every widget has an accessible name.
fn settle(harness: &mut Harness<'_, Editor>) {
    for _ in 0..500 {
        if harness.run_ok().is_some() && harness.query_by_label_contains("simulating").is_none() {
            harness.check_accessibility();
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the window kept repainting");
}

fn banking() -> Harness<'static, Editor> {
    let mut harness = window(Editor::open(&Startup::Default, EditorOptions::default()));
    settle(&mut harness);
    harness
}

fn node<'m>(map: &'m Map, id: &str) -> &'m Node {
    map.node(&NodeId::from(id)).expect("the node exists")
}

/// Selects a node by clicking it on the canvas. Through AccessKit: the canvas is a zoomed
/// scene, and widget rects are reported in its own coordinates, not the window's.
fn select(harness: &mut Harness<'_, Editor>, label: &str) {
    harness
        .get_by_role_and_label(Role::Button, label)
        .click_accesskit();
    settle(harness);
    assert_eq!(harness.state().selection().len(), 1, "{label} is selected");
}

#[test]
fn a_duration_edited_in_the_inspector_changes_the_node_and_the_map() {
    let mut harness = banking();
    select(&mut harness, "Idle timeout");
    harness.get_by_label("After").set_value_accesskit(5.0);
    settle(&mut harness);
    let map = harness.state().document().map();
    let idle = &node(map, "idle").kind;
    assert!(
        matches!(
            idle,
            NodeKind::IdleTimeout {
                after: Span::Minutes(5),
                ..
            }
        ),
        "{idle:?}"
    );
    assert_eq!(idle.summary(), "idle 5 min", "what the canvas prints");
    // The inspector says what the node sets, from the compiled plan.
    harness.get_by_label("• idle timeout: 5 min");

    harness.get_by_label("After unit").click();
    settle(&mut harness);
    harness.get_by_label("h").click();
    settle(&mut harness);
    let map = harness.state().document().map();
    assert_eq!(node(map, "idle").kind.summary(), "idle 5 h");
}

#[test]
fn an_enum_is_chosen_from_a_combo_box() {
    let mut harness = banking();
    select(&mut harness, "Idle timeout");
    harness.get_by_label("Resets on").click();
    settle(&mut harness);
    harness.get_by_label("any request").click();
    settle(&mut harness);
    let map = harness.state().document().map();
    assert!(matches!(
        node(map, "idle").kind,
        NodeKind::IdleTimeout {
            resets_on: Activity::AnyRequest,
            ..
        }
    ));
    assert_eq!(
        harness.state().document().undo_description(),
        Some("Edit node")
    );
}

#[test]
fn a_cookie_attribute_is_a_checkbox() {
    let mut harness = banking();
    select(&mut harness, "Session cookie");
    harness.get_by_label("HttpOnly").click();
    settle(&mut harness);
    let map = harness.state().document().map();
    let NodeKind::ClientStorage {
        location: Location::Cookie(cookie),
        ..
    } = &node(map, "cookie").kind
    else {
        panic!("the session cookie is a cookie");
    };
    assert!(!cookie.http_only);
    assert!(cookie.secure, "only the clicked attribute changed");
}

#[test]
fn the_map_title_is_edited_with_nothing_selected_and_undo_restores_it() {
    let mut harness = banking();
    assert!(!harness.state().window_title().contains('•'));
    harness
        .get_by_label("Title")
        .set_text_value_accesskit("Online banking (draft)");
    settle(&mut harness);
    assert_eq!(
        harness.state().document().map().title,
        "Online banking (draft)"
    );
    let title = harness.state().window_title();
    assert!(
        title.starts_with("Online banking (draft) (unsaved) •"),
        "{title}"
    );

    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut harness);
    assert_eq!(harness.state().document().map().title, "Online banking");
    assert!(!harness.state().window_title().contains('•'));
}

#[test]
fn lanes_and_personas_are_edited_with_nothing_selected() {
    let mut harness = banking();
    // Shares read as percentages of the whole population (80 + 15 + 5).
    harness.get_by_role_and_label(Role::DisclosureTriangle, "Everyday customer — 80%");
    harness.get_by_label("Add lane").click();
    settle(&mut harness);
    harness
        .get_by_label("Lane 3 title")
        .set_text_value_accesskit("Auditors");
    settle(&mut harness);
    harness.get_by_label("Move lane Auditors up").click();
    settle(&mut harness);
    let lanes: Vec<String> = harness
        .state()
        .document()
        .map()
        .lanes
        .iter()
        .map(|l| l.title.clone())
        .collect();
    assert_eq!(lanes, ["Customer", "Auditors", "Bank operations"]);

    harness
        .get_by_role_and_label(Role::DisclosureTriangle, "Everyday customer — 80%")
        .click();
    settle(&mut harness);
    harness.get_by_label("Share").set_value_accesskit(180.0);
    settle(&mut harness);
    let map = harness.state().document().map();
    assert_eq!(map.personas[0].share, 180);
    harness.get_by_role_and_label(Role::DisclosureTriangle, "Everyday customer — 90%");
}

#[test]
fn a_new_map_comes_from_the_gallery() {
    let mut harness = banking();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    settle(&mut harness);
    harness.get_by_label("New from template");
    harness
        .get_by_role_and_label(Role::Button, "Legacy web shop (as-is)")
        .click();
    settle(&mut harness);
    let editor = harness.state();
    assert_eq!(editor.document().map().title, "Legacy web shop (as-is)");
    assert!(editor.document().path().is_none(), "a new, unsaved map");
    assert!(
        harness.query_by_label("New from template").is_none(),
        "the gallery closed"
    );
    // The canvas draws the new map.
    let first = &editor.document().map().nodes[0].label;
    harness.get_by_role_and_label(Role::Button, first);
}

#[test]
fn a_palette_item_arms_on_click_and_disarms_on_a_second_click() {
    let mut harness = banking();
    let armed = |h: &Harness<'_, Editor>| {
        h.get_by_label("Add Login form")
            .accesskit_node()
            .toggled()
            .map(|t| t == Toggled::True)
    };
    assert_eq!(armed(&harness), Some(false));
    harness.get_by_label("Add Login form").click();
    settle(&mut harness);
    assert_eq!(armed(&harness), Some(true));
    harness.get_by_label("Add Login form").click();
    settle(&mut harness);
    assert_eq!(armed(&harness), Some(false));

    // Armed, a click on empty canvas places one and disarms.
    harness.get_by_label("Add Login form").click();
    settle(&mut harness);
    let before = harness.state().document().map().nodes.len();
    let empty = empty_canvas_point(&harness);
    click_at(&harness, empty);
    settle(&mut harness);
    let map = harness.state().document().map();
    assert_eq!(map.nodes.len(), before + 1);
    assert!(matches!(
        map.nodes.last().map(|n| &n.kind),
        Some(NodeKind::Login { .. })
    ));
    assert_eq!(armed(&harness), Some(false));
}

#[test]
fn a_palette_item_dragged_onto_the_canvas_is_placed_where_it_is_dropped() {
    let mut harness = banking();
    let before = harness.state().document().map().nodes.len();
    let from = harness.get_by_label("Add Magic link").rect().center();
    let to = empty_canvas_point(&harness);
    harness.hover_at(from);
    harness.step();
    harness.drag_at(from);
    harness.step();
    for i in 1..=8 {
        harness.hover_at(from.lerp(to, i as f32 / 8.0));
        harness.step();
    }
    harness.event(Event::PointerButton {
        pos: to,
        button: PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    settle(&mut harness);
    let map = harness.state().document().map();
    assert_eq!(map.nodes.len(), before + 1);
    assert!(matches!(
        map.nodes.last().map(|n| &n.kind),
        Some(NodeKind::MagicLink { .. })
    ));
}

/// The canvas's top right corner, left of the inspector and under the menu bar: the map is
/// fitted with a margin, so nothing is drawn there. (Nothing selected: the inspector shows the
/// map.)
fn empty_canvas_point(harness: &Harness<'_, Editor>) -> Pos2 {
    let inspector = harness.get_by_label("Map").rect();
    let menu = harness.get_by_label("File").rect();
    Pos2::new(inspector.left() - 24.0, menu.bottom() + 24.0)
}

fn click_at(harness: &Harness<'_, Editor>, pos: Pos2) {
    harness.hover_at(pos);
    for pressed in [true, false] {
        harness.event(Event::PointerButton {
            pos,
            button: PointerButton::Primary,
            pressed,
            modifiers: Modifiers::NONE,
        });
    }
}

/// A map holding one node of this kind, saved to a temporary file.
fn one_node_map(kind: NodeKind, dir: &Path) -> std::path::PathBuf {
    let map = Map {
        nodes: vec![Node {
            id: NodeId::from("only"),
            label: "The node".to_owned(),
            kind,
            lane: None,
            pos: Pos(0.0, 0.0),
            size: Size::NODE,
            notes: String::new(),
        }],
        ..Map::default()
    };
    let file = dir.join("one.ron");
    model::save_file(&map, &file).expect("save");
    file
}

#[test]
fn every_kind_has_an_inspector_whose_widgets_are_all_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut kinds = NodeKind::palette();
    // Variants whose optional parts only show when they are switched on.
    kinds.push(NodeKind::ClientStorage {
        holds: model::Credential::SessionId,
        location: Location::Cookie(Cookie {
            domain: Some("bank.example".to_owned()),
            max_age: Some(Span::Days(1)),
            ..Cookie::default()
        }),
    });
    for kind in kinds {
        let name = kind.name();
        let file = one_node_map(kind.clone(), dir.path());
        let mut harness = window(Editor::open(&Startup::File(file), EditorOptions::default()));
        settle(&mut harness);
        select(&mut harness, "The node");
        // The heading names the kind; settle() checked every widget has a name.
        let icon = geometry::group_icon(kind.group());
        harness.get_by_label(&format!("{icon} {name}"));
        assert_eq!(
            harness.state().document().map().nodes[0].kind,
            kind,
            "showing {name} changed nothing"
        );
    }
}

#[test]
fn the_editor_looks_right_with_three_templates_in_both_themes() {
    let mut results = SnapshotResults::new();
    for name in ["banking", "spa-hybrid-tokens", "legacy-shop"] {
        for dark in [false, true] {
            let file = Path::new("templates").join(format!("{name}.ron"));
            let mut harness = window(Editor::open(&Startup::File(file), EditorOptions::default()));
            settle(&mut harness);
            if dark {
                harness.get_by_label("View").click();
                settle(&mut harness);
                harness.get_by_label("🌙 Dark theme").click();
                settle(&mut harness);
                harness.key_press(Key::Escape);
                settle(&mut harness);
            }
            harness.remove_cursor();
            settle(&mut harness);
            let theme = if dark { "dark" } else { "light" };
            harness.snapshot(format!("editor-{name}-{theme}"));
            results.extend_harness(&mut harness);
        }
    }
    results.unwrap();
}

#[test]
fn the_inspector_and_the_gallery_look_right() {
    let mut results = SnapshotResults::new();
    for (label, snapshot) in [
        ("Create session", "inspector-create-session"),
        ("Session cookie", "inspector-session-cookie"),
    ] {
        // Tall, so the whole form and what the node sets are in view.
        let mut harness = window(Editor::open(&Startup::Default, EditorOptions::default()));
        harness.set_size(egui::vec2(1400.0, 1500.0));
        settle(&mut harness);
        select(&mut harness, label);
        harness.remove_cursor();
        settle(&mut harness);
        harness.snapshot(snapshot);
        results.extend_harness(&mut harness);
    }
    let mut harness = banking();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    harness.remove_cursor();
    settle(&mut harness);
    harness.snapshot("gallery");
    results.extend_harness(&mut harness);
    results.unwrap();
}

#[test]
fn an_edge_is_edited_in_the_inspector() {
    let mut harness = banking();
    let diagram = geometry::diagram(harness.state().document().map(), Theme::Light);
    let curve = diagram
        .edges
        .iter()
        .find(|e| e.id == "login-create")
        .expect("sign in → create session")
        .curve;
    let at = screen_from_scene(&harness.ctx).expect("the canvas was drawn")
        * geometry::bezier(curve, 0.25);
    click_at(&harness, at);
    settle(&mut harness);
    harness.get_by_label("Transition");
    harness.get_by_label("Weight").set_value_accesskit(3.0);
    settle(&mut harness);
    harness.get_by_label("Trigger").click();
    settle(&mut harness);
    harness.get_by_label("after a time").click();
    settle(&mut harness);
    harness.get_by_label("After").set_value_accesskit(30.0);
    settle(&mut harness);
    let map = harness.state().document().map();
    let edge = map
        .edges
        .iter()
        .find(|e| e.id.as_str() == "login-create")
        .expect("the edge");
    assert_eq!(edge.weight, 3);
    assert_eq!(edge.trigger, Trigger::After(Span::Minutes(30)));
}

#[test]
fn a_sticky_note_is_recoloured_and_a_multi_selection_is_counted() {
    let mut harness = banking();
    harness
        .get_by_label_contains("Note: Transfers need")
        .click_accesskit();
    settle(&mut harness);
    harness.get_by_label("Sticky note");
    harness.get_by_label("Colour").click();
    settle(&mut harness);
    harness.get_by_label("pink").click();
    settle(&mut harness);
    let map = harness.state().document().map();
    let note = map.notes.iter().find(|n| n.id == "note-transfer");
    assert_eq!(note.map(|n| n.color), Some(NoteColor::Pink));

    harness.key_press(Key::Escape);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    settle(&mut harness);
    let map = harness.state().document().map();
    let all = map.nodes.len() + map.edges.len() + map.notes.len();
    harness.get_by_label(&format!("{all} items selected"));
}

#[test]
fn each_click_in_the_inspector_is_its_own_undo_step() {
    let mut harness = banking();
    select(&mut harness, "Idle timeout");
    harness.get_by_label("Resets on").click();
    settle(&mut harness);
    harness.get_by_label("any request").click();
    settle(&mut harness);
    harness.get_by_label("Enforced by").click();
    settle(&mut harness);
    harness.get_by_label("client only").click();
    settle(&mut harness);
    let changed = NodeKind::IdleTimeout {
        after: Span::Minutes(10),
        resets_on: Activity::AnyRequest,
        enforced: Enforcement::ClientOnly,
    };
    assert_eq!(node(harness.state().document().map(), "idle").kind, changed);

    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut harness);
    let once = NodeKind::IdleTimeout {
        after: Span::Minutes(10),
        resets_on: Activity::AnyRequest,
        enforced: Enforcement::Server,
    };
    assert_eq!(node(harness.state().document().map(), "idle").kind, once);
}
