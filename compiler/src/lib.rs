//! The compiler proper: pass pipelines over the dialects of `rram-dialects`
//! and the passes of `rram-passes`.

pub mod pipeline;
