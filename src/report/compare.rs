//! Two reports side by side, as `sessionmap compare` shows them: the same population and seed
//! through map A (usually the policy as it is) and map B (the candidate). Each metric A against
//! B with the difference and whether B is better or worse; the findings B fixes, the ones it
//! brings, and the ones both have.
//!
//! A finding of A and one of B are the same gap when they share the catalogue id and first
//! node; what is left is then paired by id alone, so a gap that survives a renamed node is
//! still "in both" rather than "fixed" and "new".

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Map, Number, Value, json};

use super::metrics::{self, Figure};
use super::render::{self, Format};
use super::{Finding, Report, Severity};

/// How a metric moved from A to B.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Lower in B, where lower is better (or higher, where higher is).
    Better,
    Worse,
    Same,
    /// Different, in a figure that is neither good nor bad (events, peak sessions).
    Changed,
    /// Measured in one run only.
    OnlyInA,
    OnlyInB,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Better => "better",
            Change::Worse => "worse",
            Change::Same => "same",
            Change::Changed => "changed",
            Change::OnlyInA => "only in A",
            Change::OnlyInB => "only in B",
        }
    }
}

/// One metric of A against the same metric of B.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricChange {
    /// Where the figure is in a report's `metrics`, dotted: `exposure_window.p95_ms`,
    /// `attack_success.replay-after-logout`.
    pub metric: String,
    /// The figure as it is in each report's JSON.
    pub a: Option<Value>,
    pub b: Option<Value>,
    /// B − A in the figure's unit; for attack success, in success rate (0 to 1).
    pub difference: Option<f64>,
    pub change: Change,
    path: Vec<String>,
    figure_a: Option<Figure>,
    figure_b: Option<Figure>,
}

/// Two reports and what changed between them. The exit code of `compare` follows B alone
/// ([`Comparison::fails_at`]): B is the policy about to ship.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub a: Report,
    pub b: Report,
    /// Every figure of either report, in display order.
    pub metrics: Vec<MetricChange>,
    /// Findings of A that B does not have: what B fixes.
    pub fixed: Vec<Finding>,
    /// Findings of B that A does not have: what B brings.
    pub new: Vec<Finding>,
    /// Findings both have, as `(A's, B's)`, in B's order.
    pub both: Vec<(Finding, Finding)>,
}

impl Comparison {
    pub fn new(a: Report, b: Report) -> Self {
        let metrics = metric_changes(&a, &b);
        let (fixed, new, both) = match_findings(&a.findings, &b.findings);
        Comparison {
            a,
            b,
            metrics,
            fixed,
            new,
            both,
        }
    }

    /// Whether B has a finding at or above `threshold` (the `--fail-on` exit code).
    pub fn fails_at(&self, threshold: Severity) -> bool {
        self.b.fails_at(threshold)
    }

    fn count(&self, change: Change) -> usize {
        self.metrics.iter().filter(|m| m.change == change).count()
    }
}

fn metric_changes(a: &Report, b: &Report) -> Vec<MetricChange> {
    let mut paths: Vec<(Vec<String>, Option<Figure>, Option<Figure>)> = Vec::new();
    for (path, figure) in metrics::figures(&a.metrics) {
        paths.push((path, Some(figure), None));
    }
    for (path, figure) in metrics::figures(&b.metrics) {
        match paths.iter_mut().find(|(p, _, _)| *p == path) {
            Some((_, _, slot)) => *slot = Some(figure),
            None => paths.push((path, None, Some(figure))),
        }
    }
    paths.sort_by(|(x, _, _), (y, _, _)| metrics::path_order(x, y));
    paths
        .into_iter()
        .map(|(path, figure_a, figure_b)| {
            let amounts = (
                figure_a.as_ref().and_then(Figure::amount),
                figure_b.as_ref().and_then(Figure::amount),
            );
            let difference = match amounts {
                (Some(x), Some(y)) => Some(y - x),
                _ => None,
            };
            let change = match (&figure_a, &figure_b) {
                (Some(_), None) => Change::OnlyInA,
                (None, _) => Change::OnlyInB,
                (Some(x), Some(y)) => match difference {
                    Some(0.0) => Change::Same,
                    Some(d) => match metrics::lower_is_better(&path) {
                        Some(true) if d < 0.0 => Change::Better,
                        Some(true) => Change::Worse,
                        Some(false) if d > 0.0 => Change::Better,
                        Some(false) => Change::Worse,
                        None => Change::Changed,
                    },
                    None if x == y => Change::Same,
                    None => Change::Changed,
                },
            };
            MetricChange {
                metric: path.join("."),
                a: figure_a.as_ref().map(Figure::json),
                b: figure_b.as_ref().map(Figure::json),
                difference,
                change,
                path,
                figure_a,
                figure_b,
            }
        })
        .collect()
}

