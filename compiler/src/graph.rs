//! The layer graph: an `nn` module (as the frontends write it, after
//! `nn-fold-batchnorm`) read into a DAG of layers, plain data that does not
//! borrow the module, for the whole-network passes (scheduling, weight
//! duplication, buffer planning) to build on.
//!
//! - A node is a layer: the network's inputs and outputs, conv (grouped and
//!   depthwise included), dense, max / average / global average pooling,
//!   residual add, concat, and a final softmax, which is left to the host.
//! - An activation (`nn.relu`, `nn.clip`) is fused into the layer before it
//!   (the vector unit applies it to the layer's outputs), and recorded there.
//! - `nn.flatten` and `nn.reshape` are folded into the edge: on the chip they
//!   move no data (a feature map is one buffer; the consumer reads it under
//!   another shape), so the consumer's input shape is the reshaped one.
//! - An edge says which layer's output feeds which operand of another.
//! - Weight computations (`nn.weight`, the per-channel arithmetic and
//!   `nn.scale_channels` of a folded batchnorm) read no feature map and are
//!   not layers.
//!
//! An op that reads a feature map and has no place here (a batchnorm that
//! was not folded, an activation with no layer before it to absorb it, an
//! op of another dialect) is an error naming the op and its location.

use petgraph::dot::{Config, Dot};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use rram_dialects::nn::{fmt_shape, static_shape, Conv2d, NnOp, Pool};
use rram_dialects::{Diagnostic, Diagnostics, Error, Location, Module, Op, OpId, Value};
use std::collections::HashMap;
use std::fmt;

/// An element-wise nonlinearity fused into the layer that computes its input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    Relu,
    /// A clamp to `[min, max]`; ReLU6 is `0..6`.
    Clip {
        min: f32,
        max: f32,
    },
}

/// An activation fused into a layer, with the op it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct FusedActivation {
    pub activation: Activation,
    pub name: String,
    pub location: Location,
}

/// What a layer computes, with its parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum LayerKind {
    /// The network's input number `index` (a parameter of its function).
    Input {
        index: usize,
    },
    /// A convolution with a `kernel` of `[kh, kw]`; grouped (depthwise
    /// where groups equal the input channels) by `conv.groups`.
    Conv {
        conv: Conv2d,
        kernel: [i64; 2],
        bias: bool,
    },
    Dense {
        bias: bool,
    },
    MaxPool(Pool),
    AvgPool {
        pool: Pool,
        count_include_pad: bool,
    },
    GlobalAvgPool,
    /// Element-wise sum of two feature maps (a residual connection).
    Add,
    Concat {
        axis: i64,
    },
    /// The network's last op, left to the host: the chip has no exponentials.
    Softmax {
        axis: i64,
    },
    /// The network's output number `index` (an operand of its return).
    Output {
        index: usize,
    },
}

impl LayerKind {
    /// A short word for the kind, as `rramc graph` prints it.
    pub fn word(&self) -> &'static str {
        match self {
            LayerKind::Input { .. } => "input",
            LayerKind::Conv { .. } => "conv",
            LayerKind::Dense { .. } => "dense",
            LayerKind::MaxPool(_) => "maxpool",
            LayerKind::AvgPool { .. } => "avgpool",
            LayerKind::GlobalAvgPool => "global_avgpool",
            LayerKind::Add => "add",
            LayerKind::Concat { .. } => "concat",
            LayerKind::Softmax { .. } => "softmax",
            LayerKind::Output { .. } => "output",
        }
    }

    /// Whether the chip computes this layer (the host does the softmax;
    /// inputs and outputs are data, not computations).
    pub fn runs_on_chip(&self) -> bool {
        !matches!(self, LayerKind::Input { .. } | LayerKind::Output { .. } | LayerKind::Softmax { .. })
    }

    /// Whether the vector unit writes this layer's outputs, so that it can
    /// apply an activation on the way.
    fn absorbs_activation(&self) -> bool {
        matches!(
            self,
            LayerKind::Conv { .. }
                | LayerKind::Dense { .. }
                | LayerKind::MaxPool(_)
                | LayerKind::AvgPool { .. }
                | LayerKind::GlobalAvgPool
                | LayerKind::Add
        )
    }
}

