//! The editor's display-free core: commands, undo/redo, dirty tracking, clipboard, auto-layout,
//! search and crash recovery.

use std::path::{Path, PathBuf};

use chrono::{TimeZone as _, Utc};
use proptest::prelude::*;
use sessionmap::editor::{
    ClipboardError, Command, Document, EdgeEdit, EditError, LaneEdit, NodeEdit, NoteEdit,
    RecoveryError, Selection, auto_layout, copy_selection, discard_recovery, find_recovery, paste,
    recovery_file, search, write_recovery, write_recovery_at,
};
use sessionmap::model::{
    self, Edge, Group, LaneId, Level, Map, NodeId, NodeKind, NoteColor, Pos, Size, Span, Trigger,
};
use sessionmap::templates;

fn banking() -> Map {
    templates::find("banking")
        .expect("banking is bundled")
        .load()
        .expect("loads")
        .map
}

fn ron(map: &Map) -> String {
    model::to_ron(map).expect("serialises")
}

fn id(s: &str) -> NodeId {
    NodeId::from(s)
}

fn node<'m>(map: &'m Map, s: &str) -> &'m model::Node {
    map.node(&id(s)).unwrap_or_else(|| panic!("node {s}"))
}

fn kind(name: &str) -> NodeKind {
    NodeKind::palette()
        .into_iter()
        .find(|k| k.name() == name)
        .unwrap_or_else(|| panic!("no kind {name}"))
}

fn selection(nodes: &[&str], notes: &[&str]) -> Selection {
    Selection {
        nodes: nodes.iter().map(|s| id(s)).collect(),
        notes: notes.iter().map(|s| s.to_string()).collect(),
        ..Selection::default()
    }
}

/// One command of every kind the window sends, each valid on the banking map.
fn every_command(map: &Map) -> Vec<Command> {
    let mut persona = map.personas[0].clone();
    persona.id = "night-owl".to_owned();
    let mut renamed = map.personas[1].clone();
    renamed.name = "Phone and laptop".to_owned();
    let edge = |s: &str| model::EdgeId::from(s);
    let node_edit = |edit| Command::EditNode {
        id: id("accounts"),
        edit,
    };
    let edge_edit = |edit| Command::EditEdge {
        id: edge("accounts-transfer"),
        edit,
    };
    let note_edit = |edit| Command::EditNote {
        id: "note-single".to_owned(),
        edit,
    };
    vec![
        Command::SetTitle("Retail banking".into()),
        Command::SetDescription("Reviewed in the March workshop.".into()),
        Command::AddNode {
            kind: kind("Idle timeout"),
            pos: Pos(1400.0, 60.0),
            lane: Some(LaneId::from("customer")),
        },
        node_edit(NodeEdit::Label("Accounts overview".into())),
        node_edit(NodeEdit::Kind(NodeKind::Request { state_change: true })),
        node_edit(NodeEdit::Lane(Some(LaneId::from("operations")))),
        node_edit(NodeEdit::Lane(None)),
        node_edit(NodeEdit::Notes("The landing page.".into())),
        node_edit(NodeEdit::Size(Size(220.0, 80.0))),
        Command::AddEdge {
            from: id("accounts"),
            to: id("password"),
            trigger: Trigger::UserAction,
        },
        edge_edit(EdgeEdit::Trigger(Trigger::After(Span::Minutes(5)))),
        edge_edit(EdgeEdit::Weight(7)),
        edge_edit(EdgeEdit::Label("pay someone".into())),
        edge_edit(EdgeEdit::Notes("Most visits end here.".into())),
        edge_edit(EdgeEdit::From(id("poll"))),
        edge_edit(EdgeEdit::To(id("password"))),
        Command::AddNote {
            text: "Ask the fraud team".into(),
            pos: Pos(40.0, 700.0),
            color: NoteColor::Pink,
        },
        note_edit(NoteEdit::Text("Single session, evict oldest".into())),
        note_edit(NoteEdit::Color(NoteColor::Green)),
        note_edit(NoteEdit::Size(Size(240.0, 140.0))),
        Command::Remove(selection(&["accounts"], &[])),
        Command::Remove(Selection {
            edges: [edge("accounts-poll")].into(),
            ..Selection::default()
        }),
        Command::Remove(selection(&[], &["note-transfer"])),
        Command::Move {
            items: selection(&["login", "create"], &["note-single"]),
            dx: 25.0,
            dy: -10.0,
        },
        Command::PlaceNodes(vec![(id("store"), Pos(0.0, 300.0))]),
        Command::AddLane {
            title: "Partners".into(),
            height: 200.0,
        },
        Command::EditLane {
            id: LaneId::from("customer"),
            edit: LaneEdit::Title("Retail customer".into()),
        },
        Command::EditLane {
            id: LaneId::from("customer"),
            edit: LaneEdit::Height(700.0),
        },
        Command::MoveLane {
            id: LaneId::from("operations"),
            to: 0,
        },
        Command::RemoveLane(LaneId::from("operations")),
        Command::AddPersona(persona),
        Command::EditPersona {
            id: "multi-device".into(),
            persona: renamed,
        },
        Command::RemovePersona("forgetful".into()),
        paste(
            map,
            &copy_selection(map, &selection(&["login", "create"], &[])).expect("copies"),
            None,
        )
        .expect("pastes"),
        Command::Batch(vec![
            Command::SetTitle("Batched".into()),
            Command::AddEdge {
                from: id("poll"),
                to: id("logout"),
                trigger: Trigger::System,
            },
        ]),
    ]
}

