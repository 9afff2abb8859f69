//! Older file formats and the path that brings each one forward to [`FORMAT_VERSION`].
//!
//! Each old version is a frozen copy of only the parts of the schema that changed; the rest is
//! shared with the current schema. To add version N+1: freeze version N's changed structs here as
//! `vN`, add its arm to [`from_version`], and bump [`FORMAT_VERSION`].
//!
//! [`FORMAT_VERSION`]: super::FORMAT_VERSION

use serde::Deserialize;

use super::{
    Edge, EdgeId, Lane, LaneId, Map, Node, NodeId, NodeKind, Persona, Pos, Size, StickyNote,
    Trigger,
};

/// Parses `text` written in format `version` and migrates it to the current format.
pub(super) fn from_version(version: u32, text: &str) -> Result<Map, ron::error::SpannedError> {
    match version {
        0 => super::io::ron_options()
            .from_str::<v0::Map>(text)
            .map(v0::Map::migrate),
        // Versions between 0 and the current one do not exist yet.
        _ => super::io::ron_options().from_str::<Map>(text),
    }
}

/// Version 0: files written before `format_version` existed. Nodes had separate `x`/`y` fields
/// and no size, and edges named their ends `source`/`target`.
mod v0 {
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Map {
        #[serde(default)]
        #[allow(
            dead_code,
            reason = "read only to accept files that spell out version 0"
        )]
        format_version: u32,
        title: String,
        #[serde(default)]
        description: String,
        #[serde(default)]
        lanes: Vec<Lane>,
        nodes: Vec<NodeV0>,
        #[serde(default)]
        edges: Vec<EdgeV0>,
        #[serde(default)]
        notes: Vec<StickyNote>,
        #[serde(default)]
        personas: Vec<Persona>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct NodeV0 {
        id: NodeId,
        label: String,
        kind: NodeKind,
        #[serde(default)]
        lane: Option<LaneId>,
        x: f32,
        y: f32,
        #[serde(default)]
        notes: String,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct EdgeV0 {
        id: EdgeId,
        source: NodeId,
        target: NodeId,
        trigger: Trigger,
        #[serde(default = "super::super::one")]
        weight: u32,
        #[serde(default)]
        label: String,
    }

    impl Map {
        pub fn migrate(self) -> super::Map {
            super::Map {
                format_version: super::super::FORMAT_VERSION,
                title: self.title,
                description: self.description,
                lanes: self.lanes,
                nodes: self
                    .nodes
                    .into_iter()
                    .map(|n| Node {
                        id: n.id,
                        label: n.label,
                        kind: n.kind,
                        lane: n.lane,
                        pos: Pos(n.x, n.y),
                        size: Size::NODE,
                        notes: n.notes,
                    })
                    .collect(),
                edges: self
                    .edges
                    .into_iter()
                    .map(|e| Edge {
                        id: e.id,
                        from: e.source,
                        to: e.target,
                        trigger: e.trigger,
                        weight: e.weight,
                        label: e.label,
                        notes: String::new(),
                    })
                    .collect(),
                notes: self.notes,
                personas: self.personas,
            }
        }
    }
}
