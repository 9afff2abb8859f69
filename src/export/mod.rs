//! Turning a map into pictures and documents: the diagram geometry that the canvas paints
//! (and the picture exporters will write, so what you see is what gets exported), and the
//! text diagrams — Mermaid and Graphviz DOT.

pub mod geometry;
mod text;

pub use text::{dot, dot_quote, mermaid, mermaid_escape};
