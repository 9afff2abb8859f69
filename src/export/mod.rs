//! Turning a map into pictures and documents: the diagram geometry that the canvas paints and
//! the SVG/PNG exporters write (so what you see is what gets exported), the text diagrams —
//! Mermaid and Graphviz DOT — a finding's evidence as a Mermaid sequence diagram, and the
//! Markdown report.

mod document;
pub mod geometry;
mod sequence;
mod svg;
mod text;

pub use document::markdown_report;
pub use sequence::sequence_diagram;
pub use svg::{MAX_PNG_SIDE, PngError, png, rgba, svg};
pub use text::{dot, dot_quote, mermaid, mermaid_escape};
