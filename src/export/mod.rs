//! Turning a map into pictures and documents: the diagram geometry that the canvas paints and
//! the SVG/PNG exporters write (so what you see is what gets exported), the text diagrams —
//! Mermaid and Graphviz DOT — and the Markdown report. [`write`] is the one way to export: the
//! command line and the window both call it with the same [`Options`].

mod document;
pub mod geometry;
pub mod measure;
mod svg;
mod text;

use std::path::Path;

pub use document::markdown_report;
pub use svg::{MAX_PNG_SIDE, PngError, png, rgba, svg};
pub use text::{Direction, dot, dot_quote, dot_with, mermaid, mermaid_escape};

use crate::compile;
use crate::model::{self, Map};
use crate::report::Finding;
use geometry::Theme;

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Format {
    /// The map as the canvas draws it, text as text.
    Svg,
    /// A picture rendered from the SVG at --scale.
    Png,
    /// A Mermaid flowchart (renders on GitHub and GitLab).
    Mermaid,
    /// A Graphviz digraph.
    Dot,
    /// A report to commit next to the code: diagram, derived policy per flow, findings with
    /// their traces, metrics. The diagram is also written as an SVG beside it (same name, .svg).
    Markdown,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Svg,
        Format::Png,
        Format::Mermaid,
        Format::Dot,
        Format::Markdown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Svg => "SVG",
            Format::Png => "PNG",
            Format::Mermaid => "Mermaid",
            Format::Dot => "Graphviz DOT",
            Format::Markdown => "Markdown report",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
            Format::Mermaid => "mmd",
            Format::Dot => "dot",
            Format::Markdown => "md",
        }
    }

    /// Whether the format is a picture (theme, badges and scale apply).
    pub fn is_picture(self) -> bool {
        matches!(self, Format::Svg | Format::Png)
    }
}

/// What an export needs besides the map.
#[derive(Clone, Debug)]
pub struct Options<'a> {
    pub theme: Theme,
    /// PNG pixels per canvas unit.
    pub scale: f32,
    /// Mark nodes with findings on SVG and PNG (and the Markdown report's SVG).
    pub badges: bool,
    /// The profile and population behind the findings: the badges, and the simulation the
    /// Markdown report runs (its metrics say which population it was).
    pub population: crate::sim::Builder,
    /// The map file as reports name it.
    pub file: &'a str,
    /// The map's source text, so the report's findings point at lines; `None` for a map that
    /// was never saved.
    pub source: Option<&'a str>,
    /// Which way the Graphviz diagram runs.
    pub direction: Direction,
    /// The findings the badges mark, as the window's canvas shows them (static and the latest
    /// simulation's); `None` marks the map's static findings at the options' profile.
    pub findings: Option<&'a [Finding]>,
}

impl Options<'_> {
    /// The findings the badges show (none without badges).
    pub fn badge_findings(&self, map: &Map) -> Vec<Finding> {
        if !self.badges {
            return Vec::new();
        }
        if let Some(findings) = self.findings {
            return findings.to_vec();
        }
        let plan = compile::compile(map);
        compile::lint(map, &plan, self.population.profile)
    }
}

/// The bytes of an export. For Markdown, `svg_name` is the diagram's file name beside the
/// report, if one is written.
pub fn bytes(
    format: Format,
    map: &Map,
    options: &Options<'_>,
    svg_name: Option<&str>,
) -> Result<Vec<u8>, String> {
    Ok(match format {
        Format::Svg => svg(map, options.theme, &options.badge_findings(map)).into_bytes(),
        Format::Png => png(
            map,
            options.theme,
            options.scale,
            &options.badge_findings(map),
        )
        .map_err(|e| e.to_string())?,
        Format::Mermaid => mermaid(map).into_bytes(),
        Format::Dot => dot_with(map, options.direction).into_bytes(),
        Format::Markdown => {
            let plan = compile::compile(map);
            let mut report = crate::sim::report_with_simulation(
                map,
                &plan,
                options.file,
                options.population.clone(),
            )
            .map_err(|e| e.to_string())?;
            if let Some(source) = options.source {
                report.locations = model::node_locations(source);
            }
            markdown_report(map, &plan, &report, svg_name).into_bytes()
        }
    })
}

/// Writes an export to `path` atomically; a Markdown report also writes its diagram as an SVG
/// beside it (same name, `.svg`).
pub fn write(format: Format, map: &Map, path: &Path, options: &Options<'_>) -> Result<(), String> {
    let mut svg_name = None;
    if format == Format::Markdown {
        let svg_path = path.with_extension("svg");
        let picture = svg(map, options.theme, &options.badge_findings(map));
        model::write_atomically(
            &svg_path,
            picture.as_bytes(),
            model::Backup::None,
            &mut |_| Ok(()),
        )
        .map_err(|e| format!("{}: {e}", svg_path.display()))?;
        svg_name = svg_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
    }
    let bytes = bytes(format, map, options, svg_name.as_deref())?;
    model::write_atomically(path, &bytes, model::Backup::None, &mut |_| Ok(()))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A finding's evidence as a Mermaid sequence diagram, nodes named by their labels in `map`.
pub fn sequence_diagram(finding: &Finding, map: &Map) -> String {
    let labels = map
        .nodes
        .iter()
        .map(|n| (n.id.clone(), n.label.clone()))
        .collect();
    crate::report::sequence_diagram(finding, &labels)
}
