//! Constant tensors: initializers, `Constant` nodes and what folding makes of
//! them, with their values decoded from the file where it holds them.

use super::proto::{DataLocation, DataType, TensorProto};
use super::quoted;
use rram_dialects::nn::fmt_shape;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// The most elements a tensor may have. Far above any CNN layer, and low
/// enough that no shape arithmetic of ours or the dialect's can overflow.
pub(super) const MAX_ELEMENTS: i64 = 1 << 40;

/// The most elements folding computes values for (`ConstantOfShape`,
/// broadcasting products, transposes): constants of a network are shape
/// vectors and per-channel factors, far smaller.
const MAX_FOLDED_ELEMENTS: i64 = 1 << 24;

/// Decoded values: floating-point types as `f32`, integer and boolean types
/// as `i64`.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Data {
    Float(Vec<f32>),
    Int(Vec<i64>),
}

impl Data {
    pub fn len(&self) -> usize {
        match self {
            Data::Float(values) => values.len(),
            Data::Int(values) => values.len(),
        }
    }

    /// The values at `indices`, in that order; each is below `len()`.
    fn select(&self, indices: &[usize]) -> Data {
        match self {
            Data::Float(values) => Data::Float(indices.iter().map(|&i| values[i]).collect()),
            Data::Int(values) => Data::Int(indices.iter().map(|&i| values[i]).collect()),
        }
    }
}

/// What the file holds of a constant's values.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Values {
    Known(Data),
    /// Not in the file: external data whose file is missing, or a
    /// structure-only export. Shapes still work; values do not.
    Missing,
    /// In the file but unusable; the error is raised only if a node needs it.
    Unreadable(String),
}

/// A tensor whose value is fixed when the file is read.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Constant {
    /// The initializer or value name; a weight made from it keeps this name.
    pub name: String,
    pub data_type: i32,
    pub dims: Vec<i64>,
    pub values: Values,
}

impl Constant {
    /// The integer values, as shape computations need them.
    pub fn ints(&self) -> Result<&[i64], String> {
        match self.known()? {
            Data::Int(values) => Ok(values),
            Data::Float(_) => {
                Err(format!("'{}' must be an integer tensor, got {}", quoted(&self.name), type_name(self.data_type)))
            }
        }
    }

    /// The values, or why they cannot be used.
    pub fn known(&self) -> Result<&Data, String> {
        match &self.values {
            Values::Known(data) => Ok(data),
            Values::Missing => {
                Err(format!("needs the values of '{}', which the file does not hold", quoted(&self.name)))
            }
            Values::Unreadable(why) => Err(format!("cannot read the values of '{}': {why}", quoted(&self.name))),
        }
    }

    /// The single value of a scalar or one-element tensor, as a float.
    pub fn scalar(&self) -> Result<f32, String> {
        let data = self.known()?;
        if data.len() != 1 {
            return Err(format!("'{}' must hold one value, got shape {}", quoted(&self.name), fmt_shape(&self.dims)));
        }
        Ok(match data {
            Data::Float(values) => values[0],
            Data::Int(values) => values[0] as f32,
        })
    }

    /// Whether the values are of an integer or boolean type.
    pub fn is_integer(&self) -> bool {
        is_integer_type(self.data_type)
    }

    /// The same values under new dimensions (element counts agree).
    pub fn with_dims(&self, name: &str, dims: Vec<i64>) -> Constant {
        Constant { name: name.to_string(), data_type: self.data_type, dims, values: self.values.clone() }
    }

    /// The transpose that makes axis `i` of the result axis `perm[i]` of
    /// this constant (`perm` a permutation of the axes).
    pub fn transposed(&self, name: &str, perm: &[usize]) -> Result<Constant, String> {
        let strides = row_major_strides(&self.dims);
        let dims: Vec<i64> = perm.iter().map(|&axis| self.dims[axis]).collect();
        let source_strides: Vec<usize> = perm.iter().map(|&axis| strides[axis]).collect();
        self.rearranged(name, dims, &source_strides)
    }

    /// The values broadcast to `dims` by the ONNX (numpy) rule; the
    /// dimensions must broadcast (see [`broadcast_dims`]).
    pub fn broadcast_to(&self, name: &str, dims: &[i64]) -> Result<Constant, String> {
        let strides = row_major_strides(&self.dims);
        let offset = dims.len() - self.dims.len();
        let source_strides: Vec<usize> = (0..dims.len())
            .map(|axis| match axis.checked_sub(offset) {
                Some(own) if self.dims[own] != 1 => strides[own],
                _ => 0,
            })
            .collect();
        self.rearranged(name, dims.to_vec(), &source_strides)
    }

