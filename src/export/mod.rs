//! Turning a map into pictures and documents: the diagram geometry that the canvas paints and
//! the SVG/PNG exporters write (so what you see is what gets exported), and the text diagrams —
//! Mermaid and Graphviz DOT.

pub mod geometry;
mod svg;
mod text;

pub use svg::{MAX_PNG_SIDE, PngError, png, svg};
pub use text::{dot, dot_quote, mermaid, mermaid_escape};
