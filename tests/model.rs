//! The document: templates, the file format, migration, validation with locations, atomic saves.

use std::path::Path;

use proptest::prelude::*;
use sessionmap::model::{self, Level, LoadError, Map, Span};
use sessionmap::templates;

fn load(text: &str) -> Result<model::Loaded, LoadError> {
    model::load_str(text, Path::new("test.ron"))
}

fn banking() -> &'static str {
    templates::find("banking").expect("banking is bundled").text
}

#[test]
fn every_template_loads_without_problems_and_round_trips_byte_identically() {
    assert!(
        templates::ALL.len() >= 7,
        "at least seven templates are bundled"
    );
    for t in templates::ALL {
        let loaded = t.load().unwrap_or_else(|e| panic!("{}: {e}", t.name));
        assert!(
            loaded.diagnostics.is_empty(),
            "{} has problems: {:#?}",
            t.name,
            loaded.diagnostics
        );
        assert!(
            !loaded.map.personas.is_empty(),
            "{} has a population",
            t.name
        );
        assert!(!loaded.map.lanes.is_empty(), "{} has lanes", t.name);
        assert!(!loaded.map.notes.is_empty(), "{} has sticky notes", t.name);
        let saved = model::to_ron(&loaded.map).expect("serialises");
        if std::env::var_os("UPDATE_TEMPLATES").is_some() {
            let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(t.path());
            std::fs::write(file, &saved).expect("rewrite the template in canonical form");
            continue;
        }
        assert_eq!(
            saved, t.text,
            "{} is not stored in canonical form (run the tests with UPDATE_TEMPLATES=1)",
            t.name
        );
    }
}

#[test]
fn bundled_templates_match_the_files_under_templates() {
    for t in templates::ALL {
        let on_disk = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(t.path()))
            .expect("template file exists");
        assert_eq!(on_disk, t.text, "{}", t.name);
    }
}

#[test]
fn saving_an_unchanged_map_twice_gives_identical_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bank.ron");
    let map = load(banking()).expect("loads").map;
    model::save_file(&map, &path).expect("first save");
    let first = std::fs::read(&path).expect("read");
    let reloaded = model::load_file(&path).expect("reloads").map;
    assert_eq!(reloaded, map);
    model::save_file(&reloaded, &path).expect("second save");
    assert_eq!(std::fs::read(&path).expect("read"), first);
}

#[test]
fn saving_keeps_the_previous_file_as_a_backup() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bank.ron");
    let mut map = load(banking()).expect("loads").map;
    model::save_file(&map, &path).expect("first save");
    let before = std::fs::read_to_string(&path).expect("read");
    map.title = "Renamed".to_owned();
    model::save_file(&map, &path).expect("second save");
    let backup = std::fs::read_to_string(dir.path().join("bank.ron.bak")).expect("backup exists");
    assert_eq!(backup, before);
    assert!(
        std::fs::read_to_string(&path)
            .expect("read")
            .contains("Renamed")
    );
}

#[test]
fn an_interrupted_save_leaves_the_original_file_intact() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bank.ron");
    let mut map = load(banking()).expect("loads").map;
    model::save_file(&map, &path).expect("first save");
    let original = std::fs::read(&path).expect("read");

    map.title = "Half-saved".to_owned();
    let mut temp_seen = None;
    let result = model::save_file_with(&map, &path, &mut |temp| {
        temp_seen = Some(temp.to_owned());
        Err(std::io::Error::other("power cut between write and rename"))
    });

    assert!(result.is_err());
    assert_eq!(std::fs::read(&path).expect("read"), original);
    let temp = temp_seen.expect("the hook ran after the temp file was written");
    assert!(!temp.exists(), "the temporary file is cleaned up");
    assert_eq!(
        temp.parent(),
        path.parent(),
        "the temp file is in the same folder"
    );
}

#[test]
fn a_version_0_file_is_migrated_forward() {
    let v0 = r#"(
    title: "Old map",
    lanes: [(id: "users", title: "Users", height: 300.0)],
    nodes: [
        (id: "login", label: "Login", kind: Login(mfa: Off, before_mfa: NoSession), lane: "users", x: 10.0, y: 20.0),
        (id: "out", label: "Logout", kind: Logout(scope: ThisDevice, invalidation: Server, revokes_refresh_tokens: true), x: 300.0, y: 20.0),
    ],
    edges: [(id: "e", source: "login", target: "out", trigger: UserAction)],
    personas: [(id: "p", name: "P", share: 1, visits_per_day: 1, think_time: Seconds(30), active_hours: (start: 8, end: 18), days_per_week: 5, devices: [Desktop])],
)"#;
    let loaded = load(v0).expect("a version 0 file loads");
    assert_eq!(loaded.migrated_from, Some(0));
    let map = loaded.map;
    assert_eq!(map.format_version, model::FORMAT_VERSION);
    assert_eq!(map.nodes[0].pos, model::Pos(10.0, 20.0));
    assert_eq!(map.edges[0].from.as_str(), "login");
    assert_eq!(map.edges[0].to.as_str(), "out");
    let saved = model::to_ron(&map).expect("serialises");
    assert!(saved.contains("format_version: 1"));
    assert_eq!(load(&saved).expect("reloads").map, map);
}