type Matched = (Vec<Finding>, Vec<Finding>, Vec<(Finding, Finding)>);

/// Splits findings into fixed (A only), new (B only) and both: first by id and first node,
/// then what is left by id.
fn match_findings(a: &[Finding], b: &[Finding]) -> Matched {
    let mut taken = vec![false; a.len()];
    let mut partner: Vec<Option<usize>> = vec![None; b.len()];
    let passes: [fn(&Finding, &Finding) -> bool; 2] = [
        |x, y| x.id == y.id && x.nodes.first() == y.nodes.first(),
        |x, y| x.id == y.id,
    ];
    for same in passes {
        for (j, fb) in b.iter().enumerate() {
            if partner[j].is_some() {
                continue;
            }
            if let Some(i) = (0..a.len()).find(|&i| !taken[i] && same(&a[i], fb)) {
                taken[i] = true;
                partner[j] = Some(i);
            }
        }
    }
    let fixed = a
        .iter()
        .zip(&taken)
        .filter(|(_, t)| !**t)
        .map(|(f, _)| f.clone())
        .collect();
    let mut new = Vec::new();
    let mut both = Vec::new();
    for (fb, p) in b.iter().zip(&partner) {
        match p {
            Some(i) => both.push((a[*i].clone(), fb.clone())),
            None => new.push(fb.clone()),
        }
    }
    (fixed, new, both)
}

/// Renders a comparison. SARIF has no notion of two runs: it is B's report, the policy about
/// to ship, so code scanning shows what the candidate leaves open.
pub fn render_comparison(c: &Comparison, format: Format) -> String {
    match format {
        Format::Text => text(c),
        Format::Json => render::json_text(&json_comparison(c)),
        Format::Markdown => markdown(c),
        Format::Sarif => render::render(&c.b, Format::Sarif),
    }
}

/// "+1 h 5 min", "-12.5 pts", "0": B − A in the figure's unit.
fn difference_text(m: &MetricChange) -> String {
    let Some(d) = m.difference else {
        return String::new();
    };
    if d == 0.0 {
        return "0".to_owned();
    }
    let key = m.path.last().map_or("", String::as_str);
    let magnitude = if matches!(m.figure_a, Some(Figure::Attack { .. }))
        || matches!(m.figure_b, Some(Figure::Attack { .. }))
    {
        format!(
            "{} pts",
            metrics::number_text((d.abs() * 1000.0).round() / 10.0)
        )
    } else if key.ends_with("_ms") {
        metrics::duration_text(d.abs())
    } else if key.ends_with("_bytes") {
        metrics::bytes_text(d.abs())
    } else {
        metrics::number_text(d.abs())
    };
    format!("{}{magnitude}", if d > 0.0 { "+" } else { "-" })
}

fn side_text(m: &MetricChange, figure: Option<&Figure>) -> String {
    let key = m.path.last().map_or("", String::as_str);
    figure.map_or_else(|| "—".to_owned(), |f| f.text(key))
}

fn change_text(m: &MetricChange) -> &'static str {
    match m.change {
        Change::Same => "",
        other => other.as_str(),
    }
}

