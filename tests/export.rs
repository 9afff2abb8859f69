//! Text exports: every template as Mermaid and DOT, findings' evidence as Mermaid sequence
//! diagrams, all checked by parsers for the grammar we emit, and labels with quotes, angle
//! brackets, ampersands and non-Latin text surviving every format.

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
        .replace("#58;", ":")
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
        if trips_style_prepass(line) {
            return Err(format!(
                "Mermaid's style pre-pass would cut this line: {line}"
            ));
        }
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

// ── Mermaid: the sequenceDiagram subset we write ─────────────────────────────────────────────

/// Words the sequence lexer reads as keywords wherever a participant id could stand.
const SEQUENCE_KEYWORDS: [&str; 30] = [
    "participant",
    "actor",
    "create",
    "destroy",
    "box",
    "loop",
    "rect",
    "opt",
    "alt",
    "else",
    "par",
    "par_over",
    "and",
    "critical",
    "option",
    "break",
    "end",
    "left",
    "right",
    "links",
    "link",
    "properties",
    "details",
    "over",
    "note",
    "activate",
    "deactivate",
    "title",
    "autonumber",
    "off",
];

fn is_sequence_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !SEQUENCE_KEYWORDS.contains(&id.to_ascii_lowercase().as_str())
}

/// Mermaid's pre-pass `/style.*:\S*#.*;/` (and the same for `classDef`) drops the last `;` of a
/// matching line, which would cut an entity code short.
fn trips_style_prepass(line: &str) -> bool {
    ["style", "classDef"].iter().any(|word| {
        line.match_indices(word).any(|(at, _)| {
            line[at..].match_indices(':').any(|(colon, _)| {
                let after = &line[at + colon + 1..];
                let run = after.split(char::is_whitespace).next().unwrap_or_default();
                run.find('#')
                    .is_some_and(|hash| after[hash..].contains(';'))
            })
        })
    })
}

/// Checks the text of a message, note or alias the way Mermaid's lexer reads it (up to the first
/// raw `#`, `;` or line end, after decoding `#name;` and `#123;`), and decodes it: entity codes
/// to characters, `<br/>` to a line break. Raw quotes, angle brackets, ampersands and `%` are
/// refused too, as is text Mermaid would take as a `wrap:` directive.
fn sequence_text(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("empty text".into());
    }
    let lower = trimmed.to_ascii_lowercase();
    let lower = lower.strip_prefix(':').unwrap_or(&lower);
    if lower.starts_with("wrap:") || lower.starts_with("nowrap:") {
        return Err(format!("read as a wrap directive: {raw}"));
    }
    let mut out = String::new();
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("<br/>") {
            out.push('\n');
            rest = after;
        } else if c == '#' {
            let end = rest
                .find(';')
                .ok_or_else(|| format!("raw `#` starts a comment: {raw}"))?;
            let code = &rest[1..end];
            if code.is_empty() || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("raw `#` starts a comment: {raw}"));
            }
            let decoded = match code {
                "quot" => '"',
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                n => n
                    .parse::<u32>()
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("unknown entity #{n};"))?,
            };
            out.push(decoded);
            rest = &rest[end + 1..];
        } else if matches!(c, ';' | '"' | '<' | '>' | '&' | '%' | '\n' | '\r') {
            return Err(format!("raw {c:?} in text: {raw}"));
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    Ok(out)
}

#[derive(Debug, Default)]
struct Sequence {
    /// (keyword, id, decoded alias) in declaration order.
    participants: Vec<(String, String, Option<String>)>,
    /// (from, arrow, to, decoded text).
    messages: Vec<(String, String, String, String)>,
    /// (participants it spans, decoded text).
    notes: Vec<(Vec<String>, String)>,
}

impl Sequence {
    fn ids(&self) -> Vec<&str> {
        self.participants
            .iter()
            .map(|(_, id, _)| id.as_str())
            .collect()
    }
    /// Every text the diagram shows, decoded.
    fn texts(&self) -> Vec<&str> {
        let aliases = self
            .participants
            .iter()
            .filter_map(|(_, _, a)| a.as_deref());
        let messages = self.messages.iter().map(|(_, _, _, t)| t.as_str());
        let notes = self.notes.iter().map(|(_, t)| t.as_str());
        aliases.chain(messages).chain(notes).collect()
    }
}

