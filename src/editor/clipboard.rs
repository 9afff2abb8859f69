//! Copy and paste: a selection as RON text (a [`Fragment`], written exactly as map files are,
//! so it reads like one and can be pasted into a text editor), and text turned back into a
//! [`Command::Paste`] whose ids are free in the target map and whose items sit beside the
//! originals instead of on top of them.
//!
//! Pasting accepts a fragment or a whole map file. Whatever the text, a bad paste is an error,
//! never a panic.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use thiserror::Error;

use super::document::{Command, Selection, unique_id};
use crate::model::{
    self, EdgeId, FORMAT_VERSION, Fragment, Map, NodeId, Pos, ron_options, ron_text,
};

/// The selected nodes and notes of `map`, with every edge between two selected nodes (a
/// selected edge whose ends are not both selected would dangle, so it is left out).
pub fn fragment_of_selection(map: &Map, selection: &Selection) -> Fragment {
    Fragment {
        format_version: FORMAT_VERSION,
        nodes: map
            .nodes
            .iter()
            .filter(|n| selection.nodes.contains(&n.id))
            .cloned()
            .collect(),
        edges: map
            .edges
            .iter()
            .filter(|e| selection.nodes.contains(&e.from) && selection.nodes.contains(&e.to))
            .cloned()
            .collect(),
        notes: map
            .notes
            .iter()
            .filter(|n| selection.notes.contains(&n.id))
            .cloned()
            .collect(),
    }
}

/// Why clipboard text could not be copied or pasted.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ClipboardError {
    #[error(
        "the clipboard does not hold SessionMap items (line {line}, column {column}: {message})"
    )]
    NotAFragment {
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "the clipboard holds items in format version {found}; this SessionMap pastes versions \
         up to {supported}"
    )]
    TooNew { found: u32, supported: u32 },
    #[error("the clipboard holds no nodes or notes to paste")]
    Empty,
    #[error("`{0}` on the clipboard has a position or size that is not a finite number")]
    BadGeometry(String),
    #[error("cannot copy: {0}")]
    Serialise(String),
}

/// Room left between pasted copies.
const GAP: f32 = 40.0;

/// The selection as clipboard text.
pub fn copy_selection(map: &Map, selection: &Selection) -> Result<String, ClipboardError> {
    ron_text(&fragment_of_selection(map, selection))
        .map_err(|e| ClipboardError::Serialise(e.to_string()))
}

/// Clipboard text as a command that pastes it into `map`: ids that are taken get a free one
/// (`login` → `login-2`), lanes the map lacks are dropped, and the items go with their
/// top-left corner at `at` (each node then in the lane it lands in), or, without `at`, to the
/// right of the originals at the first place where they cover nothing (so pasting twice gives
/// two copies side by side, in their lanes).
pub fn paste(map: &Map, text: &str, at: Option<Pos>) -> Result<Command, ClipboardError> {
    let mut fragment = parse(text)?;
    if fragment.is_empty() {
        return Err(ClipboardError::Empty);
    }
    for (id, pos, size) in fragment
        .nodes
        .iter()
        .map(|n| (n.id.as_str(), n.pos, n.size))
        .chain(
            fragment
                .notes
                .iter()
                .map(|n| (n.id.as_str(), n.pos, n.size)),
        )
    {
        if ![pos.0, pos.1, size.0, size.1].iter().all(|v| v.is_finite()) {
            return Err(ClipboardError::BadGeometry(id.to_owned()));
        }
    }
    let (dx, dy) = offset(map, &fragment, at);
    for node in &mut fragment.nodes {
        node.pos = Pos(node.pos.0 + dx, node.pos.1 + dy);
        // Dropped somewhere else, a node belongs to the lane it now sits in.
        if at.is_some() && !map.lanes.is_empty() {
            node.lane = map.lane_at(node.pos.1 + node.size.1 / 2.0);
        }
    }
    for note in &mut fragment.notes {
        note.pos = Pos(note.pos.0 + dx, note.pos.1 + dy);
    }
    Ok(Command::Paste(renamed(map, fragment)))
}