#[test]
fn every_command_applies_and_undoes_back_to_byte_identical_ron() {
    let original = ron(&banking());
    for command in every_command(&banking()) {
        let mut doc = Document::new(banking(), None);
        let description = command.description();
        doc.apply(command.clone())
            .unwrap_or_else(|e| panic!("{command:?}: {e}"));
        let after = ron(doc.map());
        assert_ne!(after, original, "{command:?} changed nothing");
        assert_eq!(doc.undo_description(), Some(description.as_str()));
        assert!(doc.undo(), "{command:?} can be undone");
        assert_eq!(
            ron(doc.map()),
            original,
            "undo of {command:?} restores the map"
        );
        assert!(doc.redo(), "{command:?} can be redone");
        assert_eq!(ron(doc.map()), after, "redo of {command:?} re-applies it");
    }
}

#[test]
fn adding_nodes_generates_unique_ids_from_their_kind() {
    let mut doc = Document::new(banking(), None);
    let add = || Command::AddNode {
        kind: kind("Idle timeout"),
        pos: Pos(0.0, 0.0),
        lane: None,
    };
    doc.apply(add()).expect("adds");
    doc.apply(add()).expect("adds");
    let ids: Vec<&str> = doc.map().nodes.iter().map(|n| n.id.as_str()).collect();
    assert!(ids.contains(&"idle-timeout") && ids.contains(&"idle-timeout-2"));
    assert_eq!(doc.last_created().nodes, [id("idle-timeout-2")].into());
    assert_eq!(node(doc.map(), "idle-timeout-2").label, "Idle timeout");
}

#[test]
fn removing_a_node_removes_every_edge_that_touches_it() {
    let mut doc = Document::new(banking(), None);
    doc.apply(Command::Remove(selection(&["accounts"], &[])))
        .expect("removes");
    assert!(doc.map().node(&id("accounts")).is_none());
    assert!(
        !doc.map()
            .edges
            .iter()
            .any(|e| e.from == id("accounts") || e.to == id("accounts"))
    );
    assert!(!doc.diagnostics().iter().any(|d| d.is_error()));
}

#[test]
fn refused_commands_say_why_and_leave_the_map_and_history_untouched() {
    let mut doc = Document::new(banking(), None);
    let before = ron(doc.map());
    let refused = [
        (
            Command::AddEdge {
                from: id("login"),
                to: id("login"),
                trigger: Trigger::UserAction,
            },
            EditError::SelfLoop(id("login")),
        ),
        (
            Command::AddEdge {
                from: id("login"),
                to: id("nowhere"),
                trigger: Trigger::UserAction,
            },
            EditError::UnknownNode(id("nowhere")),
        ),
        (
            Command::EditEdge {
                id: "login-create".into(),
                edit: EdgeEdit::To(id("login")),
            },
            EditError::SelfLoop(id("login")),
        ),
        (
            Command::AddPersona(banking().personas[0].clone()),
            EditError::DuplicateId {
                what: "persona",
                id: "everyday".into(),
            },
        ),
        (
            Command::EditNode {
                id: id("login"),
                edit: NodeEdit::Lane(Some(LaneId::from("martians"))),
            },
            EditError::UnknownLane(LaneId::from("martians")),
        ),
        (
            Command::EditLane {
                id: LaneId::from("customer"),
                edit: LaneEdit::Height(0.0),
            },
            EditError::NotPositive {
                what: "a lane's height",
                value: 0.0,
            },
        ),
        (
            Command::Move {
                items: selection(&["login"], &[]),
                dx: f32::NAN,
                dy: 0.0,
            },
            EditError::NotFinite("a move"),
        ),
    ];
    for (command, expected) in refused {
        assert_eq!(doc.apply(command), Err(expected));
        assert_eq!(ron(doc.map()), before);
        assert!(!doc.can_undo() && !doc.is_dirty());
    }
}

