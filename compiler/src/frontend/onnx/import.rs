//! The walk over the graph: graph inputs, initializers, the nodes in
//! topological order, graph outputs; and the values the nodes exchange.

use super::attributes::Attributes;
use super::constant::{decode, element_count, type_name, Constant, Data, ExternalFiles, Values};
use super::graph::{node_error, node_name, topological_order};
use super::proto::{DataType, DimensionValue, GraphProto, ModelProto, NodeProto, ValueInfoProto};
use super::{quoted, OnnxError};
use crate::frontend::{Network, Ref, WeightData};
use prost::Message;
use rram_dialects::nn::{fmt_shape, NnOp};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::rc::Rc;

pub(super) fn import(bytes: &[u8], file: &str, directory: Option<&Path>) -> Result<Network, OnnxError> {
    let not_a_model = |message: String| OnnxError::NotAModel { file: file.to_string(), message };
    let model = ModelProto::decode(bytes).map_err(|error| not_a_model(error.to_string()))?;
    let graph = model.graph.as_ref().ok_or_else(|| not_a_model("the file holds no graph".into()))?;
    let opset = model
        .opset_import
        .iter()
        .filter(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map(|o| o.version)
        .max()
        .ok_or_else(|| not_a_model("it imports no version of the standard operator set (opset_import)".into()))?;

    let mut importer = Importer::new(file, graph, opset, directory, network_name(file, &graph.name));
    importer.read_inputs()?;
    for index in topological_order(graph, file)? {
        let node = NodeContext::new(&graph.node[index], index);
        importer.convert_node(&node).map_err(|message| node_error(file, graph, index, message))?;
    }
    importer.finish()
}

/// The name of the network: the file name up to its first dot
/// (`resnet18.struct.onnx` -> `resnet18`), else the graph's name.
fn network_name(file: &str, graph_name: &str) -> String {
    let file_name = Path::new(file).file_name().and_then(|n| n.to_str()).unwrap_or_default();
    match file_name.split('.').next() {
        Some(stem) if !stem.is_empty() => stem.to_string(),
        _ if !graph_name.is_empty() => graph_name.to_string(),
        _ => "model".to_string(),
    }
}

/// A value that nodes exchange.
#[derive(Debug, Clone)]
pub(super) enum Value {
    /// Computed by the network: a graph input or the result of an op.
    Tensor(Ref),
    /// Known at import time; becomes an `nn.weight` where an op needs it as
    /// an operand.
    Constant(Rc<Constant>),
}

/// A `MatMul` whose only use is an `Add`: the dense op is written when the
/// `Add` shows whether it adds a bias.
pub(super) struct PendingDense {
    pub name: String,
    pub input: Ref,
    pub weight: Ref,
    pub out_features: i64,
}

/// One node being imported.
pub(super) struct NodeContext<'m> {
    pub proto: &'m NodeProto,
    pub name: String,
    pub attributes: Attributes<'m>,
}

impl<'m> NodeContext<'m> {
    fn new(proto: &'m NodeProto, index: usize) -> Self {
        NodeContext { proto, name: node_name(proto, index), attributes: Attributes(&proto.attribute) }
    }

    /// The name of input `i`, unless it is absent (an optional input left out).
    pub fn input(&self, i: usize) -> Option<&'m str> {
        self.proto.input.get(i).map(String::as_str).filter(|name| !name.is_empty())
    }

    pub fn output(&self, i: usize) -> Option<&'m str> {
        self.proto.output.get(i).map(String::as_str).filter(|name| !name.is_empty())
    }

    /// Checks that inputs `0..required` are given and no more than `max` are.
    pub fn expect_inputs(&self, required: usize, max: usize) -> Result<(), String> {
        let given = self.proto.input.len();
        if let Some(missing) = (0..required).find(|&i| self.input(i).is_none()) {
            return Err(format!("input #{missing} is required but missing"));
        }
        if given > max {
            let expected = if required == max { format!("{max}") } else { format!("{required} to {max}") };
            return Err(format!("expects {expected} inputs, got {given}"));
        }
        Ok(())
    }

    /// Checks that a node of any number of inputs (`Concat`, `Sum`) has at
    /// least one and leaves none out; returns how many.
    pub fn expect_variadic_inputs(&self) -> Result<usize, String> {
        let count = self.proto.input.len();
        if count == 0 {
            return Err("expects at least 1 input, got 0".into());
        }
        self.expect_inputs(count, count)?;
        Ok(count)
    }
}