/// A fragment, or the items of a whole map file.
fn parse(text: &str) -> Result<Fragment, ClipboardError> {
    let not_a_fragment = |e: ron::error::SpannedError| ClipboardError::NotAFragment {
        line: e.span.start.line,
        column: e.span.start.col,
        message: e.code.to_string(),
    };
    /// Only the version, whatever else is there, so a newer fragment is named as such.
    #[derive(Deserialize)]
    #[serde(rename = "Fragment")] // ron's messages name the struct
    struct Header {
        #[serde(default)]
        format_version: u32,
    }
    let version = ron_options()
        .from_str::<Header>(text)
        .map_err(not_a_fragment)?
        .format_version;
    if version > FORMAT_VERSION {
        return Err(ClipboardError::TooNew {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    match ron_options().from_str::<Fragment>(text) {
        Ok(fragment) => Ok(fragment),
        Err(e) => match model::load_str(text, Path::new("clipboard")) {
            Ok(loaded) => Ok(Fragment {
                format_version: FORMAT_VERSION,
                nodes: loaded.map.nodes,
                edges: loaded.map.edges,
                notes: loaded.map.notes,
            }),
            Err(_) => Err(not_a_fragment(e)),
        },
    }
}

/// An axis-aligned box: left, top, right, bottom.
type Bounds = (f32, f32, f32, f32);

fn bounds(items: impl Iterator<Item = (Pos, model::Size)>) -> Option<Bounds> {
    items
        .map(|(p, s)| (p.0, p.1, p.0 + s.0, p.1 + s.1))
        .reduce(|a, b| (a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3)))
}

fn fragment_items(fragment: &Fragment) -> impl Iterator<Item = (Pos, model::Size)> + '_ {
    fragment
        .nodes
        .iter()
        .map(|n| (n.pos, n.size))
        .chain(fragment.notes.iter().map(|n| (n.pos, n.size)))
}

fn offset(map: &Map, fragment: &Fragment, at: Option<Pos>) -> (f32, f32) {
    let Some(own) = bounds(fragment_items(fragment)) else {
        return (0.0, 0.0);
    };
    if let Some(at) = at {
        return (at.0 - own.0, at.1 - own.1);
    }
    let occupied: Vec<Bounds> = map
        .nodes
        .iter()
        .map(|n| (n.pos, n.size))
        .chain(map.notes.iter().map(|n| (n.pos, n.size)))
        .filter_map(|item| bounds(std::iter::once(item)))
        .collect();
    let step = (own.2 - own.0) + GAP;
    let right = occupied.iter().map(|b| b.2).fold(own.2, f32::max);
    // Past this many steps the copy is right of everything, so it is free.
    let last = ((right - own.0) / step).ceil().max(1.0) as u32 + 1;
    let free = |dx: f32| {
        !occupied.iter().any(|b| {
            own.0 + dx < b.2 && b.0 < own.2 + dx && own.1 < b.3 && b.1 < own.3 // overlap
        })
    };
    let k = (1..last).find(|&k| free(k as f32 * step)).unwrap_or(last);
    (k as f32 * step, 0.0)
}

/// The fragment with ids free in `map`, edge ends following their renamed nodes, edges whose
/// ends are not both in the fragment (or are the same node) left out, unknown lanes dropped.
fn renamed(map: &Map, mut fragment: Fragment) -> Fragment {
    let mut taken: HashSet<String> = map.nodes.iter().map(|n| n.id.0.clone()).collect();
    let mut renames: HashMap<NodeId, NodeId> = HashMap::new();
    for node in &mut fragment.nodes {
        let base = if node.id.as_str().is_empty() {
            "node"
        } else {
            node.id.as_str()
        };
        let id = unique_id(base, |c| taken.contains(c));
        taken.insert(id.clone());
        renames
            .entry(node.id.clone())
            .or_insert_with(|| NodeId(id.clone()));
        node.id = NodeId(id);
        if node.lane.as_ref().is_some_and(|l| map.lane(l).is_none()) {
            node.lane = None;
        }
    }
    let mut taken: HashSet<String> = map.edges.iter().map(|e| e.id.0.clone()).collect();
    fragment.edges.retain_mut(|edge| {
        let (Some(from), Some(to)) = (renames.get(&edge.from), renames.get(&edge.to)) else {
            return false;
        };
        if from == to {
            return false;
        }
        edge.from = from.clone();
        edge.to = to.clone();
        let base = if edge.id.as_str().is_empty() {
            format!("{from}-{to}")
        } else {
            edge.id.0.clone()
        };
        let id = unique_id(&base, |c| taken.contains(c));
        taken.insert(id.clone());
        edge.id = EdgeId(id);
        true
    });
    let mut taken: HashSet<String> = map.notes.iter().map(|n| n.id.clone()).collect();
    for note in &mut fragment.notes {
        let base = if note.id.is_empty() { "note" } else { &note.id };
        let id = unique_id(base, |c| taken.contains(c));
        taken.insert(id.clone());
        note.id = id;
    }
    fragment
}