    /// A constant of `dims` whose element at index `(i0, i1, ...)` is this
    /// constant's element `i0 * source_strides[0] + i1 * source_strides[1] + ...`.
    fn rearranged(&self, name: &str, dims: Vec<i64>, source_strides: &[usize]) -> Result<Constant, String> {
        let values = match &self.values {
            Values::Known(data) => {
                // Bounds the strides as well as the result.
                element_count(&self.dims)?;
                let count = element_count(&dims)?;
                if count > MAX_FOLDED_ELEMENTS {
                    return Err(format!(
                        "folding '{}' into {} would compute more than {MAX_FOLDED_ELEMENTS} values, which is not \
                         supported",
                        quoted(&self.name),
                        fmt_shape(&dims)
                    ));
                }
                let mut indices = vec![0usize];
                for (&size, &stride) in dims.iter().zip(source_strides) {
                    indices =
                        indices.iter().flat_map(|&base| (0..size as usize).map(move |i| base + i * stride)).collect();
                }
                if indices.iter().any(|&i| i >= data.len()) {
                    return Err(format!(
                        "'{}' holds {} values for shape {}",
                        quoted(&self.name),
                        data.len(),
                        fmt_shape(&self.dims)
                    ));
                }
                Values::Known(data.select(&indices))
            }
            other => other.clone(),
        };
        Ok(Constant { name: name.to_string(), data_type: self.data_type, dims, values })
    }
}

/// The elementwise product of two constants of one data type, broadcast by
/// the ONNX (numpy) rule.
pub(super) fn product(lhs: &Constant, rhs: &Constant, name: &str) -> Result<Constant, String> {
    if lhs.data_type != rhs.data_type {
        return Err(format!(
            "'{}' is {} but '{}' is {}; the operands must have one data type",
            quoted(&lhs.name),
            type_name(lhs.data_type),
            quoted(&rhs.name),
            type_name(rhs.data_type)
        ));
    }
    let dims = broadcast_dims(&lhs.dims, &rhs.dims).ok_or_else(|| {
        format!(
            "'{}' of shape {} and '{}' of shape {} do not broadcast",
            quoted(&lhs.name),
            fmt_shape(&lhs.dims),
            quoted(&rhs.name),
            fmt_shape(&rhs.dims)
        )
    })?;
    element_count(&dims)?;
    let (lhs, rhs) = (lhs.broadcast_to(name, &dims)?, rhs.broadcast_to(name, &dims)?);
    let values = match (lhs.values, rhs.values) {
        (Values::Known(Data::Float(a)), Values::Known(Data::Float(b))) => {
            Values::Known(Data::Float(a.iter().zip(&b).map(|(x, y)| x * y).collect()))
        }
        (Values::Known(Data::Int(a)), Values::Known(Data::Int(b))) => {
            Values::Known(Data::Int(a.iter().zip(&b).map(|(x, y)| x.wrapping_mul(*y)).collect()))
        }
        (Values::Unreadable(why), _) | (_, Values::Unreadable(why)) => Values::Unreadable(why),
        _ => Values::Missing,
    };
    Ok(Constant { name: name.to_string(), data_type: lhs.data_type, dims, values })
}

/// The shape two shapes broadcast to by the ONNX (numpy) rule: aligned at
/// the last axis, each pair of dimensions equal or one of them 1.
fn broadcast_dims(lhs: &[i64], rhs: &[i64]) -> Option<Vec<i64>> {
    let rank = lhs.len().max(rhs.len());
    let padded = |dims: &[i64], axis: usize| (axis + dims.len()).checked_sub(rank).map_or(1, |own| dims[own]);
    (0..rank)
        .map(|axis| match (padded(lhs, axis), padded(rhs, axis)) {
            (a, b) if a == b || b == 1 => Some(a),
            (1, b) => Some(b),
            _ => None,
        })
        .collect()
}

/// How far apart consecutive indices of each axis are in row-major order.
fn row_major_strides(dims: &[i64]) -> Vec<usize> {
    let mut strides = vec![1usize; dims.len()];
    for axis in (0..dims.len().saturating_sub(1)).rev() {
        strides[axis] = strides[axis + 1] * dims[axis + 1].max(0) as usize;
    }
    strides
}

