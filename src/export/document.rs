//! The Markdown report a team commits next to its code: the map's title and description, the
//! diagram (an embedded Mermaid block and a link to the SVG), the derived policy of each flow as
//! a table with the nodes each setting comes from, the findings with a sequence diagram of each
//! simulated one's trace, the metrics of the run and the profile used.

use std::fmt::Write as _;

use crate::compile::{Plan, describe};
use crate::model::Map;
use crate::report::{
    Report, markdown_escape, markdown_findings, markdown_metrics, markdown_prose, markdown_traces,
};

/// The report in Markdown. `svg` is the diagram's file name relative to the report, if one is
/// written beside it.
pub fn markdown_report(map: &Map, plan: &Plan, report: &Report, svg: Option<&str>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", markdown_escape(&map.title));
    if !map.description.is_empty() {
        let _ = writeln!(out, "{}\n", markdown_prose(&map.description));
    }
    let _ = writeln!(
        out,
        "Checked against profile `{}` by SessionMap {}.\n",
        report.profile,
        env!("CARGO_PKG_VERSION")
    );
    out.push_str("## Diagram\n\n");
    if let Some(svg) = svg {
        let _ = writeln!(
            out,
            "![{}]({})\n",
            markdown_escape(&map.title),
            svg.replace(' ', "%20")
        );
    }
    out.push_str("```mermaid\n");
    out.push_str(&super::mermaid(map));
    out.push_str("```\n\n");

    out.push_str("## Derived policy\n\n");
    out.push_str("What the drawing configures, flow by flow. A setting no node decides is \"not drawn\": the flow runs with what a framework does when nobody configured it, and the last column says what that means.\n");
    for flow in &plan.flows {
        let name = map
            .node(&flow.create)
            .map_or(flow.create.as_str(), |n| n.label.as_str());
        let lane = flow
            .lane
            .as_ref()
            .and_then(|l| map.lane(l))
            .map(|l| format!(" ({})", markdown_escape(&l.title)))
            .unwrap_or_default();
        let _ = writeln!(out, "\n### {}{lane}\n", markdown_escape(name));
        out.push_str("| setting | value | drawn at |\n|---|---|---|\n");
        for row in describe(flow) {
            let from: Vec<String> = row.from.iter().map(|n| format!("`{n}`")).collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                row.setting,
                markdown_escape(&row.value),
                match row.not_drawn {
                    Some(why) => format!("not drawn: {}", markdown_escape(why)),
                    None => from.join(", "),
                }
            );
        }
    }
    if !plan.diagnostics.is_empty() {
        out.push_str("\n### What the drawing leaves unclear\n\n");
        for d in &plan.diagnostics {
            let _ = writeln!(out, "- {}", markdown_escape(&d.to_string()));
        }
    }

    out.push_str("\n## Findings\n\n");
    out.push_str(&markdown_findings(report, "###"));
    let traces = markdown_traces(report, "##");
    if !traces.is_empty() {
        out.truncate(out.trim_end_matches('\n').len());
        out.push_str("\n\n");
        out.push_str(&traces);
    }
    metrics(&mut out, report);
    out
}

/// The run's numbers as the report module lays them out everywhere else; for a lint, a line
/// saying why there are none.
fn metrics(out: &mut String, report: &Report) {
    if report.metrics.is_empty() {
        section(out, "Metrics");
        out.push_str("No simulation ran, so nothing was measured: every finding above is read from the drawing.\n");
    } else {
        out.truncate(out.trim_end_matches('\n').len());
        out.push('\n');
        out.push_str(&markdown_metrics(report, "##"));
    }
}

/// Starts a `##` section one blank line after whatever came before.
fn section(out: &mut String, title: &str) {
    out.truncate(out.trim_end_matches('\n').len());
    let _ = write!(out, "\n\n## {title}\n\n");
}
