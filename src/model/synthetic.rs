//! Large generated maps for benchmarks and stress tests: copies of a bundled template laid out
//! in a grid, with extra transitions between copies until the requested edge count is reached.

use super::{Edge, EdgeId, Lane, LaneId, Map, NodeId, Pos, Trigger};

/// A map with exactly `nodes` nodes and `edges` edges built from copies of `template`
/// (deterministic: the same arguments give the same map). Returns `None` if the template has no
/// nodes or no transitions to copy.
pub fn synthetic(template: &Map, nodes: usize, edges: usize) -> Option<Map> {
    let per_copy = template.nodes.len();
    if per_copy == 0 || !template.edges.iter().any(|e| e.trigger.is_transition()) {
        return None;
    }
    let copies = nodes.div_ceil(per_copy);
    let width = template
        .nodes
        .iter()
        .map(|n| n.pos.0 + n.size.0)
        .fold(0.0_f32, f32::max)
        + 120.0;
    let height: f32 = template
        .lanes
        .iter()
        .map(|l| l.height)
        .sum::<f32>()
        .max(400.0)
        + 80.0;
    let columns = (copies as f64).sqrt().ceil().max(1.0) as usize;

    let mut map = Map {
        title: format!("{} × {copies} (synthetic)", template.title),
        description: format!("{nodes} nodes and {edges} edges generated for benchmarks."),
        lanes: vec![Lane {
            id: LaneId::from("all"),
            title: "Generated".to_owned(),
            height: height * copies.div_ceil(columns) as f32,
        }],
        personas: template
            .personas
            .iter()
            .cloned()
            .map(|mut p| {
                p.lane = Some(LaneId::from("all"));
                p
            })
            .collect(),
        ..Map::default()
    };
    let suffix = |id: &str, copy: usize| format!("{id}~{copy}");
    'copies: for copy in 0..copies {
        let (dx, dy) = (
            (copy % columns) as f32 * width,
            (copy / columns) as f32 * height,
        );
        for n in &template.nodes {
            if map.nodes.len() == nodes {
                break 'copies;
            }
            let mut n = n.clone();
            n.id = NodeId(suffix(n.id.as_str(), copy));
            n.lane = Some(LaneId::from("all"));
            n.pos = Pos(n.pos.0 + dx, n.pos.1 + dy);
            map.nodes.push(n);
        }
        for e in &template.edges {
            let (from, to) = (suffix(e.from.as_str(), copy), suffix(e.to.as_str(), copy));
            let has = |id: &str| {
                map.nodes
                    .iter()
                    .rev()
                    .take(per_copy)
                    .any(|n| n.id.as_str() == id)
            };
            if map.edges.len() < edges && has(&from) && has(&to) {
                let mut e = e.clone();
                e.id = EdgeId(suffix(e.id.as_str(), copy));
                e.from = NodeId(from);
                e.to = NodeId(to);
                map.edges.push(e);
            }
        }
    }
    // Extra transitions between neighbouring copies' nodes, until the edge count is reached.
    let total = map.nodes.len();
    let mut k = 0usize;
    while map.edges.len() < edges && total > 1 {
        let from = (k * 7) % total;
        let to = (from + per_copy + k % 5 + 1) % total;
        k += 1;
        if from == to {
            continue;
        }
        map.edges.push(Edge {
            id: EdgeId(format!("extra-{k}")),
            from: map.nodes[from].id.clone(),
            to: map.nodes[to].id.clone(),
            trigger: Trigger::UserAction,
            weight: 1,
            label: String::new(),
            notes: String::new(),
        });
    }
    Some(map)
}
