//! Text diagrams: a Mermaid `flowchart` (renders on GitHub and GitLab) and Graphviz DOT.
//! Lanes become subgraphs/clusters, node groups keep a distinct shape, attachments are dashed.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::model::{Group, Lane, Map, Node, Trigger};

use super::geometry::group_icon;

/// A lane's index, the lane, and its nodes in map order.
type LaneNodes<'m> = (usize, &'m Lane, Vec<&'m Node>);

/// The map's nodes grouped by lane (in lane order, with the lane's index), then the nodes in
/// no known lane: what both writers lay out as subgraphs/clusters and top-level nodes.
fn by_lane(map: &Map) -> (Vec<LaneNodes<'_>>, Vec<&Node>) {
    let lanes = map
        .lanes
        .iter()
        .enumerate()
        .map(|(i, lane)| {
            let nodes = map
                .nodes
                .iter()
                .filter(|n| n.lane.as_ref() == Some(&lane.id))
                .collect();
            (i, lane, nodes)
        })
        .collect();
    let loose = map
        .nodes
        .iter()
        .filter(|n| n.lane.as_ref().is_none_or(|l| map.lane(l).is_none()))
        .collect();
    (lanes, loose)
}

/// Mermaid ids: `n_` + the map id with anything but ASCII letters, digits and `_` replaced,
/// made unique. The prefix keeps ids like `end` (a Mermaid keyword) harmless.
fn mermaid_ids(map: &Map) -> HashMap<&str, String> {
    let mut taken: HashMap<String, usize> = HashMap::new();
    let mut ids = HashMap::new();
    for node in &map.nodes {
        let base: String = std::iter::once("n_".to_owned())
            .chain(node.id.as_str().chars().map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_string()
                } else {
                    "_".to_owned()
                }
            }))
            .collect();
        let n = taken.entry(base.clone()).or_insert(0);
        *n += 1;
        let id = if *n == 1 { base } else { format!("{base}_{n}") };
        ids.entry(node.id.as_str()).or_insert(id);
    }
    ids
}

/// Text for inside a Mermaid `"..."` label: quotes and markup characters as entity codes. A
/// colon with no space after it is encoded too: Mermaid's pre-pass drops the last `;` of any line
/// where `style` is followed by `:`, non-spaces and `#`, which would cut an entity code short.
pub fn mermaid_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '#' => out.push_str("#35;"),
            ':' if !matches!(chars.peek(), Some(' ' | '\t')) => out.push_str("#58;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The map as a Mermaid flowchart.
pub fn mermaid(map: &Map) -> String {
    let ids = mermaid_ids(map);
    let mut out = String::new();
    // The front matter is YAML, where entity codes mean nothing: a single-quoted scalar needs
    // only its quotes doubled.
    let title = map.title.replace(['\n', '\r'], " ").replace('\'', "''");
    let _ = writeln!(out, "---\ntitle: '{title}'\n---");
    out.push_str("flowchart LR\n");
    let node_line = |out: &mut String, indent: &str, node: &Node| {
        let group = node.kind.group();
        let label = format!(
            "{} {}<br/><small>{}</small>",
            group_icon(group),
            mermaid_escape(&node.label),
            mermaid_escape(&node.kind.summary())
        );
        let (open, close) = match group {
            Group::Entry => ("([", "])"),
            Group::Lifecycle => ("(", ")"),
            Group::Timeout => ("{{", "}}"),
            Group::Store => ("[(", ")]"),
        };
        let _ = writeln!(
            out,
            "{indent}{}{open}\"{label}\"{close}",
            ids[node.id.as_str()]
        );
    };
    let (lanes, loose) = by_lane(map);
    for (i, lane, nodes) in lanes {
        let _ = writeln!(
            out,
            "    subgraph lane_{i}[\"{}\"]",
            mermaid_escape(&lane.title)
        );
        for node in nodes {
            node_line(&mut out, "        ", node);
        }
        out.push_str("    end\n");
    }
    for node in loose {
        node_line(&mut out, "    ", node);
    }
    for edge in &map.edges {
        let (Some(from), Some(to)) = (ids.get(edge.from.as_str()), ids.get(edge.to.as_str()))
        else {
            continue;
        };
        if edge.trigger == Trigger::Attach {
            let _ = writeln!(out, "    {from} -.- {to}");
            continue;
        }
        let label = if edge.label.is_empty() {
            edge.trigger.to_string()
        } else {
            edge.label.clone()
        };
        let _ = writeln!(out, "    {from} -->|\"{}\"| {to}", mermaid_escape(&label));
    }
    for (i, note) in map.notes.iter().enumerate() {
        let _ = writeln!(out, "    note_{i}>\"{}\"]", mermaid_escape(&note.text));
    }
    out.push_str("    classDef entry fill:#d8f3dc,stroke:#2d9c4a\n");
    out.push_str("    classDef stage fill:#dbe9fb,stroke:#2f6fce\n");
    out.push_str("    classDef timeout fill:#fdedc9,stroke:#c7820a\n");
    out.push_str("    classDef store fill:#ece1fa,stroke:#814fc9\n");
    out.push_str("    classDef note fill:#fff19c,stroke:#c9b458\n");
    for (class, group) in [
        ("entry", Group::Entry),
        ("stage", Group::Lifecycle),
        ("timeout", Group::Timeout),
        ("store", Group::Store),
    ] {
        let members: Vec<&str> = map
            .nodes
            .iter()
            .filter(|n| n.kind.group() == group)
            .map(|n| ids[n.id.as_str()].as_str())
            .collect();
        if !members.is_empty() {
            let _ = writeln!(out, "    class {} {class}", members.join(","));
        }
    }
    if !map.notes.is_empty() {
        let notes: Vec<String> = (0..map.notes.len()).map(|i| format!("note_{i}")).collect();
        let _ = writeln!(out, "    class {} note", notes.join(","));
    }
    out
}

/// A DOT double-quoted string: backslashes and quotes escaped, newlines as `\n`.
pub fn dot_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `text` broken into lines of at most `width` characters at spaces (a longer word stays whole),
/// so a note is a block rather than one line across the page.
fn wrapped(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for paragraph in text.lines() {
        let mut line = 0;
        for word in paragraph.split_whitespace() {
            let len = word.chars().count();
            if line > 0 && line + 1 + len > width {
                out.push('\n');
                line = 0;
            } else if line > 0 {
                out.push(' ');
                line += 1;
            }
            out.push_str(word);
            line += len;
        }
        out.push('\n');
    }
    out.truncate(out.trim_end_matches('\n').len());
    out
}

/// Which way a Graphviz diagram runs: left to right (the canvas's way) or top to bottom (a
/// wide map on a narrow page).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Direction {
    /// Left to right.
    #[default]
    Lr,
    /// Top to bottom.
    Tb,
}

