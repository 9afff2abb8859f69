//! Text exports: every template as Mermaid and DOT, checked by parsers for the grammar we emit,
//! and labels with quotes, angle brackets, ampersands and non-Latin text surviving both.

use std::collections::HashSet;
use std::process::Command;

use sessionmap::export;
use sessionmap::model::{self, Map};
use sessionmap::templates;

// ── Mermaid: the flowchart subset we write ───────────────────────────────────────────────────

/// Decodes the entity codes `mermaid_escape` writes.
fn mermaid_unescape(s: &str) -> String {
    s.replace("#quot;", "\"")
        .replace("#lt;", "<")
        .replace("#gt;", ">")
        .replace("#35;", "#")
        .replace("#amp;", "&")
}

fn is_mermaid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && ![
            "end",
            "graph",
            "subgraph",
            "flowchart",
            "class",
            "classDef",
            "style",
        ]
        .contains(&id)
}

/// A quoted label: the text between the quotes must hold no raw quote.
fn quoted(s: &str) -> Result<&str, String> {
    let inner = s
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .ok_or_else(|| format!("not a quoted label: {s}"))?;
    if inner.contains('"') {
        return Err(format!("raw quote inside a label: {s}"));
    }
    Ok(inner)
}

/// Checks a Mermaid flowchart in the subset we emit; returns node id → decoded label.
fn check_mermaid(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut lines = text.lines();
    if lines.next() != Some("---") {
        return Err("front matter expected".into());
    }
    for line in lines.by_ref() {
        if line == "---" {
            break;
        }
        let title = line.strip_prefix("title: ").ok_or("title expected")?;
        let inner = title
            .strip_prefix('\'')
            .and_then(|t| t.strip_suffix('\''))
            .ok_or("a single-quoted YAML title expected")?;
        if inner.replace("''", "").contains('\'') {
            return Err(format!("unescaped quote in the title: {title}"));
        }
    }
    if lines.next() != Some("flowchart LR") {
        return Err("`flowchart LR` expected".into());
    }
    let shapes = [
        ("([", "])"),
        ("[(", ")]"),
        ("{{", "}}"),
        ("(", ")"),
        (">", "]"),
    ];
    let mut depth = 0usize;
    let mut nodes: Vec<(String, String)> = Vec::new();
    let mut declared = HashSet::new();
    let mut edges = Vec::new();
    for line in lines {
        let t = line.trim();
        if t == "end" {
            depth = depth.checked_sub(1).ok_or("`end` without `subgraph`")?;
        } else if let Some(rest) = t.strip_prefix("subgraph ") {
            let (id, label) = rest.split_once('[').ok_or("subgraph label expected")?;
            if !is_mermaid_id(id) {
                return Err(format!("bad subgraph id {id}"));
            }
            quoted(label.strip_suffix(']').ok_or("subgraph label not closed")?)?;
            depth += 1;
        } else if t.starts_with("classDef ") || t.starts_with("class ") {
            continue;
        } else if let Some((from, rest)) = t.split_once(" -->|") {
            let (label, to) = rest.split_once("| ").ok_or("edge label not closed")?;
            quoted(label)?;
            edges.push((from.to_owned(), to.to_owned()));
        } else if let Some((from, to)) = t.split_once(" -.- ") {
            edges.push((from.to_owned(), to.to_owned()));
        } else {
            let at = t
                .find(['(', '[', '{', '>'])
                .ok_or_else(|| format!("unknown line: {t}"))?;
            let (id, shape) = t.split_at(at);
            if !is_mermaid_id(id) {
                return Err(format!("bad node id {id}"));
            }
            let (open, close) = shapes
                .iter()
                .find(|(o, c)| shape.starts_with(o) && shape.ends_with(c))
                .ok_or_else(|| format!("unknown shape: {shape}"))?;
            let label = quoted(&shape[open.len()..shape.len() - close.len()])?;
            if !declared.insert(id.to_owned()) {
                return Err(format!("node {id} declared twice"));
            }
            nodes.push((id.to_owned(), mermaid_unescape(label)));
        }
    }
    if depth != 0 {
        return Err("unbalanced subgraph".into());
    }
    for (from, to) in edges {
        if !declared.contains(&from) || !declared.contains(&to) {
            return Err(format!("edge {from} -> {to} uses an undeclared node"));
        }
    }
    Ok(nodes)
}