/// A tensor computed at import time (e.g. by `Shape`): `INT64` or `FLOAT`
/// as its data are.
pub(super) fn computed_constant(name: &str, dims: Vec<i64>, data: Data) -> Constant {
    let data_type = match data {
        Data::Int(_) => DataType::Int64,
        Data::Float(_) => DataType::Float,
    };
    Constant { name: name.to_string(), data_type: data_type as i32, dims, values: Values::Known(data) }
}

/// The element count of `dims`, if every dimension is non-negative and the
/// product of the non-zero ones stays within [`MAX_ELEMENTS`], so that no
/// product of some of the dimensions can overflow either.
pub(super) fn element_count(dims: &[i64]) -> Result<i64, String> {
    let mut nonzero: i64 = 1;
    for &dim in dims {
        if dim < 0 {
            return Err(format!("shape {} has a negative dimension", fmt_shape(dims)));
        }
        nonzero = nonzero.checked_mul(dim.max(1)).filter(|&c| c <= MAX_ELEMENTS).ok_or_else(|| {
            format!("shape {} has more than {MAX_ELEMENTS} elements, which is not supported", fmt_shape(dims))
        })?;
    }
    Ok(if dims.contains(&0) { 0 } else { nonzero })
}

/// The name ONNX gives a data type, e.g. `FLOAT`, or its number if unknown.
pub(super) fn type_name(data_type: i32) -> String {
    let name = match DataType::try_from(data_type) {
        Ok(DataType::Undefined) => "UNDEFINED",
        Ok(DataType::Float) => "FLOAT",
        Ok(DataType::Uint8) => "UINT8",
        Ok(DataType::Int8) => "INT8",
        Ok(DataType::Uint16) => "UINT16",
        Ok(DataType::Int16) => "INT16",
        Ok(DataType::Int32) => "INT32",
        Ok(DataType::Int64) => "INT64",
        Ok(DataType::String) => "STRING",
        Ok(DataType::Bool) => "BOOL",
        Ok(DataType::Float16) => "FLOAT16",
        Ok(DataType::Double) => "DOUBLE",
        Ok(DataType::Uint32) => "UINT32",
        Ok(DataType::Uint64) => "UINT64",
        Ok(DataType::Complex64) => "COMPLEX64",
        Ok(DataType::Complex128) => "COMPLEX128",
        Ok(DataType::Bfloat16) => "BFLOAT16",
        Err(_) => return format!("data type {data_type}"),
    };
    name.to_string()
}

pub(super) fn is_integer_type(data_type: i32) -> bool {
    matches!(
        DataType::try_from(data_type),
        Ok(DataType::Uint8
            | DataType::Int8
            | DataType::Uint16
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::Uint32
            | DataType::Uint64
            | DataType::Bool)
    )
}

/// Reads the external data files a model refers to, each at most once.
pub(super) struct ExternalFiles<'a> {
    /// The model's directory; `None` when the model came from memory.
    directory: Option<&'a Path>,
    files: HashMap<PathBuf, Option<Vec<u8>>>,
}

impl<'a> ExternalFiles<'a> {
    pub fn new(directory: Option<&'a Path>) -> Self {
        ExternalFiles { directory, files: HashMap::new() }
    }

    /// The bytes a tensor's `external_data` entries point to; `Ok(None)`
    /// when the data file is not there.
    fn read(&mut self, tensor: &TensorProto) -> Result<Option<Vec<u8>>, String> {
        let entry = |key: &str| tensor.external_data.iter().find(|e| e.key == key).map(|e| e.value.as_str());
        let location = entry("location").ok_or("external data without a 'location'")?;
        let relative = Path::new(location);
        if !relative.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(format!(
                "external data location '{}' must be a path below the model's directory",
                quoted(location)
            ));
        }
        let number = |key: &str| -> Result<Option<usize>, String> {
            entry(key)
                .map(|text| {
                    text.parse().map_err(|_| format!("external data '{key}' = '{}' is not a number", quoted(text)))
                })
                .transpose()
        };
        let (offset, length) = (number("offset")?.unwrap_or(0), number("length")?);
        let Some(directory) = self.directory else {
            return Ok(None);
        };
        let path = directory.join(relative);
        let bytes = self.files.entry(path.clone()).or_insert_with(|| std::fs::read(&path).ok());
        let Some(bytes) = bytes else {
            return Ok(None);
        };
        let end = match length {
            Some(length) => offset.checked_add(length),
            None => Some(bytes.len()),
        };
        match end.and_then(|end| bytes.get(offset..end)) {
            Some(slice) => Ok(Some(slice.to_vec())),
            None => Err(format!("external data at offset {offset} runs past the end of '{}'", quoted(location))),
        }
    }
}