#[test]
fn a_batch_applies_all_or_nothing_and_undoes_in_one_step() {
    let mut doc = Document::new(banking(), None);
    let original = ron(doc.map());
    let good = Command::Batch(vec![
        Command::SetTitle("One".into()),
        Command::Remove(selection(&["poll"], &[])),
        Command::Move {
            items: selection(&["login"], &[]),
            dx: 10.0,
            dy: 0.0,
        },
    ]);
    doc.apply(good).expect("applies");
    assert_eq!(doc.map().title, "One");
    assert!(doc.undo());
    assert_eq!(
        ron(doc.map()),
        original,
        "one undo takes the whole batch back"
    );
    assert!(!doc.can_undo());

    let bad = Command::Batch(vec![
        Command::SetTitle("Two".into()),
        Command::Remove(selection(&["ghost"], &[])),
    ]);
    assert_eq!(doc.apply(bad), Err(EditError::UnknownNode(id("ghost"))));
    assert_eq!(ron(doc.map()), original, "nothing of a failed batch stays");
}

#[test]
fn redo_reapplies_undone_steps_until_a_new_edit_replaces_them() {
    let mut doc = Document::new(banking(), None);
    doc.apply(Command::SetTitle("A".into())).expect("ok");
    doc.apply(Command::SetDescription("B".into())).expect("ok");
    assert!(doc.undo() && doc.undo());
    assert!(!doc.undo(), "nothing left to undo");
    assert!(doc.redo());
    assert_eq!(doc.map().title, "A");
    assert!(doc.can_redo());
    doc.apply(Command::SetTitle("C".into())).expect("ok");
    assert!(!doc.can_redo(), "a new edit drops the undone steps");
    assert!(!doc.redo());
}

#[test]
fn a_document_is_dirty_exactly_when_it_differs_from_the_saved_state() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("bank.ron");
    let mut doc = Document::new(banking(), None);
    assert!(!doc.is_dirty(), "a freshly opened map is clean");
    doc.apply(Command::SetTitle("A".into())).expect("ok");
    assert!(doc.is_dirty());
    assert!(doc.undo());
    assert!(!doc.is_dirty(), "undoing back to the loaded state is clean");
    assert!(doc.redo());
    assert!(doc.is_dirty());
    doc.save_as(&file).expect("saves");
    assert!(!doc.is_dirty());
    assert_eq!(doc.path(), Some(file.as_path()));
    assert_eq!(
        model::load_file(&file).expect("loads").map.title,
        "A",
        "saved to disk"
    );
    assert!(doc.undo());
    assert!(
        doc.is_dirty(),
        "the state before the save is not what is on disk"
    );
    assert!(doc.redo());
    assert!(!doc.is_dirty(), "redoing back to the saved state is clean");
    doc.apply(Command::SetTitle("A".into())).expect("ok");
    assert!(!doc.is_dirty(), "a command that changes nothing is no edit");
    assert!(doc.undo());
    doc.apply(Command::SetTitle("B".into())).expect("ok");
    assert!(doc.is_dirty());
    assert!(!doc.redo(), "the saved state is no longer ahead");
    doc.mark_saved(file);
    assert!(!doc.is_dirty());
}

#[test]
fn typing_in_one_field_is_one_undo_step_until_the_step_is_closed() {
    let mut doc = Document::new(banking(), None);
    let label = |s: &str| Command::EditNode {
        id: id("login"),
        edit: NodeEdit::Label(s.into()),
    };
    for text in ["L", "Lo", "Log", "Log in"] {
        doc.apply(label(text)).expect("ok");
    }
    assert!(doc.undo());
    assert_eq!(node(doc.map(), "login").label, "Sign in");
    assert!(!doc.can_undo(), "the typing was one step");

    doc.apply(label("Sign")).expect("ok");
    doc.apply(label("Sign in")).expect("ok");
    assert!(
        !doc.is_dirty() && !doc.can_undo(),
        "typing back to the saved text leaves nothing to undo"
    );

    doc.apply(label("First")).expect("ok");
    doc.close_undo_step();
    doc.apply(label("Second")).expect("ok");
    doc.apply(Command::EditNode {
        id: id("create"),
        edit: NodeEdit::Label("Other node".into()),
    })
    .expect("ok");
    assert!(doc.undo() && doc.undo());
    assert_eq!(node(doc.map(), "login").label, "First");
}