pub(super) struct Importer<'m> {
    file: &'m str,
    graph: &'m GraphProto,
    /// The version of the standard operator set, which decides some defaults.
    pub opset: i64,
    pub network: Network,
    values: HashMap<&'m str, Value>,
    pub pending: HashMap<&'m str, PendingDense>,
    /// A zero `Pad` of height and width whose only use is a `Conv`, which
    /// takes its input and adds its pads (`[top, left, bottom, right]`).
    pub padded: HashMap<&'m str, (Ref, [i64; 4])>,
    /// Shapes the file records (value_info and graph outputs); `None` for a
    /// symbolic or unknown dimension.
    recorded: HashMap<&'m str, Vec<Option<i64>>>,
    /// For each value, the nodes that use it, once per use.
    consumers: HashMap<&'m str, Vec<usize>>,
    graph_outputs: HashSet<&'m str>,
    /// The `nn.weight` made for each constant, by name.
    weights: HashMap<String, Ref>,
    pub external: ExternalFiles<'m>,
}

impl<'m> Importer<'m> {
    fn new(file: &'m str, graph: &'m GraphProto, opset: i64, directory: Option<&'m Path>, name: String) -> Self {
        let mut recorded = HashMap::new();
        for info in graph.value_info.iter().chain(&graph.output) {
            if let Some(dims) = recorded_dims(info) {
                recorded.insert(info.name.as_str(), dims);
            }
        }
        let mut consumers: HashMap<&str, Vec<usize>> = HashMap::new();
        for (index, node) in graph.node.iter().enumerate() {
            for input in node.input.iter().filter(|i| !i.is_empty()) {
                consumers.entry(input.as_str()).or_default().push(index);
            }
        }
        Importer {
            file,
            graph,
            opset,
            network: Network { source_file: Some(file.to_string()), ..Network::new(name) },
            values: HashMap::new(),
            pending: HashMap::new(),
            padded: HashMap::new(),
            recorded,
            consumers,
            graph_outputs: graph.output.iter().map(|o| o.name.as_str()).collect(),
            weights: HashMap::new(),
            external: ExternalFiles::new(directory),
        }
    }

    fn graph_error(&self, message: String) -> OnnxError {
        OnnxError::Graph { file: self.file.to_string(), message }
    }

    /// Initializers become constants; the other graph inputs become the
    /// network's inputs, with a symbolic batch dimension set to 1.
    fn read_inputs(&mut self) -> Result<(), OnnxError> {
        for tensor in &self.graph.initializer {
            if !tensor.name.is_empty() && !self.values.contains_key(tensor.name.as_str()) {
                let constant = decode(tensor, &tensor.name, &mut self.external);
                self.values.insert(&tensor.name, Value::Constant(Rc::new(constant)));
            }
        }
        for info in &self.graph.input {
            if self.values.contains_key(info.name.as_str()) {
                continue;
            }
            let shape = self
                .input_shape(info)
                .map_err(|message| self.graph_error(format!("graph input '{}' {message}", quoted(&info.name))))?;
            let input = self.network.input(info.name.clone(), shape);
            self.values.insert(&info.name, Value::Tensor(input));
        }
        Ok(())
    }

