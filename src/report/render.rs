//! Renderings of a report: plain text for a terminal, JSON for scripts (the contract in
//! DESIGN.md), Markdown for a wiki, SARIF 2.1.0 for code scanning.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::metrics;
use super::{CATALOGUE, Finding, Report, Severity, Step};

/// An output format for `lint`, `simulate` and `compare`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
    Sarif,
}

pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Text => text(report),
        Format::Json => json_text(&json_report(report)),
        Format::Markdown => markdown(report),
        Format::Sarif => json_text(&sarif(report)),
    }
}

pub(super) fn json_text(value: &Value) -> String {
    // Serialising a Value built from strings and numbers cannot fail.
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

pub(super) fn counts(report: &Report) -> String {
    let n = report.findings.len();
    if n == 0 {
        return "no findings".to_owned();
    }
    let parts: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|s| {
            let c = report.findings.iter().filter(|f| f.severity == *s).count();
            (c > 0).then(|| format!("{c} {s}"))
        })
        .collect();
    format!(
        "{n} finding{}: {}",
        if n == 1 { "" } else { "s" },
        parts.join(", ")
    )
}

/// The finding's nodes as the drawing names them: `«Idle timeout» (idle)`, or the bare id where
/// the label is the id or unknown.
fn labelled_nodes(report: &Report, f: &Finding) -> String {
    f.nodes
        .iter()
        .map(|n| match report.labels.get(n) {
            Some(label) if !label.trim().is_empty() && label != n.as_str() => {
                format!("«{}» ({n})", label.replace('\n', " "))
            }
            _ => n.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn node_list(f: &Finding) -> String {
    f.nodes
        .iter()
        .map(|n| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            let _ = writeln!(out, "{indent}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}{line}");
    }
    out
}

fn text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}) — profile {}",
        report.map, report.file, report.profile
    );
    let _ = writeln!(out, "{}", counts(report));
    for f in &report.findings {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<8} {}  {}",
            f.severity.as_str().to_uppercase(),
            f.id,
            f.title
        );
        let (line, _) = location(report, f).unwrap_or((0, 0));
        let at = if line > 0 {
            format!(" ({}:{line})", report.file)
        } else {
            String::new()
        };
        let _ = writeln!(out, "         nodes: {}{at}", labelled_nodes(report, f));
        out.push_str(&wrap(&f.explanation, 88, "         "));
        for step in &f.evidence {
            let _ = writeln!(
                out,
                "         - {}{}: {}",
                when(step),
                step.action,
                step.outcome
            );
        }
        if !f.references.is_empty() {
            let _ = writeln!(out, "         see: {}", f.references.join("; "));
        }
    }
    text_metrics(&mut out, report);
    out
}

/// "at 2 h 5 min, attacker: " for a simulated step; nothing for a drawn fact, so static
/// evidence reads as it always has.
fn when(step: &Step) -> String {
    match step.at_ms {
        Some(ms) => format!("at {}, {}: ", metrics::duration_text(ms as f64), step.actor),
        None => String::new(),
    }
}

/// The metrics after the findings, one figure a line with the values in a column, then the
/// run's own figures (wall time, threads). Nothing for a lint, whose metrics are empty.
fn text_metrics(out: &mut String, report: &Report) {
    if report.metrics.is_empty() {
        return;
    }
    let lines = metrics::lines(&report.metrics);
    let width = lines
        .iter()
        .filter(|l| l.value.is_some())
        .map(|l| 2 * l.depth + l.label.chars().count())
        .max()
        .unwrap_or(0);
    let _ = writeln!(out, "\nMetrics");
    for l in &lines {
        let indent = "  ".repeat(l.depth + 1);
        match &l.value {
            Some(v) => {
                let pad = width - 2 * l.depth;
                let _ = writeln!(out, "{indent}{:<pad$}  {v}", l.label);
            }
            None => {
                let _ = writeln!(out, "{indent}{}", l.label);
            }
        }
    }
    if !report.run.is_empty() {
        let _ = writeln!(out, "\nRun: {}", metrics::run_text(&report.run));
    }
}

