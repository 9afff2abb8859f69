//! Simulation in the window: the quick simulation follows edits, a finding selects its nodes,
//! a pinned policy A is compared with the edited map.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use sessionmap::templates;
use sessionmap::ui::{Editor, EditorOptions, Startup};

fn legacy_shop() -> (Editor, std::path::PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("legacy-shop.ron");
    let text = templates::find("legacy-shop").expect("bundled").text;
    std::fs::write(&file, text).expect("write");
    let editor = Editor::open(&Startup::File(file.clone()), EditorOptions::default());
    (editor, file, dir)
}

/// Runs frames until the editor's background simulation is done.
fn settle<S>(harness: &mut Harness<'_, S>) {
    for _ in 0..400 {
        harness.step();
        if harness
            .query_all_by_label_contains("simulating")
            .next()
            .is_none()
            && harness
                .query_by_label_contains("simulated findings")
                .is_some()
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("the quick simulation did not finish");
}

#[test]
fn the_quick_simulation_of_the_legacy_shop_shows_its_gaps_and_a_finding_selects_its_nodes() {
    let (mut editor, _file, _dir) = legacy_shop();
    {
        let mut harness = Harness::builder()
            .with_size(egui::vec2(1600.0, 1000.0))
            .build_ui(|ui| editor.ui(ui));
        settle(&mut harness);
        assert!(
            harness.query_by_label("0 simulated findings").is_none(),
            "the legacy shop has simulated findings"
        );
        harness.get_by_label_contains("LOGOUT-SERVER-NOOP").click();
        harness.run();
    }
    let selected: Vec<&str> = editor
        .selection()
        .nodes
        .iter()
        .map(|n| n.as_str())
        .collect();
    assert!(
        selected.contains(&"logout"),
        "clicking the finding selects the logout node: {selected:?}"
    );
}

#[test]
fn pinning_policy_a_then_fixing_logout_shows_the_attack_that_stopped_working() {
    use sessionmap::editor::{Command, NodeEdit};
    use sessionmap::model::NodeKind;
    let (editor, _file, _dir) = legacy_shop();
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1600.0, 1000.0))
        .build_ui_state(|ui, editor: &mut Editor| editor.ui(ui), editor);
    settle(&mut harness);
    harness.get_by_label("Pin as policy A").click();
    harness.run();
    let fixed_logout = NodeKind::Logout {
        scope: sessionmap::model::LogoutScope::ThisDevice,
        invalidation: sessionmap::model::Invalidation::Server,
        revokes_refresh_tokens: true,
    };
    harness.state_mut().apply([Command::EditNode {
        id: sessionmap::model::NodeId("logout".to_owned()),
        edit: NodeEdit::Kind(fixed_logout),
    }]);
    // Let the quick simulation of the edited map run (it starts once the map has been still
    // for a moment) and show the comparison.
    for _ in 0..1_200 {
        harness.step();
        if harness
            .query_by_label_contains("fixed: LOGOUT-SERVER-NOOP")
            .is_some()
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("the comparison shows LOGOUT-SERVER-NOOP as fixed");
}

#[test]
fn a_finding_replays_on_the_canvas_step_by_step_with_its_clock() {
    // The bundled file itself (read, never saved), so the snapshot shows a stable path.
    let editor = Editor::open(
        &Startup::File("templates/legacy-shop.ron".into()),
        EditorOptions::default(),
    );
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1600.0, 1000.0))
        .build_ui_state(|ui, editor: &mut Editor| editor.ui(ui), editor);
    settle(&mut harness);
    harness.get_by_label_contains("LOGOUT-SERVER-NOOP").click();
    harness.run();
    harness.get_by_label("Replay LOGOUT-SERVER-NOOP").click();
    harness.run_steps(2);
    // Pause, then step through the trace by hand.
    harness.get_by_label("⏸ Pause").click();
    harness.run_steps(2);
    harness.get_by_label("⏮ Back").click();
    harness.run_steps(2);
    let replay = harness.state().replay().expect("a replay is open").clone();
    assert_eq!(replay.step, 0);
    harness.get_by_label("⏭ Step").click();
    harness.run_steps(2);
    let replay = harness.state().replay().expect("still open").clone();
    assert_eq!(replay.step, 1, "one step further");
    let step = &replay.finding.evidence[1];
    let clock = sessionmap::ui::virtual_time(step.at_ms.expect("timed"));
    assert!(
        harness.query_by_label(&clock).is_some(),
        "the clock shows {clock}"
    );
    harness.snapshot("replay-legacy-shop-step-2");
    let mark = replay.mark(harness.state().document().map());
    assert_eq!(mark.to, step.node, "the token is on this step's node");
    assert_eq!(
        mark.from, replay.finding.evidence[0].node,
        "coming from the previous one"
    );
    // The replay bar sits just above the status bar.
    let bar = harness.get_by_label("Close replay").rect();
    let status = harness.get_by_label_contains("static findings").rect();
    assert!(bar.bottom() <= status.top(), "{bar:?} above {status:?}");
    // Only the attacker getting through is drawn in alarm red: the user's sign-in is not.
    let alarm = egui::Color32::from_rgb(220, 60, 40);
    let marks: Vec<_> = (0..replay.finding.evidence.len())
        .map(|i| {
            let mut r = replay.clone();
            r.step = i;
            r.travel = 1.0;
            (i, r.mark(harness.state().document().map()))
        })
        .collect();
    let (users, attackers): (Vec<_>, Vec<_>) = marks.iter().partition(|(_, m)| !m.attacker);
    assert!(!users.is_empty() && !attackers.is_empty(), "{marks:?}");
    for (i, m) in &users {
        assert_ne!(m.color(), alarm, "the user's step {i} is not an alarm");
    }
    assert!(
        attackers
            .iter()
            .any(|(_, m)| !m.refused && m.color() == alarm),
        "the replayed cookie is accepted, in red: {attackers:?}"
    );
    // A slower or faster replay.
    harness.get_by_label("Speed").click();
    harness.run();
    harness.get_by_label("2×").click();
    harness.run();
    assert_eq!(harness.state().replay().expect("open").speed, 2.0);
    harness.get_by_label("Copy as sequence diagram").click();
    harness.step();
    let copied = harness.output().platform_output.commands.iter().any(
        |c| matches!(c, egui::OutputCommand::CopyText(t) if t.starts_with("sequenceDiagram") || t.contains("\nsequenceDiagram")),
    );
    assert!(
        copied,
        "the evidence goes to the clipboard as a sequence diagram"
    );
    harness.get_by_label("Close replay").click();
    harness.run();
    assert!(harness.state().replay().is_none());
}