/// Checks a Mermaid sequence diagram in the subset we emit: every participant declared once,
/// before any arrow or note; arrows `->>`, `-->>`, `-x`, `--x` between declared participants;
/// notes over, left of or right of declared participants; well-formed text everywhere.
fn check_sequence(text: &str) -> Result<Sequence, String> {
    let mut lines = text.lines();
    if lines.next() != Some("sequenceDiagram") {
        return Err("`sequenceDiagram` expected".into());
    }
    let mut seq = Sequence::default();
    let mut declared = HashSet::new();
    let declared_id = |declared: &HashSet<String>, id: &str| -> Result<String, String> {
        if declared.contains(id) {
            Ok(id.to_owned())
        } else {
            Err(format!("participant {id} used before it is declared"))
        }
    };
    for line in lines {
        if trips_style_prepass(line) {
            return Err(format!(
                "Mermaid's style pre-pass would cut this line: {line}"
            ));
        }
        let t = line
            .strip_prefix("    ")
            .ok_or_else(|| format!("statements are indented: {line}"))?;
        let declaration = t
            .strip_prefix("participant ")
            .map(|rest| ("participant", rest))
            .or_else(|| t.strip_prefix("actor ").map(|rest| ("actor", rest)));
        if let Some((keyword, rest)) = declaration {
            if !seq.messages.is_empty() || !seq.notes.is_empty() {
                return Err(format!("participant declared after the first arrow: {t}"));
            }
            let (id, alias) = match rest.split_once(" as ") {
                Some((id, alias)) => (id, Some(sequence_text(alias)?)),
                None => (rest, None),
            };
            if !is_sequence_id(id) {
                return Err(format!("bad participant id {id:?}"));
            }
            if !declared.insert(id.to_owned()) {
                return Err(format!("participant {id} declared twice"));
            }
            seq.participants
                .push((keyword.to_owned(), id.to_owned(), alias));
        } else if let Some(rest) = t.strip_prefix("Note ") {
            let (place, text) = rest.split_once(": ").ok_or("note text expected")?;
            let over = if let Some(pair) = place.strip_prefix("over ") {
                let ids: Vec<&str> = pair.split(',').collect();
                if ids.len() > 2 {
                    return Err(format!("a note spans at most two participants: {t}"));
                }
                ids
            } else if let Some(id) = place
                .strip_prefix("left of ")
                .or_else(|| place.strip_prefix("right of "))
            {
                vec![id]
            } else {
                return Err(format!("bad note placement: {t}"));
            };
            let over = over
                .into_iter()
                .map(|id| declared_id(&declared, id))
                .collect::<Result<_, _>>()?;
            seq.notes.push((over, sequence_text(text)?));
        } else {
            let (signal, text) = t
                .split_once(": ")
                .ok_or_else(|| format!("unknown line: {t}"))?;
            let from_end = signal
                .find('-')
                .ok_or_else(|| format!("arrow expected: {t}"))?;
            let (from, rest) = signal.split_at(from_end);
            let arrow = ["-->>", "->>", "--x", "-x"]
                .into_iter()
                .find(|a| rest.starts_with(a))
                .ok_or_else(|| format!("unknown arrow: {t}"))?;
            let to = &rest[arrow.len()..];
            seq.messages.push((
                declared_id(&declared, from)?,
                arrow.to_owned(),
                declared_id(&declared, to)?,
                sequence_text(text)?,
            ));
        }
    }
    Ok(seq)
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
        // Every edge, and every note tied to the node nearest to it.
        assert_eq!(
            text.matches(" -> ").count(),
            map.edges.len() + map.notes.len(),
            "{name}"
        );
        assert!(
            text.contains(&format!(
                "label={}; labelloc=t",
                export::dot_quote(&map.title)
            )),
            "{name}: the title is drawn"
        );
        assert_eq!(
            text.matches("subgraph cluster_").count(),
            map.lanes.len(),
            "{name}"
        );
    }
}

const HOSTILE: &str = "Say \"hi\" <b>&</b> #1 ログイン [x] (y) {z} \\ end style:#x;";

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
    // The note, wrapped into lines.
    assert!(
        nodes
            .iter()
            .any(|(_, label)| label.replace("\\n", " ").replace('\n', " ") == HOSTILE),
        "the note: {nodes:#?}"
    );
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
        md.contains(
            "| remember-me lifetime | never expires | not drawn: remember-me tokens never expire"
        ),
        "policy rows say what is not drawn: {md}"
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
    assert_eq!(svg.matches("id=\"finding-badge-").count(), marked.len());
    assert!(
        svg.contains("finding(s), worst"),
        "each badge keeps its words"
    );
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

// ── Sequence diagrams of a finding's evidence ────────────────────────────────────────────────

use sessionmap::report::{Finding, Gap, Report, Step};

fn banking() -> Map {
    templates::find("banking")
        .expect("bundled")
        .load()
        .expect("loads")
        .map
}

/// Virtual milliseconds at `day` `h`:`m` since the start of the run.
fn at(day: u64, h: u64, m: u64) -> u64 {
    ((day * 24 + h) * 60 + m) * 60_000
}