#[test]
fn the_undo_history_is_bounded() {
    let mut doc = Document::new(banking(), None).with_history_limit(3);
    for i in 0..5 {
        doc.apply(Command::AddNote {
            text: format!("{i}"),
            pos: Pos(0.0, 0.0),
            color: NoteColor::Yellow,
        })
        .expect("ok");
    }
    let mut undone = 0;
    while doc.undo() {
        undone += 1;
    }
    assert_eq!(undone, 3);
    assert!(doc.is_dirty(), "the saved state fell out of the history");
}

#[test]
fn nodes_move_with_their_lane_when_lanes_are_resized_or_reordered() {
    let mut doc = Document::new(banking(), None);
    let login_y = node(doc.map(), "login").pos.1;
    let kill_y = node(doc.map(), "admin-kill").pos.1;
    doc.apply(Command::EditLane {
        id: LaneId::from("customer"),
        edit: LaneEdit::Height(660.0),
    })
    .expect("ok");
    assert_eq!(node(doc.map(), "login").pos.1, login_y);
    assert_eq!(node(doc.map(), "admin-kill").pos.1, kill_y + 100.0);
    doc.apply(Command::MoveLane {
        id: LaneId::from("operations"),
        to: 0,
    })
    .expect("ok");
    assert_eq!(node(doc.map(), "admin-kill").pos.1, kill_y - 560.0);
    assert_eq!(node(doc.map(), "login").pos.1, login_y + 240.0);
    assert_eq!(
        doc.map().lane_at(node(doc.map(), "login").pos.1),
        Some(LaneId::from("customer"))
    );
}

#[test]
fn removing_a_lane_leaves_its_nodes_and_personas_without_one() {
    let mut doc = Document::new(banking(), None);
    doc.apply(Command::RemoveLane(LaneId::from("customer")))
        .expect("ok");
    assert_eq!(node(doc.map(), "login").lane, None);
    assert!(doc.map().personas.iter().all(|p| p.lane.is_none()));
    assert_eq!(
        node(doc.map(), "admin-kill").pos.1,
        640.0 - 560.0,
        "the lane below moved up with its nodes"
    );
    assert!(
        !doc.diagnostics().iter().any(|d| d.is_error()),
        "{:?}",
        doc.diagnostics()
    );
}

#[test]
fn diagnostics_follow_every_edit_undo_and_redo() {
    let mut doc = Document::new(banking(), None);
    assert!(doc.diagnostics().is_empty());
    doc.apply(Command::AddNode {
        kind: kind("Absolute timeout"),
        pos: Pos(1300.0, 400.0),
        lane: Some(LaneId::from("customer")),
    })
    .expect("ok");
    let warnings: Vec<_> = doc.diagnostics().iter().map(|d| d.level).collect();
    assert_eq!(
        warnings,
        [Level::Warning],
        "an unattached timeout is flagged"
    );
    doc.apply(Command::AddEdge {
        from: id("absolute-timeout"),
        to: id("accounts"),
        trigger: Trigger::Attach,
    })
    .expect("ok");
    assert!(doc.diagnostics().is_empty());
    assert!(doc.undo());
    assert_eq!(doc.diagnostics().len(), 1);
}

#[test]
fn copy_and_paste_renames_taken_ids_and_puts_each_copy_beside_the_last() {
    let map = banking();
    let picked = selection(&["login", "create"], &["note-single"]);
    let text = copy_selection(&map, &picked).expect("copies");
    assert!(
        text.contains("login-create"),
        "the edge between them is copied"
    );
    assert!(
        !text.contains("create-accounts"),
        "edges leaving the selection are not"
    );

    let mut doc = Document::new(map.clone(), None);
    doc.apply(paste(doc.map(), &text, None).expect("pastes"))
        .expect("applies");
    let first = doc.last_created().clone();
    assert_eq!(
        first.nodes,
        [id("login-2"), id("create-2")].into(),
        "taken ids are renamed"
    );
    assert_eq!(first.notes, ["note-single-2".to_owned()].into());
    let edge: &Edge = doc
        .map()
        .edges
        .iter()
        .find(|e| e.from == id("login-2"))
        .expect("the copied edge");
    assert_eq!(
        (edge.id.as_str(), edge.to.as_str()),
        ("login-create-2", "create-2")
    );
    let (original, copy) = (node(doc.map(), "login"), node(doc.map(), "login-2"));
    assert!(copy.pos.0 > original.pos.0, "the copy is to the right");
    assert_eq!(copy.pos.1, original.pos.1, "in the same lane band");
    assert_eq!(copy.lane, original.lane);

    doc.apply(paste(doc.map(), &text, None).expect("pastes"))
        .expect("applies");
    let third = node(doc.map(), "login-3");
    assert!(
        third.pos.0 > node(doc.map(), "login-2").pos.0,
        "a second paste goes beside the first"
    );
    let boxes: Vec<(f32, f32, f32, f32)> = doc
        .map()
        .nodes
        .iter()
        .map(|n| (n.pos.0, n.pos.1, n.size.0, n.size.1))
        .collect();
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let overlap = a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3;
            assert!(!overlap, "pasted boxes cover nothing: {a:?} {b:?}");
        }
    }
    assert!(!doc.diagnostics().iter().any(|d| d.is_error()));
    assert!(doc.undo());
    assert!(doc.undo());
    assert_eq!(ron(doc.map()), ron(&map));
}

