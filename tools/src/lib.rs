//! The command-line tools, as libraries so that tests can run them in-process.
//! Each `src/bin/*.rs` is a thin wrapper around one module here.

mod inputs;
mod network;
pub mod opt;
mod output;
mod progress;
pub mod rramc;
pub mod sim;
pub mod translate;
