//! The architecture inside a module: the `rram.arch` attribute of the
//! `builtin.module`, a dictionary with the fields of the architecture file
//! (every field resolved, defaults included), so that the chip a module
//! was compiled for travels with it from `rram-opt` to `rram-translate`
//! and `rram-sim`:
//!
//! ```text
//! module attributes {rram.arch = {clock_mhz = 1.0e+03 : f64, core = {count = 1024 : i64, crossbars = 1 : i64, ...},
//!                                 crossbar = {rows = 32 : i64, cols = 32 : i64, ...}, name = "xbar32-bus16", ...}}
//! ```
//!
//! Read back, it is validated like a file, so a hand-edited attribute with
//! a field out of range is an error naming the field.
//!
//! The architecture model itself is the `rram-arch` crate, re-exported here;
//! only its link to MLIR modules lives in the compiler.

use rram_dialects::{AttributeValue, Error, Module};
use serde_json::Value;

pub use rram_arch::*;

/// The module attribute that holds the chip the module is compiled for.
pub const ARCH_ATTRIBUTE: &str = "rram.arch";

/// The chip `module` carries, if any.
pub fn of_module(module: &Module) -> Result<Option<Architecture>, ArchError> {
    let Some(attribute) = module.operation().attribute(ARCH_ATTRIBUTE) else {
        return Ok(None);
    };
    let source_name = format!("{}: attribute '{ARCH_ATTRIBUTE}'", module.source_name());
    let invalid = |message: String| ArchError::Parse { source_name: source_name.clone(), position: None, message };
    let value = attribute
        .to_value()
        .ok_or_else(|| invalid("must be a dictionary of integers, floats, booleans and strings".into()))?;
    let architecture: Architecture = serde_json::from_value(to_json(&value))
        .map_err(|e| invalid(e.to_string().replace("struct ", "").replace('`', "'")))?;
    architecture.validate(&source_name)?;
    Ok(Some(architecture))
}

/// Records `chip` on `module`, replacing the one it carried.
pub fn attach_to(chip: &Architecture, module: &Module) -> Result<(), Error> {
    let json = serde_json::to_value(chip).map_err(|e| Error::Internal(format!("architecture as JSON: {e}")))?;
    let value =
        from_json(&json).ok_or_else(|| Error::Internal(format!("architecture '{}' as an attribute", chip.name)))?;
    module.operation().set_attribute(ARCH_ATTRIBUTE, &value)
}

fn to_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::I64(v) => Value::from(*v),
        AttributeValue::F32(v) => Value::from(f64::from(*v)),
        AttributeValue::F64(v) => Value::from(*v),
        AttributeValue::Bool(v) => Value::from(*v),
        AttributeValue::String(v) | AttributeValue::Text(v) => Value::from(v.as_str()),
        AttributeValue::I64Array(values) => Value::from(values.clone()),
        AttributeValue::Dictionary(entries) => {
            Value::Object(entries.iter().map(|(name, value)| (name.clone(), to_json(value))).collect())
        }
    }
}

/// `None` for what an architecture never holds (arrays, nulls).
fn from_json(value: &Value) -> Option<AttributeValue> {
    Some(match value {
        Value::Bool(v) => AttributeValue::Bool(*v),
        Value::Number(n) => match n.as_i64() {
            Some(v) => AttributeValue::I64(v),
            None => AttributeValue::F64(n.as_f64()?),
        },
        Value::String(v) => AttributeValue::String(v.clone()),
        Value::Object(entries) => AttributeValue::Dictionary(
            entries.iter().map(|(name, value)| Some((name.clone(), from_json(value)?))).collect::<Option<_>>()?,
        ),
        Value::Array(_) | Value::Null => return None,
    })
}