#[test]
fn paste_at_a_point_puts_the_top_left_item_there_in_the_lane_it_lands_in() {
    let map = banking();
    let text = copy_selection(&map, &selection(&["accounts", "transfer"], &[])).expect("copies");
    let Command::Paste(fragment) = paste(&map, &text, Some(Pos(100.0, 600.0))).expect("pastes")
    else {
        panic!("a paste command");
    };
    assert!(
        fragment
            .nodes
            .iter()
            .all(|n| n.lane == Some(LaneId::from("operations")))
    );
    let top_left = fragment
        .nodes
        .iter()
        .map(|n| (n.pos.0, n.pos.1))
        .fold((f32::MAX, f32::MAX), |a, b| (a.0.min(b.0), a.1.min(b.1)));
    assert_eq!(top_left, (100.0, 600.0));
}

#[test]
fn pasting_into_another_map_drops_lanes_it_does_not_have() {
    let text = copy_selection(&banking(), &selection(&["login"], &[])).expect("copies");
    let mut doc = Document::default();
    doc.apply(paste(doc.map(), &text, None).expect("pastes"))
        .expect("applies");
    assert_eq!(
        node(doc.map(), "login").lane,
        None,
        "kept its id: it was free"
    );
}

#[test]
fn pasting_a_whole_map_file_pastes_its_items() {
    let mut doc = Document::default();
    let text = templates::find("banking").expect("bundled").text;
    doc.apply(paste(doc.map(), text, None).expect("pastes"))
        .expect("applies");
    assert_eq!(doc.map().nodes.len(), banking().nodes.len());
    assert_eq!(doc.map().edges.len(), banking().edges.len());
}

#[test]
fn pasting_text_that_is_not_a_fragment_is_an_error() {
    let map = banking();
    for garbage in [
        "",
        "hello",
        "(nodes: [(id: 3)])",
        "{\"nodes\": []}",
        "((((",
        "\u{0}",
    ] {
        assert!(
            matches!(
                paste(&map, garbage, None),
                Err(ClipboardError::NotAFragment { .. })
            ),
            "{garbage:?}"
        );
    }
    assert_eq!(
        paste(&map, "(format_version: 1)", None),
        Err(ClipboardError::Empty)
    );
    assert_eq!(
        paste(&map, "(format_version: 99, nodes: [])", None),
        Err(ClipboardError::TooNew {
            found: 99,
            supported: model::FORMAT_VERSION
        })
    );
}

fn assert_in_lanes(map: &Map) {
    let tops = map.lane_tops();
    for n in &map.nodes {
        let Some(lane) = &n.lane else { continue };
        let i = map.lanes.iter().position(|l| &l.id == lane).expect("lane");
        let (top, bottom) = (tops[i], tops[i] + map.lanes[i].height);
        assert!(
            n.pos.1 >= top && n.pos.1 + n.size.1 <= bottom,
            "{} ({}..{}) is outside lane {lane} ({top}..{bottom})",
            n.id,
            n.pos.1,
            n.pos.1 + n.size.1
        );
    }
}

#[test]
fn layout_keeps_every_node_in_its_lane_and_overlaps_nothing_for_every_template() {
    for t in templates::ALL {
        let mut doc = Document::new(t.load().expect("loads").map, None);
        let original = ron(doc.map());
        let command = auto_layout(doc.map(), None).expect("a map with nodes lays out");
        doc.apply(command).expect("applies");
        assert_in_lanes(doc.map());
        let nodes = &doc.map().nodes;
        for (i, a) in nodes.iter().enumerate() {
            for b in &nodes[i + 1..] {
                let overlap = a.pos.0 < b.pos.0 + b.size.0
                    && b.pos.0 < a.pos.0 + a.size.0
                    && a.pos.1 < b.pos.1 + b.size.1
                    && b.pos.1 < a.pos.1 + a.size.1;
                assert!(!overlap, "{}: {} overlaps {}", t.name, a.id, b.id);
            }
        }
        assert!(doc.undo(), "{}: layout is one step", t.name);
        assert_eq!(ron(doc.map()), original);
    }
}