    fn input_shape(&self, info: &ValueInfoProto) -> Result<Vec<i64>, String> {
        let tensor = info.r#type.as_ref().and_then(|t| t.tensor_type.as_ref()).ok_or("is not a tensor")?;
        if tensor.elem_type != DataType::Float as i32 {
            return Err(format!("has element type {}; only FLOAT inputs are supported", type_name(tensor.elem_type)));
        }
        let dims = &tensor.shape.as_ref().ok_or("has no shape")?.dim;
        let mut shape = Vec::with_capacity(dims.len());
        for (axis, dim) in dims.iter().enumerate() {
            shape.push(match &dim.value {
                Some(DimensionValue::DimValue(size)) if *size > 0 => *size,
                Some(DimensionValue::DimValue(size)) => return Err(format!("has a non-positive dimension {size}")),
                _ if axis == 0 => 1,
                Some(DimensionValue::DimParam(symbol)) => {
                    return Err(format!(
                    "has a symbolic dimension '{}' at axis {axis}; only the batch dimension (axis 0) may be symbolic",
                    quoted(symbol)
                ))
                }
                None => {
                    return Err(format!(
                        "has an unknown dimension at axis {axis}; only the batch dimension (axis 0) may be unknown"
                    ))
                }
            });
        }
        element_count(&shape)?;
        Ok(shape)
    }

