//! Invariants of `msg` programs: every op sits in a `func.func` that names its
//! core with a `msg.core` attribute, each core has one program, and
//! addresses, sizes and operation kinds are valid.

use crate::attrs::{i64_attr, string_attr, AttrResult};
use crate::ir::Op;

/// The discardable attribute that marks a `func.func` as the program of a core.
pub const CORE_ATTRIBUTE: &str = "msg.core";

/// Traffic classes of loads and stores, as the simulator accounts them.
pub const TRAFFIC_CLASSES: [&str; 4] = ["input", "partial", "output", "sync"];

/// Vector-unit operations and how many source vectors each reads.
pub const ALU_OPS: [(&str, usize); 6] = [("add", 2), ("bias", 2), ("relu", 1), ("clip", 1), ("max", 2), ("avg", 2)];

/// The core a program (`func.func`) runs on, if it is one.
pub fn program_core(func: &Op) -> Option<AttrResult<i64>> {
    func.attribute(CORE_ATTRIBUTE).map(|_| i64_attr(func, CORE_ATTRIBUTE))
}

/// The verifier of `msg` ops and of `func.func`s that carry `msg.core`.
pub fn verify(op: &Op) -> AttrResult<()> {
    let name = op.name();
    if name == "func.func" {
        return verify_program(op);
    }
    if !name.starts_with("msg.") {
        return Ok(());
    }
    let mut ancestor = op.parent();
    while let Some(a) = ancestor {
        if a.name() == "func.func" {
            break;
        }
        ancestor = a.parent();
    }
    if ancestor.and_then(|f| program_core(&f)).is_none() {
        return Err(format!("must be inside a func.func with a '{CORE_ATTRIBUTE}' attribute"));
    }
    let non_negative = |attr: &str| {
        let value = i64_attr(op, attr)?;
        if value < 0 {
            return Err(format!("attribute '{attr}' must be non-negative, got {value}"));
        }
        Ok(value)
    };
    match name.as_str() {
        "msg.load" | "msg.store" => {
            if non_negative("bytes")? == 0 {
                return Err("attribute 'bytes' must be positive, got 0".into());
            }
            non_negative("local")?;
            let class = string_attr(op, "class")?;
            if !TRAFFIC_CLASSES.contains(&class.as_str()) {
                return Err(format!("attribute 'class' must be one of {TRAFFIC_CLASSES:?}, got \"{class}\""));
            }
        }
        "msg.mvm" => {
            for attr in ["crossbar", "src", "dst"] {
                non_negative(attr)?;
            }
        }
        "msg.alu" => {
            let kind = string_attr(op, "op")?;
            let arity = ALU_OPS.iter().find(|(k, _)| *k == kind).map(|(_, n)| *n).ok_or_else(|| {
                format!("attribute 'op' must be one of {:?}, got \"{kind}\"", ALU_OPS.map(|(k, _)| k))
            })?;
            let srcs =
                op.attribute("srcs").and_then(|a| a.as_i64_array()).ok_or("attribute 'srcs' must be an array<i64>")?;
            if srcs.len() != arity || srcs.iter().any(|&s| s < 0) {
                return Err(format!("'{kind}' reads {arity} non-negative local addresses, got srcs = {srcs:?}"));
            }
            non_negative("dst")?;
            if non_negative("len")? == 0 {
                return Err("attribute 'len' must be positive, got 0".into());
            }
        }
        "msg.call" => {
            non_negative("core")?;
        }
        "msg.barrier" => {
            non_negative("id")?;
        }
        _ => {}
    }
    Ok(())
}

fn verify_program(func: &Op) -> AttrResult<()> {
    let Some(core) = program_core(func) else {
        return Ok(());
    };
    let core = core?;
    if core < 0 {
        return Err(format!("attribute '{CORE_ATTRIBUTE}' must be non-negative, got {core}"));
    }
    let siblings = func.parent().map(|p| p.body()).unwrap_or_default();
    let first_with_core =
        siblings.iter().find(|f| f.name() == "func.func" && matches!(program_core(f), Some(Ok(c)) if c == core));
    if first_with_core.is_some_and(|f| f != func) {
        return Err(format!("core {core} already has a program"));
    }
    Ok(())
}
