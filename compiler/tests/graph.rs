//! The layer graph of every zoo network and every ONNX model in models/:
//! layer counts against the networks' known structure, and the invariants
//! of any graph (acyclic, producers before consumers, every operand fed),
//! also on random networks.

mod common;

use common::random_network::{random_network, step};

use petgraph::algo::{is_cyclic_directed, toposort};
use petgraph::graph::NodeIndex;
use proptest::prelude::*;
use rram_compiler::frontend::{onnx, zoo, Network};
use rram_compiler::graph::{Activation, LayerGraph, LayerKind};
use rram_dialects::nn::{element_count, NnOp};
use rram_dialects::Context;
use rram_passes::{FoldBatchnorm, Pass};

/// The graph of `network`'s MLIR after `nn-fold-batchnorm`, as `rramc graph` builds it.
fn layer_graph(network: &Network) -> LayerGraph {
    let context = Context::new().unwrap();
    let mut module = context.parse(&network.to_mlir(), &network.name).unwrap_or_else(|e| panic!("{e}"));
    FoldBatchnorm.run(&mut module).unwrap_or_else(|e| panic!("{e}"));
    LayerGraph::from_module(&module).unwrap_or_else(|e| panic!("{}: {e}", network.name))
}

/// Layers of each kind, depthwise convs and fused activations of a network.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    conv: usize,
    depthwise: usize,
    dense: usize,
    maxpool: usize,
    avgpool: usize,
    global_avgpool: usize,
    add: usize,
    concat: usize,
    relu: usize,
    relu6: usize,
}

fn counts(graph: &LayerGraph) -> Counts {
    let layers = || graph.graph().node_weights();
    let activations =
        |wanted: Activation| layers().filter(|l| l.activation.as_ref().map(|a| a.activation) == Some(wanted)).count();
    let depthwise = layers()
        .filter(|l| matches!(l.kind, LayerKind::Conv { conv, .. } if conv.groups > 1 && conv.groups == l.inputs[0][1]))
        .count();
    Counts {
        conv: graph.count("conv"),
        depthwise,
        dense: graph.count("dense"),
        maxpool: graph.count("maxpool"),
        avgpool: graph.count("avgpool"),
        global_avgpool: graph.count("global_avgpool"),
        add: graph.count("add"),
        concat: graph.count("concat"),
        relu: activations(Activation::Relu),
        relu6: activations(Activation::Clip { min: 0.0, max: 6.0 }),
    }
}

/// The known structure of each network, by name.
fn expected(network: &str) -> Counts {
    let c = Counts::default();
    match network {
        // Two conv + pool stages, three dense layers.
        "lenet5" => Counts { conv: 2, maxpool: 2, dense: 3, relu: 4, ..c },
        // Five convs, three pools, the adaptive pool (an average pool), three dense.
        "alexnet" => Counts { conv: 5, maxpool: 3, avgpool: 1, dense: 3, relu: 7, ..c },
        "vgg16" => Counts { conv: 13, maxpool: 5, avgpool: 1, dense: 3, relu: 15, ..c },
        // The stem, 8 basic blocks of two 3x3 convs, 3 downsample 1x1 convs;
        // a ReLU after the stem, each block's first conv and each add.
        "resnet18" => Counts { conv: 20, add: 8, maxpool: 1, global_avgpool: 1, dense: 1, relu: 17, ..c },
        // The CIFAR variant: a 3x3 stem without max pooling.
        "resnet18_cifar" => Counts { conv: 20, add: 8, global_avgpool: 1, dense: 1, relu: 17, ..c },
        // The stem, 16 bottlenecks of three convs, 4 downsample convs.
        "resnet50" => Counts { conv: 53, add: 16, maxpool: 1, global_avgpool: 1, dense: 1, relu: 49, ..c },
        // The stem and 13 depthwise + pointwise pairs.
        "mobilenet_v1" => Counts { conv: 27, depthwise: 13, global_avgpool: 1, dense: 1, relu: 27, ..c },
        // The stem, 17 inverted residuals (the first without expansion), the
        // last 1x1; a shortcut in the 10 blocks that keep their shape.
        "mobilenet_v2" => Counts { conv: 52, depthwise: 17, add: 10, global_avgpool: 1, dense: 1, relu6: 35, ..c },
        // The stem, 8 fires of squeeze + two expands joined by a concat, the
        // classifier's conv.
        "squeezenet1_1" => Counts { conv: 26, concat: 8, maxpool: 3, global_avgpool: 1, relu: 26, ..c },
        // A strided stem, a depthwise + pointwise residual block, a strided
        // conv and an average pool concatenated, the classifier.
        "testnet" => Counts {
            conv: 4,
            depthwise: 1,
            dense: 1,
            maxpool: 1,
            avgpool: 1,
            global_avgpool: 1,
            add: 1,
            concat: 1,
            relu: 3,
            relu6: 1,
        },
        _ => panic!("no known structure for {network}"),
    }
}

