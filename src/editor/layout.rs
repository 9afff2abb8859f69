//! Arranging and finding nodes: a layered (Sugiyama-style) auto-layout that reads a flow left
//! to right and keeps every node in its lane, and a search over labels, ids and kinds.
//!
//! The layout is written here rather than taken from a crate (`rust-sugiyama` builds with our
//! petgraph, but lays components out top to bottom, knows nothing of lanes or attachments and
//! panics on edges to unknown vertices). Steps: transitions only (attachments are structure,
//! not flow) with cycles broken by a depth-first search from the entry points; longest-path
//! layers; barycentre sweeps that reorder nodes within each lane of a layer to reduce
//! crossings; attached timeouts and stores stacked under the stage they govern; columns from
//! the widest node of each layer; lanes grown when a column does not fit. Everything is linear
//! or `n log n` per sweep, so a 1,000-node map lays out in milliseconds.

use std::collections::{HashMap, HashSet};

use super::document::{Command, LaneEdit, Selection};
use crate::model::{Group, LaneId, Map, NodeId, Pos};

/// Left edge of a whole-map layout (lane titles are drawn left of it).
const MARGIN: f32 = 40.0;
/// Between columns, with room for edge labels.
const COLUMN_GAP: f32 = 80.0;
/// Between boxes stacked in a column.
const ROW_GAP: f32 = 40.0;
/// Above the first and below the last box of a lane.
const LANE_PAD: f32 = 40.0;
/// The least room kept above a box when a selection is laid out where it stands.
const MIN_PAD: f32 = 10.0;
/// Barycentre sweeps (alternately left to right and right to left).
const SWEEPS: usize = 8;

/// A command that lays out the selected nodes (or, with `None`, the whole map), undone in one
/// step; `None` when there is nothing to lay out. Lanes that are too short for their columns
/// grow. Sticky notes stay where they are.
pub fn auto_layout(map: &Map, scope: Option<&Selection>) -> Option<Command> {
    let graph = Graph::new(map, scope)?;
    let layers = graph.ordered_layers();
    let columns = graph.columns(&layers);
    Some(graph.place(map, scope.is_some(), &columns))
}

/// Nodes whose label, id, kind name or summary matches `query` (case-insensitive), best
/// first: an exact label, a label starting with the query, an exact id, a word of the label,
/// ... down to every word of the query appearing somewhere. Ties keep map order.
pub fn search(map: &Map, query: &str) -> Vec<NodeId> {
    let query = query.trim().to_lowercase();
    if query.is_empty() {
        return Vec::new();
    }
    let words: Vec<&str> = query.split_whitespace().collect();
    let mut hits: Vec<(u8, usize, &NodeId)> = map
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(i, node)| {
            let label = node.label.to_lowercase();
            let id = node.id.as_str().to_lowercase();
            let kind = node.kind.name().to_lowercase();
            let summary = node.kind.summary().to_lowercase();
            let score = if label == query {
                0
            } else if label.starts_with(&query) {
                1
            } else if id == query {
                2
            } else if starts_a_word(&label, &query) {
                3
            } else if id.starts_with(&query) {
                4
            } else if label.contains(&query) {
                5
            } else if id.contains(&query) {
                6
            } else if kind.starts_with(&query) {
                7
            } else if kind.contains(&query) {
                8
            } else if summary.contains(&query) {
                9
            } else if words.iter().all(|w| {
                [&label, &id, &kind, &summary]
                    .iter()
                    .any(|field| field.contains(w))
            }) {
                10
            } else {
                return None;
            };
            Some((score, i, &node.id))
        })
        .collect();
    hits.sort_by_key(|&(score, i, _)| (score, i));
    hits.into_iter().map(|(.., id)| id.clone()).collect()
}

fn starts_a_word(text: &str, query: &str) -> bool {
    text.match_indices(query).any(|(i, _)| {
        text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    })
}

