//! A network as plain data: inputs, nodes in topological order, outputs,
//! and the weight data where it is known.

use rram_dialects::nn::{fmt_shape, NnOp};
use rram_dialects::{string_literal, tensor_type_text};
use std::collections::BTreeMap;
use std::fmt::Write;

/// A value of the network: a graph input or the output of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ref {
    Input(usize),
    Node(usize),
}

/// One operation with its inputs and the shape it produces.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the node comes from (the ONNX node name, or a layer name of the
    /// zoo); kept as the op's location in the IR.
    pub name: String,
    pub op: NnOp,
    pub inputs: Vec<Ref>,
    pub shape: Vec<i64>,
}

/// The values of a named weight, in row-major order of its shape.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightData {
    pub shape: Vec<i64>,
    pub values: Vec<f32>,
}

/// A node that cannot be added, named by the node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("node '{node}' ({op}): {message}")]
pub struct NetworkError {
    pub node: String,
    pub op: &'static str,
    pub message: String,
}

/// A network: the common output of every frontend.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Network {
    pub name: String,
    /// Graph inputs: name and shape.
    pub inputs: Vec<(String, Vec<i64>)>,
    /// In topological order: every input of a node is defined before it.
    pub nodes: Vec<Node>,
    pub outputs: Vec<Ref>,
    /// Data of the `nn.weight` nodes whose values are known, by weight name.
    pub weights: BTreeMap<String, WeightData>,
    /// The file the network was read from (an ONNX model), if any: every
    /// op's location names it, so that errors name the file and the node.
    pub source_file: Option<String>,
}

impl Network {
    pub fn new(name: impl Into<String>) -> Self {
        Network { name: name.into(), ..Default::default() }
    }

    pub fn input(&mut self, name: impl Into<String>, shape: Vec<i64>) -> Ref {
        self.inputs.push((name.into(), shape));
        Ref::Input(self.inputs.len() - 1)
    }

    pub fn shape(&self, value: Ref) -> &[i64] {
        match value {
            Ref::Input(i) => &self.inputs[i].1,
            Ref::Node(i) => &self.nodes[i].shape,
        }
    }

    /// A named weight of `shape` (its data, if any, goes in `weights`).
    pub fn weight(&mut self, name: impl Into<String>, shape: Vec<i64>) -> Result<Ref, NetworkError> {
        let name = name.into();
        self.push(name.clone(), NnOp::Weight { name }, &[], Some(shape))
    }

    /// Adds `op` applied to `inputs`; its shape is checked and inferred with
    /// the dialect's own rules, so the IR written later verifies.
    pub fn add(&mut self, name: impl Into<String>, op: NnOp, inputs: &[Ref]) -> Result<Ref, NetworkError> {
        self.push(name.into(), op, inputs, None)
    }

    /// A reshape of `input` to `shape` (element counts must agree).
    pub fn reshape(&mut self, name: impl Into<String>, input: Ref, shape: Vec<i64>) -> Result<Ref, NetworkError> {
        self.push(name.into(), NnOp::Reshape, &[input], Some(shape))
    }

    fn push(
        &mut self,
        name: String,
        op: NnOp,
        inputs: &[Ref],
        declared: Option<Vec<i64>>,
    ) -> Result<Ref, NetworkError> {
        let error = |message: String| NetworkError { node: name.clone(), op: op.name(), message };
        for &input in inputs {
            let defined = match input {
                Ref::Input(i) => i < self.inputs.len(),
                Ref::Node(i) => i < self.nodes.len(),
            };
            if !defined {
                return Err(error(format!("input {input:?} is not defined before the node")));
            }
        }
        let shapes: Vec<Vec<i64>> = inputs.iter().map(|&r| self.shape(r).to_vec()).collect();
        if let Some(shape) = declared.as_ref().filter(|s| s.iter().any(|&d| d <= 0)) {
            return Err(error(format!("shape {} has a non-positive dimension", fmt_shape(shape))));
        }
        op.check_attributes().map_err(&error)?;
        op.check_shapes(&shapes).map_err(&error)?;
        let shape = op.infer_from_shapes(&shapes, declared.as_deref()).map_err(&error)?;
        self.nodes.push(Node { name, op, inputs: inputs.to_vec(), shape });
        Ok(Ref::Node(self.nodes.len() - 1))
    }

    /// The network as `nn` dialect MLIR: one `func.func` named after the
    /// network, one op per node, each located at its node's name (inputs at
    /// theirs, the function at the network's), in its source file if it has
    /// one (`loc("conv1"("model.onnx":0:0))`: the file, no line), so that
    /// printing with locations names every op after where it came from.
    pub fn to_mlir(&self) -> String {
        let loc = |name: &str| match &self.source_file {
            Some(file) => format!("loc({}({}:0:0))", string_literal(name), string_literal(file)),
            None => format!("loc({})", string_literal(name)),
        };
        let value = |r: Ref| match r {
            Ref::Input(i) => format!("%arg{i}"),
            Ref::Node(i) => format!("%{i}"),
        };
        let arguments: Vec<String> = self
            .inputs
            .iter()
            .enumerate()
            .map(|(i, (name, shape))| format!("%arg{i}: {} {}", tensor_type_text(shape), loc(name)))
            .collect();
        let results: Vec<String> = self.outputs.iter().map(|&r| tensor_type_text(self.shape(r))).collect();
        let mut text = format!(
            "module {{\nfunc.func @{}({}) -> ({}) {{\n",
            symbol_name(&self.name),
            arguments.join(", "),
            results.join(", ")
        );
        for (i, node) in self.nodes.iter().enumerate() {
            let operands: Vec<String> = node.inputs.iter().map(|&r| value(r)).collect();
            let operand_types: Vec<String> = node.inputs.iter().map(|&r| tensor_type_text(self.shape(r))).collect();
            let attributes: Vec<String> =
                node.op.attributes().iter().map(|(name, v)| format!("{name} = {}", v.to_mlir())).collect();
            let attributes =
                if attributes.is_empty() { String::new() } else { format!(" {{{}}}", attributes.join(", ")) };
            let _ = writeln!(
                text,
                "  %{i} = \"{}\"({}){attributes} : ({}) -> {} {}",
                node.op.name(),
                operands.join(", "),
                operand_types.join(", "),
                tensor_type_text(&node.shape),
                loc(&node.name)
            );
        }
        let outputs: Vec<String> = self.outputs.iter().map(|&r| value(r)).collect();
        let network = loc(&self.name);
        let _ = writeln!(text, "  return {} : {} {network}", outputs.join(", "), results.join(", "));
        let _ = writeln!(text, "}} {network}\n}} {network}");
        text
    }
}

/// A valid MLIR symbol: letters, digits, `_`, `.`, `$`; others become `_`.
fn symbol_name(name: &str) -> String {
    let mut symbol: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$') { c } else { '_' }).collect();
    if !symbol.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        symbol.insert(0, '_');
    }
    symbol
}