fn step(at_ms: Option<u64>, actor: &str, action: &str, outcome: &str, node: Option<&str>) -> Step {
    Step {
        at_ms,
        actor: actor.to_owned(),
        action: action.to_owned(),
        outcome: outcome.to_owned(),
        node: node.map(model::NodeId::from),
    }
}

/// A stolen cookie replayed until the idle timeout ends it: what the simulator writes.
fn replay_finding() -> Finding {
    Finding::new(
        Gap::BindNone,
        vec![model::NodeId::from("create")],
        "The session works from any IP and browser, so a stolen cookie is as good as a login.",
    )
    .with_evidence(vec![
        step(
            Some(at(0, 9, 14)),
            "user",
            "signs in with password + MFA",
            "accepted as user 17",
            Some("login"),
        ),
        step(
            Some(at(0, 9, 19)),
            "attacker",
            "replays the stolen session cookie from another IP and browser",
            "accepted as user 17",
            Some("accounts"),
        ),
        step(
            Some(at(0, 9, 40)),
            "admin",
            "ends user 17's sessions",
            "2 sessions ended",
            Some("admin-kill"),
        ),
        step(
            Some(at(0, 9, 45)),
            "idp",
            "sends a back-channel logout for user 17",
            "no session left to end",
            None,
        ),
        step(
            Some(at(0, 9, 50)),
            "engine",
            "sweeps idle sessions",
            "nothing to sweep",
            None,
        ),
        step(
            Some(at(1, 8, 54)),
            "attacker",
            "replays the stolen session cookie again",
            "refused: session expired (idle)",
            Some("accounts"),
        ),
    ])
}

#[test]
fn a_simulated_trace_is_a_sequence_diagram_with_the_user_acting_through_the_browser() {
    let text = export::sequence_diagram(&replay_finding(), &banking());
    let seq = check_sequence(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(
        seq.ids(),
        ["User", "Browser", "Server", "IdP", "Admin", "Attacker"],
        "only the actors that appear, plus the browser and the server"
    );
    let kinds: Vec<&str> = seq
        .participants
        .iter()
        .map(|(k, _, _)| k.as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "actor",
            "participant",
            "participant",
            "participant",
            "actor",
            "actor"
        ]
    );
    let m = |from: &str, arrow: &str, to: &str, text: &str| {
        (
            from.to_owned(),
            arrow.to_owned(),
            to.to_owned(),
            text.to_owned(),
        )
    };
    assert_eq!(
        seq.messages[..3],
        [
            m(
                "User",
                "->>",
                "Browser",
                "day 0 09:14\nsigns in with password + MFA"
            ),
            m("Browser", "->>", "Server", "Sign in"),
            m("Server", "-->>", "Browser", "accepted as user 17"),
        ],
        "{text}"
    );
    assert!(seq.messages.contains(&m(
        "Attacker",
        "->>",
        "Server",
        "day 0 09:19 (+5 min)\nreplays the stolen session cookie from another IP and browser (at View accounts)"
    )));
    assert!(seq.messages.contains(&m(
        "Admin",
        "->>",
        "Server",
        "day 0 09:40 (+21 min)\nends user 17's sessions (at Fraud team ends sessions)"
    )));
    assert!(
        seq.messages
            .contains(&m("Server", "-->>", "IdP", "no session left to end"))
    );
    assert_eq!(
        seq.messages.last(),
        Some(&m(
            "Server",
            "--x",
            "Attacker",
            "refused: session expired (idle)"
        )),
        "a refusal is a crossed arrow"
    );
    assert!(
        seq.messages
            .iter()
            .any(|(_, _, _, t)| t.starts_with("day 1 08:54 (+23 h 4 min)\n"))
    );
    assert_eq!(
        seq.notes,
        [(
            vec!["Server".to_owned()],
            "day 0 09:50 (+5 min)\nsweeps idle sessions → nothing to sweep".to_owned()
        )],
        "the engine acting on its own is a note"
    );
}