/// One node of the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// The name of its op's location (an imported op's ONNX node, a zoo
    /// layer's module name), else the op's kind and number in the graph.
    pub name: String,
    pub kind: LayerKind,
    /// The shapes of the feature maps it reads, by operand, as it reads
    /// them (after any folded reshape).
    pub inputs: Vec<Vec<i64>>,
    pub output: Vec<i64>,
    pub activation: Option<FusedActivation>,
    /// Where its op is, for errors of later passes.
    pub location: Location,
}

/// A layer's output feeding operand `operand` of another layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub operand: usize,
}

/// The layers of one network and what feeds what.
#[derive(Debug, Clone)]
pub struct LayerGraph {
    pub name: String,
    /// Nodes are added in program order, so their indices are a
    /// topological order; never changed after construction.
    graph: DiGraph<Layer, Edge>,
}

/// Where an SSA value of the network comes from.
#[derive(Debug, Clone)]
enum Source {
    /// A weight, or computed from weights only.
    Weight,
    /// A feature map: `layer`'s output, read under `shape`.
    Feature { layer: NodeIndex, shape: Vec<i64> },
}

impl LayerGraph {
    /// Reads the network function of `module` (its one `func.func`).
    pub fn from_module(module: &Module) -> Result<Self, Error> {
        let functions: Vec<Op> = module.operation().body().into_iter().filter(|op| op.name() == "func.func").collect();
        let [function] = functions.as_slice() else {
            return Err(module.operation().error(format!(
                "the layer graph reads a module of one network function, found {} 'func.func' ops",
                functions.len()
            )));
        };
        let name = function.attribute("sym_name").and_then(|a| a.as_string()).unwrap_or_default();
        let mut builder = Builder { graph: DiGraph::new(), arguments: Vec::new(), results: HashMap::new() };
        for (index, argument) in function.body_arguments().into_iter().enumerate() {
            let shape = static_shape(&argument, &format!("network input #{index}"))
                .map_err(|message| error_at(argument.location(), message))?;
            let location = argument.location();
            let name = location_name(&location).unwrap_or_else(|| format!("input#{index}"));
            let layer = Layer {
                name,
                kind: LayerKind::Input { index },
                inputs: Vec::new(),
                output: shape.clone(),
                activation: None,
                location,
            };
            let node = builder.graph.add_node(layer);
            builder.arguments.push(Source::Feature { layer: node, shape });
        }
        for op in function.body() {
            builder.add(&op)?;
        }
        Ok(LayerGraph { name, graph: builder.graph })
    }

    /// The DAG itself, for algorithms on it.
    pub fn graph(&self) -> &DiGraph<Layer, Edge> {
        &self.graph
    }

    pub fn layer(&self, node: NodeIndex) -> &Layer {
        &self.graph[node]
    }

    /// Every node, producers before consumers.
    pub fn topological_order(&self) -> impl Iterator<Item = NodeIndex> + '_ {
        self.graph.node_indices()
    }

    /// The layers feeding `node`, by operand.
    pub fn producers(&self, node: NodeIndex) -> Vec<NodeIndex> {
        let mut edges: Vec<(usize, NodeIndex)> =
            self.graph.edges_directed(node, Direction::Incoming).map(|e| (e.weight().operand, e.source())).collect();
        edges.sort_unstable();
        edges.into_iter().map(|(_, producer)| producer).collect()
    }

    /// How many layers of each kind word ([`LayerKind::word`]).
    pub fn count(&self, word: &str) -> usize {
        self.graph.node_weights().filter(|layer| layer.kind.word() == word).count()
    }

    /// The graph in Graphviz DOT: one box per layer, labelled like a line
    /// of [`LayerGraph`]'s text; edges labelled with the operand they feed.
    pub fn to_dot(&self) -> String {
        let labelled = self.graph.map(|_, layer| LayerLabel(layer), |_, edge| edge.operand);
        let node_attributes = |_, _| "shape=box".to_string();
        let dot =
            Dot::with_attr_getters(&labelled, &[Config::GraphContentOnly], &|_, _| String::new(), &node_attributes);
        format!("digraph {} {{\n{dot}}}\n", rram_dialects::string_literal(&self.name))
    }
}