// ── DOT: a small parser for the grammar we emit ──────────────────────────────────────────────

#[derive(Debug, PartialEq)]
enum Tok {
    Id(String),
    Str(String),
    Punct(&'static str),
}

fn dot_tokens(text: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut s = String::new();
            loop {
                match chars.next().ok_or("unterminated string")? {
                    '"' => break,
                    '\\' => match chars.next().ok_or("dangling escape")? {
                        'n' => s.push('\n'),
                        other => s.push(other),
                    },
                    other => s.push(other),
                }
            }
            out.push(Tok::Str(s));
        } else if c == '-' {
            chars.next();
            if chars.next() != Some('>') {
                return Err("`->` expected".into());
            }
            out.push(Tok::Punct("->"));
        } else if let Some(p) = ["{", "}", "[", "]", ";", ",", "="]
            .iter()
            .find(|p| p.starts_with(c))
        {
            chars.next();
            out.push(Tok::Punct(p));
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            let mut s = String::new();
            while let Some(&c) = chars
                .peek()
                .filter(|c| c.is_ascii_alphanumeric() || **c == '_' || **c == '.')
            {
                s.push(c);
                chars.next();
            }
            out.push(Tok::Id(s));
        } else {
            return Err(format!("unexpected character {c:?}"));
        }
    }
    Ok(out)
}

struct DotParser {
    toks: Vec<Tok>,
    at: usize,
    nodes: Vec<(String, String)>,
    edges: Vec<(String, String)>,
}

impl DotParser {
    fn next(&mut self) -> Option<&Tok> {
        self.at += 1;
        self.toks.get(self.at - 1)
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }
    fn expect(&mut self, p: &str) -> Result<(), String> {
        match self.next() {
            Some(Tok::Punct(q)) if *q == p => Ok(()),
            other => Err(format!("`{p}` expected, got {other:?}")),
        }
    }
    fn id(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Tok::Id(s) | Tok::Str(s)) => Ok(s.clone()),
            other => Err(format!("id expected, got {other:?}")),
        }
    }
    /// `[a=b, c=d]`, returning the `label` if any.
    fn attrs(&mut self) -> Result<Option<String>, String> {
        let mut label = None;
        if self.peek() != Some(&Tok::Punct("[")) {
            return Ok(None);
        }
        self.expect("[")?;
        while self.peek() != Some(&Tok::Punct("]")) {
            let key = self.id()?;
            self.expect("=")?;
            let value = self.id()?;
            if key == "label" {
                label = Some(value);
            }
            if self.peek() == Some(&Tok::Punct(",")) {
                self.expect(",")?;
            }
        }
        self.expect("]")?;
        Ok(label)
    }
    fn stmts(&mut self) -> Result<(), String> {
        self.expect("{")?;
        while self.peek() != Some(&Tok::Punct("}")) {
            let first = self.id()?;
            match self.peek() {
                Some(Tok::Punct("=")) => {
                    self.expect("=")?;
                    self.id()?;
                }
                Some(Tok::Punct("{")) if first == "subgraph" => {
                    return Err("subgraph needs an id".into());
                }
                Some(Tok::Punct("->")) => {
                    self.expect("->")?;
                    let to = self.id()?;
                    self.attrs()?;
                    self.edges.push((first, to));
                }
                _ if first == "subgraph" => {
                    self.id()?;
                    self.stmts()?;
                    continue;
                }
                _ if first == "node" || first == "edge" => {
                    self.attrs()?;
                }
                _ => {
                    let label = self.attrs()?.unwrap_or_default();
                    self.nodes.push((first, label));
                }
            }
            self.expect(";")?;
        }
        self.expect("}")
    }
}

/// Parses `digraph ID { ... }`; returns node id → label.
fn check_dot(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut p = DotParser {
        toks: dot_tokens(text)?,
        at: 0,
        nodes: Vec::new(),
        edges: Vec::new(),
    };
    if p.id()? != "digraph" {
        return Err("`digraph` expected".into());
    }
    p.id()?;
    p.stmts()?;
    if p.at != p.toks.len() {
        return Err("text after the graph".into());
    }
    let declared: HashSet<&str> = p.nodes.iter().map(|(id, _)| id.as_str()).collect();
    for (from, to) in &p.edges {
        if !declared.contains(from.as_str()) || !declared.contains(to.as_str()) {
            return Err(format!("edge {from} -> {to} uses an undeclared node"));
        }
    }
    Ok(p.nodes)
}

