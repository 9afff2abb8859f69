//! Turning a map into pictures and documents. For now the diagram geometry that the canvas
//! paints and the exporters will write, so what you see is what gets exported.

pub mod geometry;
