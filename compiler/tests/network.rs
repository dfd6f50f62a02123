//! Networks written as MLIR: they parse, verify, keep their node names as
//! locations, and every op reads back as the node it came from.

use rram_compiler::frontend::{Network, Ref};
use rram_dialects::nn::{Conv2d, NnOp, Pool, Window};
use rram_dialects::{Context, Location};

fn conv(strides: [i64; 2], pads: [i64; 4], groups: i64) -> NnOp {
    NnOp::Conv2d(Conv2d { strides, pads, dilations: [1, 1], groups })
}

/// Every op kind of the nn dialect, once.
fn every_op() -> Network {
    let mut net = Network::new("every-op");
    let x = net.input("image", vec![1, 3, 16, 16]);
    let w = net.weight("conv.weight", vec![8, 3, 3, 3]).unwrap();
    let b = net.weight("conv.bias", vec![8]).unwrap();
    let c = net.add("conv", conv([1, 1], [1, 1, 1, 1], 1), &[x, w, b]).unwrap();
    let stats: Vec<Ref> =
        ["bn.weight", "bn.bias", "bn.mean", "bn.var"].iter().map(|n| net.weight(*n, vec![8]).unwrap()).collect();
    let n = net.add("bn", NnOp::BatchNorm { epsilon: 1e-5 }, &[c, stats[0], stats[1], stats[2], stats[3]]).unwrap();
    let r = net.add("relu", NnOp::Relu, &[n]).unwrap();
    let k = net.add("relu6", NnOp::Clip { min: 0.0, max: 6.0 }, &[r]).unwrap();
    let dw = net.weight("dw.weight", vec![8, 1, 3, 3]).unwrap();
    let d = net.add("dw", conv([2, 2], [0, 0, 1, 1], 8), &[k, dw]).unwrap();
    let window = Window { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 1] };
    let mp = net.add("maxpool", NnOp::MaxPool2d(Pool { window, ceil_mode: false }), &[d]).unwrap();
    let ap = net
        .add("avgpool", NnOp::AvgPool2d { pool: Pool { window, ceil_mode: false }, count_include_pad: false }, &[d])
        .unwrap();
    let sum = net.add("add", NnOp::Add, &[mp, ap]).unwrap();
    let cat = net.add("concat", NnOp::Concat { axis: 1 }, &[sum, mp]).unwrap();
    let g = net.add("gap", NnOp::GlobalAvgPool, &[cat]).unwrap();
    let f = net.add("flatten", NnOp::Flatten { axis: 1 }, &[g]).unwrap();
    let fw = net.weight("fc.weight", vec![10, 16]).unwrap();
    let fc = net.add("fc", NnOp::Dense, &[f, fw]).unwrap();
    let sm = net.add("softmax", NnOp::Softmax { axis: 1 }, &[fc]).unwrap();
    let sc = net.add("scaled", NnOp::ScaleChannels, &[w, stats[0]]).unwrap();
    let rs = net.reshape("reshape", sm, vec![1, 10, 1, 1]).unwrap();
    net.outputs = vec![rs, sc];
    net
}

#[test]
fn shapes_are_inferred_as_nodes_are_added() {
    let net = every_op();
    let shape = |name: &str| net.nodes.iter().find(|n| n.name == name).unwrap().shape.clone();
    assert_eq!(shape("conv"), [1, 8, 16, 16]);
    assert_eq!(shape("dw"), [1, 8, 8, 8]);
    assert_eq!(shape("maxpool"), [1, 8, 4, 4]);
    assert_eq!(shape("concat"), [1, 16, 4, 4]);
    assert_eq!(shape("fc"), [1, 10]);
}

#[test]
fn written_mlir_verifies_and_reads_back_node_by_node() {
    let net = every_op();
    let context = Context::new().unwrap();
    let module = context.parse(&net.to_mlir(), "every-op.mlir").unwrap();
    let ops: Vec<_> = module.operations().into_iter().filter(|op| op.name().starts_with("nn.")).collect();
    assert_eq!(ops.len(), net.nodes.len());
    for (op, node) in ops.iter().zip(&net.nodes) {
        assert_eq!(NnOp::read(op).unwrap().as_ref(), Some(&node.op), "{}", node.name);
        assert_eq!(op.location(), Location::Name { name: node.name.clone(), at: None });
        assert_eq!(NnOp::read(op).unwrap().unwrap().infer_shape(op).unwrap(), node.shape);
    }
    assert!(module.print_with_locations().contains("loc(\"conv\")"));
}

