//! The command line contract: subcommands, output, exit codes and error messages.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn sessionmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sessionmap"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs the binary from the repository root, so `templates/…` paths work and print as given.
fn in_repo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sessionmap"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn templates_lists_every_bundled_template_one_per_line() {
    let out = sessionmap(&["templates"]);
    assert!(out.status.success());
    let names: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    let expected: Vec<&str> = sessionmap::templates::ALL.iter().map(|t| t.name).collect();
    assert_eq!(names, expected);
    assert!(names.len() >= 7);
}

#[test]
fn new_from_a_template_writes_a_map_that_validates() {
    let dir = tempfile::tempdir().expect("temp dir");
    for t in sessionmap::templates::ALL {
        let file = dir.path().join(format!("{}.ron", t.name));
        let file = file.to_str().expect("utf-8 path");
        let out = sessionmap(&["new", "--template", t.name, "-o", file]);
        assert!(out.status.success(), "{}: {}", t.name, stderr(&out));
        assert_eq!(std::fs::read_to_string(file).expect("written"), t.text);
        let out = sessionmap(&["validate", file]);
        assert_eq!(out.status.code(), Some(0), "{}: {}", t.name, stderr(&out));
        assert!(stdout(&out).contains("ok"));
    }
}

#[test]
fn new_refuses_to_overwrite_an_existing_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("mine.ron");
    std::fs::write(&file, "precious work").expect("write");
    let file = file.to_str().expect("utf-8 path");
    let out = sessionmap(&["new", "--template", "banking", "-o", file]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--force"));
    assert_eq!(
        std::fs::read_to_string(file).expect("read"),
        "precious work"
    );
}

#[test]
fn new_with_an_unknown_template_names_the_ones_that_exist() {
    let out = sessionmap(&["new", "--template", "nope", "-o", "/tmp/never-written.ron"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("banking"), "{}", stderr(&out));
    assert!(!Path::new("/tmp/never-written.ron").exists());
}

/// Writes `text` to a temp file and validates it.
fn validate_text(text: &[u8]) -> (Output, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("broken.ron");
    std::fs::write(&file, text).expect("write");
    let file = file.to_str().expect("utf-8 path").to_owned();
    (sessionmap(&["validate", &file]), file)
}

fn banking() -> &'static str {
    sessionmap::templates::find("banking")
        .expect("bundled")
        .text
}

#[test]
fn validate_rejects_a_truncated_file_with_its_location() {
    let text = banking();
    let (out, file) = validate_text(&text.as_bytes()[..text.len() / 3]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(&format!("{file}:")), "{err}");
    assert!(
        err.split(&file)
            .nth(1)
            .is_some_and(|rest| rest.starts_with(':')),
        "line and column follow: {err}"
    );
}

