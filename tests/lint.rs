//! `sessionmap lint`: output formats (checked against their schemas), exit codes, locations.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn sessionmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sessionmap"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn lint_json(template: &str, format: &str) -> Value {
    let file = format!("templates/{template}.ron");
    let out = sessionmap(&["lint", &file, "--format", format, "--fail-on", "critical"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout(&out)).expect("valid JSON")
}

fn schema_errors(schema: &Value, instance: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(schema).expect("the schema compiles");
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// The official SARIF 2.1.0 schema, as shipped in the `serde-sarif` package (a dev-dependency,
/// so cargo has its source in the registry).
fn sarif_schema() -> Value {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .expect("a cargo home");
    let registry = home.join("registry").join("src");
    let found = std::fs::read_dir(&registry)
        .expect("the cargo registry")
        .flatten()
        .flat_map(|index| {
            std::fs::read_dir(index.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .filter(|pkg| {
            pkg.file_name()
                .to_string_lossy()
                .starts_with("serde-sarif-0.8")
        })
        .map(|pkg| pkg.path().join("src").join("schema.json"))
        .find(|p| p.exists())
        .expect("serde-sarif's copy of the SARIF 2.1.0 schema");
    let mut schema: Value =
        serde_json::from_str(&std::fs::read_to_string(found).expect("readable")).expect("JSON");
    // The schema's `language` patterns end in a lone `]`: legal in ECMAScript, rejected by
    // Rust's regex engine. Use the pattern they mean (a language tag such as `en` or `en-US`).
    let fixed = fix_patterns(
        &mut schema,
        "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$",
        "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$",
    );
    assert!(fixed > 0, "the erratum is still in the schema");
    schema
}

/// Replaces every `pattern` equal to `from`; returns how many.
fn fix_patterns(value: &mut Value, from: &str, to: &str) -> usize {
    match value {
        Value::Object(map) => map
            .iter_mut()
            .map(|(k, v)| {
                if k == "pattern" && v == from {
                    *v = Value::from(to);
                    1
                } else {
                    fix_patterns(v, from, to)
                }
            })
            .sum(),
        Value::Array(items) => items.iter_mut().map(|v| fix_patterns(v, from, to)).sum(),
        _ => 0,
    }
}

#[test]
fn json_output_of_every_template_matches_the_report_schema() {
    let schema: Value =
        serde_json::from_str(include_str!("../assets/report.schema.json")).expect("schema is JSON");
    for t in sessionmap::templates::ALL {
        let report = lint_json(t.name, "json");
        let errors = schema_errors(&schema, &report);
        assert!(errors.is_empty(), "{}: {errors:#?}", t.name);
        assert_eq!(report["profile"], "asvs-l2");
    }
}

#[test]
fn the_report_schema_rejects_a_finding_without_an_id() {
    let schema: Value =
        serde_json::from_str(include_str!("../assets/report.schema.json")).expect("schema is JSON");
    let mut report = lint_json("legacy-shop", "json");
    let first = report["findings"][0].as_object_mut().expect("a finding");
    first.remove("id");
    assert!(!schema_errors(&schema, &report).is_empty());
}

#[test]
fn sarif_output_of_every_template_matches_the_official_sarif_2_1_0_schema() {
    let schema = sarif_schema();
    for t in sessionmap::templates::ALL {
        let sarif = lint_json(t.name, "sarif");
        let errors = schema_errors(&schema, &sarif);
        assert!(errors.is_empty(), "{}: {errors:#?}", t.name);
        // The typed model generated from the same schema reads it back too.
        let typed: serde_sarif::sarif::Sarif = serde_json::from_value(sarif).expect("typed SARIF");
        assert_eq!(typed.runs.len(), 1);
    }
}

#[test]
fn sarif_results_point_at_the_line_of_the_node_in_the_map_file() {
    let sarif = lint_json("legacy-shop", "sarif");
    let text = sessionmap::templates::find("legacy-shop")
        .expect("bundled")
        .text;
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(!results.is_empty());
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    for r in results {
        let node = r["locations"][0]["logicalLocations"][0]["name"]
            .as_str()
            .expect("node");
        let line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .expect("line");
        let written = text.lines().nth(line as usize - 1).expect("line exists");
        assert!(
            written.contains(&format!("id: \"{node}\"")),
            "{node} at line {line}: {written}"
        );
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "templates/legacy-shop.ron"
        );
        let index = r["ruleIndex"].as_u64().expect("index") as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert!(
            rules[index]["help"]["text"]
                .as_str()
                .is_some_and(|h| !h.is_empty())
        );
        assert!(rules[index]["properties"]["security-severity"].is_string());
    }
}

#[test]
fn lint_fails_with_code_1_when_a_finding_reaches_fail_on() {
    let out = sessionmap(&["lint", "templates/legacy-shop.ron"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "legacy shop has high findings and --fail-on defaults to high"
    );
    let text = stdout(&out);
    assert!(
        text.contains("COOKIE-FLAGS") && text.contains("HIGH"),
        "{text}"
    );
    let out = sessionmap(&["lint", "templates/legacy-shop.ron", "--fail-on", "critical"]);
    assert_eq!(out.status.code(), Some(0), "static gaps are at most high");
}

#[test]
fn lint_passes_a_well_designed_template() {
    let out = sessionmap(&["lint", "templates/banking.ron"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn markdown_output_lists_the_findings_in_a_table() {
    let out = sessionmap(&[
        "lint",
        "templates/legacy-shop.ron",
        "--format",
        "markdown",
        "--fail-on",
        "critical",
    ]);
    let md = stdout(&out);
    assert!(md.starts_with("# Session gaps: Legacy web shop"), "{md}");
    assert!(md.contains("| severity | id | finding | nodes |"));
    assert!(md.contains("`COOKIE-FLAGS`"));
    assert!(md.contains("## COOKIE-FLAGS"));
}

#[test]
fn lint_refuses_an_unknown_profile_and_names_the_known_ones() {
    let out = sessionmap(&["lint", "templates/banking.ron", "--profile", "strictest"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("asvs-l2"));
}

#[test]
fn lint_refuses_an_inconsistent_map_with_code_2_and_its_problems() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("bad.ron");
    let text = sessionmap::templates::find("banking")
        .expect("bundled")
        .text
        .replacen("to: \"transfer\",", "to: \"nowhere\",", 1);
    std::fs::write(&file, text).expect("write");
    let out = sessionmap(&["lint", file.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nowhere") && err.contains("bad.ron:"), "{err}");
}

#[test]
fn sarif_from_a_subfolder_of_a_git_repository_carries_repository_relative_uris() {
    let repo = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(repo.path().join(".git")).expect(".git");
    let folder = repo.path().join("docs").join("session maps");
    std::fs::create_dir_all(&folder).expect("folders");
    let text = sessionmap::templates::find("legacy-shop")
        .expect("bundled")
        .text;
    std::fs::write(folder.join("shop.ron"), text).expect("map");
    // Run from inside the subfolder with a path relative to it, as a CI step might.
    let out = Command::new(env!("CARGO_BIN_EXE_sessionmap"))
        .current_dir(&folder)
        .args([
            "lint",
            "shop.ron",
            "--format",
            "sarif",
            "--fail-on",
            "critical",
        ])
        .output()
        .expect("runs");
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("SARIF");
    let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "docs/session%20maps/shop.ron"
    );
    assert_eq!(location["artifactLocation"]["uriBaseId"], "SRCROOT");
    let root = sarif["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"]
        .as_str()
        .expect("the root");
    let canonical = std::fs::canonicalize(repo.path()).expect("canonical");
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{root}"
    );
    assert!(
        root.trim_end_matches('/').ends_with(
            &canonical
                .file_name()
                .expect("name")
                .to_string_lossy()
                .to_string()
        ),
        "{root} is {}",
        canonical.display()
    );
    // An explicit root wins over the `.git` search.
    let out = Command::new(env!("CARGO_BIN_EXE_sessionmap"))
        .current_dir(&folder)
        .args([
            "lint",
            "shop.ron",
            "--format",
            "sarif",
            "--fail-on",
            "critical",
        ])
        .args(["--repo-root", ".."])
        .output()
        .expect("runs");
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("SARIF");
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "session%20maps/shop.ron"
    );
}