#[test]
fn layout_reads_a_flow_left_to_right_with_attachments_under_their_stage() {
    let mut doc = Document::new(banking(), None);
    // Scramble the drawing first, so the layout cannot just keep what was there.
    let scrambled: Vec<(NodeId, Pos)> = doc
        .map()
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let lane_top = if n.lane == Some(LaneId::from("operations")) {
                560.0
            } else {
                0.0
            };
            (
                n.id.clone(),
                Pos(((i * 7) % 5) as f32 * 300.0, lane_top + 20.0),
            )
        })
        .collect();
    doc.apply(Command::PlaceNodes(scrambled)).expect("ok");
    doc.apply(auto_layout(doc.map(), None).expect("lays out"))
        .expect("ok");
    let map = doc.map();
    let x = |s: &str| node(map, s).pos.0;
    assert!(x("login") < x("create") && x("create") < x("accounts"));
    assert!(x("accounts") < x("transfer") && x("transfer") < x("logout"));
    let (idle, accounts) = (node(map, "idle"), node(map, "accounts"));
    assert_eq!(
        idle.pos.0 + idle.size.0 / 2.0,
        accounts.pos.0 + accounts.size.0 / 2.0,
        "the idle timeout is in the column of the stage it governs"
    );
    assert!(idle.pos.1 > accounts.pos.1, "below it");
    let warning = node(map, "warning");
    assert_eq!(
        warning.pos.0, idle.pos.0,
        "a warning hangs under its timeout"
    );
    assert_in_lanes(map);
}

#[test]
fn layout_of_a_selection_moves_only_the_selection() {
    let map = banking();
    let picked = selection(&["accounts", "transfer", "logout"], &[]);
    let mut doc = Document::new(map.clone(), None);
    doc.apply(auto_layout(doc.map(), Some(&picked)).expect("lays out"))
        .expect("ok");
    for n in &map.nodes {
        if !picked.nodes.contains(&n.id) {
            assert_eq!(node(doc.map(), n.id.as_str()).pos, n.pos, "{} moved", n.id);
        }
    }
    assert!(auto_layout(&map, Some(&Selection::default())).is_none());
}

#[test]
fn layout_grows_a_lane_too_short_for_its_column() {
    let mut map = banking();
    for i in 0..8 {
        let mut n = map.nodes[0].clone();
        n.id = NodeId(format!("entry-{i}"));
        map.nodes.push(n);
        map.edges.push(Edge {
            id: model::EdgeId(format!("entry-{i}-create")),
            from: NodeId(format!("entry-{i}")),
            to: id("create"),
            trigger: Trigger::UserAction,
            weight: 1,
            label: String::new(),
            notes: String::new(),
        });
    }
    let mut doc = Document::new(map, None);
    doc.apply(auto_layout(doc.map(), None).expect("lays out"))
        .expect("ok");
    assert!(doc.map().lanes[0].height > 560.0);
    assert_in_lanes(doc.map());
    assert!(doc.undo());
    assert_eq!(doc.map().lanes[0].height, 560.0, "one undo step");
}

#[test]
fn layout_of_a_generated_thousand_node_map_runs() {
    let map = model::synthetic(&banking(), 1_000, 2_000).expect("generates");
    let mut doc = Document::new(map, None);
    doc.apply(auto_layout(doc.map(), None).expect("lays out"))
        .expect("applies");
    assert_in_lanes(doc.map());
}

#[test]
fn search_finds_nodes_by_label_id_and_kind_best_first() {
    let map = banking();
    let found = |q: &str| search(&map, q);
    assert_eq!(
        found("SIGN IN").first(),
        Some(&id("login")),
        "case-insensitive"
    );
    assert_eq!(found("idle").first(), Some(&id("idle")));
    assert!(
        found("sensitive action").contains(&id("transfer")),
        "by kind"
    );
    assert_eq!(found("log out")[..2], [id("logout"), id("logout-all")]);
    assert!(found("Redis").contains(&id("store")), "by the summary");
    assert!(found("").is_empty() && found("quantum").is_empty());
    let groups: Vec<Group> = found("timeout")
        .iter()
        .map(|n| node(&map, n.as_str()).kind.group())
        .collect();
    assert!(groups.len() >= 2 && groups.iter().all(|g| *g == Group::Timeout));
}