/// The nodes being laid out (indices local to the layout) and how they connect.
struct Graph<'m> {
    map: &'m Map,
    /// Map index of each local node.
    nodes: Vec<usize>,
    /// Lane index of each node; `map.lanes.len()` for nodes outside every lane.
    band: Vec<usize>,
    layer: Vec<usize>,
    /// Transitions with cycles broken: `preds[v]` and `succs[u]` for each edge u → v.
    preds: Vec<Vec<usize>>,
    succs: Vec<Vec<usize>>,
    /// The node an attached timeout or store is stacked under, for those that only attach.
    parent: Vec<Option<usize>>,
    children: Vec<Vec<usize>>,
}

impl<'m> Graph<'m> {
    fn new(map: &'m Map, scope: Option<&Selection>) -> Option<Self> {
        let mut seen = HashSet::new();
        // The first node with a duplicated id is the one commands address.
        let nodes: Vec<usize> = (0..map.nodes.len())
            .filter(|&i| {
                let id = &map.nodes[i].id;
                scope.is_none_or(|s| s.nodes.contains(id)) && seen.insert(id.as_str())
            })
            .collect();
        if nodes.is_empty() {
            return None;
        }
        let n = nodes.len();
        let local: HashMap<&str, usize> = nodes
            .iter()
            .enumerate()
            .map(|(k, &i)| (map.nodes[i].id.as_str(), k))
            .collect();
        let lane_index: HashMap<&LaneId, usize> = map
            .lanes
            .iter()
            .enumerate()
            .rev() // the first lane with a duplicated id wins
            .map(|(i, l)| (&l.id, i))
            .collect();
        let band = nodes
            .iter()
            .map(|&i| {
                map.nodes[i]
                    .lane
                    .as_ref()
                    .and_then(|l| lane_index.get(l).copied())
                    .unwrap_or(map.lanes.len())
            })
            .collect();

        let mut transitions = Vec::new();
        let mut attached = vec![Vec::new(); n];
        for e in &map.edges {
            let (Some(&u), Some(&v)) = (local.get(e.from.as_str()), local.get(e.to.as_str()))
            else {
                continue;
            };
            if u == v {
                continue;
            }
            if e.trigger.is_transition() {
                transitions.push((u, v));
            } else {
                attached[u].push(v);
                attached[v].push(u);
            }
        }
        let mut moves = vec![false; n];
        for &(u, v) in &transitions {
            moves[u] = true;
            moves[v] = true;
        }
        let parent = satellites(&moves, &attached);
        let mut children = vec![Vec::new(); n];
        for (k, p) in parent.iter().enumerate() {
            if let Some(p) = *p {
                children[p].push(k);
            }
        }
        let entry: Vec<bool> = nodes
            .iter()
            .map(|&i| map.nodes[i].kind.group() == Group::Entry)
            .collect();
        let dag = break_cycles(n, &transitions, &entry);
        let mut preds = vec![Vec::new(); n];
        let mut succs = vec![Vec::new(); n];
        for &(u, v) in &dag {
            succs[u].push(v);
            preds[v].push(u);
        }
        let mut layer = longest_path_layers(&preds, &succs);
        // An attached node sits in the layer of the stage it hangs from.
        for k in 0..n {
            let mut root = k;
            while let Some(p) = parent[root] {
                root = p;
            }
            layer[k] = layer[root];
        }
        Some(Graph {
            map,
            nodes,
            band,
            layer,
            preds,
            succs,
            parent,
            children,
        })
    }