fn finding_json(f: &Finding) -> Value {
    json!({
        "id": f.id,
        "severity": f.severity,
        "title": f.title,
        "how": f.how,
        "nodes": f.nodes,
        "edges": f.edges,
        "explanation": f.explanation,
        "evidence": f.evidence,
        "references": f.references,
    })
}

/// The JSON contract of DESIGN.md: `findings`, `metrics`, `run`, plus what was checked.
pub(crate) fn json_report(report: &Report) -> Value {
    json!({
        "map": report.map,
        "file": report.file,
        "profile": report.profile,
        "findings": report.findings.iter().map(finding_json).collect::<Vec<_>>(),
        "metrics": report.metrics,
        "run": report.run,
    })
}

pub fn markdown_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '|' | '*' | '_' | '`' | '<' | '>' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Prose for a Markdown paragraph: `code spans` in it stay code spans (their text verbatim),
/// everything else is escaped. A stray backtick (no closing one) is escaped like the rest.
pub fn markdown_prose(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return markdown_escape(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 0 {
            out.push_str(&markdown_escape(part));
        } else if part.is_empty() {
            out.push_str("\\`\\`");
        } else {
            // A span that starts or ends with a space keeps it with padding (CommonMark strips
            // one space on each side when both are there).
            let pad = if part.starts_with(' ') || part.ends_with(' ') {
                " "
            } else {
                ""
            };
            out.push('`');
            out.push_str(pad);
            out.push_str(part);
            out.push_str(pad);
            out.push('`');
        }
    }
    out
}

fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Session gaps: {}\n", markdown_escape(&report.map));
    out.push_str(&markdown_findings(report, "##"));
    let traces = markdown_traces(report, "##");
    if !traces.is_empty() {
        out.push('\n');
        out.push_str(&traces);
    }
    out.push_str(&markdown_metrics(report, "##"));
    out
}

/// A Mermaid sequence diagram of each simulated finding's evidence under a `heading` (`##`)
/// section, nodes named by their labels; nothing when no finding has a simulated trace. The
/// same section in `simulate --format markdown` and in the exported report.
pub fn markdown_traces(report: &Report, heading: &str) -> String {
    let traced: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.how == super::How::Sim && !f.evidence.is_empty())
        .collect();
    let mut out = String::new();
    if traced.is_empty() {
        return out;
    }
    let _ = writeln!(out, "{heading} Evidence traces\n");
    out.push_str("What the simulation did to prove each finding, in virtual time from the start of the run (day 0 00:00). The user acts through a browser; a crossed arrow is a request the server refused.\n");
    for f in traced {
        let _ = writeln!(
            out,
            "\n{heading}# Trace of {} — {}\n",
            f.id,
            markdown_escape(&f.title)
        );
        out.push_str("```mermaid\n");
        out.push_str(&super::sequence_diagram(f, &report.labels));
        out.push_str("```\n");
    }
    out
}

/// The metrics as a Markdown table under a `heading` (`##`) section; nothing when there are
/// none (a lint). The run's wall time is left out so a committed report changes only when the
/// results do.
pub fn markdown_metrics(report: &Report, heading: &str) -> String {
    let mut out = String::new();
    if report.metrics.is_empty() {
        return out;
    }
    let _ = writeln!(out, "\n{heading} Metrics\n");
    let _ = writeln!(out, "| metric | value |");
    let _ = writeln!(out, "|---|---|");
    let mut group: Vec<String> = Vec::new();
    for l in metrics::lines(&report.metrics) {
        group.truncate(l.depth);
        match l.value {
            Some(v) => {
                let label = if group.is_empty() {
                    l.label
                } else {
                    format!("{}: {}", group.join(": "), l.label)
                };
                let _ = writeln!(
                    out,
                    "| {} | {} |",
                    markdown_escape(&label),
                    markdown_escape(&v)
                );
            }
            None => group.push(l.label),
        }
    }
    out
}