#[test]
fn presentation_mode_shows_the_canvas_and_the_findings_in_large_type() {
    let (editor, _file, _dir) = legacy_shop();
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1600.0, 1000.0))
        .build_ui_state(|ui, editor: &mut Editor| editor.ui(ui), editor);
    settle(&mut harness);
    harness.key_press(egui::Key::F5);
    harness.run();
    assert!(
        harness.query_by_label("Palette").is_none(),
        "panels are hidden"
    );
    harness.get_by_label("30 findings");
    harness
        .get_by_label_contains("Logout does not end the session on the server")
        .click();
    harness.run();
    assert!(
        harness
            .state()
            .selection()
            .nodes
            .iter()
            .any(|n| n.as_str() == "logout"),
        "a presented finding selects its nodes"
    );
}

#[test]
fn switching_to_another_map_clears_the_old_results_and_simulates_the_new_one_at_once() {
    let (editor, _file, _dir) = legacy_shop();
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1600.0, 1000.0))
        .build_ui_state(|ui, editor: &mut Editor| editor.ui(ui), editor);
    settle(&mut harness);
    assert!(harness.query_by_label("Findings (30)").is_some());
    // File > New from the gallery: the banking template (no unsaved changes to ask about).
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::N);
    harness.run();
    harness
        .get_by_role_and_label(egui::Role::Button, "Online banking")
        .click();
    harness.run();
    // Nothing of the legacy shop is left on screen, not even for a frame.
    assert!(
        harness.query_by_label("Findings (30)").is_none(),
        "the legacy shop's findings are gone"
    );
    settle(&mut harness);
    let result = harness
        .state_mut()
        .simulation()
        .current(0)
        .map(|r| (r.report.map.clone(), r.users, r.full));
    assert_eq!(
        result,
        Some(("Online banking".to_owned(), 10_000, false)),
        "the quick run is of the new map"
    );
    assert!(
        harness
            .query_all_by_label_contains("quick run, 10,000 users × 1 day")
            .next()
            .is_some(),
        "shows quick run, 10,000 users × 1 day"
    );
}

#[test]
fn an_edit_after_a_full_run_keeps_it_marked_out_of_date_until_the_next_run() {
    let (mut editor, _file, _dir) = legacy_shop();
    editor.simulation().users = 20_000;
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1600.0, 1000.0))
        .build_ui_state(|ui, editor: &mut Editor| editor.ui(ui), editor);
    settle(&mut harness);
    harness.get_by_label("▶ Run simulation").click();
    for _ in 0..400 {
        harness.step();
        if harness
            .query_all_by_label_contains("full run, 20,000 users")
            .next()
            .is_some()
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    assert!(
        harness
            .query_all_by_label_contains("full run, 20,000 users × 1 day")
            .next()
            .is_some(),
        "shows full run, 20,000 users × 1 day"
    );
    // A small edit: the full run stays, marked out of date, and can be shown again.
    harness
        .state_mut()
        .apply([sessionmap::editor::Command::SetTitle(
            "Legacy web shop (nudged)".to_owned(),
        )]);
    settle(&mut harness);
    harness.get_by_label_contains(
        "The full run (20,000 users × 1 day) was made before the map changed",
    );
    assert!(
        harness
            .query_all_by_label_contains("quick run, 10,000 users × 1 day")
            .next()
            .is_some(),
        "shows quick run, 10,000 users × 1 day"
    );
    harness.get_by_label("Show the full run").click();
    harness.run();
    assert!(
        harness
            .query_all_by_label_contains("full run, 20,000 users × 1 day, out of date")
            .next()
            .is_some(),
        "shows full run, 20,000 users × 1 day, out of date"
    );
}
