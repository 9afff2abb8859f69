//! The executable flow graph: the map's transitions (not its attachments) as a petgraph graph,
//! which the simulator walks and the reachability rules search.

use std::collections::HashMap;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef as _;

use crate::model::{EdgeId, Map, NodeId, Trigger};

/// One way out of a node: where it goes, why, and how likely a user takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub edge: EdgeId,
    pub to: NodeId,
    pub trigger: Trigger,
    pub weight: u32,
}

#[derive(Clone, Debug)]
pub struct FlowGraph {
    graph: DiGraph<NodeId, (EdgeId, Trigger, u32)>,
    index: HashMap<NodeId, NodeIndex>,
    /// The position in `map.nodes` of each graph node (the first node with that id).
    positions: Vec<usize>,
    /// Attachments by graph index, for the compiler's walks.
    attached_by_index: Vec<Vec<NodeIndex>>,
    /// Attachments (timeout or store to stage), both ways, for membership queries.
    attached: HashMap<NodeId, Vec<NodeId>>,
}

impl FlowGraph {
    pub fn new(map: &Map) -> Self {
        let mut graph = DiGraph::with_capacity(map.nodes.len(), map.edges.len());
        let mut index = HashMap::with_capacity(map.nodes.len());
        let mut positions = Vec::with_capacity(map.nodes.len());
        for (position, node) in map.nodes.iter().enumerate() {
            // Duplicate ids are a validation error; the first node wins here.
            index.entry(node.id.clone()).or_insert_with(|| {
                positions.push(position);
                graph.add_node(node.id.clone())
            });
        }
        let mut attached: HashMap<NodeId, Vec<NodeId>> = HashMap::new();
        let mut attached_by_index = vec![Vec::new(); positions.len()];
        for edge in &map.edges {
            let (Some(&a), Some(&b)) = (index.get(&edge.from), index.get(&edge.to)) else {
                continue; // dangling: reported by validation
            };
            if edge.trigger.is_transition() {
                graph.add_edge(a, b, (edge.id.clone(), edge.trigger, edge.weight));
            } else {
                attached_by_index[a.index()].push(b);
                attached_by_index[b.index()].push(a);
                attached
                    .entry(edge.from.clone())
                    .or_default()
                    .push(edge.to.clone());
                attached
                    .entry(edge.to.clone())
                    .or_default()
                    .push(edge.from.clone());
            }
        }
        FlowGraph {
            graph,
            index,
            positions,
            attached_by_index,
            attached,
        }
    }

    /// The transitions out of a node, in map order.
    pub fn steps(&self, node: &NodeId) -> Vec<Step> {
        self.edges(node, Direction::Outgoing)
    }

    /// The transitions into a node, in map order (`to` holds the node they come from).
    pub fn steps_into(&self, node: &NodeId) -> Vec<Step> {
        self.edges(node, Direction::Incoming)
    }

    fn edges(&self, node: &NodeId, direction: Direction) -> Vec<Step> {
        let Some(&i) = self.index.get(node) else {
            return Vec::new();
        };
        let mut steps: Vec<(usize, Step)> = self
            .graph
            .edges_directed(i, direction)
            .map(|e| {
                let other = match direction {
                    Direction::Outgoing => e.target(),
                    Direction::Incoming => e.source(),
                };
                let (id, trigger, weight) = e.weight();
                (
                    e.id().index(),
                    Step {
                        edge: id.clone(),
                        to: self.graph[other].clone(),
                        trigger: *trigger,
                        weight: *weight,
                    },
                )
            })
            .collect();
        // petgraph lists edges newest first; keep the map's order.
        steps.sort_by_key(|(i, _)| *i);
        steps.into_iter().map(|(_, s)| s).collect()
    }

    /// Nodes attached to this one (its timeouts and stores, or the stages it governs).
    pub fn attached(&self, node: &NodeId) -> &[NodeId] {
        self.attached.get(node).map_or(&[], Vec::as_slice)
    }

    /// Every node reachable from `start` by transitions (including `start`), not passing through
    /// nodes for which `stop` is true (they are included but not expanded).
    pub fn reachable(
        &self,
        start: &NodeId,
        direction: Direction,
        stop: impl Fn(&NodeId) -> bool,
    ) -> Vec<NodeId> {
        self.reachable_from(std::slice::from_ref(start), direction, stop)
    }

    /// [`reachable`](Self::reachable) from several starts in one walk: linear in the graph.
    /// Starts are always expanded; every node appears once, starts first.
    pub fn reachable_from(
        &self,
        starts: &[NodeId],
        direction: Direction,
        stop: impl Fn(&NodeId) -> bool,
    ) -> Vec<NodeId> {
        let mut seen = vec![false; self.graph.node_count()];
        let mut stack: Vec<(NodeIndex, bool)> = Vec::new();
        for start in starts {
            if let Some(&s) = self.index.get(start)
                && !seen[s.index()]
            {
                seen[s.index()] = true;
                stack.push((s, true));
            }
        }
        // Starts come out first, in the order given.
        stack.reverse();
        let mut out = Vec::new();
        while let Some((n, is_start)) = stack.pop() {
            out.push(self.graph[n].clone());
            if !is_start && stop(&self.graph[n]) {
                continue;
            }
            for next in self.graph.neighbors_directed(n, direction) {
                if !seen[next.index()] {
                    seen[next.index()] = true;
                    stack.push((next, false));
                }
            }
        }
        out
    }

    /// The number of distinct nodes.
    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    pub(crate) fn index_of(&self, node: &NodeId) -> Option<NodeIndex> {
        self.index.get(node).copied()
    }

    /// The position in `map.nodes` of a graph node.
    pub(crate) fn position(&self, node: NodeIndex) -> usize {
        self.positions[node.index()]
    }

    pub(crate) fn attached_indices(&self, node: NodeIndex) -> &[NodeIndex] {
        &self.attached_by_index[node.index()]
    }

    /// Marks in `seen` every node reachable from `starts` by transitions, not expanding nodes
    /// for which `stop` is true (starts are always expanded). Allocation-free apart from the
    /// stack: the compiler runs one per flow.
    pub(crate) fn mark_reachable(
        &self,
        starts: &[NodeIndex],
        direction: Direction,
        stop: impl Fn(NodeIndex) -> bool,
        seen: &mut [bool],
    ) {
        let mut stack: Vec<(NodeIndex, bool)> = starts.iter().map(|&s| (s, true)).collect();
        for s in starts {
            seen[s.index()] = true;
        }
        while let Some((n, is_start)) = stack.pop() {
            if !is_start && stop(n) {
                continue;
            }
            for next in self.graph.neighbors_directed(n, direction) {
                if !seen[next.index()] {
                    seen[next.index()] = true;
                    stack.push((next, false));
                }
            }
        }
    }

    pub fn contains(&self, node: &NodeId) -> bool {
        self.index.contains_key(node)
    }
}