// ── Tests ────────────────────────────────────────────────────────────────────────────────────

fn maps() -> Vec<(&'static str, Map)> {
    templates::ALL
        .iter()
        .map(|t| (t.name, t.load().expect("loads").map))
        .collect()
}

#[test]
fn every_template_exports_mermaid_that_parses_with_every_node_and_edge() {
    for (name, map) in maps() {
        let text = export::mermaid(&map);
        let nodes = check_mermaid(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert_eq!(nodes.len(), map.nodes.len() + map.notes.len(), "{name}");
        let arrows = text
            .lines()
            .filter(|l| l.contains(" -->|") || l.contains(" -.- "))
            .count();
        assert_eq!(arrows, map.edges.len(), "{name}");
        let subgraphs = text
            .lines()
            .filter(|l| l.trim_start().starts_with("subgraph "))
            .count();
        assert_eq!(subgraphs, map.lanes.len(), "{name}: one subgraph per lane");
    }
}

#[test]
fn every_template_exports_dot_that_parses_with_every_node_and_edge() {
    for (name, map) in maps() {
        let text = export::dot(&map);
        let nodes = check_dot(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert_eq!(nodes.len(), map.nodes.len() + map.notes.len(), "{name}");
        assert_eq!(text.matches(" -> ").count(), map.edges.len(), "{name}");
        assert_eq!(
            text.matches("subgraph cluster_").count(),
            map.lanes.len(),
            "{name}"
        );
    }
}

const HOSTILE: &str = "Say \"hi\" <b>&</b> #1 ログイン [x] (y) {z} \\ end";

fn hostile_map() -> Map {
    let mut map = templates::find("banking")
        .expect("bundled")
        .load()
        .expect("loads")
        .map;
    map.title = HOSTILE.to_owned();
    map.nodes[0].label = HOSTILE.to_owned();
    map.lanes[0].title = HOSTILE.to_owned();
    map.edges[0].label = HOSTILE.to_owned();
    map.notes[0].text = HOSTILE.to_owned();
    map.nodes[1].id = model::NodeId::from("end");
    for e in &mut map.edges {
        if e.from.as_str() == "create" {
            e.from = model::NodeId::from("end");
        }
        if e.to.as_str() == "create" {
            e.to = model::NodeId::from("end");
        }
    }
    map
}

#[test]
fn labels_with_quotes_brackets_ampersands_and_non_latin_text_survive_mermaid() {
    let map = hostile_map();
    let text = export::mermaid(&map);
    let nodes = check_mermaid(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(
        nodes.iter().any(|(_, label)| label.contains(HOSTILE)),
        "{nodes:#?}"
    );
    assert!(text.contains(&format!("|\"{}\"|", export::mermaid_escape(HOSTILE))));
    assert!(
        text.contains("n_end("),
        "the keyword `end` as a node id is prefixed"
    );
    assert!(text.starts_with(&format!("---\ntitle: '{}'\n", HOSTILE.replace('\'', "''"))));
}

#[test]
fn labels_with_quotes_brackets_ampersands_and_non_latin_text_survive_dot() {
    let map = hostile_map();
    let text = export::dot(&map);
    let nodes = check_dot(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let first = nodes
        .iter()
        .find(|(id, _)| id == "login")
        .expect("login node");
    assert!(first.1.starts_with(HOSTILE), "{first:?}");
    assert!(nodes.iter().any(|(_, label)| label == HOSTILE), "the note");
}

#[test]
fn export_writes_the_file_and_never_changes_the_map() {
    let dir = tempfile::tempdir().expect("temp dir");
    let map_file = dir.path().join("bank.ron");
    let original = templates::find("banking").expect("bundled").text;
    std::fs::write(&map_file, original).expect("write");
    for (format, ext) in [
        ("mermaid", "mmd"),
        ("dot", "dot"),
        ("svg", "svg"),
        ("png", "png"),
    ] {
        let out = dir.path().join(format!("bank.{ext}"));
        let status = Command::new(env!("CARGO_BIN_EXE_sessionmap"))
            .args([
                "export",
                map_file.to_str().expect("utf-8"),
                "--format",
                format,
                "-o",
            ])
            .arg(&out)
            .status()
            .expect("runs");
        assert!(status.success(), "{format}");
        let bytes = std::fs::read(&out).expect("written");
        if format == "png" {
            assert!(bytes.starts_with(b"\x89PNG"), "a PNG file");
        } else {
            assert!(
                String::from_utf8_lossy(&bytes).contains("Sign in"),
                "{format}"
            );
        }
    }
    assert_eq!(std::fs::read_to_string(&map_file).expect("read"), original);
    assert!(!dir.path().join("bank.ron.bak").exists());
}

#[test]
fn export_of_a_broken_map_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let map_file = dir.path().join("broken.ron");
    std::fs::write(&map_file, "(format_version: 1, title: \"x\"").expect("write");
    let out = dir.path().join("x.mmd");
    let output = Command::new(env!("CARGO_BIN_EXE_sessionmap"))
        .args([
            "export",
            map_file.to_str().expect("utf-8"),
            "--format",
            "mermaid",
            "-o",
        ])
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("broken.ron:1:"));
    assert!(!out.exists());
}

// ── SVG and PNG ──────────────────────────────────────────────────────────────────────────────

use resvg::tiny_skia::Pixmap;
use sessionmap::export::geometry::{self, Theme};

/// How many pixels differ from the background colour: a rendered map has plenty.
fn drawn_pixels(png: &[u8], background: egui::Color32) -> (u32, u32, usize) {
    let pixmap = Pixmap::decode_png(png).expect("a PNG");
    let drawn = pixmap
        .pixels()
        .iter()
        .filter(|p| {
            let c = p.demultiply();
            (c.red(), c.green(), c.blue()) != (background.r(), background.g(), background.b())
        })
        .count();
    (pixmap.width(), pixmap.height(), drawn)
}

#[test]
fn every_template_exports_svg_that_parses_and_renders_in_both_themes() {
    for (name, map) in maps() {
        for theme in [Theme::Light, Theme::Dark] {
            let svg = export::svg(&map, theme, &[]);
            resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default())
                .unwrap_or_else(|e| panic!("{name} {theme:?}: {e}"));
            for node in &map.nodes {
                let first_word = node.label.split_whitespace().next().unwrap_or_default();
                assert!(
                    svg.contains(first_word),
                    "{name}: label `{}` as text",
                    node.label
                );
            }
            let png = export::png(&map, theme, 0.5, &[]).expect("renders");
            let (_, _, drawn) = drawn_pixels(&png, theme.colors().background);
            assert!(
                drawn > 10_000,
                "{name} {theme:?}: only {drawn} pixels drawn"
            );
        }
    }
}

#[test]
fn a_png_has_the_size_the_scale_asks_for() {
    let map = templates::find("banking")
        .expect("bundled")
        .load()
        .expect("loads")
        .map;
    let bounds = geometry::diagram(&map, Theme::Light).bounds;
    for scale in [0.5_f32, 1.0, 2.0] {
        let png = export::png(&map, Theme::Light, scale, &[]).expect("renders");
        let (w, h, _) = drawn_pixels(&png, Theme::Light.colors().background);
        assert_eq!(
            w,
            (bounds.width() * scale).ceil() as u32,
            "width at {scale}"
        );
        assert_eq!(
            h,
            (bounds.height() * scale).ceil() as u32,
            "height at {scale}"
        );
    }
}

#[test]
fn labels_with_quotes_brackets_ampersands_and_non_latin_text_survive_svg() {
    let svg = export::svg(&hostile_map(), Theme::Light, &[]);
    let tree = resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default()).expect("parses");
    assert!(tree.size().width() > 0.0);
    assert!(
        svg.contains("Say &quot;hi&quot; &lt;b&gt;&amp;&lt;/b&gt; #1 ログイン"),
        "escaped as text"
    );
    assert!(!svg.contains("<b>&</b>"));
}