#[test]
fn a_file_from_the_future_is_refused_with_a_clear_message() {
    let future = banking().replacen("format_version: 1", "format_version: 99", 1);
    let err = load(&future).expect_err("refused");
    assert!(matches!(err, LoadError::TooNew { found: 99, .. }));
    let message = err.to_string();
    assert!(
        message.contains("test.ron") && message.contains("99") && message.contains("newer"),
        "{message}"
    );
}

#[test]
fn an_unknown_field_is_an_error_that_names_its_line_and_column() {
    let text = banking().replacen(
        "label: \"Sign in\",",
        "label: \"Sign in\",\n        colour: \"red\",",
        1,
    );
    let err = load(&text).expect_err("refused");
    let LoadError::Parse {
        line,
        column,
        message,
        ..
    } = &err
    else {
        panic!("expected a parse error, got {err}");
    };
    let expected_line = text
        .lines()
        .position(|l| l.contains("colour:"))
        .expect("inserted")
        + 1;
    assert_eq!(*line, expected_line);
    assert!(*column > 1);
    assert!(message.contains("colour"), "{message}");
    assert!(
        err.to_string()
            .starts_with(&format!("test.ron:{expected_line}:"))
    );
}

#[test]
fn a_truncated_file_is_an_error_with_a_location_not_a_panic() {
    let text = banking();
    let err = load(&text[..text.len() / 2]).expect_err("refused");
    assert!(
        matches!(err, LoadError::Parse { line, .. } if line > 1),
        "{err}"
    );
}

/// Builds a map text from the banking template with one edit applied.
fn edited(from: &str, to: &str) -> String {
    let text = banking();
    assert!(text.contains(from), "the template contains {from:?}");
    text.replacen(from, to, 1)
}

fn problems(text: &str) -> Vec<model::Diagnostic> {
    load(text).expect("parses").diagnostics
}

/// The (line, column) of the first occurrence of `needle` on the line holding `anchor`.
fn position_of(text: &str, anchor: &str, needle: &str) -> (usize, usize) {
    let (index, line) = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(anchor))
        .find(|(_, l)| l.contains(needle))
        .or_else(|| {
            // The needle may sit on a line after the anchor (one field per line).
            let start = text.lines().position(|l| l.contains(anchor))?;
            text.lines()
                .enumerate()
                .skip(start)
                .find(|(_, l)| l.contains(needle))
        })
        .expect("needle present");
    (
        index + 1,
        line[..line.find(needle).expect("on line")].chars().count() + 1,
    )
}

fn assert_one_problem_at(text: &str, level: Level, words: &str, at: (usize, usize)) {
    let found = problems(text);
    let matching: Vec<_> = found.iter().filter(|d| d.message.contains(words)).collect();
    assert_eq!(
        matching.len(),
        1,
        "expected one problem about {words:?}, got {found:#?}"
    );
    let d = matching[0];
    assert_eq!(d.level, level);
    assert_eq!((d.line, d.column), (Some(at.0), Some(at.1)), "{d}");
    assert!(
        d.to_string()
            .starts_with(&format!("test.ron:{}:{}: ", at.0, at.1)),
        "{d}"
    );
}

#[test]
fn a_dangling_edge_endpoint_is_reported_at_the_edge_field() {
    let text = edited("to: \"transfer\",", "to: \"nowhere\",");
    let at = position_of(&text, "\"nowhere\"", "to:");
    assert_one_problem_at(
        &text,
        Level::Error,
        "node `nowhere`, which does not exist",
        at,
    );
}

#[test]
fn a_duplicate_node_id_is_reported_at_the_second_occurrence() {
    let text = edited("id: \"logout-all\",", "id: \"logout\",");
    let second = text.match_indices("id: \"logout\",").nth(1).expect("two").0;
    let line = text[..second].matches('\n').count() + 1;
    let column = text[..second]
        .rsplit('\n')
        .next()
        .map_or(0, |l| l.chars().count())
        + 1;
    assert_one_problem_at(
        &text,
        Level::Error,
        "duplicate node id `logout`",
        (line, column),
    );
}

#[test]
fn a_timeout_attached_to_nothing_is_reported_as_a_warning() {
    let text = edited("from: \"warning\",", "from: \"idle\",");
    let at = position_of(&text, "id: \"warning\"", "id:");
    assert_one_problem_at(
        &text,
        Level::Warning,
        "timeout `warning` is attached to nothing",
        at,
    );
}

#[test]
fn an_unknown_lane_is_reported_at_the_lane_field() {
    let text = edited("lane: \"operations\",", "lane: \"back-office\",");
    let at = position_of(&text, "\"back-office\"", "lane:");
    assert_one_problem_at(
        &text,
        Level::Error,
        "lane `back-office`, which the map does not define",
        at,
    );
}

