//! The document: a session map as a team draws it — nodes, edges, lanes, sticky notes and the
//! simulated population — with its RON file format, migration of older versions, atomic saving
//! and validation that reports every problem with its place in the file.
//!
//! This module knows nothing about egui, the engine or the simulator.

mod io;
mod kinds;
mod locate;
mod migrate;
mod persona;
mod synthetic;
mod validate;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use io::{
    Backup, LoadError, Loaded, SaveError, load_file, load_str, save_file, save_file_with, to_ron,
    write_atomically,
};
pub(crate) use io::{ron_options, ron_text};
pub use kinds::*;
pub use persona::{ActiveHours, Behaviour, Device, Persona};
pub use synthetic::synthetic;
pub use validate::{Diagnostic, Level, validate};

/// Line and column of every node's `id` in a map's source text (for reports that point at it).
pub fn node_locations(source: &str) -> std::collections::BTreeMap<NodeId, (usize, usize)> {
    let locator = locate::Locator::new(source);
    locator
        .ids("nodes")
        .into_iter()
        .map(|(offset, id)| (NodeId::from(id), locator.line_column(offset)))
        .rev() // the first occurrence of a duplicated id wins
        .collect()
}

/// The format version this build writes. Older files are migrated forward on load.
pub const FORMAT_VERSION: u32 = 1;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_owned())
            }
        }
    };
}

string_id!(
    /// A node's stable id, e.g. `"login"`; edges and findings refer to it.
    NodeId
);
string_id!(
    /// An edge's stable id, e.g. `"login-to-create"`.
    EdgeId
);
string_id!(
    /// A lane's stable id, e.g. `"customer"`.
    LaneId
);

/// A point on the canvas, in scene units.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pos(pub f32, pub f32);

/// A box size on the canvas, in scene units.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Size(pub f32, pub f32);

impl Size {
    pub const NODE: Size = Size(180.0, 64.0);
    pub const NOTE: Size = Size(200.0, 110.0);
}

fn is_node_size(size: &Size) -> bool {
    *size == Size::NODE
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

fn node_size() -> Size {
    Size::NODE
}

/// A session map: the whole document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Map {
    pub format_version: u32,
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Horizontal bands, one per user type, stacked from the top in this order.
    #[serde(default)]
    pub lanes: Vec<Lane>,
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub edges: Vec<Edge>,
    #[serde(default)]
    pub notes: Vec<StickyNote>,
    /// The simulated population.
    #[serde(default)]
    pub personas: Vec<Persona>,
}

impl Default for Map {
    fn default() -> Self {
        Map {
            format_version: FORMAT_VERSION,
            title: "Untitled map".to_owned(),
            description: String::new(),
            lanes: Vec::new(),
            nodes: Vec::new(),
            edges: Vec::new(),
            notes: Vec::new(),
            personas: Vec::new(),
        }
    }
}

impl Map {
    /// A blank map to draw on: one lane of users and one persona, so whatever is drawn can be
    /// simulated at once.
    pub fn blank() -> Map {
        let lane = LaneId::from("users");
        Map {
            lanes: vec![Lane {
                id: lane.clone(),
                title: "Users".to_owned(),
                height: 600.0,
            }],
            personas: vec![Persona {
                id: "regular".to_owned(),
                name: "Regular user".to_owned(),
                lane: Some(lane),
                share: 100,
                visits_per_day: 3,
                think_time: Span::Seconds(30),
                active_hours: ActiveHours { start: 8, end: 20 },
                days_per_week: 5,
                devices: vec![Device::Desktop, Device::Mobile],
                behaviours: Vec::new(),
            }],
            ..Map::default()
        }
    }

    pub fn node(&self, id: &NodeId) -> Option<&Node> {
        self.nodes.iter().find(|n| &n.id == id)
    }

    pub fn lane(&self, id: &LaneId) -> Option<&Lane> {
        self.lanes.iter().find(|l| &l.id == id)
    }

    /// The lane whose band contains the height `y`, if any (where a node dropped at `y`
    /// belongs).
    pub fn lane_at(&self, y: f32) -> Option<LaneId> {
        self.lanes
            .iter()
            .zip(self.lane_tops())
            .find(|(lane, top)| y >= *top && y < top + lane.height)
            .map(|(lane, _)| lane.id.clone())
    }

    /// The top edge (y) of each lane's band, in lane order.
    pub fn lane_tops(&self) -> Vec<f32> {
        let mut top = 0.0;
        self.lanes
            .iter()
            .map(|lane| {
                let this = top;
                top += lane.height;
                this
            })
            .collect()
    }
}

/// A horizontal band for one type of user (customer, administrator).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lane {
    pub id: LaneId,
    pub title: String,
    pub height: f32,
}

/// A box on the canvas: an entry point, a lifecycle stage, a timeout or a store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub id: NodeId,
    pub label: String,
    pub kind: NodeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lane: Option<LaneId>,
    /// Top-left corner.
    pub pos: Pos,
    #[serde(default = "node_size", skip_serializing_if = "is_node_size")]
    pub size: Size,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

/// A transition between two nodes, or the attachment of a timeout or store to a stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    pub id: EdgeId,
    pub from: NodeId,
    pub to: NodeId,
    pub trigger: Trigger,
    /// Relative likelihood that a virtual user takes this edge among its siblings.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub weight: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

/// What makes a virtual user take an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Trigger {
    /// The user clicks or submits.
    UserAction,
    /// Time passes.
    After(Span),
    /// The system does it (an email arrives, an admin acts, the IdP calls back).
    System,
    /// Not a transition: attaches a timeout or a store to the stage it governs.
    Attach,
}

impl Trigger {
    /// Whether virtual users walk this edge (attachments are structure, not movement).
    pub fn is_transition(self) -> bool {
        !matches!(self, Trigger::Attach)
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::UserAction => f.write_str("user action"),
            Trigger::After(span) => write!(f, "after {span}"),
            Trigger::System => f.write_str("system"),
            Trigger::Attach => f.write_str("governs"),
        }
    }
}

/// A sticky note from the workshop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StickyNote {
    pub id: String,
    pub text: String,
    pub pos: Pos,
    #[serde(default = "note_size", skip_serializing_if = "is_note_size")]
    pub size: Size,
    #[serde(default)]
    pub color: NoteColor,
}

/// A piece of a map: nodes, the edges between them and sticky notes, written as map files are
/// (the editor's clipboard holds one).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fragment {
    /// The map format the items are written in.
    pub format_version: u32,
    #[serde(default)]
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub edges: Vec<Edge>,
    #[serde(default)]
    pub notes: Vec<StickyNote>,
}

impl Default for Fragment {
    fn default() -> Self {
        Fragment {
            format_version: FORMAT_VERSION,
            nodes: Vec::new(),
            edges: Vec::new(),
            notes: Vec::new(),
        }
    }
}

impl Fragment {
    /// Whether it holds nothing to paste (edges alone need their nodes).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.notes.is_empty()
    }
}

fn note_size() -> Size {
    Size::NOTE
}

fn is_note_size(size: &Size) -> bool {
    *size == Size::NOTE
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum NoteColor {
    #[default]
    Yellow,
    Pink,
    Blue,
    Green,
}