/// The map as a Graphviz digraph, left to right.
pub fn dot(map: &Map) -> String {
    dot_with(map, Direction::Lr)
}

/// The map as a Graphviz digraph: the map's title as the graph's label, one cluster per lane,
/// and each sticky note tied to the node nearest to it on the canvas.
pub fn dot_with(map: &Map, direction: Direction) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", dot_quote(&map.title));
    let _ = writeln!(
        out,
        "    label={}; labelloc=t; fontname=\"Helvetica\"; fontsize=16;",
        dot_quote(&map.title)
    );
    let _ = writeln!(
        out,
        "    rankdir={};\n    node [fontname=\"Helvetica\", fontsize=11, style=filled];",
        match direction {
            Direction::Lr => "LR",
            Direction::Tb => "TB",
        }
    );
    out.push_str("    edge [fontname=\"Helvetica\", fontsize=9];\n");
    let node_line = |out: &mut String, indent: &str, node: &Node| {
        let (shape, fill, stroke) = match node.kind.group() {
            Group::Entry => ("box\", style=\"rounded,filled", "#d8f3dc", "#2d9c4a"),
            Group::Lifecycle => ("box", "#dbe9fb", "#2f6fce"),
            Group::Timeout => ("hexagon", "#fdedc9", "#c7820a"),
            Group::Store => ("cylinder", "#ece1fa", "#814fc9"),
        };
        let label = format!("{}\n{}", node.label, node.kind.summary());
        let _ = writeln!(
            out,
            "{indent}{} [label={}, shape=\"{shape}\", fillcolor=\"{fill}\", color=\"{stroke}\"];",
            dot_quote(node.id.as_str()),
            dot_quote(&label)
        );
    };
    let (lanes, loose) = by_lane(map);
    for (i, lane, nodes) in lanes {
        let _ = writeln!(out, "    subgraph cluster_{i} {{");
        let _ = writeln!(out, "        label={};", dot_quote(&lane.title));
        out.push_str("        style=filled; color=\"#e8ecf1\";\n");
        for node in nodes {
            node_line(&mut out, "        ", node);
        }
        out.push_str("    }\n");
    }
    for node in loose {
        node_line(&mut out, "    ", node);
    }
    for edge in &map.edges {
        let attrs = if edge.trigger == Trigger::Attach {
            "style=dashed, arrowhead=none, color=\"#9aa3ad\"".to_owned()
        } else {
            let label = if edge.label.is_empty() {
                edge.trigger.to_string()
            } else {
                edge.label.clone()
            };
            format!("label={}", dot_quote(&label))
        };
        let _ = writeln!(
            out,
            "    {} -> {} [{attrs}];",
            dot_quote(edge.from.as_str()),
            dot_quote(edge.to.as_str())
        );
    }
    for (i, note) in map.notes.iter().enumerate() {
        let id = dot_quote(&format!("__note_{i}"));
        let _ = writeln!(
            out,
            "    {id} [label={}, shape=note, fillcolor=\"#fff19c\"];",
            dot_quote(&wrapped(&note.text, 40))
        );
        // A note belongs beside what it is about: the node nearest to it on the canvas.
        let centre = |pos: crate::model::Pos, size: crate::model::Size| {
            (pos.0 + size.0 / 2.0, pos.1 + size.1 / 2.0)
        };
        let (nx, ny) = centre(note.pos, note.size);
        let nearest = map.nodes.iter().min_by(|a, b| {
            let d = |n: &Node| {
                let (x, y) = centre(n.pos, n.size);
                (x - nx).powi(2) + (y - ny).powi(2)
            };
            d(a).total_cmp(&d(b))
        });
        if let Some(node) = nearest {
            let _ = writeln!(
                out,
                "    {id} -> {} [style=dotted, arrowhead=none, color=\"#c9b458\"];",
                dot_quote(node.id.as_str())
            );
        }
    }
    out.push_str("}\n");
    out
}
