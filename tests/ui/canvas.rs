//! The canvas, driven with the pointer and the keyboard as a user would: connect, reconnect,
//! select by click and by box, move, nudge, delete and undo, copy and paste, place from the
//! palette, the minimap.
//!
//! Widgets on the canvas report their rects in scene coordinates (the canvas is a zoomed
//! `egui::Scene`); `on_screen` maps a scene point to the window through the transform the
//! canvas drew with.

use std::time::Duration;

use egui::{Event, Key, Modifiers, PointerButton, Pos2, Rect, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use sessionmap::editor::{Selection, copy_selection};
use sessionmap::export::geometry::{self, Theme};
use sessionmap::model::{self, Map, NodeId, NodeKind, Trigger};
use sessionmap::ui::{Editor, EditorOptions, Startup, screen_from_scene};

fn window(editor: Editor) -> Harness<'static, Editor> {
    window_of_size(editor, egui::vec2(1400.0, 860.0))
}

fn window_of_size(editor: Editor, size: egui::Vec2) -> Harness<'static, Editor> {
    Harness::builder()
        .with_size(size)
        .with_theme(egui::Theme::Light)
        .build_ui_state(|ui, editor: &mut Editor| editor.ui(ui), editor)
}

/// Runs frames until nothing asks for another one (background work included).
fn settle(harness: &mut Harness<'_, Editor>) {
    for _ in 0..500 {
        if harness.run_ok().is_some() {
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

fn map<'h>(harness: &'h Harness<'_, Editor>) -> &'h Map {
    harness.state().document().map()
}

/// A point of the map (scene coordinates) on the screen.
fn on_screen(harness: &Harness<'_, Editor>, scene: Pos2) -> Pos2 {
    screen_from_scene(&harness.ctx).expect("the canvas was drawn") * scene
}

fn rect_of(map: &Map, id: &str) -> Rect {
    let n = map.node(&NodeId::from(id)).expect("the node exists");
    Rect::from_min_size(Pos2::new(n.pos.0, n.pos.1), vec2(n.size.0, n.size.1))
}

/// The middle of a node, on the screen.
fn centre(harness: &Harness<'_, Editor>, id: &str) -> Pos2 {
    on_screen(harness, rect_of(map(harness), id).center())
}

/// The middle of a widget labelled `label` on the canvas, on the screen.
fn widget(harness: &Harness<'_, Editor>, label: &str) -> Pos2 {
    on_screen(harness, harness.get_by_label(label).rect().center())
}

fn click_at(harness: &mut Harness<'_, Editor>, at: Pos2, modifiers: Modifiers) {
    harness.event(Event::ModifiersChanged(modifiers));
    harness.hover_at(at);
    for pressed in [true, false] {
        harness.event(Event::PointerButton {
            pos: at,
            button: PointerButton::Primary,
            pressed,
            modifiers,
        });
    }
    harness.event(Event::ModifiersChanged(Modifiers::NONE));
    settle(harness);
}

/// Presses at `from`, moves to `to` in a few steps and releases, holding `modifiers`.
fn drag(harness: &mut Harness<'_, Editor>, from: Pos2, to: Pos2, modifiers: Modifiers) {
    harness.event(Event::ModifiersChanged(modifiers));
    harness.hover_at(from);
    harness.event(Event::PointerButton {
        pos: from,
        button: PointerButton::Primary,
        pressed: true,
        modifiers,
    });
    for step in 1..=5 {
        harness.hover_at(from.lerp(to, step as f32 / 5.0));
    }
    harness.event(Event::PointerButton {
        pos: to,
        button: PointerButton::Primary,
        pressed: false,
        modifiers,
    });
    harness.event(Event::ModifiersChanged(Modifiers::NONE));
    settle(harness);
}

fn select_node(harness: &mut Harness<'_, Editor>, id: &str) {
    let at = centre(harness, id);
    click_at(harness, at, Modifiers::NONE);
    assert_eq!(
        harness.state().selection(),
        &Selection::of_nodes([NodeId::from(id)]),
        "{id} is selected"
    );
}

/// A point of the map with nothing on it: no node, note or edge near.
fn empty_spot(harness: &Harness<'_, Editor>) -> Pos2 {
    let map = map(harness);
    let diagram = geometry::diagram(map, Theme::Light);
    let clear = |p: Pos2| {
        diagram
            .nodes
            .iter()
            .all(|n| !n.rect.expand(40.0).contains(p))
            && diagram
                .notes
                .iter()
                .all(|n| !n.rect.expand(40.0).contains(p))
            && diagram.edges.iter().all(|e| {
                (0..=64).all(|i| geometry::bezier(e.curve, i as f32 / 64.0).distance(p) > 30.0)
            })
    };
    let lanes = diagram.lanes[0].rect.union(diagram.lanes[1].rect);
    (0..40)
        .flat_map(|x| (0..40).map(move |y| (x, y)))
        .map(|(x, y)| lanes.min + vec2(x as f32, y as f32) * (lanes.size() / 40.0))
        .find(|&p| clear(p) && p.x > lanes.left() + 80.0)
        .expect("the banking map has room")
}

#[test]
fn dragging_a_nodes_handle_onto_another_node_connects_them() {
    let mut harness = banking();
    let edges = map(&harness).edges.len();
    select_node(&mut harness, "login");
    let handle = widget(&harness, "Connect from Sign in");
    let target = centre(&harness, "transfer");
    drag(&mut harness, handle, target, Modifiers::NONE);

    let map = map(&harness);
    assert_eq!(map.edges.len(), edges + 1);
    let added = map.edges.last().expect("an edge");
    assert_eq!(
        (added.from.as_str(), added.to.as_str(), added.trigger),
        ("login", "transfer", Trigger::UserAction)
    );
    assert!(
        harness.state().selection().edges.contains(&added.id),
        "the new edge is selected"
    );
}

#[test]
fn connecting_a_stage_to_a_timeout_attaches_it() {
    let mut harness = banking();
    select_node(&mut harness, "transfer");
    let handle = widget(&harness, "Connect from Transfer money");
    let target = centre(&harness, "absolute");
    drag(&mut harness, handle, target, Modifiers::NONE);
    let added = map(&harness).edges.last().expect("an edge");
    assert_eq!(
        (added.from.as_str(), added.to.as_str(), added.trigger),
        ("transfer", "absolute", Trigger::Attach)
    );
}

#[test]
fn releasing_a_connection_on_empty_space_adds_nothing() {
    let mut harness = banking();
    let before = map(&harness).clone();
    select_node(&mut harness, "login");
    let handle = widget(&harness, "Connect from Sign in");
    let nowhere = on_screen(&harness, empty_spot(&harness));
    drag(&mut harness, handle, nowhere, Modifiers::NONE);
    assert_eq!(map(&harness), &before);
}

#[test]
fn clicking_an_edge_selects_it_and_dragging_its_end_reconnects_it() {
    let mut harness = banking();
    let diagram = geometry::diagram(map(&harness), Theme::Light);
    let edge = diagram
        .edges
        .iter()
        .find(|e| e.id == "login-create")
        .expect("sign in → create session");
    let on_curve = on_screen(&harness, geometry::bezier(edge.curve, 0.25));
    click_at(&mut harness, on_curve, Modifiers::NONE);
    let selection = harness.state().selection();
    assert_eq!(
        selection
            .edges
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>(),
        ["login-create"]
    );
    assert!(selection.nodes.is_empty());

    let end = widget(&harness, "Move the end of edge login-create");
    let target = centre(&harness, "accounts");
    drag(&mut harness, end, target, Modifiers::NONE);
    let map = map(&harness);
    let edge = map.edges.iter().find(|e| e.id.as_str() == "login-create");
    assert_eq!(
        edge.map(|e| (e.from.as_str(), e.to.as_str())),
        Some(("login", "accounts"))
    );
}

#[test]
fn a_shift_drag_on_empty_space_selects_the_boxed_nodes_and_arrows_nudge_them() {
    let mut harness = banking();
    let before = map(&harness).clone();
    // Around View accounts (560, 60) and Balance poll (560, 210), both 180 × 64.
    let from = on_screen(&harness, Pos2::new(540.0, 30.0));
    let to = on_screen(&harness, Pos2::new(760.0, 300.0));
    drag(&mut harness, from, to, Modifiers::SHIFT);
    assert_eq!(
        harness.state().selection(),
        &Selection::of_nodes([NodeId::from("accounts"), NodeId::from("poll")])
    );

    harness.key_press(Key::ArrowRight);
    harness.key_press_modifiers(Modifiers::SHIFT, Key::ArrowDown);
    settle(&mut harness);
    let after = map(&harness);
    for n in &before.nodes {
        let moved = after.node(&n.id).expect("still there").pos;
        let expected = if ["accounts", "poll"].contains(&n.id.as_str()) {
            (n.pos.0 + 1.0, n.pos.1 + 10.0)
        } else {
            (n.pos.0, n.pos.1)
        };
        assert_eq!((moved.0, moved.1), expected, "{}", n.id);
    }
}

#[test]
fn a_plain_drag_on_empty_space_pans_instead_of_selecting() {
    let mut harness = banking();
    let before = screen_from_scene(&harness.ctx).expect("drawn");
    let from = on_screen(&harness, empty_spot(&harness));
    drag(
        &mut harness,
        from,
        from + vec2(-120.0, 40.0),
        Modifiers::NONE,
    );
    let after = screen_from_scene(&harness.ctx).expect("drawn");
    let moved = after.translation - before.translation;
    assert!(
        (moved - vec2(-120.0, 40.0)).length() < 1.0,
        "the map followed the pointer: {moved:?}"
    );
    assert!(harness.state().selection().is_empty());
}

#[test]
fn dragging_a_node_moves_it_and_snaps_it_into_line_with_its_neighbours() {
    let mut harness = banking();
    // Expiry warning sits at (820, 380); Change password's top is at 210. Dropping the
    // warning 4 units below that lines it up with Change password instead.
    let from = centre(&harness, "warning");
    let zoom = screen_from_scene(&harness.ctx).expect("drawn").scaling;
    let to = from + vec2(0.0, (214.0 - 380.0) * zoom);
    drag(&mut harness, from, to, Modifiers::NONE);
    let warning = rect_of(map(&harness), "warning");
    assert_eq!(warning.min, Pos2::new(820.0, 210.0));
    assert_eq!(
        harness.state().document().undo_description(),
        Some("Move"),
        "one undo step for the whole drag"
    );
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut harness);
    assert_eq!(
        rect_of(map(&harness), "warning").min,
        Pos2::new(820.0, 380.0)
    );
}

#[test]
fn delete_removes_the_selected_node_with_its_edges_and_undo_brings_them_back() {
    let mut harness = banking();
    let before = map(&harness).clone();
    select_node(&mut harness, "transfer");
    harness.key_press(Key::Delete);
    settle(&mut harness);
    let after = map(&harness);
    assert!(after.node(&NodeId::from("transfer")).is_none());
    assert!(
        after
            .edges
            .iter()
            .all(|e| e.from.as_str() != "transfer" && e.to.as_str() != "transfer")
    );
    assert!(after.edges.len() < before.edges.len());

    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut harness);
    assert_eq!(map(&harness), &before);
}

#[test]
fn a_copied_node_pastes_as_a_second_copy_with_a_new_id() {
    let mut harness = banking();
    select_node(&mut harness, "login");
    harness.key_press_modifiers(Modifiers::COMMAND, Key::C);
    settle(&mut harness);
    harness.get_by_label_contains("Copied 1 item");
    // kittest cannot read the system clipboard: paste what the copy put there.
    let editor = harness.state();
    let text = copy_selection(editor.document().map(), editor.selection()).expect("copies");
    harness.event(Event::Paste(text));
    settle(&mut harness);

    let map = map(&harness);
    let copies: Vec<&str> = map
        .nodes
        .iter()
        .filter(|n| n.label == "Sign in")
        .map(|n| n.id.as_str())
        .collect();
    assert_eq!(copies, ["login", "login-2"]);
    assert_eq!(
        harness.state().selection(),
        &Selection::of_nodes([NodeId::from("login-2")]),
        "the copy is selected"
    );
}

#[test]
fn a_palette_kind_clicked_then_placed_on_the_canvas_becomes_a_node() {
    let mut harness = banking();
    let nodes = map(&harness).nodes.len();
    harness.get_by_label("Add Idle timeout").click_accesskit();
    settle(&mut harness);
    let spot = empty_spot(&harness);
    let at = on_screen(&harness, spot);
    click_at(&mut harness, at, Modifiers::NONE);

    let map = map(&harness);
    assert_eq!(map.nodes.len(), nodes + 1);
    let added = map.nodes.last().expect("a node");
    assert!(matches!(added.kind, NodeKind::IdleTimeout { .. }));
    assert_eq!(added.label, "Idle timeout");
    assert!(
        rect_of(map, added.id.as_str()).distance_to_pos(spot) < 1.0,
        "placed where clicked"
    );
    assert_eq!(
        harness.state().selection(),
        &Selection::of_nodes([added.id.clone()])
    );
}

#[test]
fn a_large_map_opens_with_the_minimap_and_clicking_it_moves_the_view() {
    let banking = sessionmap::templates::find("banking")
        .and_then(|t| t.load().ok())
        .expect("bundled")
        .map;
    let big = model::synthetic(&banking, 120, 200).expect("generated");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("big.ron");
    std::fs::write(&file, model::to_ron(&big).expect("serialises")).expect("write");
    // Tall enough that the canvas has room for the minimap beside the bottom panels.
    let editor = Editor::open(&Startup::File(file), EditorOptions::default());
    let mut harness = window_of_size(editor, egui::vec2(1400.0, 1400.0));
    settle(&mut harness);

    // Zoom in so the view is a part of the map, then jump to the minimap's top-left corner.
    for _ in 0..6 {
        harness.key_press(Key::Plus);
    }
    settle(&mut harness);
    let minimap = harness
        .get_by_label("Minimap: click to move the view")
        .rect();
    let before = screen_from_scene(&harness.ctx).expect("drawn");
    let corner = minimap.min + minimap.size() * 0.1;
    click_at(&mut harness, corner, Modifiers::NONE);
    let after = screen_from_scene(&harness.ctx).expect("drawn");
    assert!(after.scaling > before.scaling * 0.99, "the zoom is kept");
    assert!(
        after.translation.x > before.translation.x && after.translation.y > before.translation.y,
        "the view moved up and left: {before:?} → {after:?}"
    );
}

#[test]
fn escape_closes_an_open_menu_and_leaves_the_selection_alone() {
    let mut harness = banking();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.run();
    let selected = harness.state().selection().len();
    assert!(selected > 0, "Ctrl+A selected the map");
    harness.get_by_label("Edit").click();
    harness.run();
    assert!(
        harness.query_by_label_contains("Select all").is_some(),
        "the Edit menu is open"
    );
    harness.key_press(Key::Escape);
    harness.run();
    harness.run();
    assert!(
        harness.query_by_label_contains("Select all").is_none(),
        "Escape closed the Edit menu"
    );
    assert_eq!(
        harness.state().selection().len(),
        selected,
        "that Escape was the menu's, not a deselect"
    );
}

/// Every text the window painted inside `area` (screen points), with its size on the screen:
/// the font size times the scale the canvas's zoom applied to its rows.
fn painted_text_sizes(harness: &Harness<'_, Editor>, area: Rect) -> Vec<(f32, String)> {
    fn walk(shape: &egui::Shape, area: Rect, out: &mut Vec<(f32, String)>) {
        match shape {
            egui::Shape::Vec(shapes) => {
                for s in shapes {
                    walk(s, area, out);
                }
            }
            egui::Shape::Text(t) => {
                let galley = &t.galley;
                let Some(section) = galley.job.sections.first() else {
                    return;
                };
                for placed in &galley.rows {
                    let glyphs = &placed.row.glyphs;
                    let text: String = glyphs.iter().map(|g| g.chr).collect();
                    // A row's size leaves out trailing spaces.
                    let (Some(first), Some(last)) = (
                        glyphs.first(),
                        glyphs.iter().rev().find(|g| !g.chr.is_whitespace()),
                    ) else {
                        continue;
                    };
                    // Glyphs keep their laid-out positions; the row's size is scaled with the
                    // canvas: their ratio is the zoom the text is painted at.
                    let laid_out = last.pos.x + last.advance_width - first.pos.x;
                    if laid_out < 20.0 || text.trim().is_empty() || !area.contains(t.pos) {
                        continue;
                    }
                    let scale = placed.row.size.x / laid_out;
                    out.push((section.format.font_id.size * scale, text));
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for clipped in &harness.output().shapes {
        walk(&clipped.shape, area, &mut out);
    }
    out
}

#[test]
fn after_fit_every_template_s_canvas_text_is_at_least_11_px_on_screen() {
    for t in sessionmap::templates::ALL {
        let editor = Editor::open(&Startup::File(t.path()), EditorOptions::default());
        let mut harness = window(editor);
        settle(&mut harness);
        harness.key_press(Key::F);
        settle(&mut harness);
        let diagram = geometry::diagram(map(&harness), Theme::Light);
        let to_screen = screen_from_scene(&harness.ctx).expect("drawn");
        let bounds = Rect::from_min_max(
            to_screen * diagram.bounds.min,
            to_screen * diagram.bounds.max,
        );
        let sizes = painted_text_sizes(&harness, bounds);
        assert!(
            sizes.len() > map(&harness).nodes.len(),
            "{}: the canvas shows its labels ({} texts)",
            t.name,
            sizes.len()
        );
        let smallest = sizes
            .iter()
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .expect("texts");
        // Measured on rows at least 20 points long, the ratio is good to about 0.5 %.
        assert!(
            smallest.0 >= 10.95,
            "{}: {:?} is painted at {:.3} px",
            t.name,
            smallest.1,
            smallest.0
        );
    }
}