#[test]
fn recovery_is_written_found_and_discarded() {
    let dir = tempfile::tempdir().expect("temp dir");
    let original = PathBuf::from("/maps/bank \"v2\".ron");
    let mut doc = Document::new(banking(), None);
    doc.mark_saved(original.clone());
    doc.apply(Command::SetTitle("Unsaved work".into()))
        .expect("ok");
    assert!(find_recovery(dir.path()).expect("reads").is_none());
    let when = Utc
        .with_ymd_and_hms(2026, 3, 14, 9, 26, 53)
        .single()
        .expect("a time");
    write_recovery_at(dir.path(), &doc, when).expect("writes");
    let found = find_recovery(dir.path()).expect("reads").expect("found it");
    assert_eq!(ron(&found.map), ron(doc.map()));
    assert_eq!(found.original_path.as_deref(), Some(original.as_path()));
    assert_eq!(found.saved_at, when);
    let restored = found.into_document();
    assert!(restored.is_dirty(), "recovered work is not saved yet");
    assert_eq!(restored.path(), Some(original.as_path()));
    assert_eq!(restored.map().title, "Unsaved work");

    discard_recovery(dir.path()).expect("discards");
    assert!(find_recovery(dir.path()).expect("reads").is_none());
    discard_recovery(dir.path()).expect("discarding nothing is fine");
}

#[test]
fn recovery_of_a_map_never_saved_has_no_original_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let nested = dir.path().join("not/yet/there");
    write_recovery(&nested, &Document::default()).expect("creates the folder and writes");
    let found = find_recovery(&nested).expect("reads").expect("found");
    assert_eq!(found.original_path, None);
    assert_eq!(found.map, Map::default());
}

#[test]
fn a_corrupt_recovery_file_is_reported_not_panicked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = recovery_file(dir.path());
    std::fs::write(&file, "garbage").expect("write");
    assert!(matches!(
        find_recovery(dir.path()),
        Err(RecoveryError::Header { .. })
    ));
    std::fs::write(
        &file,
        "// SessionMap recovery\n// original: none\n// saved_at: 2026-03-14T09:26:53Z\n(format_version: 1, title: ",
    )
    .expect("write");
    let error = find_recovery(dir.path()).expect_err("a truncated map");
    assert!(matches!(error, RecoveryError::Load(_)));
    assert!(error.to_string().contains(":4:"), "names the line: {error}");
    std::fs::write(&file, [0xff, 0xfe, 0x00]).expect("write");
    assert!(find_recovery(dir.path()).is_err());
}

/// An edit chosen by index into whatever the map holds when it is applied.
#[derive(Clone, Debug)]
enum Op {
    AddNode(usize, i16, i16, usize),
    Label(usize, String),
    Remove(usize),
    AddEdge(usize, usize, u8),
    Reconnect(usize, usize),
    Move(usize, usize, i16, i16),
    AddNote(i16, i16),
    EditNote(usize, String),
    LaneHeight(usize, u16),
    MoveLane(usize, usize),
    RemoveLane(usize),
    RemovePersona(usize),
    Paste(usize),
    Layout,
    Batch(usize, String),
    Undo,
    Redo,
    Close,
}

fn op() -> impl Strategy<Value = Op> {
    let i = || 0usize..40;
    let text = || "[a-z ]{0,6}";
    prop_oneof![
        (i(), any::<i16>(), any::<i16>(), i()).prop_map(|(k, x, y, l)| Op::AddNode(k, x, y, l)),
        (i(), text()).prop_map(|(n, s)| Op::Label(n, s)),
        i().prop_map(Op::Remove),
        (i(), i(), any::<u8>()).prop_map(|(a, b, t)| Op::AddEdge(a, b, t)),
        (i(), i()).prop_map(|(e, n)| Op::Reconnect(e, n)),
        (i(), i(), any::<i16>(), any::<i16>()).prop_map(|(a, b, x, y)| Op::Move(a, b, x, y)),
        (any::<i16>(), any::<i16>()).prop_map(|(x, y)| Op::AddNote(x, y)),
        (i(), text()).prop_map(|(n, s)| Op::EditNote(n, s)),
        (i(), any::<u16>()).prop_map(|(l, h)| Op::LaneHeight(l, h)),
        (i(), i()).prop_map(|(l, to)| Op::MoveLane(l, to)),
        i().prop_map(Op::RemoveLane),
        i().prop_map(Op::RemovePersona),
        i().prop_map(Op::Paste),
        Just(Op::Layout),
        (i(), text()).prop_map(|(n, s)| Op::Batch(n, s)),
        Just(Op::Undo),
        Just(Op::Redo),
        Just(Op::Close),
    ]
}