#[test]
fn png_export_refuses_a_scale_that_would_make_a_giant_image() {
    let map = templates::find("banking")
        .expect("bundled")
        .load()
        .expect("loads")
        .map;
    let err = export::png(&map, Theme::Light, 100.0, &[]).expect_err("too large");
    assert!(err.to_string().contains("--scale"), "{err}");
}

// ── Markdown report and golden files ─────────────────────────────────────────────────────────

fn markdown_of(name: &str) -> String {
    let t = templates::find(name).expect("bundled");
    let map = t.load().expect("loads").map;
    let plan = sessionmap::compile::compile(&map);
    let profile = sessionmap::compile::Profile::default_profile();
    let findings = sessionmap::compile::lint(&map, &plan, profile);
    let mut report = sessionmap::report::Report::new(
        &map.title,
        &t.path().display().to_string(),
        profile.name,
        findings,
    );
    report.locations = model::node_locations(t.text);
    export::markdown_report(&map, &plan, &report, Some(&format!("{name}.svg")))
}

#[test]
fn the_markdown_report_holds_the_diagram_the_derived_policy_and_the_findings() {
    let md = markdown_of("legacy-shop");
    assert!(md.starts_with("# Legacy web shop (as-is)\n"));
    assert!(md.contains("![Legacy web shop (as-is)](legacy-shop.svg)"));
    let mermaid = md
        .split("```mermaid\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a mermaid block");
    check_mermaid(mermaid).expect("the embedded diagram parses");
    assert!(
        md.contains("| remember-me lifetime | never expires | — |"),
        "policy rows"
    );
    assert!(md.contains(
        "| logout invalidation | only forgotten by the client (still valid) | `logout` |"
    ));
    assert!(md.contains("### COOKIE-FLAGS — "), "finding sections");
    assert!(md.contains("profile `asvs-l2`"));
}