#[test]
fn a_node_that_does_not_fit_its_inputs_is_named_in_the_error() {
    let mut net = Network::new("bad");
    let x = net.input("x", vec![1, 3, 8, 8]);
    let w = net.weight("w", vec![4, 2, 3, 3]).unwrap();
    let error = net.add("conv1", conv([1, 1], [0; 4], 1), &[x, w]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "node 'conv1' (nn.conv2d): input has 3 channels but weight [4, 2, 3, 3] with groups = 1 expects 2"
    );
    let error = net.add("relu", NnOp::Relu, &[Ref::Node(7)]).unwrap_err();
    assert_eq!(error.to_string(), "node 'relu' (nn.relu): input Node(7) is not defined before the node");
    let error = net.reshape("r", x, vec![1, 100]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "node 'r' (nn.reshape): cannot reshape [1, 3, 8, 8] (192 elements) into [1, 100] (100 elements)"
    );
}

#[test]
fn any_name_survives_the_trip_through_mlir() {
    let names = ["quote\"d", "back\\slash", "line\nbreak", "nul\0char", "carriage\rreturn", "ünïcödé ✓", "tab\t"];
    let mut net = Network::new("odd \"names\"");
    let x = net.input("in\u{1}put", vec![1, 4]);
    let mut last = x;
    for name in names {
        last = net.add(name, NnOp::Relu, &[last]).unwrap();
    }
    let w = net.weight("w\r\0\"", vec![2, 4]).unwrap();
    let clip = net.add("unbounded", NnOp::Clip { min: f32::NEG_INFINITY, max: f32::INFINITY }, &[last]).unwrap();
    net.outputs = vec![net.add("fc", NnOp::Dense, &[clip, w]).unwrap()];
    let context = Context::new().unwrap();
    let module = context.parse(&net.to_mlir(), "odd.mlir").unwrap();
    let ops: Vec<_> = module.operations().into_iter().filter(|op| op.name().starts_with("nn.")).collect();
    for (op, node) in ops.iter().zip(&net.nodes) {
        assert_eq!(op.location(), Location::Name { name: node.name.clone(), at: None });
        assert_eq!(NnOp::read(op).unwrap().as_ref(), Some(&node.op));
    }
}

#[test]
fn bad_attributes_are_errors_before_any_arithmetic() {
    let mut net = Network::new("bad");
    let x = net.input("x", vec![1, 3, 8, 8]);
    let w = net.weight("w", vec![4, 3, 3, 3]).unwrap();
    let cases = [
        (conv([0, 1], [0; 4], 1), "node 'c' (nn.conv2d): attribute 'strides' must be positive, got [0, 1]"),
        (
            conv([1, 1], [0, -2, 0, 0], 1),
            "node 'c' (nn.conv2d): attribute 'pads' must be non-negative, got [0, -2, 0, 0]",
        ),
        (conv([1, 1], [i64::MAX; 4], 1), "node 'c' (nn.conv2d): window arithmetic overflows in dimension 2"),
        (conv([1, 1], [0; 4], 0), "node 'c' (nn.conv2d): attribute 'groups' must be positive, got 0"),
    ];
    for (op, expected) in cases {
        assert_eq!(net.add("c", op, &[x, w]).unwrap_err().to_string(), expected);
    }
    let nan = net.add("bn", NnOp::Clip { min: f32::NAN, max: 0.0 }, &[x]).unwrap_err();
    assert_eq!(nan.to_string(), "node 'bn' (nn.clip): attribute 'min' (NaN) must not exceed 'max' (0)");
    let huge = net.input("huge", vec![i64::MAX, 4, 4]);
    let flatten = net.add("f", NnOp::Flatten { axis: 0 }, &[huge]).unwrap_err();
    assert!(flatten.to_string().contains("more elements than fit in 64 bits"), "{flatten}");
}