#[test]
fn a_static_finding_s_drawn_facts_are_notes_over_the_server() {
    let map = templates::find("legacy-shop")
        .expect("bundled")
        .load()
        .expect("loads")
        .map;
    let plan = sessionmap::compile::compile(&map);
    let findings =
        sessionmap::compile::lint(&map, &plan, sessionmap::compile::Profile::default_profile());
    assert!(findings.iter().any(|f| !f.evidence.is_empty()));
    for f in findings {
        let text = export::sequence_diagram(&f, &map);
        let seq = check_sequence(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", f.id));
        assert_eq!(seq.ids(), ["Server"], "{}", f.id);
        assert!(seq.messages.is_empty(), "{}", f.id);
        assert_eq!(seq.notes.len(), f.evidence.len().max(1), "{}", f.id);
        for (s, (_, note)) in f.evidence.iter().zip(&seq.notes) {
            let label = s
                .node
                .as_ref()
                .and_then(|n| map.node(n))
                .map_or("", |n| n.label.as_str());
            assert!(
                note.starts_with(label) && note.contains(&s.action),
                "{note}"
            );
            assert!(note.ends_with(&s.outcome), "{note}");
        }
    }
}

const HOSTILE_STEP: &str = "wrap: Анна 東京 said \"hi\" <script>alert('x')</script> & left; #1 100% %%{init}%% style:#fff; end";

#[test]
fn labels_with_quotes_brackets_ampersands_and_non_latin_text_survive_sequence_diagrams() {
    let mut map = banking();
    map.nodes[0].label = HOSTILE_STEP.to_owned();
    let login = map.nodes[0].id.as_str().to_owned();
    let two_lines = format!("{HOSTILE_STEP}\r\nsecond line:");
    let finding = Finding::new(Gap::BindNone, vec![], "x").with_evidence(vec![
        step(Some(0), "user", HOSTILE_STEP, HOSTILE_STEP, Some(&login)),
        step(
            Some(1000),
            "attacker",
            &two_lines,
            "refused: <none> & \"no\"",
            Some(&login),
        ),
        step(None, HOSTILE_STEP, HOSTILE_STEP, "", None),
        step(None, "drawing", HOSTILE_STEP, HOSTILE_STEP, Some(&login)),
        step(None, "engine", "", "", None),
    ]);
    let text = export::sequence_diagram(&finding, &map);
    let seq = check_sequence(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    for raw in ["<script", "%%", "\"", "style:", "wrap:"] {
        assert!(!text.contains(raw), "{raw} left raw in\n{text}");
    }
    let texts = seq.texts();
    let shown = |wanted: &str| texts.iter().filter(|t| t.contains(wanted)).count();
    assert_eq!(
        seq.participants
            .iter()
            .filter_map(|(_, _, a)| a.as_deref())
            .collect::<Vec<_>>(),
        [HOSTILE_STEP],
        "an actor we do not know is a participant named as written"
    );
    assert!(shown(HOSTILE_STEP) >= 6, "{texts:#?}");
    assert!(
        texts
            .iter()
            .any(|t| t.ends_with(&format!("{HOSTILE_STEP}\nsecond line: (at {HOSTILE_STEP})"))),
        "{texts:#?}"
    );
    assert!(texts.contains(&"refused: <none> & \"no\""));
    assert!(
        seq.messages
            .iter()
            .any(|(_, arrow, _, t)| arrow == "--x" && t.starts_with("refused"))
    );
    assert!(
        texts.iter().any(|t| t == &HOSTILE_STEP),
        "the node label as the browser's request"
    );
}

#[test]
fn a_long_trace_keeps_its_first_and_last_steps_and_says_how_many_it_left_out() {
    let steps: Vec<Step> = (0..100)
        .map(|i| {
            step(
                Some(i * 60_000),
                "attacker",
                &format!("try {i}"),
                "accepted",
                None,
            )
        })
        .collect();
    let finding = Finding::new(Gap::BindNone, vec![], "x").with_evidence(steps);
    let text = export::sequence_diagram(&finding, &banking());
    let seq = check_sequence(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(text.lines().count() < 60, "short enough to read aloud");
    let tries: Vec<&str> = seq
        .messages
        .iter()
        .filter(|(from, ..)| from == "Attacker")
        .map(|(.., t)| t.as_str())
        .collect();
    assert!(tries.first().is_some_and(|t| t.ends_with("\ntry 0")));
    assert!(tries.last().is_some_and(|t| t.ends_with("\ntry 99")));
    assert!(
        seq.notes.iter().any(|(_, n)| n.contains("76 more steps")),
        "{text}"
    );
}

// ── The Markdown report of a simulation ──────────────────────────────────────────────────────

fn mermaid_blocks(md: &str) -> Vec<&str> {
    md.split("```mermaid\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .collect()
}

/// The banking map's lint findings plus a simulated one, with the metrics a run reports.
fn simulated_markdown() -> String {
    let t = templates::find("banking").expect("bundled");
    let map = t.load().expect("loads").map;
    let plan = sessionmap::compile::compile(&map);
    let profile = sessionmap::compile::Profile::default_profile();
    let mut findings = sessionmap::compile::lint(&map, &plan, profile);
    findings.push(replay_finding());
    let mut report = Report::new(&map.title, "templates/banking.ron", profile.name, findings);
    let serde_json::Value::Object(metrics) = serde_json::json!({
        "users": 1000,
        "days": 30,
        "seed": 42,
        "attack_success": {
            "cookie-replay": { "attempts": 120, "succeeded": 37 },
            "fixation": { "attempts": 0, "succeeded": 0 },
        },
        "exposure_window": {
            "samples": 37, "p50_ms": 600_000, "p95_ms": 7_500_000, "max_ms": 28_800_000,
            "open_ended": 3,
        },
        "revocation_latency": {
            "samples": 0, "p50_ms": 0, "p95_ms": 0, "max_ms": 0, "open_ended": 0,
        },
        "unexpected_logouts_per_100_user_days": 4.167,
        "reauth_prompts_per_100_user_days": 12.5,
        "user_days_with_unexpected_logout": 0.031,
        "peak_concurrent_sessions": 812,
        "peak_store_bytes": 104_000,
        "events": 1_234_567,
        "a_metric_added_later": "<b>&</b>",
    }) else {
        unreachable!("an object literal")
    };
    report.metrics = metrics;
    export::markdown_report(&map, &plan, &report, None)
}

#[test]
fn the_markdown_report_of_a_simulation_holds_each_trace_as_a_sequence_diagram() {
    let md = simulated_markdown();
    let blocks = mermaid_blocks(&md);
    assert_eq!(blocks.len(), 2, "the map and the one simulated finding");
    check_mermaid(blocks[0]).expect("the map's flowchart parses");
    let seq = check_sequence(blocks[1]).unwrap_or_else(|e| panic!("{e}\n{}", blocks[1]));
    assert!(seq.ids().contains(&"Attacker"));
    let trace = md
        .find("### Trace of BIND-NONE — ")
        .expect("a trace section");
    assert!(
        md.find("### BIND-NONE — ")
            .is_some_and(|finding| finding < trace)
    );
    assert!(
        md.contains("| idle timeout | 10 min | `idle` |"),
        "derived policy"
    );
    assert!(
        md.contains("| medium | `BIND-NONE` |"),
        "the finding in the table"
    );
    assert!(
        md.lines().any(|l| l.starts_with("- ")
            && l.contains("replays the stolen session cookie again")
            && l.ends_with("refused: session expired (idle)")),
        "the evidence as a list too"
    );
}

/// The layout of the figures is `report`'s (the same in text and `compare`); the report embeds
/// it, in human units, and drops no metric it does not know.
#[test]
fn the_markdown_report_of_a_simulation_holds_its_metrics_in_human_units() {
    let md = simulated_markdown();
    let metrics = &md[md.find("\n## Metrics\n").expect("a metrics section")..];
    for figure in [
        "cookie-replay",
        "30.8%",
        "10 min",
        "2 h 5 min",
        "101.6 KiB",
        "a metric added later",
    ] {
        assert!(metrics.contains(figure), "{figure}\n{metrics}");
    }
    assert!(!metrics.contains("<b>"), "escaped for Markdown");
}

#[test]
fn a_lint_only_markdown_report_says_no_simulation_ran() {
    let md = markdown_of("banking");
    assert!(md.contains("\n## Metrics\n\nNo simulation ran"));
    assert!(
        !md.contains("## Evidence traces"),
        "static findings need no trace"
    );
}

// ----- exporting from the app -----

#[test]
fn one_export_entry_point_writes_every_format_and_never_changes_the_map() {
    use sessionmap::export::geometry::Theme;
    use sessionmap::export::{Format, Options};
    let map = templates::find("banking")
        .expect("bundled")
        .load()
        .expect("loads")
        .map;
    let before = model::to_ron(&map).expect("serialises");
    let dir = tempfile::tempdir().expect("temp dir");
    let options = Options {
        theme: Theme::Dark,
        scale: 1.0,
        badges: false,
        population: sessionmap::sim::Builder {
            users: 2_000,
            days: 2,
            seed: 7,
            ..sessionmap::sim::Builder::default()
        },
        file: "banking.ron",
        source: None,
        direction: export::Direction::Tb,
        findings: None,
    };
    for kind in Format::ALL {
        let path = dir.path().join(format!("out.{}", kind.extension()));
        export::write(kind, &map, &path, &options).expect("exports");
        let bytes = std::fs::read(&path).expect("written");
        assert!(!bytes.is_empty(), "{kind:?}");
        match kind {
            Format::Png => assert_eq!(&bytes[1..4], b"PNG"),
            Format::Svg => assert!(String::from_utf8_lossy(&bytes).contains("<svg")),
            Format::Mermaid => {
                check_mermaid(&String::from_utf8_lossy(&bytes)).expect("mermaid parses");
            }
            Format::Dot => {
                check_dot(&String::from_utf8_lossy(&bytes)).expect("dot parses");
            }
            Format::Markdown => {
                let text = String::from_utf8_lossy(&bytes);
                // The report ran the population it was given, and says so.
                assert!(text.contains("| users | 2000 |"), "{text}");
                assert!(text.contains("| days | 2 |"), "{text}");
                assert!(text.contains("| seed | 7 |"), "{text}");
                assert!(text.contains("![") && dir.path().join("out.svg").exists());
            }
        }
    }
    assert_eq!(model::to_ron(&map).expect("serialises"), before);
}

#[test]
fn export_markdown_on_the_command_line_takes_the_population_simulate_takes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("report.md");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_sessionmap"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "export",
            "templates/legacy-shop.ron",
            "--format",
            "markdown",
            "-o",
        ])
        .arg(&out)
        .args(["--users", "3000", "--days", "2", "--seed", "5"])
        .status()
        .expect("runs");
    assert!(status.success());
    let text = std::fs::read_to_string(&out).expect("written");
    assert!(text.contains("| users | 3000 |"), "{text}");
    assert!(text.contains("| days | 2 |"), "{text}");
    // The same renderer as `simulate --format markdown`: both hold the evidence traces.
    assert!(text.contains("## Evidence traces"), "{text}");
    let simulated = std::process::Command::new(env!("CARGO_BIN_EXE_sessionmap"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "simulate",
            "templates/legacy-shop.ron",
            "--format",
            "markdown",
        ])
        .args([
            "--users",
            "3000",
            "--days",
            "2",
            "--seed",
            "5",
            "--fail-on",
            "critical",
        ])
        .output()
        .expect("runs");
    let simulated = String::from_utf8_lossy(&simulated.stdout);
    assert!(simulated.contains("## Evidence traces"), "{simulated}");
    assert!(
        simulated.contains("```mermaid\nsequenceDiagram"),
        "{simulated}"
    );
    // Code spans stay code spans.
    assert!(!simulated.contains("\\`"), "escaped backticks: {simulated}");
}

#[test]
fn the_export_window_previews_and_copies_the_mermaid_text() {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable as _;
    use sessionmap::ui::{Editor, EditorOptions, Startup};
    let mut editor = Editor::open(&Startup::Default, EditorOptions::default());
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui(|ui| editor.ui(ui));
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::E);
    harness.run();
    harness.get_by_label("Export preview");
    harness.get_by_label("Mermaid").click();
    harness.run();
    assert!(
        harness.query_by_label_contains("flowchart").is_some(),
        "the Mermaid text is previewed"
    );
    harness.get_by_label("Copy Mermaid").click();
    // One frame: the copy is in that frame's output.
    harness.step();
    let copied = harness
        .output()
        .platform_output
        .commands
        .iter()
        .any(|c| matches!(c, egui::OutputCommand::CopyText(t) if t.contains("flowchart LR")));
    assert!(copied, "the Mermaid flowchart went to the clipboard");
}