/// The findings as Markdown: a summary line, a table, and one section per finding whose
/// heading starts with `heading` (`##`), so documents can embed it at any level.
pub fn markdown_findings(report: &Report, heading: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Map `{}`, profile `{}` — {}.\n",
        report.file,
        report.profile,
        counts(report)
    );
    if report.findings.is_empty() {
        return out;
    }
    let _ = writeln!(out, "| severity | id | finding | nodes |");
    let _ = writeln!(out, "|---|---|---|---|");
    for f in &report.findings {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} |",
            f.severity,
            f.id,
            markdown_escape(&f.title),
            markdown_escape(&labelled_nodes(report, f))
        );
    }
    for f in &report.findings {
        let _ = writeln!(
            out,
            "\n{heading} {} — {}\n",
            f.id,
            markdown_escape(&f.title)
        );
        let _ = writeln!(
            out,
            "**Severity:** {} · **proven:** {} · **nodes:** {}\n",
            f.severity,
            match f.how {
                super::How::Static => "from the drawing",
                super::How::Sim => "by simulation",
            },
            markdown_escape(&labelled_nodes(report, f))
        );
        let _ = writeln!(out, "{}\n", markdown_prose(&f.explanation));
        if !f.evidence.is_empty() {
            let _ = writeln!(out, "Evidence:\n");
            for s in &f.evidence {
                let _ = writeln!(
                    out,
                    "- {}{}: {}",
                    markdown_escape(&when(s)),
                    markdown_prose(&s.action),
                    markdown_prose(&s.outcome)
                );
            }
            out.push('\n');
        }
        if !f.references.is_empty() {
            let _ = writeln!(
                out,
                "References: {}",
                markdown_escape(&f.references.join("; "))
            );
        }
    }
    out
}

/// Where a finding points in the map file: its first node that has a known location.
fn location(report: &Report, f: &Finding) -> Option<(usize, usize)> {
    f.nodes
        .iter()
        .find_map(|n| report.locations.get(n).copied())
}

/// SARIF level and GitHub's `security-severity` score for a severity.
fn sarif_level(s: Severity) -> (&'static str, &'static str) {
    match s {
        Severity::Critical => ("error", "9.5"),
        Severity::High => ("error", "8.0"),
        Severity::Medium => ("warning", "5.5"),
        Severity::Low => ("note", "2.5"),
    }
}

/// SARIF 2.1.0, as GitHub code scanning accepts it: every catalogue entry as a rule with help
/// text and a severity, each finding as a result located at its node's line in the map file.
fn sarif(report: &Report) -> Value {
    let rules: Vec<Value> = CATALOGUE
        .iter()
        .map(|e| {
            let (level, score) = sarif_level(e.severity);
            let (text, markdown) = if e.references.is_empty() {
                (e.help.to_owned(), e.help.to_owned())
            } else {
                (
                    format!("{}\n\nReferences: {}", e.help, e.references.join("; ")),
                    format!("{}\n\n**References:** {}", e.help, e.references_markdown()),
                )
            };
            let mut rule = json!({
                "id": e.id,
                "name": e.id.rule_name(),
                "shortDescription": { "text": e.title },
                "fullDescription": { "text": e.help },
                "help": { "text": text, "markdown": markdown },
                "defaultConfiguration": { "level": level },
                "properties": {
                    "security-severity": score,
                    "precision": if e.how == super::How::Sim { "very-high" } else { "high" },
                    "tags": ["security", "session-management"],
                },
            });
            if let Some(uri) = e.help_uri() {
                rule["helpUri"] = json!(uri);
            }
            rule
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let index = CATALOGUE.iter().position(|e| e.id == f.id).unwrap_or(0);
            let (level, _) = sarif_level(f.severity);
            let (line, column) = location(report, f).unwrap_or((1, 1));
            let logical: Vec<Value> = f
                .nodes
                .iter()
                .map(|n| json!({ "name": n.as_str(), "kind": "object" }))
                .collect();
            json!({
                "ruleId": f.id,
                "ruleIndex": index,
                "level": level,
                "message": { "text": f.explanation },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": artifact_location(report),
                        "region": { "startLine": line, "startColumn": column },
                    },
                    "logicalLocations": logical,
                }],
                "partialFingerprints": {
                    "sessionmapFinding/v1": format!("{}:{}", f.id, node_list(f)),
                },
            })
        })
        .collect();
    let mut sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "SessionMap",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "results": results,
        }]
    });
    // The tool's own address, once the package names one (Cargo.toml `repository`).
    if let Some(uri) = option_env!("CARGO_PKG_REPOSITORY").filter(|u| !u.is_empty()) {
        sarif["runs"][0]["tool"]["driver"]["informationUri"] = json!(uri);
    }
    if let Some(a) = &report.artifact {
        sarif["runs"][0]["originalUriBaseIds"] = json!({ SRCROOT: { "uri": a.root } });
    }
    sarif
}