#[test]
fn the_markdown_report_cli_writes_the_svg_it_links_beside_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("bank report.md");
    let status = Command::new(env!("CARGO_BIN_EXE_sessionmap"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "export",
            "templates/banking.ron",
            "--format",
            "markdown",
            "-o",
        ])
        .arg(&out)
        .status()
        .expect("runs");
    assert!(status.success());
    let md = std::fs::read_to_string(&out).expect("report written");
    assert!(
        md.contains("](bank%20report.svg)"),
        "a link that works with spaces"
    );
    let svg = std::fs::read_to_string(dir.path().join("bank report.svg")).expect("svg beside");
    resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default()).expect("parses");
}

/// Compares with a checked-in golden file; `UPDATE_GOLDEN=1` rewrites it (then look at it).
fn golden(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("dir")).expect("create");
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} missing: run with UPDATE_GOLDEN=1", path.display()));
    assert_eq!(
        actual, expected,
        "{name} changed: look at the difference, then UPDATE_GOLDEN=1"
    );
}

#[test]
fn the_banking_exports_match_their_golden_files() {
    let map = templates::find("banking")
        .expect("bundled")
        .load()
        .expect("loads")
        .map;
    golden("banking.svg", &export::svg(&map, Theme::Light, &[]));
    golden("banking.mmd", &export::mermaid(&map));
    golden("banking.dot", &export::dot(&map));
    golden("banking.md", &markdown_of("banking"));
}

#[test]
fn badges_mark_every_node_with_findings_coloured_by_the_worst() {
    let map = templates::find("legacy-shop")
        .expect("bundled")
        .load()
        .expect("loads")
        .map;
    let plan = sessionmap::compile::compile(&map);
    let findings =
        sessionmap::compile::lint(&map, &plan, sessionmap::compile::Profile::default_profile());
    let marked: HashSet<&str> = findings
        .iter()
        .flat_map(|f| f.nodes.iter().map(|n| n.as_str()))
        .collect();
    let svg = export::svg(&map, Theme::Light, &findings);
    assert_eq!(svg.matches("class=\"finding-badge\"").count(), marked.len());
    let high = geometry::severity_color(sessionmap::report::Severity::High);
    assert!(svg.contains(&format!(
        "#{:02x}{:02x}{:02x}",
        high.r(),
        high.g(),
        high.b()
    )));
    resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default()).expect("parses");
    assert!(!export::svg(&map, Theme::Light, &[]).contains("finding-badge"));
}