    fn node(&self, k: usize) -> &'m crate::model::Node {
        &self.map.nodes[self.nodes[k]]
    }

    /// The nodes that move (not attached satellites) of each layer, ordered top to bottom by
    /// lane, then by barycentre sweeps.
    fn ordered_layers(&self) -> Vec<Vec<usize>> {
        let n = self.nodes.len();
        let depth = self.layer.iter().max().map_or(0, |&l| l + 1);
        let mut layers = vec![Vec::new(); depth];
        for k in (0..n).filter(|&k| self.parent[k].is_none()) {
            layers[self.layer[k]].push(k);
        }
        // Start from the order on the canvas, so a layout of a tidy map changes little.
        for layer in &mut layers {
            layer.sort_by(|&a, &b| {
                (self.band[a], self.node(a).pos.1, a)
                    .partial_cmp(&(self.band[b], self.node(b).pos.1, b))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
        }
        let mut pos = vec![0.0_f64; n];
        for layer in &layers {
            self.number(layer, &mut pos);
        }
        let mut best = layers.clone();
        let mut fewest = self.crossings(&pos);
        for sweep in 0..SWEEPS {
            let forward = sweep % 2 == 0;
            let order: Vec<usize> = if forward {
                (1..depth).collect()
            } else {
                (0..depth.saturating_sub(1)).rev().collect()
            };
            for l in order {
                let mut keyed: Vec<(usize, f64, f64, usize)> = layers[l]
                    .iter()
                    .map(|&k| {
                        let neighbours = if forward {
                            &self.preds[k]
                        } else {
                            &self.succs[k]
                        };
                        let key = if neighbours.is_empty() {
                            pos[k]
                        } else {
                            neighbours.iter().map(|&v| pos[v]).sum::<f64>()
                                / neighbours.len() as f64
                        };
                        (self.band[k], key, pos[k], k)
                    })
                    .collect();
                keyed.sort_by(|a, b| {
                    a.0.cmp(&b.0)
                        .then(a.1.total_cmp(&b.1))
                        .then(a.2.total_cmp(&b.2))
                        .then(a.3.cmp(&b.3))
                });
                layers[l] = keyed.into_iter().map(|(.., k)| k).collect();
                self.number(&layers[l], &mut pos);
            }
            let crossings = self.crossings(&pos);
            if crossings < fewest {
                fewest = crossings;
                best.clone_from(&layers);
            }
        }
        best
    }

    /// Positions within a layer for the barycentres: the rank within the lane, lanes far apart
    /// so a node linked to the lane below sinks to the bottom of its own.
    fn number(&self, layer: &[usize], pos: &mut [f64]) {
        let mut rank = 0;
        let mut band = usize::MAX;
        for &k in layer {
            if self.band[k] != band {
                band = self.band[k];
                rank = 0;
            }
            pos[k] = band as f64 * 1e6 + f64::from(rank);
            rank += 1;
        }
    }

    /// Crossings between edges joining adjacent layers (inversions, counted by merge sort).
    fn crossings(&self, pos: &[f64]) -> u64 {
        let mut by_layer: HashMap<usize, Vec<(f64, f64)>> = HashMap::new();
        for (u, succs) in self.succs.iter().enumerate() {
            for &v in succs {
                if self.layer[v] == self.layer[u] + 1 {
                    by_layer
                        .entry(self.layer[u])
                        .or_default()
                        .push((pos[u], pos[v]));
                }
            }
        }
        by_layer
            .into_values()
            .map(|mut edges| {
                edges.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
                let mut ends: Vec<f64> = edges.into_iter().map(|(_, b)| b).collect();
                inversions(&mut ends)
            })
            .sum()
    }

    /// Each layer's column, lane by lane: the ordered nodes, each followed by what is attached
    /// to it in the same lane (attached nodes in another lane go to the end of their own).
    fn columns(&self, layers: &[Vec<usize>]) -> Vec<Vec<Vec<usize>>> {
        let bands = self.map.lanes.len() + 1;
        layers
            .iter()
            .map(|layer| {
                let mut column = vec![Vec::new(); bands];
                let mut later: Vec<usize> = Vec::new();
                let emit = |k: usize, column: &mut Vec<Vec<usize>>, later: &mut Vec<usize>| {
                    let mut stack = vec![k];
                    while let Some(u) = stack.pop() {
                        column[self.band[u]].push(u);
                        for &c in self.children[u].iter().rev() {
                            if self.band[c] == self.band[u] {
                                stack.push(c);
                            } else {
                                later.push(c);
                            }
                        }
                    }
                };
                for &k in layer {
                    emit(k, &mut column, &mut later);
                }
                let mut next = 0;
                while next < later.len() {
                    emit(later[next], &mut column, &mut later);
                    next += 1;
                }
                column
            })
            .collect()
    }

    /// The command that puts every node in its place, growing lanes that are too short first.
    fn place(&self, map: &Map, selection: bool, columns: &[Vec<Vec<usize>>]) -> Command {
        let lanes = map.lanes.len();
        let old_tops = map.lane_tops();
        let old_bottom: f32 = map.lanes.iter().map(|l| l.height).sum();
        let old_top = |b: usize| if b < lanes { old_tops[b] } else { old_bottom };
        let size = |k: usize| self.node(k).size;

        let stack_height = |cell: &[usize]| -> f32 {
            cell.iter().map(|&k| size(k).1).sum::<f32>()
                + ROW_GAP * cell.len().saturating_sub(1) as f32
        };
        let mut tallest = vec![0.0_f32; lanes + 1];
        let mut highest = vec![f32::INFINITY; lanes + 1];
        for column in columns {
            for (b, cell) in column.iter().enumerate() {
                tallest[b] = tallest[b].max(stack_height(cell));
                for &k in cell {
                    highest[b] = highest[b].min(self.node(k).pos.1);
                }
            }
        }
        // Where each band's stacks start, below the band's top.
        let start: Vec<f32> = (0..=lanes)
            .map(|b| {
                if !selection || !highest[b].is_finite() {
                    return LANE_PAD;
                }
                let wanted = highest[b] - old_top(b);
                if b == lanes {
                    return wanted; // outside every lane: stay where the selection was
                }
                let room = map.lanes[b].height - tallest[b] - LANE_PAD;
                wanted.min(room).max(MIN_PAD)
            })
            .collect();

        let mut commands = Vec::new();
        let mut heights: Vec<f32> = map.lanes.iter().map(|l| l.height).collect();
        for (b, lane) in map.lanes.iter().enumerate() {
            let needed = start[b] + tallest[b] + LANE_PAD;
            if tallest[b] > 0.0 && needed > lane.height {
                heights[b] = needed.ceil();
                commands.push(Command::EditLane {
                    id: lane.id.clone(),
                    edit: LaneEdit::Height(heights[b]),
                });
            }
        }
        let mut tops = Vec::with_capacity(lanes + 1);
        let mut top = 0.0;
        for h in &heights {
            tops.push(top);
            top += h;
        }
        tops.push(top);

        let mut x = if selection {
            (0..self.nodes.len())
                .map(|k| self.node(k).pos.0)
                .fold(f32::INFINITY, f32::min)
        } else {
            MARGIN
        };
        let mut places = Vec::with_capacity(self.nodes.len());
        for column in columns {
            let width = column
                .iter()
                .flatten()
                .map(|&k| size(k).0)
                .fold(0.0_f32, f32::max);
            for (b, cell) in column.iter().enumerate() {
                let mut y = tops[b] + start[b];
                for &k in cell {
                    let s = size(k);
                    places.push((self.node(k).id.clone(), Pos(x + (width - s.0) / 2.0, y)));
                    y += s.1 + ROW_GAP;
                }
            }
            x += width + COLUMN_GAP;
        }
        let place = Command::PlaceNodes(places);
        if commands.is_empty() {
            place
        } else {
            commands.push(place);
            Command::Batch(commands)
        }
    }
}

/// For each node that takes part in no transition but is attached to others: the node it is
/// stacked under — a stage it governs if any, else another attached node (an expiry warning
/// under its idle timeout). Chains end at a node that moves; a ring of attachments is cut.
fn satellites(moves: &[bool], attached: &[Vec<usize>]) -> Vec<Option<usize>> {
    let n = moves.len();
    let mut parent: Vec<Option<usize>> = (0..n)
        .map(|k| {
            if moves[k] {
                return None;
            }
            let stage = attached[k].iter().copied().find(|&v| moves[v]);
            stage.or_else(|| attached[k].first().copied())
        })
        .collect();
    for k in 0..n {
        let mut v = k;
        let mut steps = 0;
        while let Some(p) = parent[v] {
            v = p;
            steps += 1;
            if steps > n {
                parent[k] = None; // k is on (or leads into) a ring: cut it here
                break;
            }
        }
    }
    parent
}

/// The transitions with the back edges of a depth-first search reversed, which leaves no
/// cycle. The search starts from nodes nothing leads to, entry points first, so the flow
/// reads from where users come in.
fn break_cycles(n: usize, transitions: &[(usize, usize)], entry: &[bool]) -> Vec<(usize, usize)> {
    let mut succs = vec![Vec::new(); n];
    let mut incoming = vec![0usize; n];
    for &(u, v) in transitions {
        succs[u].push(v);
        incoming[v] += 1;
    }
    let mut starts: Vec<usize> = (0..n).collect();
    starts.sort_by_key(|&k| (incoming[k] != 0, !entry[k], k));

    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Open,
        Done,
    }
    let mut state = vec![State::New; n];
    let mut dag = Vec::with_capacity(transitions.len());
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for s in starts {
        if state[s] != State::New {
            continue;
        }
        state[s] = State::Open;
        stack.push((s, 0));
        while let Some(&(u, i)) = stack.last() {
            if let Some(&v) = succs[u].get(i) {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                match state[v] {
                    State::New => {
                        dag.push((u, v));
                        state[v] = State::Open;
                        stack.push((v, 0));
                    }
                    State::Open => dag.push((v, u)),
                    State::Done => dag.push((u, v)),
                }
            } else {
                state[u] = State::Done;
                stack.pop();
            }
        }
    }
    dag
}