/// The base id under which SARIF locations are relative to the repository root.
const SRCROOT: &str = "SRCROOT";

/// Where the map file is: relative to the repository root under `SRCROOT` when the report knows
/// it, else the path as given (forward slashes).
fn artifact_location(report: &Report) -> Value {
    match &report.artifact {
        Some(a) => json!({ "uri": a.uri, "uriBaseId": SRCROOT }),
        None => {
            let file = report.file.replace('\\', "/");
            json!({ "uri": file.strip_prefix("./").unwrap_or(&file) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NodeId;

    fn report_with_metrics() -> Report {
        let mut report = Report::new("Shop", "shop.ron", "asvs-l2", Vec::new());
        if let Value::Object(metrics) = json!({
            "users": 10,
            "attack_success": { "replay": { "attempts": 4, "succeeded": 1 } },
            "peak_store_bytes": 2048,
        }) {
            report.metrics = metrics;
        }
        report.run.insert("wall_ms".into(), 1500.into());
        report
    }

    #[test]
    fn code_spans_in_prose_stay_code_spans_and_the_rest_is_escaped() {
        assert_eq!(
            markdown_prose("set as `Set-Cookie: a=<id>; Path=/` on *every* page"),
            "set as `Set-Cookie: a=<id>; Path=/` on \\*every\\* page"
        );
        assert_eq!(markdown_prose("a stray ` tick"), "a stray \\` tick");
    }

    #[test]
    fn text_and_markdown_name_each_node_by_its_drawn_label_beside_its_id() {
        let finding = Finding::new(
            super::super::Gap::SessIdleNone,
            vec![NodeId::from("idle"), NodeId::from("create")],
            "because",
        );
        let mut report = Report::new("Shop", "shop.ron", "asvs-l2", vec![finding]);
        report
            .labels
            .insert(NodeId::from("idle"), "Idle\n15 min".into());
        report
            .labels
            .insert(NodeId::from("create"), "create".into());
        let text = render(&report, Format::Text);
        assert!(
            text.contains("nodes: «Idle 15 min» (idle), create"),
            "{text}"
        );
        let md = render(&report, Format::Markdown);
        assert!(md.contains("«Idle 15 min» (idle), create"), "{md}");
        // Machine-read forms keep the bare ids.
        let sarif = render(&report, Format::Sarif);
        assert!(
            sarif.contains("SESS-IDLE-NONE:idle,create")
                || sarif.contains("SESS-IDLE-NONE:idle, create"),
            "{sarif}"
        );
    }

    #[test]
    fn a_report_without_metrics_renders_no_metrics_section() {
        let report = Report::new("Shop", "shop.ron", "asvs-l2", Vec::new());
        assert_eq!(
            render(&report, Format::Text),
            "Shop (shop.ron) — profile asvs-l2\nno findings\n"
        );
        assert!(!render(&report, Format::Markdown).contains("Metrics"));
    }

    #[test]
    fn text_lists_the_metrics_in_a_column_then_the_run() {
        let text = render(&report_with_metrics(), Format::Text);
        assert!(
            text.ends_with(
                "\nMetrics\n  users       10\n  attack success\n    replay    1 of 4 succeeded (25%)\n  peak store  2.0 KiB\n\nRun: wall 1.5 s\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn markdown_lists_the_metrics_in_a_table_without_the_run() {
        let md = render(&report_with_metrics(), Format::Markdown);
        assert!(md.contains("## Metrics\n\n| metric | value |\n|---|---|\n| users | 10 |\n"));
        assert!(
            md.contains("| attack success: replay | 1 of 4 succeeded (25%) |"),
            "{md}"
        );
        assert!(!md.contains("wall"), "{md}");
    }
}