#[test]
fn validate_rejects_random_bytes_without_panicking() {
    let bytes: Vec<u8> = (0..600u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let (out, file) = validate_text(&bytes);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(&file), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn validate_rejects_a_file_from_the_future() {
    let (out, file) = validate_text(
        banking()
            .replacen("format_version: 1", "format_version: 7", 1)
            .as_bytes(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(&file) && err.contains("version 7"), "{err}");
}

#[test]
fn validate_rejects_an_unknown_field_naming_it() {
    let text = banking().replacen(
        "title: \"Online banking\",",
        "title: \"Online banking\",\n    owner: \"me\",",
        1,
    );
    let (out, file) = validate_text(text.as_bytes());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let line = text
        .lines()
        .position(|l| l.contains("owner:"))
        .expect("inserted")
        + 1;
    assert!(
        err.contains(&format!("{file}:{line}:")) && err.contains("owner"),
        "{err}"
    );
}

#[test]
fn validate_lists_every_inconsistency_with_its_location() {
    let text = banking()
        .replacen("to: \"transfer\",", "to: \"nowhere\",", 1)
        .replacen("after: Minutes(10)", "after: Minutes(0)", 1);
    let (out, file) = validate_text(text.as_bytes());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let located = err
        .lines()
        .filter(|l| l.starts_with(&format!("{file}:")) && l.contains("error:"))
        .count();
    assert_eq!(located, 2, "{err}");
    assert!(err.contains("2 errors found"), "{err}");
}

#[test]
fn validate_also_prints_what_the_compiler_warns_of_a_consistent_map() {
    use sessionmap::model::{self, NodeId};
    let mut map = sessionmap::templates::find("banking")
        .expect("bundled")
        .load()
        .expect("loads")
        .map;
    let mut second = map.node(&NodeId::from("idle")).expect("idle").clone();
    second.id = NodeId::from("idle-2");
    if let model::NodeKind::IdleTimeout { after, .. } = &mut second.kind {
        *after = model::Span::Minutes(60);
    }
    map.nodes.push(second);
    let mut attach = map
        .edges
        .iter()
        .find(|e| e.id.as_str() == "idle-accounts")
        .expect("edge")
        .clone();
    attach.id = model::EdgeId::from("idle-2-accounts");
    attach.from = NodeId::from("idle-2");
    map.edges.push(attach);
    let (out, file) = validate_text(model::to_ron(&map).expect("serialises").as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{file}: warning:")) && err.contains("contradicting idle timeout"),
        "{err}"
    );
}

#[test]
fn validate_on_a_missing_file_says_so() {
    let out = sessionmap(&["validate", "/definitely/not/here.ron"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/definitely/not/here.ron"));
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        vec!["--help"],
        vec!["templates", "--help"],
        vec!["new", "--help"],
        vec!["validate", "--help"],
        vec!["lint", "--help"],
        vec!["simulate", "--help"],
        vec!["compare", "--help"],
        vec!["export", "--help"],
        vec!["open", "--help"],
    ] {
        let out = sessionmap(&sub);
        assert!(out.status.success(), "{sub:?}");
        assert!(stdout(&out).contains("Usage"), "{sub:?}");
    }
}

#[test]
fn a_usage_error_exits_with_code_2() {
    let out = sessionmap(&["new", "--template"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A population small enough for a debug build: the tests check the contract, not the numbers.
const USERS: &str = "200";

fn json(o: &Output) -> Value {
    serde_json::from_str(&stdout(o))
        .unwrap_or_else(|e| panic!("JSON output ({e}): {}{}", stdout(o), stderr(o)))
}

fn report_schema_errors(instance: &Value) -> Vec<String> {
    let schema: Value =
        serde_json::from_str(include_str!("../assets/report.schema.json")).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn without_run(mut report: Value) -> String {
    report.as_object_mut().expect("an object").remove("run");
    serde_json::to_string_pretty(&report).expect("serialises")
}

#[test]
fn simulate_fails_with_code_1_on_a_map_with_high_findings() {
    let out = in_repo(&["simulate", "templates/legacy-shop.ron", "--users", USERS]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    // Static findings are part of a simulation's report; metrics follow the findings.
    assert!(text.contains("HIGH     COOKIE-FLAGS"), "{text}");
    let metrics = text.find("\nMetrics\n").expect("a metrics section");
    assert!(metrics > text.find("COOKIE-FLAGS").expect("a finding"));
    assert!(
        text[metrics..].contains("users") && text[metrics..].contains(USERS),
        "{text}"
    );
}

#[test]
fn simulate_passes_a_clean_template_below_fail_on_and_draws_no_progress_off_a_terminal() {
    let out = in_repo(&[
        "simulate",
        "templates/banking.ron",
        "--users",
        USERS,
        "--fail-on",
        "critical",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(stderr(&out), "", "stderr is not a terminal here: no bar");
}

#[test]
fn simulate_json_has_findings_metrics_and_run_and_matches_the_report_schema() {
    let out = in_repo(&[
        "simulate",
        "templates/legacy-shop.ron",
        "--users",
        USERS,
        "--days",
        "2",
        "--seed",
        "42",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    let errors = report_schema_errors(&report);
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(
        report["findings"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["id"] == "COOKIE-FLAGS"))
    );
    let metrics = &report["metrics"];
    assert_eq!(metrics["users"], 200);
    assert_eq!(metrics["days"], 2);
    assert_eq!(metrics["seed"], 42);
    assert!(metrics["attack_success"].is_object());
    assert!(metrics["exposure_window"]["p95_ms"].is_u64());
    let run = &report["run"];
    assert!(
        run["wall_ms"].is_u64() && run["threads"].as_u64() >= Some(1),
        "{run}"
    );
}

#[test]
fn simulate_with_the_same_seed_gives_a_byte_identical_report_apart_from_run() {
    let run = |threads: &str| {
        let out = in_repo(&[
            "simulate",
            "templates/legacy-shop.ron",
            "--users",
            "300",
            "--seed",
            "7",
            "--threads",
            threads,
            "--format",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        json(&out)
    };
    let first = run("1");
    assert_eq!(first["run"]["threads"], 1);
    // The thread count is in `run` only: the rest does not depend on it.
    assert_eq!(without_run(first), without_run(run("2")));
}

#[test]
fn simulate_refuses_an_empty_population_with_code_2() {
    let out = in_repo(&["simulate", "templates/banking.ron", "--users", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("at least one user"), "{err}");
    assert_eq!(stdout(&out), "");
}

#[test]
fn simulate_refuses_a_population_over_the_limit_and_names_the_limit() {
    let out = in_repo(&["simulate", "templates/banking.ron", "--users", "999999999"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("--users") && err.contains(&sessionmap::sim::MAX_USERS.to_string()),
        "{err}"
    );
    assert!(err.contains("templates/banking.ron"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn simulate_and_compare_on_a_missing_file_exit_2_naming_it() {
    for args in [
        vec!["simulate", "/definitely/not/here.ron"],
        vec![
            "compare",
            "templates/banking.ron",
            "/definitely/not/here.ron",
        ],
        vec![
            "compare",
            "/definitely/not/here.ron",
            "templates/banking.ron",
        ],
    ] {
        let out = in_repo(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&out).contains("/definitely/not/here.ron"),
            "{args:?}"
        );
        assert_eq!(stdout(&out), "", "{args:?}");
    }
}

#[test]
fn compare_lists_what_b_fixes_and_what_it_brings() {
    let out = in_repo(&[
        "compare",
        "templates/legacy-shop.ron",
        "templates/banking.ron",
        "--users",
        USERS,
        "--format",
        "json",
    ]);
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    let fixed = &json(&out)["findings"]["fixed"];
    let ids = |list: &Value| -> Vec<String> {
        list.as_array()
            .expect("a list")
            .iter()
            .map(|f| f["id"].as_str().expect("an id").to_owned())
            .collect()
    };
    let fixed = ids(fixed);
    for id in ["COOKIE-FLAGS", "DATA-SENSITIVE", "COOKIE-SCOPE"] {
        assert!(fixed.iter().any(|f| f == id), "{id} fixed: {fixed:?}");
    }

    // The other way round, the shop's gaps are new, and they fail the run.
    let out = in_repo(&[
        "compare",
        "templates/banking.ron",
        "templates/legacy-shop.ron",
        "--users",
        USERS,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let new = text.find("New in B").expect("a section of new findings");
    let both = text.find("In both").expect("a section of findings in both");
    assert!(text.contains("Fixed in B"), "{text}");
    assert!(text[new..both].contains("COOKIE-FLAGS"), "{text}");
    assert!(text.contains("Metrics") && text.contains("B − A"), "{text}");
}

#[test]
fn compare_json_has_both_reports_whole_and_every_metric_side_by_side() {
    let out = in_repo(&[
        "compare",
        "templates/legacy-shop.ron",
        "templates/content-site.ron",
        "--users",
        USERS,
        "--seed",
        "9",
        "--format",
        "json",
    ]);
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    let comparison = json(&out);
    for (side, file) in [
        ("a", "templates/legacy-shop.ron"),
        ("b", "templates/content-site.ron"),
    ] {
        let report = &comparison[side];
        let errors = report_schema_errors(report);
        assert!(errors.is_empty(), "{side}: {errors:#?}");
        assert_eq!(report["file"], file);
        assert_eq!(report["metrics"]["users"], 200, "the same population");
        assert_eq!(report["metrics"]["seed"], 9, "the same seed");
    }
    let metrics = comparison["metrics"].as_array().expect("metrics");
    let users = metrics
        .iter()
        .find(|m| m["metric"] == "users")
        .expect("users side by side");
    assert_eq!(
        (&users["a"], &users["b"]),
        (&Value::from(200), &Value::from(200))
    );
    assert_eq!(users["change"], "same");
    for m in metrics {
        assert!(m["metric"].is_string() && m.get("a").is_some() && m.get("b").is_some());
        assert!(
            [
                "better",
                "worse",
                "same",
                "changed",
                "only_in_a",
                "only_in_b"
            ]
            .contains(&m["change"].as_str().unwrap_or_default()),
            "{m}"
        );
    }
    for list in ["fixed", "new", "both"] {
        assert!(comparison["findings"][list].is_array(), "{list}");
    }
    // Both maps have an administrator gap in their one flow: it is neither fixed nor new.
    assert!(
        comparison["findings"]["both"]
            .as_array()
            .is_some_and(|b| b.iter().any(|f| f["id"] == "ADMIN-KILL-NONE"))
    );
}

#[test]
fn compare_exits_as_simulating_b_alone_would() {
    for (a, b) in [("banking", "legacy-shop"), ("legacy-shop", "banking")] {
        let (a, b) = (format!("templates/{a}.ron"), format!("templates/{b}.ron"));
        let compared = in_repo(&["compare", &a, &b, "--users", USERS]);
        let simulated = in_repo(&["simulate", &b, "--users", USERS]);
        assert_ne!(compared.status.code(), Some(2), "{}", stderr(&compared));
        assert_eq!(compared.status.code(), simulated.status.code(), "{a} → {b}");
    }
}

#[test]
fn compare_as_sarif_is_the_report_of_b() {
    let out = in_repo(&[
        "compare",
        "templates/banking.ron",
        "templates/legacy-shop.ron",
        "--users",
        USERS,
        "--format",
        "sarif",
    ]);
    let sarif = json(&out);
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(!results.is_empty());
    assert!(results.iter().all(|r| {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            == "templates/legacy-shop.ron"
    }));
}

/// Ctrl-C (SIGINT) during a long run: the simulation stops at its next event boundary, the
/// command prints why and exits 2, with no report on stdout. A run that finished before the
/// signal arrived exits as usual.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_simulation_cleanly_with_code_2() {
    use std::time::{Duration, Instant};

    let mut child = Command::new(env!("CARGO_BIN_EXE_sessionmap"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "simulate",
            "templates/banking.ron",
            "--users",
            "300000",
            "--days",
            "10",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    std::thread::sleep(Duration::from_millis(1000));
    // Until it is waited for, the child keeps its pid even if it has exited: the signal
    // cannot reach another process.
    if child.try_wait().expect("waits").is_none() {
        let sent = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
    }
    let started = Instant::now();
    while child.try_wait().expect("waits").is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the simulation did not stop within a minute of Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    match out.status.code() {
        Some(2) => {
            assert!(err.contains("sessionmap: simulation cancelled"), "{err}");
            assert_eq!(stdout(&out), "", "no report for a cancelled run");
        }
        Some(0 | 1) => assert!(stdout(&out).contains("Metrics")),
        other => panic!("ended by the signal instead of handling it: {other:?} {err}"),
    }
}
