//! Reports for users: what a network asks of the hardware (`summary`), and
//! what the simulator measured of its compiled layers (`paper`, with SVG
//! charts from `svg`).

pub mod check;
pub mod network;
pub mod paper;
pub mod parallel;
pub mod summary;
pub mod svg;

pub use summary::{LayerSummary, Summary};