fn summary_line(c: &Comparison) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = Vec::new();
    if !c.metrics.is_empty() {
        parts.push(format!(
            "B is better on {} and worse on {}",
            plural(c.count(Change::Better), "metric", "metrics"),
            c.count(Change::Worse)
        ));
    }
    parts.push(format!(
        "it fixes {}, brings {} and keeps {}",
        plural(c.fixed.len(), "finding", "findings"),
        c.new.len(),
        c.both.len()
    ));
    let mut s = parts.join("; ");
    s.push('.');
    s[..1].to_uppercase() + &s[1..]
}

fn finding_line(out: &mut String, f: &Finding) {
    let _ = writeln!(
        out,
        "  {:<8} {}  {}  ({})",
        f.severity.as_str().to_uppercase(),
        f.id,
        f.title,
        render::node_list(f)
    );
}

fn text(c: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Comparing A and B — profile {}, the same population and seed through both",
        c.b.profile
    );
    for (side, r) in [("A", &c.a), ("B", &c.b)] {
        let _ = writeln!(out, "{side}  {} ({}): {}", r.map, r.file, render::counts(r));
    }
    if !c.metrics.is_empty() {
        let rows: Vec<[String; 5]> = c
            .metrics
            .iter()
            .map(|m| {
                [
                    metrics::path_label(&m.path),
                    side_text(m, m.figure_a.as_ref()),
                    side_text(m, m.figure_b.as_ref()),
                    difference_text(m),
                    change_text(m).to_owned(),
                ]
            })
            .collect();
        let header = [
            "Metrics".to_owned(),
            "A".to_owned(),
            "B".to_owned(),
            "B − A".to_owned(),
            String::new(),
        ];
        let width = |i: usize| {
            rows.iter()
                .chain([&header])
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        };
        let widths = [width(0) + 2, width(1), width(2), width(3)];
        let _ = writeln!(out);
        for (n, r) in std::iter::once(&header).chain(&rows).enumerate() {
            let indent = if n == 0 { "" } else { "  " };
            let line = format!(
                "{indent}{:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}",
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                w0 = widths[0] - indent.len(),
                w1 = widths[1],
                w2 = widths[2],
                w3 = widths[3],
            );
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
    for (title, findings) in [
        ("Fixed in B (in A, not in B)", &c.fixed),
        ("New in B (in B, not in A)", &c.new),
    ] {
        let _ = writeln!(out, "\n{title}: {}", findings.len());
        for f in findings {
            finding_line(&mut out, f);
        }
    }
    let _ = writeln!(out, "\nIn both: {}", c.both.len());
    for (_, f) in &c.both {
        finding_line(&mut out, f);
    }
    let _ = writeln!(out, "\n{}", summary_line(c));
    for (side, r) in [("A", &c.a), ("B", &c.b)] {
        if !r.run.is_empty() {
            let _ = writeln!(out, "Run {side}: {}", metrics::run_text(&r.run));
        }
    }
    out
}

fn markdown(c: &Comparison) -> String {
    let esc = render::markdown_escape;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Policy comparison: {} → {}\n",
        esc(&c.a.map),
        esc(&c.b.map)
    );
    let _ = writeln!(
        out,
        "Profile `{}`; the same population and seed through both maps.\n",
        c.b.profile
    );
    let _ = writeln!(out, "| | map | file | findings |");
    let _ = writeln!(out, "|---|---|---|---|");
    for (side, r) in [("A", &c.a), ("B", &c.b)] {
        let _ = writeln!(
            out,
            "| {side} | {} | `{}` | {} |",
            esc(&r.map),
            r.file,
            render::counts(r)
        );
    }
    let _ = writeln!(out, "\n{}", summary_line(c));
    if !c.metrics.is_empty() {
        let _ = writeln!(out, "\n## Metrics\n");
        let _ = writeln!(out, "| metric | A | B | B − A | |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for m in &c.metrics {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                esc(&metrics::path_label(&m.path)),
                esc(&side_text(m, m.figure_a.as_ref())),
                esc(&side_text(m, m.figure_b.as_ref())),
                esc(&difference_text(m)),
                change_text(m)
            );
        }
    }
    let table = |out: &mut String, title: &str, rows: Vec<(&Finding, String)>, nodes: &str| {
        let _ = writeln!(out, "\n## {title} ({})\n", rows.len());
        if rows.is_empty() {
            let _ = writeln!(out, "None.");
            return;
        }
        let _ = writeln!(out, "| severity | id | finding | {nodes} |");
        let _ = writeln!(out, "|---|---|---|---|");
        for (f, nodes) in rows {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} |",
                f.severity,
                f.id,
                esc(&f.title),
                esc(&nodes)
            );
        }
    };
    table(
        &mut out,
        "Fixed in B",
        c.fixed.iter().map(|f| (f, render::node_list(f))).collect(),
        "nodes in A",
    );
    table(
        &mut out,
        "New in B",
        c.new.iter().map(|f| (f, render::node_list(f))).collect(),
        "nodes in B",
    );
    table(
        &mut out,
        "In both",
        c.both
            .iter()
            .map(|(fa, fb)| {
                let (na, nb) = (render::node_list(fa), render::node_list(fb));
                let nodes = if na == nb {
                    nb
                } else {
                    format!("{na} → {nb}")
                };
                (fb, nodes)
            })
            .collect(),
        "nodes (A → B)",
    );
    out
}

