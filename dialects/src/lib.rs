//! The `nn`, `xbar` and `msg` dialects and the one safe, typed Rust layer over
//! MLIR (through melior). All `unsafe` code and raw MLIR handles stay in this
//! crate; passes work with [`Module`], [`Op`], [`Value`] and the typed views
//! in [`nn`], [`xbar`] and [`msg`].

mod attrs;
mod context;
mod diagnostic;
mod ir;
pub mod msg;
pub mod nn;
mod verify;
pub mod xbar;

pub use attrs::AttrResult;
pub use context::{irdl_definitions, Context, UPSTREAM_PASSES};
pub use diagnostic::{Diagnostic, Diagnostics, Error, Location, Severity};
pub use ir::{
    float_literal, string_literal, tensor_type_text, Attribute, AttributeValue, Module, Op, OpBuilder, OpId, Type,
    Value,
};
