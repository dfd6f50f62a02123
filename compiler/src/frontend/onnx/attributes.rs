//! Typed access to a node's attributes: an attribute of the wrong type is an
//! error, never reinterpreted.

use super::proto::{AttributeProto, AttributeType, TensorProto};
use super::quoted;

/// The attributes of one node.
#[derive(Clone, Copy)]
pub(super) struct Attributes<'a>(pub &'a [AttributeProto]);

impl<'a> Attributes<'a> {
    /// The attribute `name` if present, checked to be of type `expected`.
    fn find(&self, name: &str, expected: AttributeType) -> Result<Option<&'a AttributeProto>, String> {
        let Some(attribute) = self.0.iter().find(|a| a.name == name) else {
            return Ok(None);
        };
        if attribute.r#type == expected as i32 {
            Ok(Some(attribute))
        } else {
            Err(format!(
                "attribute '{name}' must be {}, got {}",
                type_name(expected as i32),
                type_name(attribute.r#type)
            ))
        }
    }

    pub fn optional_int(&self, name: &str) -> Result<Option<i64>, String> {
        Ok(self.find(name, AttributeType::Int)?.map(|a| a.i))
    }

    pub fn int(&self, name: &str, default: i64) -> Result<i64, String> {
        Ok(self.optional_int(name)?.unwrap_or(default))
    }

    /// A 0/1 flag such as `ceil_mode`.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, String> {
        match self.int(name, i64::from(default))? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(format!("attribute '{name}' must be 0 or 1, got {other}")),
        }
    }

    pub fn optional_float(&self, name: &str) -> Result<Option<f32>, String> {
        Ok(self.find(name, AttributeType::Float)?.map(|a| a.f))
    }

    pub fn float(&self, name: &str, default: f32) -> Result<f32, String> {
        Ok(self.optional_float(name)?.unwrap_or(default))
    }

    pub fn ints(&self, name: &str) -> Result<Option<&'a [i64]>, String> {
        Ok(self.find(name, AttributeType::Ints)?.map(|a| a.ints.as_slice()))
    }

    pub fn floats(&self, name: &str) -> Result<Option<&'a [f32]>, String> {
        Ok(self.find(name, AttributeType::Floats)?.map(|a| a.floats.as_slice()))
    }

    pub fn string(&self, name: &str, default: &str) -> Result<String, String> {
        match self.find(name, AttributeType::String)? {
            None => Ok(default.to_string()),
            Some(a) => String::from_utf8(a.s.clone()).map_err(|_| format!("attribute '{name}' is not valid UTF-8")),
        }
    }

    pub fn tensor(&self, name: &str) -> Result<Option<&'a TensorProto>, String> {
        self.find(name, AttributeType::Tensor)?
            .map(|a| a.t.as_ref().ok_or_else(|| format!("attribute '{name}' has type TENSOR but holds no tensor")))
            .transpose()
    }

    pub fn names(&self) -> impl Iterator<Item = String> + 'a {
        self.0.iter().map(|a| quoted(&a.name))
    }
}

/// The name ONNX gives an attribute type, e.g. `INTS`.
fn type_name(attribute_type: i32) -> String {
    let name = match AttributeType::try_from(attribute_type) {
        Ok(AttributeType::Undefined) => "UNDEFINED",
        Ok(AttributeType::Float) => "FLOAT",
        Ok(AttributeType::Int) => "INT",
        Ok(AttributeType::String) => "STRING",
        Ok(AttributeType::Tensor) => "TENSOR",
        Ok(AttributeType::Graph) => "GRAPH",
        Ok(AttributeType::Floats) => "FLOATS",
        Ok(AttributeType::Ints) => "INTS",
        Ok(AttributeType::Strings) => "STRINGS",
        Ok(AttributeType::Tensors) => "TENSORS",
        Ok(AttributeType::Graphs) => "GRAPHS",
        Ok(AttributeType::SparseTensor) => "SPARSE_TENSOR",
        Ok(AttributeType::SparseTensors) => "SPARSE_TENSORS",
        Ok(AttributeType::TypeProto) => "TYPE_PROTO",
        Ok(AttributeType::TypeProtos) => "TYPE_PROTOS",
        Err(_) => return format!("attribute type {attribute_type}"),
    };
    name.to_string()
}
