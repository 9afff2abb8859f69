//! SessionMap: draw how sessions live in an application, then simulate users and attackers
//! against a real session engine to find the gaps.
//!
//! The public boundaries are few: [`model::Map`] (the document), the bundled [`templates`],
//! the [`export::geometry`] shared by the canvas and the exporters, the [`ui`] app and the [`cli`].
//! See `ARCHITECTURE.md` for the code map and invariants.

pub mod cli;
pub mod compile;
pub mod editor;
pub mod engine;
pub mod export;
pub mod model;
pub mod probe;
pub mod report;
pub mod sim;
pub mod templates;
pub mod ui;