fn nth<T: Clone>(items: &[T], i: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[i % items.len()].clone())
}

/// The command an op stands for on this map (indices past the end name nothing, which the
/// document must refuse cleanly).
fn command(map: &Map, op: &Op) -> Option<Command> {
    let nodes: Vec<NodeId> = map.nodes.iter().map(|n| n.id.clone()).collect();
    let node_at = |i: usize| nth(&nodes, i).unwrap_or_else(|| id("ghost"));
    let lane_at = |i: usize| nth(&map.lanes, i).map(|l| l.id);
    Some(match op {
        Op::AddNode(k, x, y, l) => Command::AddNode {
            kind: nth(&NodeKind::palette(), *k)?,
            pos: Pos(f32::from(*x), f32::from(*y)),
            lane: lane_at(*l).filter(|_| l % 3 != 0),
        },
        Op::Label(n, s) => Command::EditNode {
            id: node_at(*n),
            edit: NodeEdit::Label(s.clone()),
        },
        Op::Remove(n) => Command::Remove(Selection::of_nodes([node_at(*n)])),
        Op::AddEdge(a, b, t) => Command::AddEdge {
            from: node_at(*a),
            to: node_at(*b),
            trigger: match t % 4 {
                0 => Trigger::UserAction,
                1 => Trigger::System,
                2 => Trigger::Attach,
                _ => Trigger::After(Span::Minutes(i64::from(*t))),
            },
        },
        Op::Reconnect(e, n) => Command::EditEdge {
            id: nth(&map.edges, *e).map_or_else(|| "ghost".into(), |e| e.id),
            edit: if n % 2 == 0 {
                EdgeEdit::From(node_at(*n))
            } else {
                EdgeEdit::To(node_at(*n))
            },
        },
        Op::Move(a, b, x, y) => Command::Move {
            items: Selection::of_nodes([node_at(*a), node_at(*b)]),
            dx: f32::from(*x),
            dy: f32::from(*y),
        },
        Op::AddNote(x, y) => Command::AddNote {
            text: "note".into(),
            pos: Pos(f32::from(*x), f32::from(*y)),
            color: NoteColor::Blue,
        },
        Op::EditNote(n, s) => Command::EditNote {
            id: nth(&map.notes, *n).map_or_else(|| "ghost".into(), |n| n.id),
            edit: NoteEdit::Text(s.clone()),
        },
        Op::LaneHeight(l, h) => Command::EditLane {
            id: lane_at(*l).unwrap_or_else(|| LaneId::from("ghost")),
            edit: LaneEdit::Height(f32::from(*h)),
        },
        Op::MoveLane(l, to) => Command::MoveLane {
            id: lane_at(*l).unwrap_or_else(|| LaneId::from("ghost")),
            to: *to,
        },
        Op::RemoveLane(l) => Command::RemoveLane(lane_at(*l)?),
        Op::RemovePersona(p) => Command::RemovePersona(nth(&map.personas, *p)?.id),
        Op::Paste(n) => {
            let text = copy_selection(map, &Selection::of_nodes([node_at(*n)])).ok()?;
            paste(map, &text, None).ok()?
        }
        Op::Layout => auto_layout(map, None)?,
        Op::Batch(n, s) => Command::Batch(vec![
            Command::SetTitle(s.clone()),
            Command::Remove(Selection::of_nodes([node_at(*n)])),
        ]),
        Op::Undo | Op::Redo | Op::Close => return None,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_edits_then_undoing_everything_gives_back_the_original(
        template in 0..templates::ALL.len(),
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let map = templates::ALL[template].load().expect("loads").map;
        let original = ron(&map);
        let mut doc = Document::new(map, Some(Path::new("t.ron").to_owned()));
        for op in &ops {
            match op {
                Op::Undo => { doc.undo(); }
                Op::Redo => { doc.redo(); }
                Op::Close => doc.close_undo_step(),
                _ => {
                    let Some(command) = command(doc.map(), op) else { continue };
                    let before = ron(doc.map());
                    if doc.apply(command).is_err() {
                        prop_assert_eq!(ron(doc.map()), before, "a refused edit changes nothing");
                    }
                }
            }
        }
        while doc.redo() {}
        let newest = ron(doc.map());
        while doc.undo() {}
        prop_assert_eq!(ron(doc.map()), original);
        prop_assert!(!doc.is_dirty());
        while doc.redo() {}
        prop_assert_eq!(ron(doc.map()), newest);
    }

    #[test]
    fn paste_never_panics_on_arbitrary_text(text in ".{0,300}") {
        let _ = paste(&banking(), &text, None);
    }
}
