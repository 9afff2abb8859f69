//! The command line contract: subcommands, output, exit codes and error messages.

use std::path::Path;
use std::process::{Command, Output};

fn sessionmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sessionmap"))
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
    assert!(err.contains("2 problems"), "{err}");
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