/// Acyclic; nodes in topological order; every layer fed on each of its
/// feature operands exactly once, under the shape it reads (the same
/// elements as the producer's output: reshapes only view); one input and
/// one output node per network input and output.
fn check_invariants(graph: &LayerGraph) {
    let dag = graph.graph();
    assert!(!is_cyclic_directed(dag), "{}: a cycle", graph.name);
    assert!(toposort(dag, None).is_ok());
    let order: Vec<NodeIndex> = graph.topological_order().collect();
    assert_eq!(order.len(), dag.node_count());
    let position = |node: NodeIndex| order.iter().position(|&n| n == node).unwrap();
    for edge in dag.edge_indices() {
        let (producer, consumer) = dag.edge_endpoints(edge).unwrap();
        assert!(position(producer) < position(consumer), "{}: edge {edge:?} against the order", graph.name);
    }
    for node in graph.topological_order() {
        let layer = graph.layer(node);
        let producers = graph.producers(node);
        let operands = match layer.kind {
            LayerKind::Input { .. } => 0,
            LayerKind::Add | LayerKind::Concat { .. } => 2,
            _ => 1,
        };
        assert_eq!(producers.len(), operands, "{}: '{}' has producers {producers:?}", graph.name, layer.name);
        assert_eq!(layer.inputs.len(), operands, "{}: '{}'", graph.name, layer.name);
        for (shape, &producer) in layer.inputs.iter().zip(&producers) {
            let produced = &graph.layer(producer).output;
            assert_eq!(element_count(shape), element_count(produced), "{}: '{}'", graph.name, layer.name);
        }
        if let LayerKind::Output { .. } = layer.kind {
            assert!(dag.neighbors(node).next().is_none(), "an output feeds nothing");
        }
    }
    assert_eq!(graph.count("input"), 1);
    assert_eq!(graph.count("output"), 1);
}

#[test]
fn every_zoo_network_has_its_known_layers() {
    for name in zoo::names() {
        let graph = layer_graph(&zoo::build(name).unwrap());
        check_invariants(&graph);
        assert_eq!(counts(&graph), expected(name), "{name}");
    }
}

#[test]
fn every_model_in_models_has_the_layers_of_its_network() {
    for file in common::models::onnx_files() {
        let graph = layer_graph(&onnx::import_file(&file).unwrap_or_else(|e| panic!("{e}")));
        check_invariants(&graph);
        assert_eq!(counts(&graph), expected(&graph.name), "{}", file.display());
    }
}

fn find(graph: &LayerGraph, name: &str) -> NodeIndex {
    graph.topological_order().find(|&n| graph.layer(n).name == name).unwrap_or_else(|| panic!("no layer {name}"))
}

fn names(graph: &LayerGraph, nodes: &[NodeIndex]) -> Vec<String> {
    nodes.iter().map(|&n| graph.layer(n).name.clone()).collect()
}

