//! Reading required attributes with checks, shared by the op views.

use crate::ir::Op;

/// Why an attribute could not be read; the verifiers prefix the op name.
pub type AttrResult<T> = Result<T, String>;

pub fn i64_attr(op: &Op, name: &str) -> AttrResult<i64> {
    op.attribute(name).and_then(|a| a.as_i64()).ok_or_else(|| format!("attribute '{name}' must be an integer"))
}

/// A float attribute; every float attribute of ours is an f32, so this is exact.
pub fn f32_attr(op: &Op, name: &str) -> AttrResult<f32> {
    op.attribute(name)
        .and_then(|a| a.as_f64())
        .map(|v| v as f32)
        .ok_or_else(|| format!("attribute '{name}' must be a float"))
}

pub fn bool_attr(op: &Op, name: &str) -> AttrResult<bool> {
    match i64_attr(op, name) {
        Ok(0) => Ok(false),
        Ok(1) => Ok(true),
        _ => Err(format!("attribute '{name}' must be a boolean (true or false)")),
    }
}

pub fn string_attr(op: &Op, name: &str) -> AttrResult<String> {
    op.attribute(name).and_then(|a| a.as_string()).ok_or_else(|| format!("attribute '{name}' must be a string"))
}

/// A dense i64 array of exactly `N` elements.
pub fn array_attr<const N: usize>(op: &Op, name: &str) -> AttrResult<[i64; N]> {
    let values = op
        .attribute(name)
        .and_then(|a| a.as_i64_array())
        .ok_or_else(|| format!("attribute '{name}' must be an array<i64> of {N} elements"))?;
    values.as_slice().try_into().map_err(|_| format!("attribute '{name}' must have {N} elements, got {}", values.len()))
}

/// Checks every element against a predicate described by `what`, e.g. "positive".
pub fn check_all<const N: usize>(
    name: &str,
    values: [i64; N],
    what: &str,
    ok: fn(i64) -> bool,
) -> AttrResult<[i64; N]> {
    if values.iter().all(|&v| ok(v)) {
        Ok(values)
    } else {
        Err(format!("attribute '{name}' must be {what}, got {values:?}"))
    }
}

pub fn positive(v: i64) -> bool {
    v > 0
}

pub fn non_negative(v: i64) -> bool {
    v >= 0
}