/// The constant an initializer or a `Constant` node's tensor stands for.
pub(super) fn decode(tensor: &TensorProto, name: &str, external: &mut ExternalFiles) -> Constant {
    let values = match decode_values(tensor, external) {
        Ok(Some(data)) => Values::Known(data),
        Ok(None) => Values::Missing,
        Err(why) => Values::Unreadable(why),
    };
    Constant { name: name.to_string(), data_type: tensor.data_type, dims: tensor.dims.clone(), values }
}

fn decode_values(tensor: &TensorProto, external: &mut ExternalFiles) -> Result<Option<Data>, String> {
    let count = element_count(&tensor.dims)? as usize;
    let raw = if tensor.data_location == DataLocation::External as i32 {
        match external.read(tensor)? {
            Some(bytes) => Cow::Owned(bytes),
            None => return Ok(None),
        }
    } else {
        Cow::Borrowed(tensor.raw_data.as_slice())
    };
    let (width, typed) = match DataType::try_from(tensor.data_type) {
        Ok(DataType::Float) => (4, typed(&tensor.float_data, |&v| v).map(Data::Float)),
        Ok(DataType::Double) => (8, typed(&tensor.double_data, |&v| v as f32).map(Data::Float)),
        Ok(DataType::Int64) => (8, typed(&tensor.int64_data, |&v| v).map(Data::Int)),
        Ok(DataType::Int32) => (4, typed(&tensor.int32_data, |&v| i64::from(v)).map(Data::Int)),
        Ok(DataType::Int16 | DataType::Uint16) => (2, typed(&tensor.int32_data, |&v| i64::from(v)).map(Data::Int)),
        Ok(DataType::Int8 | DataType::Uint8 | DataType::Bool) => {
            (1, typed(&tensor.int32_data, |&v| i64::from(v)).map(Data::Int))
        }
        _ => return Err(format!("data type {} is not supported", type_name(tensor.data_type))),
    };
    if !raw.is_empty() {
        if raw.len() != count * width {
            return Err(format!("{} bytes of data for {count} elements of {width} bytes", raw.len()));
        }
        return Ok(Some(from_raw(tensor.data_type, &raw)));
    }
    match typed {
        Some(data) if data.len() == count => Ok(Some(data)),
        Some(data) => Err(format!("{} values for {count} elements", data.len())),
        None if count == 0 => Ok(Some(from_raw(tensor.data_type, &[]))),
        None => Ok(None),
    }
}

/// The values of a typed data field, if it has any.
fn typed<T, U>(values: &[T], convert: impl Fn(&T) -> U) -> Option<Vec<U>> {
    (!values.is_empty()).then(|| values.iter().map(convert).collect())
}

/// Little-endian fixed-width values of a supported type; the length is a
/// multiple of the width.
fn from_raw(data_type: i32, raw: &[u8]) -> Data {
    fn chunks<const N: usize>(raw: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
        raw.chunks_exact(N).map(|chunk| {
            let mut bytes = [0; N];
            bytes.copy_from_slice(chunk);
            bytes
        })
    }
    match DataType::try_from(data_type) {
        Ok(DataType::Float) => Data::Float(chunks(raw).map(f32::from_le_bytes).collect()),
        Ok(DataType::Double) => Data::Float(chunks(raw).map(|b| f64::from_le_bytes(b) as f32).collect()),
        Ok(DataType::Int64) => Data::Int(chunks(raw).map(i64::from_le_bytes).collect()),
        Ok(DataType::Int32) => Data::Int(chunks(raw).map(|b| i64::from(i32::from_le_bytes(b))).collect()),
        Ok(DataType::Int16) => Data::Int(chunks(raw).map(|b| i64::from(i16::from_le_bytes(b))).collect()),
        Ok(DataType::Uint16) => Data::Int(chunks(raw).map(|b| i64::from(u16::from_le_bytes(b))).collect()),
        Ok(DataType::Int8) => Data::Int(raw.iter().map(|&b| i64::from(b as i8)).collect()),
        // UINT8 and BOOL, the only other types `decode_values` lets through.
        _ => Data::Int(raw.iter().map(|&b| i64::from(b)).collect()),
    }
}