/// A layer as one line: name, kind with its parameters, shapes, fused
/// activation.
struct LayerLabel<'a>(&'a Layer);

impl fmt::Display for LayerLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let layer = self.0;
        write!(f, "{} {}", layer.name, describe_kind(&layer.kind))?;
        let inputs: Vec<String> = layer.inputs.iter().map(|shape| dims(shape)).collect();
        if !inputs.is_empty() {
            write!(f, " {}", inputs.join(", "))?;
        }
        write!(f, " -> {}", dims(&layer.output))?;
        if let Some(fused) = &layer.activation {
            write!(f, " +{}", describe_activation(fused.activation))?;
        }
        Ok(())
    }
}

/// One line per layer in topological order: number, name, kind with its
/// parameters, input and output shapes, fused activation, producers.
impl fmt::Display for LayerGraph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {} layers", self.name, self.graph.node_count())?;
        for node in self.topological_order() {
            write!(f, "{:>4} {}", node.index(), LayerLabel(&self.graph[node]))?;
            let producers: Vec<String> = self.producers(node).iter().map(|p| format!("#{}", p.index())).collect();
            if !producers.is_empty() {
                write!(f, " <- {}", producers.join(", "))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

fn dims(shape: &[i64]) -> String {
    shape.iter().map(i64::to_string).collect::<Vec<_>>().join("x")
}

fn describe_kind(kind: &LayerKind) -> String {
    let window = |kernel: [i64; 2], strides: [i64; 2], pads: [i64; 4]| {
        format!("{}x{}/{}x{} pads {}", kernel[0], kernel[1], strides[0], strides[1], fmt_shape(&pads))
    };
    match kind {
        LayerKind::Input { index } | LayerKind::Output { index } => format!("{} #{index}", kind.word()),
        LayerKind::Conv { conv, kernel, bias } => {
            let mut text = format!("conv {}", window(*kernel, conv.strides, conv.pads));
            if conv.dilations != [1, 1] {
                text.push_str(&format!(" dilations {}", fmt_shape(&conv.dilations)));
            }
            if conv.groups > 1 {
                text.push_str(&format!(" groups {}", conv.groups));
            }
            if *bias {
                text.push_str(" bias");
            }
            text
        }
        LayerKind::Dense { bias } => format!("dense{}", if *bias { " bias" } else { "" }),
        LayerKind::MaxPool(pool) | LayerKind::AvgPool { pool, .. } => {
            let w = pool.window;
            let ceil = if pool.ceil_mode { " ceil" } else { "" };
            format!("{} {}{ceil}", kind.word(), window(w.kernel, w.strides, w.pads))
        }
        LayerKind::Concat { axis } => format!("concat axis {axis}"),
        LayerKind::Softmax { axis } => format!("softmax axis {axis} (host)"),
        LayerKind::GlobalAvgPool | LayerKind::Add => kind.word().to_string(),
    }
}

fn describe_activation(activation: Activation) -> String {
    match activation {
        Activation::Relu => "relu".into(),
        Activation::Clip { min, max } => format!("clip {min}..{max}"),
    }
}

/// The graph under construction and the source of every value read so far.
struct Builder {
    graph: DiGraph<Layer, Edge>,
    /// By parameter number of the network function.
    arguments: Vec<Source>,
    /// By defining op (every op result of one op shares its source: nn ops
    /// have one result, and a weight computation's results are all weights).
    results: HashMap<OpId, Source>,
}

impl Builder {
    fn source(&self, value: &Value) -> Source {
        let known = match value.defining_op() {
            Some(op) => self.results.get(&op.id()),
            None => value.argument_number().and_then(|i| self.arguments.get(i)),
        };
        // SSA order and flat ops: every value a top-level op reads is known;
        // anything else is defined outside the network function, so no feature map.
        known.cloned().unwrap_or(Source::Weight)
    }

    /// Adds what `op` contributes: a layer, a fused activation, a folded
    /// reshape, the network's outputs, or nothing for a weight computation.
    fn add(&mut self, op: &Op) -> Result<(), Error> {
        let operands: Vec<Source> = op.operands().iter().map(|v| self.source(v)).collect();
        if op.name() == "func.return" {
            return self.outputs(op, &operands);
        }
        if !op.body().is_empty() {
            // Ops inside may read feature maps without taking them as operands.
            return Err(op.error(format!(
                "'{}' op has a body: the network function holds layers and weight computations as flat ops",
                op.name()
            )));
        }
        if operands.iter().all(|s| matches!(s, Source::Weight)) {
            self.results.insert(op.id(), Source::Weight);
            return Ok(());
        }
        let fail = |message: String| op.error(format!("'{}' op {message}", op.name()));
        let nn = NnOp::read(op).map_err(fail)?.ok_or_else(|| {
            fail(
                "reads a feature map but is no layer of the layer graph (conv, dense, pooling, add, concat, \
                  flatten/reshape, an activation after a layer, a final softmax)"
                    .into(),
            )
        })?;
        let result = op.result(0).ok_or_else(|| fail("has no result".into()))?;
        let shape = static_shape(&result, "result").map_err(fail)?;
        let kind = match nn {
            NnOp::Conv2d(conv) => {
                let weight = op.operand(1).ok_or_else(|| fail("has no weight operand".into()))?;
                let weight = static_shape(&weight, "weight").map_err(fail)?;
                LayerKind::Conv { conv, kernel: [weight[2], weight[3]], bias: op.operand_count() > 2 }
            }
            NnOp::Dense => LayerKind::Dense { bias: op.operand_count() > 2 },
            NnOp::MaxPool2d(pool) => LayerKind::MaxPool(pool),
            NnOp::AvgPool2d { pool, count_include_pad } => LayerKind::AvgPool { pool, count_include_pad },
            NnOp::GlobalAvgPool => LayerKind::GlobalAvgPool,
            NnOp::Add => LayerKind::Add,
            NnOp::Concat { axis } => LayerKind::Concat { axis },
            NnOp::Softmax { axis } => {
                if let Some(user) = result.users().into_iter().find(|user| user.name() != "func.return") {
                    return Err(fail(format!(
                        "is left to the host, so only the network's last op, but {} uses its result",
                        op_label(&user)
                    )));
                }
                LayerKind::Softmax { axis }
            }
            NnOp::Relu | NnOp::Clip { .. } => {
                let activation = match nn {
                    NnOp::Clip { min, max } => Activation::Clip { min, max },
                    _ => Activation::Relu,
                };
                let layer = feature_layer(&operands[0]).ok_or_else(|| fail("must read a feature map".into()))?;
                return self.fuse(op, layer, activation, shape);
            }
            NnOp::Flatten { .. } | NnOp::Reshape => {
                // A view: the consumer reads the producer's buffer under the new shape.
                let layer = feature_layer(&operands[0]).ok_or_else(|| fail("must read a feature map".into()))?;
                self.results.insert(op.id(), Source::Feature { layer, shape });
                return Ok(());
            }
            NnOp::BatchNorm { .. } => {
                return Err(fail(
                    "was not folded: nn-fold-batchnorm folds a batchnorm only into a conv whose result nothing \
                     else uses, and the chip has no batchnorm layer"
                        .into(),
                ))
            }
            NnOp::ScaleChannels | NnOp::Weight { .. } => {
                return Err(fail("computes weights, and takes no feature map".into()));
            }
        };
        let feature_operands = match kind {
            LayerKind::Add | LayerKind::Concat { .. } => operands.len(),
            _ => 1,
        };
        if let Some((index, _)) = operands.iter().enumerate().find(|&(i, s)| {
            let is_feature = matches!(s, Source::Feature { .. });
            is_feature != (i < feature_operands)
        }) {
            let expected = if index < feature_operands { "a feature map" } else { "a weight" };
            return Err(fail(format!(
                "operand #{index} must be {expected}: a {} takes {feature_operands} feature map(s) and constant \
                 weights",
                kind.word()
            )));
        }
        self.add_layer(op, kind, &operands[..feature_operands], shape);
        Ok(())
    }

    fn add_layer(&mut self, op: &Op, kind: LayerKind, operands: &[Source], output: Vec<i64>) -> NodeIndex {
        let location = op.location();
        let name = location_name(&location).unwrap_or_else(|| format!("{}#{}", kind.word(), self.graph.node_count()));
        let inputs = operands
            .iter()
            .map(|s| match s {
                Source::Feature { shape, .. } => shape.clone(),
                Source::Weight => Vec::new(),
            })
            .collect();
        let layer = Layer { name, kind, inputs, output: output.clone(), activation: None, location };
        let node = self.graph.add_node(layer);
        for (operand, source) in operands.iter().enumerate() {
            if let Source::Feature { layer, .. } = source {
                self.graph.add_edge(*layer, node, Edge { operand });
            }
        }
        self.results.insert(op.id(), Source::Feature { layer: node, shape: output });
        node
    }

    /// Fuses the activation `op` into the layer computing its operand, which
    /// must be able to absorb it, have no other activation, and feed nothing
    /// but it (the value before the activation would be lost).
    fn fuse(&mut self, op: &Op, node: NodeIndex, activation: Activation, shape: Vec<i64>) -> Result<(), Error> {
        let fail = |message: String| op.error(format!("'{}' op {message}", op.name()));
        let layer = &self.graph[node];
        if !layer.kind.absorbs_activation() {
            return Err(fail(format!(
                "follows {} '{}', which cannot absorb an activation: only conv, dense, pooling and add layers \
                 apply one to their outputs",
                layer.kind.word(),
                layer.name
            )));
        }
        if let Some(fused) = &layer.activation {
            return Err(fail(format!("follows '{}', which has an activation already ('{}')", layer.name, fused.name)));
        }
        if let Some(user) = other_user(op) {
            return Err(fail(format!(
                "cannot be fused into '{}': {} reads that layer's output before the activation",
                layer.name,
                op_label(&user)
            )));
        }
        let location = op.location();
        let name = location_name(&location).unwrap_or_else(|| op.name());
        self.graph[node].activation = Some(FusedActivation { activation, name, location });
        self.results.insert(op.id(), Source::Feature { layer: node, shape });
        Ok(())
    }

    /// An output node per operand of the network's return.
    fn outputs(&mut self, op: &Op, operands: &[Source]) -> Result<(), Error> {
        for (index, source) in operands.iter().enumerate() {
            let Source::Feature { layer, shape } = source else {
                return Err(op.error(format!("network output #{index} is a constant, not computed from the input")));
            };
            let location = op.location();
            let output = Layer {
                name: format!("output{index}"),
                kind: LayerKind::Output { index },
                inputs: vec![shape.clone()],
                output: shape.clone(),
                activation: None,
                location,
            };
            let node = self.graph.add_node(output);
            self.graph.add_edge(*layer, node, Edge { operand: 0 });
        }
        Ok(())
    }
}

fn feature_layer(source: &Source) -> Option<NodeIndex> {
    match source {
        Source::Feature { layer, .. } => Some(*layer),
        Source::Weight => None,
    }
}

/// An op other than the activation `op` that reads the value `op` reads,
/// looking back through reshapes (views of the same buffer).
fn other_user<'m>(op: &Op<'m>) -> Option<Op<'m>> {
    let mut reader = *op;
    loop {
        let value = reader.operand(0)?;
        if let Some(user) = value.users().into_iter().find(|user| *user != reader) {
            return Some(user);
        }
        match value.defining_op() {
            Some(view) if matches!(view.name().as_str(), "nn.flatten" | "nn.reshape") => reader = view,
            _ => return None,
        }
    }
}

/// `'nn.add' op 'layer1.0.add'`, or without a name where its location has none.
fn op_label(op: &Op) -> String {
    match location_name(&op.location()) {
        Some(name) => format!("'{}' op '{name}'", op.name()),
        None => format!("'{}' op at {}", op.name(), op.location()),
    }
}

/// The name of a named location (`loc("conv1")`, `loc("conv1"("m.onnx":0:0))`).
fn location_name(location: &Location) -> Option<String> {
    match location {
        Location::Name { name, .. } => Some(name.clone()),
        _ => None,
    }
}

fn error_at(location: Location, message: String) -> Error {
    Error::Transform(Diagnostics(vec![Diagnostic::error(location, message)]))
}
