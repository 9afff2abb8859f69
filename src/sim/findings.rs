//! From observations to findings: each gap is reported once per flow, with the shortest trace
//! any shard saw, and with the nodes and edges that trace walked.

use std::collections::BTreeMap;

use super::shard::World;
use crate::model::NodeId;
use crate::report::{Finding, Gap, Step};

/// Something the engine really did that proves a gap, as one actor saw it.
#[derive(Clone, Debug)]
pub(super) struct Observation {
    /// The catalogue id.
    pub id: Gap,
    /// The flow (index in the plan) it happened in.
    pub flow: usize,
    /// The nodes whose drawing is responsible (settings' sources); the trace's nodes are added.
    pub nodes: Vec<NodeId>,
    /// The read-aloud paragraph.
    pub explanation: String,
    pub trace: Vec<Step>,
}

/// The observations kept so far: per flow, gap and the node to change first (one cause), the
/// one with the shortest trace. Two causes of one gap in a flow (a client-only sign-out, and a
/// log-out-everywhere the revocation model does not cover) stay two findings.
#[derive(Default)]
pub(super) struct Collected(BTreeMap<(usize, Gap, Option<NodeId>), Observation>);

impl Collected {
    pub(super) fn add(&mut self, o: Observation) {
        let key = (o.flow, o.id, o.nodes.first().cloned());
        match self.0.get_mut(&key) {
            // The same gap for the same cause seen at another node (two logouts that both
            // leave the cookie valid): one finding naming both, with the shorter trace.
            Some(kept) if kept.explanation == o.explanation => {
                for n in &o.nodes {
                    if !kept.nodes.contains(n) {
                        kept.nodes.push(n.clone());
                    }
                }
                if o.trace.len() < kept.trace.len() {
                    kept.trace = o.trace;
                }
            }
            // Ties keep the earlier one, so shard order decides, not thread timing.
            Some(kept) if kept.trace.len() <= o.trace.len() => {}
            _ => {
                self.0.insert(key, o);
            }
        }
    }

    /// One finding per gap and cause: flows that show the same gap for the same reason (the
    /// same explanation, e.g. one operator action that reaches two flows) make one finding
    /// that lists every node concerned, with the shortest trace.
    pub(super) fn into_findings(self, world: &World<'_>) -> Vec<Finding> {
        let mut merged: Vec<Observation> = Vec::new();
        for o in self.0.into_values() {
            match merged
                .iter_mut()
                .find(|m| m.id == o.id && m.explanation == o.explanation)
            {
                Some(m) => {
                    for n in &o.nodes {
                        if !m.nodes.contains(n) {
                            m.nodes.push(n.clone());
                        }
                    }
                    if o.trace.len() < m.trace.len() {
                        m.trace = o.trace;
                    }
                }
                None => merged.push(o),
            }
        }
        merged
            .into_iter()
            .filter_map(|o| finding(world, o))
            .collect()
    }
}

/// The finding for an observation: its nodes (responsible settings first, then the trace's),
/// the drawn edges between consecutive trace nodes, and the trace as evidence.
pub(super) fn finding(world: &World<'_>, o: Observation) -> Option<Finding> {
    let mut nodes: Vec<NodeId> = Vec::new();
    for n in o.nodes {
        if !nodes.contains(&n) {
            nodes.push(n);
        }
    }
    let walked: Vec<&NodeId> = o.trace.iter().filter_map(|s| s.node.as_ref()).collect();
    for n in &walked {
        if !nodes.contains(n) {
            nodes.push((*n).clone());
        }
    }
    let mut edges = Vec::new();
    for pair in walked.windows(2) {
        if let Some(e) = world.edge(pair[0], pair[1])
            && !edges.contains(e)
        {
            edges.push(e.clone());
        }
    }
    Some(
        Finding::new(o.id, nodes, o.explanation)
            .with_edges(edges)
            .with_evidence(o.trace),
    )
}