#[test]
fn an_svg_draws_its_text_as_outlines_and_keeps_the_words_for_readers() {
    let map = templates::find("banking")
        .expect("bundled")
        .load()
        .expect("loads")
        .map;
    let svg = export::svg(&map, Theme::Light, &[]);
    // No text for the reader's machine to render in a font it may not have…
    assert!(!svg.contains("<text"), "text is drawn as glyph outlines");
    assert!(!svg.contains("font-family"), "no font is named");
    // …but every word is still there for screen readers and search.
    assert!(svg.contains("<title>Online banking</title>"));
    for node in &map.nodes {
        assert!(
            svg.contains(&format!(
                "aria-label=\"{} {}\"",
                geometry::group_icon(node.kind.group()),
                node.label
            )) || svg.contains(&format!("aria-label=\"{}", node.label)),
            "{} is labelled",
            node.label
        );
    }
    resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default()).expect("parses");
}

/// Runs `program` with `args` on `input` (stdin) and returns its stderr, or why it could not.
fn consumer(program: &str, args: &[&str], input: &[u8]) -> Result<String, String> {
    use std::io::Write as _;
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("{program}: {e}"))?;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() {
        Ok(stderr)
    } else {
        Err(format!("{program} failed: {stderr}"))
    }
}

/// The real consumers: Graphviz renders every DOT and librsvg every SVG without a warning.
/// CI installs both and sets `SESSIONMAP_REAL_CONSUMERS=1` (`.ci/run`); elsewhere the in-repo
/// grammar checks above stand in for them.
#[test]
fn graphviz_and_librsvg_render_every_template_without_a_warning() {
    if std::env::var_os("SESSIONMAP_REAL_CONSUMERS").is_none() {
        eprintln!("SESSIONMAP_REAL_CONSUMERS is not set: Graphviz and librsvg not checked here");
        return;
    }
    for (name, map) in maps() {
        for direction in [export::Direction::Lr, export::Direction::Tb] {
            let dot = export::dot_with(&map, direction);
            let warnings = consumer("dot", &["-Tsvg"], dot.as_bytes())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                warnings.trim().is_empty(),
                "{name} {direction:?}: {warnings}"
            );
        }
        for theme in [Theme::Light, Theme::Dark] {
            let svg = export::svg(&map, theme, &[]);
            let warnings = consumer("rsvg-convert", &["-f", "png"], svg.as_bytes())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(warnings.trim().is_empty(), "{name} {theme:?}: {warnings}");
        }
    }
}