fn summary_json(f: &Finding) -> Value {
    json!({
        "id": f.id,
        "severity": f.severity,
        "title": f.title,
        "how": f.how,
        "nodes": f.nodes,
    })
}

fn difference_json(m: &MetricChange) -> Value {
    let (Some(Figure::Number(x)), Some(Figure::Number(y))) = (&m.figure_a, &m.figure_b) else {
        // Rates and mixed figures: a fraction, rounded so output compares byte for byte.
        return m
            .difference
            .map_or(Value::Null, |d| json!((d * 10_000.0).round() / 10_000.0));
    };
    match (x.as_i64(), y.as_i64()) {
        (Some(x), Some(y)) => y
            .checked_sub(x)
            .map_or(Value::Null, |d| Value::Number(Number::from(d))),
        _ => m
            .difference
            .map_or(Value::Null, |d| json!((d * 1000.0).round() / 1000.0)),
    }
}

/// The comparison as JSON: both reports whole (each as the report contract of DESIGN.md, `run`
/// included), each metric side by side, the findings split, and the counts.
pub(crate) fn json_comparison(c: &Comparison) -> Value {
    let metrics: Vec<Value> = c
        .metrics
        .iter()
        .map(|m| {
            let mut o = Map::new();
            o.insert("metric".into(), m.metric.clone().into());
            o.insert("a".into(), m.a.clone().unwrap_or(Value::Null));
            o.insert("b".into(), m.b.clone().unwrap_or(Value::Null));
            o.insert("difference".into(), difference_json(m));
            o.insert("change".into(), json!(m.change));
            Value::Object(o)
        })
        .collect();
    json!({
        "a": render::json_report(&c.a),
        "b": render::json_report(&c.b),
        "metrics": metrics,
        "findings": {
            "fixed": c.fixed.iter().map(summary_json).collect::<Vec<_>>(),
            "new": c.new.iter().map(summary_json).collect::<Vec<_>>(),
            "both": c.both.iter().map(|(fa, fb)| {
                let mut v = summary_json(fb);
                v["nodes_in_a"] = json!(fa.nodes);
                v
            }).collect::<Vec<_>>(),
        },
        "summary": {
            "better": c.count(Change::Better),
            "worse": c.count(Change::Worse),
            "fixed": c.fixed.len(),
            "new": c.new.len(),
            "both": c.both.len(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NodeId;
    use crate::report::Gap;

    fn finding(id: &str, node: &str) -> Finding {
        Finding::new(
            Gap::parse(id).expect("a catalogue id"),
            vec![NodeId::from(node)],
            "because",
        )
    }

    fn report(findings: Vec<Finding>, metrics: Value) -> Report {
        let mut r = Report::new("map", "map.ron", "asvs-l2", findings);
        if let Value::Object(m) = metrics {
            r.metrics = m;
        }
        r
    }

    #[test]
    fn a_gap_that_moved_to_a_renamed_node_is_in_both() {
        let a = report(
            vec![
                finding("COOKIE-FLAGS", "cookie"),
                finding("SESS-IDLE-NONE", "s"),
            ],
            json!({}),
        );
        let b = report(vec![finding("COOKIE-FLAGS", "session-cookie")], json!({}));
        let c = Comparison::new(a, b);
        assert_eq!(c.both.len(), 1);
        assert_eq!(c.both[0].0.nodes[0].as_str(), "cookie");
        assert_eq!(c.both[0].1.nodes[0].as_str(), "session-cookie");
        assert_eq!(
            c.fixed.iter().map(|f| f.id).collect::<Vec<_>>(),
            ["SESS-IDLE-NONE"]
        );
        assert!(c.new.is_empty());
    }

    #[test]
    fn the_same_gap_on_the_same_node_pairs_before_one_on_another_node() {
        let a = report(
            vec![
                finding("COOKIE-FLAGS", "one"),
                finding("COOKIE-FLAGS", "two"),
            ],
            json!({}),
        );
        let b = report(vec![finding("COOKIE-FLAGS", "two")], json!({}));
        let c = Comparison::new(a, b);
        assert_eq!(c.both[0].0.nodes[0].as_str(), "two");
        assert_eq!(c.fixed[0].nodes[0].as_str(), "one");
    }

    #[test]
    fn less_exposure_and_fewer_successful_attacks_are_better() {
        let a = report(
            Vec::new(),
            json!({
                "users": 10,
                "attack_success": { "replay": { "attempts": 10, "succeeded": 5 } },
                "exposure_window": { "samples": 3, "p50_ms": 60_000, "p95_ms": 60_000, "max_ms": 60_000, "open_ended": 0 },
                "unexpected_logouts_per_100_user_days": 1.5,
                "events": 100,
            }),
        );
        let b = report(
            Vec::new(),
            json!({
                "users": 10,
                "attack_success": { "replay": { "attempts": 10, "succeeded": 0 } },
                "exposure_window": { "samples": 3, "p50_ms": 30_000, "p95_ms": 60_000, "max_ms": 90_000, "open_ended": 0 },
                "unexpected_logouts_per_100_user_days": 2.25,
                "events": 120,
            }),
        );
        let c = Comparison::new(a, b);
        let change = |metric: &str| {
            c.metrics
                .iter()
                .find(|m| m.metric == metric)
                .map(|m| (m.change, difference_text(m)))
                .expect(metric)
        };
        assert_eq!(change("users"), (Change::Same, "0".into()));
        assert_eq!(
            change("attack_success.replay"),
            (Change::Better, "-50 pts".into())
        );
        assert_eq!(
            change("exposure_window.p50_ms"),
            (Change::Better, "-30 s".into())
        );
        assert_eq!(
            change("exposure_window.max_ms"),
            (Change::Worse, "+30 s".into())
        );
        assert_eq!(
            change("exposure_window.samples"),
            (Change::Same, "0".into())
        );
        assert_eq!(
            change("unexpected_logouts_per_100_user_days"),
            (Change::Worse, "+0.75".into())
        );
        assert_eq!(change("events"), (Change::Changed, "+20".into()));
        let json = json_comparison(&c);
        let replay = &json["metrics"]
            .as_array()
            .and_then(|m| m.iter().find(|m| m["metric"] == "attack_success.replay"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(replay["a"], json!({ "attempts": 10, "succeeded": 5 }));
        assert_eq!(replay["difference"], json!(-0.5));
        assert_eq!(json["summary"]["better"], 2);
        assert_eq!(json["summary"]["worse"], 2);
    }
}