#[test]
fn a_zero_or_negative_duration_is_reported_at_its_field() {
    for bad in ["Minutes(0)", "Minutes(-5)"] {
        let text = edited("after: Minutes(10)", &format!("after: {bad}"));
        let at = position_of(&text, bad, "after:");
        assert_one_problem_at(
            &text,
            Level::Error,
            "expected a duration greater than zero",
            at,
        );
    }
}

#[test]
fn an_empty_population_is_reported() {
    let mut map = load(banking()).expect("loads").map;
    map.personas.clear();
    let text = model::to_ron(&map).expect("serialises");
    let found = problems(&text);
    assert!(
        found
            .iter()
            .any(|d| d.is_error() && d.message.contains("population is empty") && d.line.is_some()),
        "{found:#?}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = edited("to: \"transfer\",", "to: \"nowhere\",")
        .replacen("lane: \"operations\",", "lane: \"back-office\",", 1)
        .replacen("after: Minutes(10)", "after: Minutes(0)", 1);
    let errors = problems(&text).into_iter().filter(|d| d.is_error()).count();
    assert_eq!(errors, 3);
}

#[test]
fn a_map_built_in_code_is_validated_without_locations() {
    let map = Map::default();
    let found = model::validate(&map);
    assert!(
        found
            .iter()
            .any(|d| d.message.contains("population is empty") && d.line.is_none())
    );
}

#[test]
fn spans_convert_to_seconds_and_read_with_their_unit() {
    assert_eq!(Span::Minutes(15).as_seconds(), 900);
    assert_eq!(Span::Days(400).to_string(), "400 days");
    assert_eq!(Span::Minutes(-1).to_duration(), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_loader_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("random.ron");
        std::fs::write(&path, &bytes).expect("write");
        let _ = model::load_file(&path);
    }

    #[test]
    fn the_loader_never_panics_on_mutated_templates(
        template in 0..templates::ALL.len(),
        cut in any::<prop::sample::Index>(),
        len in 0usize..200,
        insert in "[\\[\\](){}:,\"a-z0-9 \\-.]{0,12}",
    ) {
        let text = templates::ALL[template].text;
        let mut at = cut.index(text.len());
        while !text.is_char_boundary(at) { at -= 1; }
        let mut end = (at + len).min(text.len());
        while !text.is_char_boundary(end) { end -= 1; }
        let mutated = format!("{}{}{}", &text[..at], insert, &text[end..]);
        if let Ok(loaded) = load(&mutated) {
            // Whatever loads must also save and reload to the same map.
            let saved = model::to_ron(&loaded.map).expect("serialises");
            prop_assert_eq!(load(&saved).expect("reloads").map, loaded.map);
        }
    }
}

#[test]
fn a_synthetic_map_has_exactly_the_requested_size_and_validates() {
    let map =
        model::synthetic(&load(banking()).expect("loads").map, 1_000, 2_000).expect("generated");
    assert_eq!(map.nodes.len(), 1_000);
    assert_eq!(map.edges.len(), 2_000);
    let errors: Vec<_> = model::validate(&map)
        .into_iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

/// The line (1-based) of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text.find(needle).expect("present");
    text[..at].matches('\n').count() + 1
}

#[test]
fn a_remember_me_cookie_max_age_that_disagrees_with_the_drawn_lifetime_is_a_located_warning() {
    let original = templates::find("content-site").expect("bundled").text;
    let text = original.replace("max_age: Days(30)))),", "max_age: Days(90)))),");
    assert_ne!(text, original);
    let loaded = load(&text).expect("still loads");
    let w = loaded
        .diagnostics
        .iter()
        .find(|d| d.level == Level::Warning && d.message.contains("Max-Age"))
        .unwrap_or_else(|| panic!("{:?}", loaded.diagnostics));
    assert!(
        w.message.contains("90 days") && w.message.contains("30 days"),
        "{}",
        w.message
    );
    assert_eq!(w.line, Some(line_of(&text, "max_age: Days(90)")), "{w}");
    // Agreeing values say nothing.
    let same = load(original).expect("loads");
    assert!(same.diagnostics.is_empty(), "{:?}", same.diagnostics);
}

#[test]
fn a_renewal_edge_later_than_the_access_token_lifetime_is_a_located_warning() {
    let original = templates::find("spa-hybrid-tokens").expect("bundled").text;
    let text = original.replace(
        "trigger: After(Minutes(14)),",
        "trigger: After(Minutes(20)),",
    );
    assert_ne!(text, original);
    let loaded = load(&text).expect("still loads");
    let w = loaded
        .diagnostics
        .iter()
        .find(|d| d.level == Level::Warning && d.message.contains("renews the access token"))
        .unwrap_or_else(|| panic!("{:?}", loaded.diagnostics));
    assert!(
        w.message.contains("20 min") && w.message.contains("15 min"),
        "{}",
        w.message
    );
    assert_eq!(
        w.line,
        Some(line_of(&text, "trigger: After(Minutes(20))")),
        "{w}"
    );
}