// ── Mermaid, markdown-it and the SARIF multitool: the npm consumers ─────────────────────────

/// The npm programs pinned in `tests/consumers` (installed there by `npm ci`, which `.ci/run`
/// does), or `None` where `SESSIONMAP_REAL_CONSUMERS` is not set.
fn npm_consumers() -> Option<std::path::PathBuf> {
    std::env::var_os("SESSIONMAP_REAL_CONSUMERS")?;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/consumers");
    assert!(
        dir.join("node_modules").is_dir(),
        "SESSIONMAP_REAL_CONSUMERS is set but {} has no node_modules: run `npm ci` there",
        dir.display()
    );
    Some(dir)
}

/// Runs `node check.mjs MODE DIR` and fails the test with every problem it printed.
fn node_check(consumers: &std::path::Path, mode: &str, dir: &std::path::Path) {
    let out = Command::new("node")
        .current_dir(consumers)
        .arg("check.mjs")
        .arg(mode)
        .arg(dir)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{mode}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{mode}: {}", stdout.trim());
}

/// Runs the `sessionmap` binary from the repository root and returns its stdout.
fn sessionmap_cli(args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_sessionmap"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "sessionmap {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn mermaids_own_parser_accepts_every_flowchart_and_every_finding_s_sequence_diagram() {
    let Some(consumers) = npm_consumers() else {
        eprintln!("SESSIONMAP_REAL_CONSUMERS is not set: Mermaid's parser not run here");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut written = 0;
    for (name, map) in maps().into_iter().chain([("hostile", hostile_map())]) {
        std::fs::write(
            dir.path().join(format!("{name}.mmd")),
            export::mermaid(&map),
        )
        .expect("written");
        written += 1;
        let plan = sessionmap::compile::compile(&map);
        let report = sessionmap::sim::report_with_simulation(
            &map,
            &plan,
            name,
            sessionmap::sim::Builder {
                users: 600,
                days: 1,
                seed: 3,
                ..Default::default()
            },
        )
        .expect("simulates");
        for (i, finding) in report.findings.iter().enumerate() {
            let path = dir.path().join(format!("{name}-finding-{i:02}.mmd"));
            std::fs::write(path, export::sequence_diagram(finding, &map)).expect("written");
            written += 1;
        }
    }
    for (i, finding) in [replay_finding()].iter().enumerate() {
        let path = dir.path().join(format!("replay-{i}.mmd"));
        std::fs::write(path, export::sequence_diagram(finding, &banking())).expect("written");
    }
    assert!(written > 50, "only {written} diagrams");
    node_check(&consumers, "mermaid", dir.path());
}

#[test]
fn markdown_it_renders_every_template_s_report_with_code_as_code_and_diagrams_that_parse() {
    let Some(consumers) = npm_consumers() else {
        eprintln!("SESSIONMAP_REAL_CONSUMERS is not set: markdown-it not run here");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    for t in templates::ALL {
        let out = dir.path().join(format!("{}.md", t.name));
        let file = format!("templates/{}.ron", t.name);
        let out_arg = out.to_string_lossy().into_owned();
        sessionmap_cli(&[
            "export", &file, "--format", "markdown", "-o", &out_arg, "--users", "600", "--days",
            "1",
        ]);
        assert!(out.is_file(), "{} written", out.display());
    }
    std::fs::write(dir.path().join("simulated.md"), simulated_markdown()).expect("written");
    node_check(&consumers, "markdown", dir.path());
}

#[test]
fn the_sarif_multitool_validates_every_template_s_report_with_the_github_rules() {
    let Some(consumers) = npm_consumers() else {
        eprintln!("SESSIONMAP_REAL_CONSUMERS is not set: the SARIF multitool not run here");
        return;
    };
    let multitool = consumers.join("node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    let dir = tempfile::tempdir().expect("temp dir");
    for t in templates::ALL {
        let file = format!("templates/{}.ron", t.name);
        let sarif = sessionmap_cli(&[
            "simulate", &file, "--format", "sarif", "--users", "600", "--days", "1",
        ]);
        let input = dir.path().join(format!("{}.sarif", t.name));
        std::fs::write(&input, &sarif).expect("written");
        let log = dir.path().join(format!("{}.validation.sarif", t.name));
        let out = Command::new(&multitool)
            .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
            .args([
                "validate",
                "--rule-kind",
                "Sarif;Gh",
                "--log",
                "ForceOverwrite",
                "-o",
            ])
            .arg(&log)
            .arg(&input)
            .output()
            .expect("the multitool runs");
        let validation: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&log).unwrap_or_else(|e| {
                panic!(
                    "{}: no validation log ({e}): {}",
                    t.name,
                    String::from_utf8_lossy(&out.stdout)
                )
            }))
            .expect("the validation log is JSON");
        let errors: Vec<String> = validation["runs"][0]["results"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|r| r["level"].as_str().unwrap_or("warning") == "error")
            .map(|r| format!("{}: {}", r["ruleId"], r["message"]))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", t.name);
        let report: serde_json::Value = serde_json::from_slice(&sarif).expect("SARIF is JSON");
        let rules = report["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .expect("rules");
        assert!(
            rules.iter().filter(|r| r["helpUri"].is_string()).count() > rules.len() / 2,
            "most rules link the standard they cite"
        );
    }
}

/// Pixels of two same-sized renders that differ by more than a quarter of the range in any
/// channel: the edges of shapes anti-alias a little differently from one rasteriser to another,
/// a missing icon or a word in another font differs far more.
fn differing_pixels(a: &Pixmap, b: &Pixmap) -> usize {
    a.pixels()
        .iter()
        .zip(b.pixels())
        .filter(|(p, q)| {
            let (p, q) = (p.demultiply(), q.demultiply());
            [
                (p.red(), q.red()),
                (p.green(), q.green()),
                (p.blue(), q.blue()),
                (p.alpha(), q.alpha()),
            ]
            .iter()
            .any(|(x, y)| x.abs_diff(*y) > 64)
        })
        .count()
}

#[test]
fn librsvg_draws_every_exported_svg_as_the_app_draws_its_png() {
    if std::env::var_os("SESSIONMAP_REAL_CONSUMERS").is_none() {
        eprintln!("SESSIONMAP_REAL_CONSUMERS is not set: librsvg not compared here");
        return;
    }
    for (name, map) in maps() {
        for theme in [Theme::Light, Theme::Dark] {
            let svg = export::svg(&map, theme, &[]);
            // No text is left for librsvg to set in whatever fonts this machine has.
            assert!(!svg.contains("<text"), "{name}: text left as text");
            let out = Command::new("rsvg-convert")
                .args(["-f", "png"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .and_then(|mut child| {
                    use std::io::Write as _;
                    child
                        .stdin
                        .take()
                        .expect("stdin")
                        .write_all(svg.as_bytes())?;
                    child.wait_with_output()
                })
                .expect("rsvg-convert runs");
            assert!(out.status.success(), "{name}: rsvg-convert failed");
            let theirs = Pixmap::decode_png(&out.stdout).expect("librsvg wrote a PNG");
            let ours = Pixmap::decode_png(&export::png(&map, theme, 1.0, &[]).expect("renders"))
                .expect("a PNG");
            assert_eq!(
                (theirs.width(), theirs.height()),
                (ours.width(), ours.height()),
                "{name} {theme:?}: sizes"
            );
            let differing = differing_pixels(&theirs, &ours);
            let share = differing as f64 / f64::from(ours.width() * ours.height());
            eprintln!("{name} {theme:?}: {:.3} % of pixels differ", share * 100.0);
            assert!(
                share < 0.005,
                "{name} {theme:?}: {differing} pixels ({:.2} %) differ",
                share * 100.0
            );
        }
    }
}

#[test]
fn export_badges_mark_the_findings_the_window_passes_in_not_only_the_static_ones() {
    let map = banking();
    let simulated = replay_finding();
    let options = export::Options {
        theme: Theme::Light,
        scale: 1.0,
        badges: true,
        population: sessionmap::sim::Builder::default(),
        file: "banking.ron",
        source: None,
        direction: export::Direction::Lr,
        findings: Some(std::slice::from_ref(&simulated)),
    };
    // The window's list (static and simulated, as the canvas badges them) is what is marked.
    assert_eq!(options.badge_findings(&map), vec![simulated.clone()]);
    let svg = export::svg(&map, Theme::Light, &options.badge_findings(&map));
    assert_eq!(
        svg.matches("finding-badge-").count(),
        simulated.nodes.len().min(
            map.nodes
                .iter()
                .filter(|n| simulated.nodes.contains(&n.id))
                .count()
        )
    );
    // Without a list, the map's own static findings at the profile.
    let own = export::Options {
        findings: None,
        ..options
    };
    let statics = own.badge_findings(&map);
    assert!(
        statics
            .iter()
            .all(|f| f.how == sessionmap::report::How::Static)
    );
}
