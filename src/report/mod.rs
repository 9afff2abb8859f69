//! Findings and metrics as data, and their renderings (text, JSON, Markdown, SARIF).
//!
//! This module does not decide what is a finding: the static rules (`compile`) and the
//! simulator do. It holds the gap catalogue (ids are a public contract, see `GAPS.md`) and
//! turns a [`Report`] into what people and tools read, and two reports into a [`Comparison`]
//! (policy A against policy B, for `sessionmap compare`).

mod catalogue;
mod compare;
mod gap;
pub(crate) mod metrics;
mod render;
mod sequence;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::model::{EdgeId, NodeId};

pub use catalogue::{CATALOGUE, Entry, How, catalogue_markdown, entry};
pub use compare::{Change, Comparison, MetricChange, render_comparison};
pub use gap::Gap;
pub use render::{
    Format, markdown_escape, markdown_findings, markdown_metrics, markdown_prose, markdown_traces,
    render,
};
pub use sequence::sequence_diagram;

/// How bad a gap is. Ordered: `Low < Medium < High < Critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(format!(
                "unknown severity `{s}`; expected one of: low, medium, high, critical"
            )),
        }
    }
}

/// One step of the evidence that proves a finding. For a static finding the steps are the drawn
/// facts (the cookie's `Set-Cookie` line, the session's field list); for a simulated one, what an
/// actor did and what the engine answered, at a virtual time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Virtual time in milliseconds since the start of the run; `None` for drawn facts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<u64>,
    /// Who: "drawing", "user", "attacker", "admin", "engine".
    pub actor: String,
    /// What was done or what is drawn.
    pub action: String,
    /// What came of it.
    pub outcome: String,
    /// The node the step happens at, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeId>,
}

impl Step {
    /// A fact read from the drawing.
    pub fn drawn(node: &NodeId, action: impl Into<String>, outcome: impl Into<String>) -> Self {
        Step {
            at_ms: None,
            actor: "drawing".to_owned(),
            action: action.into(),
            outcome: outcome.into(),
            node: Some(node.clone()),
        }
    }
}

/// A gap found in a map, with the catalogue id it is reported under and the proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// A catalogue id (`COOKIE-FLAGS`); never renamed.
    pub id: Gap,
    pub severity: Severity,
    pub title: String,
    /// `static` or `sim`.
    pub how: How,
    pub nodes: Vec<NodeId>,
    pub edges: Vec<EdgeId>,
    /// A paragraph a workshop can read aloud: what goes wrong here and why it matters.
    pub explanation: String,
    pub evidence: Vec<Step>,
    pub references: Vec<&'static str>,
}

impl Finding {
    /// A finding for a catalogue entry, with the entry's severity, title and references.
    pub fn new(id: Gap, nodes: Vec<NodeId>, explanation: impl Into<String>) -> Self {
        let e = id.entry();
        Finding {
            id: e.id,
            severity: e.severity,
            title: e.title.to_owned(),
            how: e.how,
            nodes,
            edges: Vec::new(),
            explanation: explanation.into(),
            evidence: Vec::new(),
            references: e.references.to_vec(),
        }
    }

    pub fn with_edges(mut self, edges: Vec<EdgeId>) -> Self {
        self.edges = edges;
        self
    }

    pub fn with_evidence(mut self, evidence: Vec<Step>) -> Self {
        self.evidence = evidence;
        self
    }
}

/// What `lint`, `simulate` and `compare` report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The map's title and the file it came from.
    pub map: String,
    pub file: String,
    /// The profile whose thresholds were used (`asvs-l2`).
    pub profile: &'static str,
    /// Most severe first, then by id and first node, so output is stable.
    pub findings: Vec<Finding>,
    /// Numbers for a policy owner; empty for a lint.
    pub metrics: serde_json::Map<String, serde_json::Value>,
    /// Everything that varies between identical runs (wall time, threads): kept apart so the
    /// rest of the report compares byte for byte.
    pub run: serde_json::Map<String, serde_json::Value>,
    /// Line and column of each node in the map file, so SARIF and text output can point at it.
    #[serde(skip)]
    pub locations: BTreeMap<NodeId, (usize, usize)>,
    /// Each node's label, so text and Markdown name a node as the drawing shows it.
    #[serde(skip)]
    pub labels: BTreeMap<NodeId, String>,
    /// Where the map file sits for code scanning: its path relative to the repository root,
    /// and the root. Without it, SARIF uses the path as given.
    #[serde(skip)]
    pub artifact: Option<Artifact>,
}

/// A map file located in a repository, as SARIF's `originalUriBaseIds` expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// The file relative to the root, with forward slashes (`maps/shop.ron`).
    pub uri: String,
    /// The root as an absolute `file://` URI ending in `/`.
    pub root: String,
}

impl Artifact {
    /// `file` relative to `root` (given), or to the nearest folder above it holding `.git`, or
    /// to the working folder. `None` when the file is outside the root or cannot be resolved.
    pub fn locate(file: &std::path::Path, root: Option<&std::path::Path>) -> Option<Artifact> {
        let file = std::fs::canonicalize(file).ok()?;
        let root = match root {
            Some(r) => std::fs::canonicalize(r).ok()?,
            None => file
                .ancestors()
                .skip(1)
                .find(|dir| dir.join(".git").exists())
                .map(std::path::Path::to_path_buf)
                .or_else(|| std::env::current_dir().ok())?,
        };
        let relative = file.strip_prefix(&root).ok()?;
        let uri: Vec<String> = relative
            .components()
            .map(|c| percent_path(&c.as_os_str().to_string_lossy()))
            .collect();
        let mut base = String::from("file://");
        for c in root.components() {
            let part = c.as_os_str().to_string_lossy();
            if part == "/" || part == "\\" {
                continue;
            }
            base.push('/');
            base.push_str(&percent_path(part.trim_end_matches(['/', '\\'])));
        }
        base.push('/');
        Some(Artifact {
            uri: uri.join("/"),
            root: base,
        })
    }
}

/// A path segment as a URI segment: unreserved characters as they are, the rest escaped.
fn percent_path(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Report {
    pub fn new(map: &str, file: &str, profile: &'static str, mut findings: Vec<Finding>) -> Self {
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.id.cmp(&b.id))
                .then_with(|| a.nodes.first().cmp(&b.nodes.first()))
        });
        Report {
            map: map.to_owned(),
            file: file.to_owned(),
            profile,
            findings,
            metrics: serde_json::Map::new(),
            run: serde_json::Map::new(),
            locations: BTreeMap::new(),
            labels: BTreeMap::new(),
            artifact: None,
        }
    }

    /// Takes the node labels from the map the findings are about.
    pub fn with_labels(mut self, map: &crate::model::Map) -> Self {
        self.labels = map
            .nodes
            .iter()
            .map(|n| (n.id.clone(), n.label.clone()))
            .collect();
        self
    }

    /// Whether any finding is at or above `threshold` (the `--fail-on` exit code).
    pub fn fails_at(&self, threshold: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= threshold)
    }
}
