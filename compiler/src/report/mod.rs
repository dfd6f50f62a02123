//! Reports for users: what a network asks of the hardware, and (later) what
//! the simulator measured.

pub mod summary;

pub use summary::{LayerSummary, Summary};