#[test]
fn resnet18_adds_join_the_block_and_its_shortcut() {
    let graph = layer_graph(&zoo::build("resnet18").unwrap());
    let add = find(&graph, "layer1.0.add");
    assert_eq!(names(&graph, &graph.producers(add)), ["layer1.0.conv2", "maxpool"]);
    let fused = graph.layer(add).activation.as_ref().unwrap();
    assert_eq!((fused.activation, fused.name.as_str()), (Activation::Relu, "layer1.0.relu_1"));
    let add = find(&graph, "layer2.0.add");
    assert_eq!(names(&graph, &graph.producers(add)), ["layer2.0.conv2", "layer2.0.downsample.0"]);
    let LayerKind::Conv { conv, kernel, bias } = graph.layer(find(&graph, "layer2.0.downsample.0")).kind else {
        panic!("the downsample is a conv")
    };
    // The folded batchnorm gave the conv its bias.
    assert_eq!((kernel, conv.strides, bias), ([1, 1], [2, 2], true));
    // A block's output feeds the next block's first conv and its shortcut.
    let mut consumers = names(&graph, &graph.graph().neighbors(find(&graph, "layer1.1.add")).collect::<Vec<_>>());
    consumers.sort();
    assert_eq!(consumers, ["layer2.0.conv1", "layer2.0.downsample.0"]);
}

#[test]
fn squeezenet_concats_join_the_two_expands() {
    let graph = layer_graph(&zoo::build("squeezenet1_1").unwrap());
    let concat = find(&graph, "features.3.concat");
    assert_eq!(names(&graph, &graph.producers(concat)), ["features.3.expand1x1", "features.3.expand3x3"]);
    assert_eq!(graph.layer(concat).output, [1, 128, 55, 55]);
    // The flatten after the global pool is folded into the edge to the output.
    let output = find(&graph, "output0");
    assert_eq!(names(&graph, &graph.producers(output)), ["classifier.3"]);
    assert_eq!(graph.layer(output).inputs, [vec![1, 1000]]);
}

#[test]
fn lenet5_flatten_is_folded_into_the_edge_to_the_dense_layer() {
    let graph = layer_graph(&zoo::build("lenet5").unwrap());
    let dense = find(&graph, "classifier.1");
    assert_eq!(names(&graph, &graph.producers(dense)), ["features.5"]);
    assert_eq!(graph.layer(dense).inputs, [vec![1, 400]]);
    assert_eq!(graph.layer(find(&graph, "features.5")).output, [1, 16, 5, 5]);
}

#[test]
fn a_final_softmax_is_left_to_the_host() {
    let mut network = zoo::build("lenet5").unwrap();
    let logits = network.outputs[0];
    network.outputs = vec![network.add("softmax", NnOp::Softmax { axis: 1 }, &[logits]).unwrap()];
    let graph = layer_graph(&network);
    let softmax = graph.layer(find(&graph, "softmax"));
    assert_eq!(softmax.kind, LayerKind::Softmax { axis: 1 });
    assert!(!softmax.kind.runs_on_chip());
    check_invariants(&graph);
}

/// The layers of each kind a random network holds, as its generator lists them.
fn counted(layers: &[&str]) -> Counts {
    let count = |word: &str| layers.iter().filter(|&&l| l == word).count();
    Counts {
        conv: count("conv"),
        depthwise: count("depthwise"),
        dense: count("dense"),
        maxpool: count("maxpool"),
        avgpool: count("avgpool"),
        global_avgpool: count("global_avgpool"),
        add: count("add"),
        concat: count("concat"),
        relu: count("relu"),
        relu6: 0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_networks_give_acyclic_graphs_with_every_layer_fed(steps in prop::collection::vec(step(), 0..12)) {
        let (network, layers) = random_network(&steps, [1, 2, 8, 8]);
        let graph = layer_graph(&network);
        check_invariants(&graph);
        prop_assert_eq!(counts(&graph), counted(&layers));
    }
}