    fn convert_node(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        self.convert(node)?;
        // Outputs an op does not define (MaxPool's indices, Dropout's mask,
        // BatchNormalization's training statistics) must not be used.
        for (i, output) in node.proto.output.iter().enumerate().filter(|(_, o)| !o.is_empty()) {
            let defined = self.values.contains_key(output.as_str())
                || self.pending.contains_key(output.as_str())
                || self.padded.contains_key(output.as_str());
            let used = self.consumers.contains_key(output.as_str()) || self.graph_outputs.contains(output.as_str());
            if !defined && used {
                return Err(format!("output #{i} '{}' is not supported", quoted(output)));
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Network, OnnxError> {
        if self.graph.output.is_empty() {
            return Err(self.graph_error("the graph has no outputs".into()));
        }
        for output in &self.graph.output {
            let name = quoted(&output.name);
            match self.values.get(output.name.as_str()) {
                Some(Value::Tensor(value)) => self.network.outputs.push(*value),
                Some(Value::Constant(_)) => {
                    return Err(self.graph_error(format!(
                        "graph output '{name}' is a constant; only values computed from the inputs can be outputs"
                    )))
                }
                None => {
                    return Err(self.graph_error(format!("graph output '{name}' is not produced by any node or input")))
                }
            }
        }
        Ok(self.network)
    }

    /// The value of input `i`, which must be given.
    pub fn value(&self, node: &NodeContext, i: usize) -> Result<Value, String> {
        let name = node.input(i).ok_or_else(|| format!("input #{i} is required but missing"))?;
        self.values.get(name).cloned().ok_or_else(|| format!("input '{}' is not defined", quoted(name)))
    }

    /// Input `i` as an operand of an op: a constant becomes a weight.
    pub fn tensor(&mut self, node: &NodeContext, i: usize) -> Result<Ref, String> {
        match self.value(node, i)? {
            Value::Tensor(value) => Ok(value),
            Value::Constant(constant) => self.weight(&constant),
        }
    }

    /// Input `i`, which must be known at import time.
    pub fn constant(&self, node: &NodeContext, i: usize) -> Result<Rc<Constant>, String> {
        match self.value(node, i)? {
            Value::Constant(constant) => Ok(constant),
            Value::Tensor(_) => Err(format!(
                "input #{i} '{}' must be a constant (an initializer or a value computed at import time)",
                quoted(node.input(i).unwrap_or_default())
            )),
        }
    }

    /// The `nn.weight` holding `constant`, made once per name; its values go
    /// into [`Network::weights`] when the file holds them.
    pub fn weight(&mut self, constant: &Constant) -> Result<Ref, String> {
        let name = quoted(&constant.name);
        if constant.data_type != DataType::Float as i32 {
            return Err(format!(
                "'{name}' has data type {}; operands of the network must be FLOAT",
                type_name(constant.data_type)
            ));
        }
        if let Some(&made) = self.weights.get(&constant.name) {
            let shape = self.network.shape(made);
            if shape != constant.dims.as_slice() {
                return Err(format!(
                    "weight '{name}' is needed as {} and as {}",
                    fmt_shape(shape),
                    fmt_shape(&constant.dims)
                ));
            }
            return Ok(made);
        }
        let values = match &constant.values {
            Values::Known(Data::Float(values)) => Some(values.clone()),
            Values::Known(Data::Int(_)) | Values::Missing => None,
            Values::Unreadable(why) => return Err(format!("cannot read the values of '{name}': {why}")),
        };
        element_count(&constant.dims).map_err(|why| format!("weight '{name}': {why}"))?;
        let weight = self.network.weight(constant.name.clone(), constant.dims.clone()).map_err(|e| e.message)?;
        if let Some(values) = values {
            self.network.weights.insert(constant.name.clone(), WeightData { shape: constant.dims.clone(), values });
        }
        self.weights.insert(constant.name.clone(), weight);
        Ok(weight)
    }

    /// The `nn.weight` of a constant the importer changed (transposed,
    /// scaled) under a name of its own, which must not be a name the file
    /// uses for other values.
    pub fn changed_weight(&mut self, constant: &Constant) -> Result<Ref, String> {
        if self.values.contains_key(constant.name.as_str()) {
            return Err(format!(
                "the name '{}' for a weight changed on import is already used in the file",
                quoted(&constant.name)
            ));
        }
        self.weight(constant)
    }

    /// Adds an op named `name`; its result shape is inferred by the dialect.
    pub fn add(&mut self, name: &str, op: NnOp, inputs: &[Ref]) -> Result<Ref, String> {
        let value = self.network.add(name, op, inputs).map_err(|e| e.message)?;
        element_count(self.network.shape(value))?;
        Ok(value)
    }

    pub fn reshape(&mut self, name: &str, input: Ref, shape: Vec<i64>) -> Result<Ref, String> {
        element_count(&shape)?;
        self.network.reshape(name, input, shape).map_err(|e| e.message)
    }

    /// Defines output `i` of `node`, if the node names one.
    pub fn define(&mut self, node: &NodeContext<'m>, i: usize, value: Value) -> Result<(), String> {
        match node.output(i) {
            Some(name) => self.bind(name, value),
            None => Ok(()),
        }
    }

    /// Names `value`, after checking it against the shape the file records.
    pub fn bind(&mut self, name: &'m str, value: Value) -> Result<(), String> {
        if let Some(recorded) = self.recorded.get(name) {
            let shape = match &value {
                Value::Tensor(tensor) => self.network.shape(*tensor),
                Value::Constant(constant) => &constant.dims,
            };
            let agrees = shape.len() == recorded.len()
                && shape.iter().zip(recorded).all(|(&dim, expected)| expected.is_none_or(|e| e == dim));
            if !agrees {
                let recorded: Vec<String> =
                    recorded.iter().map(|d| d.map_or_else(|| "?".to_string(), |d| d.to_string())).collect();
                return Err(format!(
                    "inferred shape {} for '{}', but the file records [{}]",
                    fmt_shape(shape),
                    quoted(name),
                    recorded.join(", ")
                ));
            }
        }
        self.values.insert(name, value);
        Ok(())
    }

    /// The node that alone uses `node`'s first output, if that output is not
    /// also a graph output.
    pub fn sole_consumer(&self, node: &NodeContext) -> Option<&'m NodeProto> {
        let output = node.output(0)?;
        match self.consumers.get(output).map(Vec::as_slice) {
            Some(&[consumer]) if !self.graph_outputs.contains(output) => Some(&self.graph.node[consumer]),
            _ => None,
        }
    }
}

/// The dimensions a value info records, if it records a tensor shape.
fn recorded_dims(info: &ValueInfoProto) -> Option<Vec<Option<i64>>> {
    let shape = info.r#type.as_ref()?.tensor_type.as_ref()?.shape.as_ref()?;
    Some(
        shape
            .dim
            .iter()
            .map(|dim| match dim.value {
                Some(DimensionValue::DimValue(size)) if size > 0 => Some(size),
                _ => None,
            })
            .collect(),
    )
}
