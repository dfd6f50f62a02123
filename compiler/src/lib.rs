//! The compiler proper: frontends that bring networks in, and pass pipelines
//! over the dialects of `rram-dialects` and the passes of `rram-passes`.
//! The chip model (`rram-arch`), the instruction set (`rram-isa`) and the
//! simulator (`rram-sim`) are crates of their own, re-exported here under
//! their former paths.

pub mod arch;
pub mod frontend;
pub mod graph;
pub mod lower_msg;
pub mod pipeline;
pub mod quantize;
pub mod reference;
pub mod report;
pub mod whole_network;

pub use rram_isa as isa;
pub use rram_sim as sim;
