//! The compiler proper: frontends that bring networks in, and pass pipelines
//! over the dialects of `rram-dialects` and the passes of `rram-passes`.

pub mod arch;
pub mod frontend;
pub mod graph;
pub mod isa;
pub mod lower_msg;
pub mod pipeline;
pub mod reference;
pub mod report;
pub mod sim;
pub mod whole_network;