/// Longest-path layers of a DAG, then each source moved right to just before its nearest
/// successor (an operator action beside the stage it leads to, not in the first column).
fn longest_path_layers(preds: &[Vec<usize>], succs: &[Vec<usize>]) -> Vec<usize> {
    let n = preds.len();
    let mut remaining: Vec<usize> = preds.iter().map(Vec::len).collect();
    let mut ready: Vec<usize> = (0..n).filter(|&k| remaining[k] == 0).rev().collect();
    let mut layer = vec![0usize; n];
    while let Some(u) = ready.pop() {
        for &v in &succs[u] {
            layer[v] = layer[v].max(layer[u] + 1);
            remaining[v] -= 1;
            if remaining[v] == 0 {
                ready.push(v);
            }
        }
    }
    for k in 0..n {
        if preds[k].is_empty()
            && let Some(nearest) = succs[k].iter().map(|&v| layer[v]).min()
        {
            layer[k] = nearest.saturating_sub(1);
        }
    }
    layer
}

/// Pairs i < j with `values[i] > values[j]` (sorts `values`).
fn inversions(values: &mut [f64]) -> u64 {
    let len = values.len();
    if len < 2 {
        return 0;
    }
    let (left, right) = values.split_at_mut(len / 2);
    let mut count = inversions(left) + inversions(right);
    let mut merged = Vec::with_capacity(len);
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if right[j] < left[i] {
            merged.push(right[j]);
            count += (left.len() - i) as u64;
            j += 1;
        } else {
            merged.push(left[i]);
            i += 1;
        }
    }
    merged.extend_from_slice(&left[i..]);
    merged.extend_from_slice(&right[j..]);
    values.copy_from_slice(&merged);
    count
}
