//! The ONNX importer on the real exports in models/ (both torch exporters,
//! with and without weights), on small models built here for each feature
//! and each error, and on mutated files that must never make it panic.

mod common;

use common::mutation::{mutate, mutations};
use proptest::prelude::*;
use prost::Message;
use rram_compiler::frontend::onnx::proto::{
    AttributeProto, AttributeType, DataLocation, DataType, Dimension, DimensionValue, GraphProto, ModelProto,
    NodeProto, OperatorSetIdProto, StringStringEntryProto, TensorProto, TensorShapeProto, TensorTypeProto, TypeProto,
    ValueInfoProto,
};
use rram_compiler::frontend::onnx::{import_bytes, import_file, SUPPORTED_OPERATORS};
use rram_compiler::frontend::{Network, Ref};
use rram_dialects::nn::{Conv2d, NnOp, Pool, Window};
use rram_dialects::Context;
use rram_passes::tiling::Chip;
use rram_passes::{FoldBatchnorm, Pass, TileLayers, VerifyShapes};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn models_dir() -> PathBuf {
    common::models::dir()
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/onnx-corpus")
}

fn import_model(file: &str) -> Network {
    import_file(&models_dir().join(file)).unwrap_or_else(|error| panic!("{error}"))
}

/// The MLIR of `network` parses, verifies and passes `nn-verify-shapes`.
fn check_mlir(network: &Network) {
    let context = Context::new().unwrap();
    let mut module =
        context.parse(&network.to_mlir(), &network.name).unwrap_or_else(|error| panic!("{}: {error}", network.name));
    VerifyShapes.run(&mut module).unwrap_or_else(|error| panic!("{}: {error}", network.name));
}

/// The nodes of `op_name` (e.g. `nn.conv2d`), in order.
fn nodes_of<'n>(network: &'n Network, op_name: &str) -> Vec<&'n rram_compiler::frontend::Node> {
    network.nodes.iter().filter(|n| n.op.name() == op_name).collect()
}

fn node<'n>(network: &'n Network, name: &str) -> &'n rram_compiler::frontend::Node {
    network.nodes.iter().find(|n| n.name == name && n.op.name() != "nn.weight").unwrap_or_else(|| panic!("no {name}"))
}

fn output_shape(network: &Network) -> Vec<i64> {
    network.shape(network.outputs[0]).to_vec()
}

// ---- the models in models/ ----

#[test]
fn every_model_imports_and_its_mlir_verifies() {
    for file in common::models::onnx_files() {
        let network = import_file(&file).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(network.outputs.len(), 1, "{}", file.display());
        check_mlir(&network);
    }
}

#[test]
fn resnet18_has_torchvision_shapes_layer_by_layer() {
    let network = import_model("resnet18.struct.onnx");
    assert_eq!(network.name, "resnet18");
    assert_eq!(network.inputs, [("input".to_string(), vec![1, 3, 224, 224])]);
    assert_eq!(node(&network, "/conv1/Conv").shape, [1, 64, 112, 112]);
    assert_eq!(node(&network, "/maxpool/MaxPool").shape, [1, 64, 56, 56]);
    for (layer, shape) in [
        ("/layer1/", [1, 64, 56, 56]),
        ("/layer2/", [1, 128, 28, 28]),
        ("/layer3/", [1, 256, 14, 14]),
        ("/layer4/", [1, 512, 7, 7]),
    ] {
        let ops: Vec<_> = network.nodes.iter().filter(|n| n.name.starts_with(layer)).collect();
        // Per layer: 2 blocks of conv, bn, relu, conv, bn, add, relu; a downsample conv + bn after layer1.
        assert_eq!(ops.len(), if layer == "/layer1/" { 14 } else { 16 }, "{layer}");
        for op in ops {
            assert_eq!(op.shape, shape, "{}", op.name);
        }
    }
    assert_eq!(node(&network, "/avgpool/GlobalAveragePool").shape, [1, 512, 1, 1]);
    assert_eq!(node(&network, "/Flatten").shape, [1, 512]);
    assert_eq!(node(&network, "/fc/Gemm").shape, [1, 1000]);
    assert_eq!(nodes_of(&network, "nn.conv2d").len(), 20);
    assert_eq!(nodes_of(&network, "nn.batchnorm").len(), 20);
    assert!(network.weights.is_empty(), "a structure-only file holds no weight values");
}

#[test]
fn resnet18_cifar_has_a_32x32_input_and_10_classes() {
    let network = import_model("resnet18_cifar.struct.onnx");
    assert_eq!(network.inputs[0].1, [1, 3, 32, 32]);
    assert_eq!(node(&network, "/conv1/Conv").shape, [1, 64, 32, 32]);
    assert_eq!(node(&network, "/layer4/layer4.1/relu_1/Relu").shape, [1, 512, 4, 4]);
    assert_eq!(output_shape(&network), [1, 10]);
}

/// The shape each conv produces, by the name of its weight.
fn conv_shapes_by_weight(network: &Network) -> BTreeMap<String, Vec<i64>> {
    nodes_of(network, "nn.conv2d")
        .into_iter()
        .map(|conv| {
            let Ref::Node(weight) = conv.inputs[1] else { panic!("{} has an input as weight", conv.name) };
            let NnOp::Weight { name } = &network.nodes[weight].op else { panic!("{} has no weight", conv.name) };
            (name.clone(), conv.shape.clone())
        })
        .collect()
}

#[test]
fn both_exporters_give_resnet18_the_same_convs() {
    let legacy = import_model("resnet18.struct.onnx");
    let dynamo = import_model("resnet18.dynamo.struct.onnx");
    assert_eq!(conv_shapes_by_weight(&legacy), conv_shapes_by_weight(&dynamo));
    // The dynamo file folds batch norm into the convs (each gets a bias),
    // writes global pooling as ReduceMean and flattening as Reshape.
    assert!(nodes_of(&dynamo, "nn.batchnorm").is_empty());
    assert!(nodes_of(&dynamo, "nn.conv2d").iter().all(|conv| conv.inputs.len() == 3));
    assert_eq!(node(&dynamo, "node_mean").op, NnOp::GlobalAvgPool);
    assert_eq!(node(&dynamo, "node_view").shape, [1, 512]);
    assert_eq!(output_shape(&dynamo), [1, 1000]);
}

#[test]
fn mobilenet_v2_relu6_comes_from_constants_in_both_exporters() {
    for file in ["mobilenet_v2.struct.onnx", "mobilenet_v2.dynamo.struct.onnx"] {
        let network = import_model(file);
        let clips = nodes_of(&network, "nn.clip");
        assert_eq!(clips.len(), 35, "{file}");
        assert!(clips.iter().all(|clip| clip.op == NnOp::Clip { min: 0.0, max: 6.0 }), "{file}");
        let depthwise = nodes_of(&network, "nn.conv2d")
            .into_iter()
            .filter(|conv| matches!(conv.op, NnOp::Conv2d(Conv2d { groups, .. }) if groups > 1))
            .count();
        assert_eq!(depthwise, 17, "{file}");
        assert_eq!(output_shape(&network), [1, 1000], "{file}");
    }
}

#[test]
fn squeezenet_concats_its_expand_branches() {
    let network = import_model("squeezenet1_1.struct.onnx");
    let concats = nodes_of(&network, "nn.concat");
    assert_eq!(concats.len(), 8);
    assert_eq!(node(&network, "/features/features.3/Concat").shape, [1, 128, 55, 55]);
    assert_eq!(output_shape(&network), [1, 1000]);
}

#[test]
fn lenet5_full_keeps_its_weights() {
    let network = import_model("lenet5.full.onnx");
    let shapes: Vec<(&str, Vec<i64>)> =
        network.weights.iter().map(|(name, w)| (name.as_str(), w.shape.clone())).collect();
    assert_eq!(
        shapes,
        [
            ("classifier.1.bias", vec![120]),
            ("classifier.1.weight", vec![120, 400]),
            ("classifier.3.bias", vec![84]),
            ("classifier.3.weight", vec![84, 120]),
            ("classifier.5.bias", vec![10]),
            ("classifier.5.weight", vec![10, 84]),
            ("features.0.bias", vec![6]),
            ("features.0.weight", vec![6, 1, 5, 5]),
            ("features.3.bias", vec![16]),
            ("features.3.weight", vec![16, 6, 5, 5]),
        ]
    );
    for weight in network.weights.values() {
        assert_eq!(weight.values.len() as i64, weight.shape.iter().product::<i64>());
        assert!(weight.values.iter().all(|v| v.is_finite() && v.abs() < 10.0));
    }
    // The values themselves are checked by running the network:
    // `lenet5_gives_what_an_onnx_runtime_computed` in tests/reference.rs.
}

#[test]
fn lenet5_struct_imports_without_the_values_it_lacks() {
    let network = import_model("lenet5.struct.onnx");
    assert_eq!(nodes_of(&network, "nn.weight").len(), 10);
    assert!(!network.weights.contains_key("features.0.weight"));
    assert!(network.weights.keys().all(|name| name.ends_with(".bias")), "{:?}", network.weights.keys());
    assert_eq!(output_shape(&network), [1, 10]);
}

// ---- small models built here ----

fn dims_info(name: &str, dims: &[Option<i64>], elem_type: DataType) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Some(size) => DimensionValue::DimValue(*size),
                None => DimensionValue::DimParam("batch".into()),
            }),
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto { elem_type: elem_type as i32, shape: Some(TensorShapeProto { dim }) }),
        }),
    }
}

fn info(name: &str, dims: &[i64]) -> ValueInfoProto {
    let dims: Vec<Option<i64>> = dims.iter().map(|&d| Some(d)).collect();
    dims_info(name, &dims, DataType::Float)
}

fn floats(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Float as i32,
        float_data: values.to_vec(),
        ..Default::default()
    }
}

fn ints(name: &str, values: &[i64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: vec![values.len() as i64],
        data_type: DataType::Int64 as i32,
        int64_data: values.to_vec(),
        ..Default::default()
    }
}

/// An initializer whose data lives in an external file that is not there.
fn external(name: &str, dims: &[i64], data_type: DataType) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: data_type as i32,
        data_location: DataLocation::External as i32,
        external_data: vec![StringStringEntryProto { key: "location".into(), value: "weights.bin".into() }],
        ..Default::default()
    }
}

fn attribute(name: &str, r#type: AttributeType) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: r#type as i32, ..Default::default() }
}

fn int_attr(name: &str, value: i64) -> AttributeProto {
    AttributeProto { i: value, ..attribute(name, AttributeType::Int) }
}

fn ints_attr(name: &str, values: &[i64]) -> AttributeProto {
    AttributeProto { ints: values.to_vec(), ..attribute(name, AttributeType::Ints) }
}

fn float_attr(name: &str, value: f32) -> AttributeProto {
    AttributeProto { f: value, ..attribute(name, AttributeType::Float) }
}

fn string_attr(name: &str, value: &str) -> AttributeProto {
    AttributeProto { s: value.as_bytes().to_vec(), ..attribute(name, AttributeType::String) }
}

fn tensor_attr(name: &str, tensor: TensorProto) -> AttributeProto {
    AttributeProto { t: Some(tensor), ..attribute(name, AttributeType::Tensor) }
}

/// A node without a name: the importer names it after its first output.
fn op(op_type: &str, inputs: &[&str], outputs: &[&str], attribute: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        op_type: op_type.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        attribute,
        ..Default::default()
    }
}

/// A model under construction: input `x`, the nodes, output `y`.
struct Model(ModelProto);

impl Model {
    fn new(input: &[i64]) -> Self {
        Model::with_opset(17, input)
    }

    fn with_opset(opset: i64, input: &[i64]) -> Self {
        let graph = GraphProto { name: "test".into(), input: vec![info("x", input)], ..Default::default() };
        Model(ModelProto {
            ir_version: 8,
            opset_import: vec![OperatorSetIdProto { domain: String::new(), version: opset }],
            graph: Some(graph),
            ..Default::default()
        })
    }

    fn graph(&mut self) -> &mut GraphProto {
        self.0.graph.as_mut().unwrap()
    }

    fn init(mut self, tensor: TensorProto) -> Self {
        self.graph().initializer.push(tensor);
        self
    }

    fn node(mut self, node: NodeProto) -> Self {
        self.graph().node.push(node);
        self
    }

    /// Declares graph output `name` without a shape.
    fn output(mut self, name: &str) -> Self {
        self.graph().output.push(ValueInfoProto { name: name.into(), r#type: None });
        self
    }

    fn recorded(mut self, info: ValueInfoProto) -> Self {
        self.graph().value_info.push(info);
        self
    }

    fn bytes(&self) -> Vec<u8> {
        self.0.encode_to_vec()
    }

    fn import(&self) -> Network {
        let network = import_bytes(&self.bytes(), "models/test.onnx").unwrap_or_else(|error| panic!("{error}"));
        check_mlir(&network);
        network
    }

    fn error(&self) -> String {
        match import_bytes(&self.bytes(), "models/test.onnx") {
            Ok(network) => panic!("expected an error, got {}", network.to_mlir()),
            Err(error) => error.to_string(),
        }
    }
}

fn conv_model(input: &[i64], weight: &[i64], attributes: Vec<AttributeProto>) -> Model {
    Model::new(input)
        .init(external("w", weight, DataType::Float))
        .node(op("Conv", &["x", "w"], &["y"], attributes))
        .output("y")
}

fn conv_of(network: &Network) -> (Conv2d, Vec<i64>) {
    let conv = node(network, "y");
    match conv.op {
        NnOp::Conv2d(attributes) => (attributes, conv.shape.clone()),
        ref other => panic!("expected a conv, got {other:?}"),
    }
}

#[test]
fn conv_defaults_to_stride_1_no_padding_and_one_group() {
    let (conv, shape) = conv_of(&conv_model(&[1, 3, 8, 8], &[4, 3, 3, 3], vec![]).import());
    assert_eq!(conv, Conv2d { strides: [1, 1], pads: [0; 4], dilations: [1, 1], groups: 1 });
    assert_eq!(shape, [1, 4, 6, 6]);
}

#[test]
fn errors_on_imported_ops_name_the_file_and_the_node() {
    let network = conv_model(&[1, 1 << 14, 8, 8], &[1 << 14, 1 << 14, 3, 3], vec![]).import();
    let context = Context::new().unwrap();
    let mut module = context.parse(&network.to_mlir(), &network.name).unwrap();
    let tile = TileLayers { rows: 128, cols: 128, slices: 4, fit_on: Some(Chip { cores: 1024, crossbars: 1 }) };
    let error = tile.run(&mut module).unwrap_err().to_string();
    assert_eq!(
        error,
        "models/test.onnx: 'y': error: rram-tile: the network needs 589824 crossbars, 1024 available (1024 cores x 1 \
         crossbars)"
    );
}

#[test]
fn conv_reads_asymmetric_pads_dilations_and_groups() {
    let attributes = vec![
        ints_attr("pads", &[0, 1, 2, 3]),
        ints_attr("strides", &[2, 1]),
        ints_attr("dilations", &[2, 2]),
        int_attr("group", 4),
        ints_attr("kernel_shape", &[3, 3]),
    ];
    let (conv, shape) = conv_of(&conv_model(&[1, 8, 9, 9], &[8, 2, 3, 3], attributes).import());
    assert_eq!(conv, Conv2d { strides: [2, 1], pads: [0, 1, 2, 3], dilations: [2, 2], groups: 4 });
    // h: (9 + 0 + 2 - 5) / 2 + 1 = 4; w: (9 + 1 + 3 - 5) / 1 + 1 = 9
    assert_eq!(shape, [1, 8, 4, 9]);
}

#[test]
fn conv_auto_pad_becomes_explicit_pads() {
    for (auto_pad, pads, shape) in [
        // ceil(7 / 2) = 4 outputs need (4 - 1) * 2 + 4 - 7 = 3 pads: 1 + 2 or 2 + 1.
        ("SAME_UPPER", [1, 1, 2, 2], [1, 2, 4, 4]),
        ("SAME_LOWER", [2, 2, 1, 1], [1, 2, 4, 4]),
        ("VALID", [0; 4], [1, 2, 2, 2]),
        ("NOTSET", [0; 4], [1, 2, 2, 2]),
    ] {
        let attributes = vec![string_attr("auto_pad", auto_pad), ints_attr("strides", &[2, 2])];
        let (conv, got) = conv_of(&conv_model(&[1, 1, 7, 7], &[2, 1, 4, 4], attributes).import());
        assert_eq!((conv.pads, got.as_slice()), (pads, shape.as_slice()), "{auto_pad}");
    }
}

#[test]
fn pools_read_ceil_mode_pads_and_count_include_pad() {
    let attributes = vec![ints_attr("kernel_shape", &[3, 3]), ints_attr("strides", &[2, 2]), int_attr("ceil_mode", 1)];
    let network = Model::new(&[1, 2, 8, 8]).node(op("MaxPool", &["x"], &["y"], attributes)).output("y").import();
    let window = Window { kernel: [3, 3], strides: [2, 2], pads: [0; 4], dilations: [1, 1] };
    assert_eq!(node(&network, "y").op, NnOp::MaxPool2d(Pool { window, ceil_mode: true }));
    assert_eq!(output_shape(&network), [1, 2, 4, 4]);

    let attributes =
        vec![ints_attr("kernel_shape", &[2, 2]), ints_attr("pads", &[1, 1, 1, 1]), int_attr("count_include_pad", 1)];
    let network = Model::new(&[1, 2, 8, 8]).node(op("AveragePool", &["x"], &["y"], attributes)).output("y").import();
    let window = Window { kernel: [2, 2], strides: [1, 1], pads: [1; 4], dilations: [1, 1] };
    let pool = Pool { window, ceil_mode: false };
    assert_eq!(node(&network, "y").op, NnOp::AvgPool2d { pool, count_include_pad: true });
    assert_eq!(output_shape(&network), [1, 2, 9, 9]);
}

#[test]
fn gemm_with_weight_in_out_is_imported_transposed_and_scaled() {
    // y = 2 * x [1, 2] * w [2, 3] + 0.5 * b [3]
    let network = Model::new(&[1, 2])
        .init(floats("w", &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
        .init(floats("b", &[3], &[1.0, 2.0, 3.0]))
        .node(op("Gemm", &["x", "w", "b"], &["y"], vec![float_attr("alpha", 2.0), float_attr("beta", 0.5)]))
        .output("y")
        .import();
    assert_eq!(output_shape(&network), [1, 3]);
    let weight = &network.weights["w.T.x2"];
    assert_eq!(weight.shape, [3, 2]);
    assert_eq!(weight.values, [2.0, 8.0, 4.0, 10.0, 6.0, 12.0]);
    assert_eq!(network.weights["b.x0.5"].values, [0.5, 1.0, 1.5]);
    assert_eq!(node(&network, "y").inputs.len(), 3);
}

#[test]
fn gemm_with_trans_b_keeps_the_weight_as_it_is() {
    let network = Model::new(&[1, 2])
        .init(floats("w", &[3, 2], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
        .init(floats("b", &[1, 3], &[1.0, 2.0, 3.0]))
        .node(op("Gemm", &["x", "w", "b"], &["y"], vec![int_attr("transB", 1)]))
        .output("y")
        .import();
    assert_eq!(network.weights["w"].values, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(network.weights["b"].shape, [3]);
}

#[test]
fn matmul_then_add_of_a_vector_is_one_dense_with_bias() {
    let network = Model::new(&[1, 2])
        .init(floats("w", &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
        .init(floats("b", &[3], &[0.1, 0.2, 0.3]))
        .node(op("MatMul", &["x", "w"], &["product"], vec![]))
        .node(op("Add", &["b", "product"], &["y"], vec![]))
        .output("y")
        .import();
    let dense = nodes_of(&network, "nn.dense");
    assert_eq!(dense.len(), 1);
    assert_eq!((dense[0].name.as_str(), dense[0].inputs.len()), ("product", 3));
    assert!(nodes_of(&network, "nn.add").is_empty());
    assert_eq!(network.weights["w.T"].values, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
}

#[test]
fn matmul_alone_or_before_another_add_is_a_dense_without_bias() {
    let network = Model::new(&[1, 2])
        .init(floats("w", &[2, 2], &[1.0, 2.0, 3.0, 4.0]))
        .node(op("MatMul", &["x", "w"], &["y"], vec![]))
        .output("y")
        .import();
    assert_eq!(node(&network, "y").inputs.len(), 2);

    let network = Model::new(&[1, 2])
        .init(floats("w", &[2, 2], &[1.0, 2.0, 3.0, 4.0]))
        .node(op("MatMul", &["x", "w"], &["product"], vec![]))
        .node(op("Add", &["product", "x"], &["y"], vec![]))
        .output("y")
        .import();
    assert_eq!(node(&network, "product").inputs.len(), 2);
    assert_eq!(node(&network, "y").op, NnOp::Add);
}

/// `x.view(x.size(0), -1)` as the legacy exporter writes it.
#[test]
fn reshape_target_is_folded_from_shape_gather_unsqueeze_concat() {
    let scalar = |name: &str, value: i64| TensorProto { dims: vec![], ..ints(name, &[value]) };
    let network = Model::with_opset(11, &[1, 4, 3, 3])
        .node(op("Shape", &["x"], &["shape"], vec![]))
        .node(op("Constant", &[], &["zero"], vec![tensor_attr("value", scalar("", 0))]))
        .node(op("Gather", &["shape", "zero"], &["batch"], vec![int_attr("axis", 0)]))
        .node(op("Unsqueeze", &["batch"], &["batch_1d"], vec![ints_attr("axes", &[0])]))
        .node(op("Constant", &[], &["minus_one"], vec![ints_attr("value_ints", &[-1])]))
        .node(op("Concat", &["batch_1d", "minus_one"], &["target"], vec![int_attr("axis", 0)]))
        .node(op("Cast", &["target"], &["target_64"], vec![int_attr("to", DataType::Int64 as i64)]))
        .node(op("Reshape", &["x", "target_64"], &["y"], vec![]))
        .output("y")
        .import();
    assert_eq!(network.nodes.len(), 1, "only the reshape is an op: {:?}", network.nodes);
    assert_eq!(output_shape(&network), [1, 36]);
}

#[test]
fn reshape_copies_zeros_and_infers_minus_one() {
    let network = Model::new(&[1, 4, 3, 3])
        .init(ints("target", &[0, 2, -1]))
        .node(op("Reshape", &["x", "target"], &["y"], vec![]))
        .output("y")
        .import();
    assert_eq!(output_shape(&network), [1, 2, 18]);
}

#[test]
fn squeeze_unsqueeze_and_flatten_reshape_tensors() {
    let network = Model::new(&[1, 4, 1, 1])
        .init(ints("axes", &[2, 3]))
        .node(op("Squeeze", &["x", "axes"], &["squeezed"], vec![]))
        .node(op("Unsqueeze", &["squeezed", "axes"], &["unsqueezed"], vec![]))
        .node(op("Flatten", &["unsqueezed"], &["y"], vec![int_attr("axis", -3)]))
        .output("y")
        .import();
    assert_eq!(node(&network, "squeezed").shape, [1, 4]);
    assert_eq!(node(&network, "unsqueezed").shape, [1, 4, 1, 1]);
    assert_eq!(node(&network, "y").op, NnOp::Flatten { axis: 1 });
}

#[test]
fn clip_bounds_come_from_attributes_in_old_opsets_and_inputs_in_new_ones() {
    let network = Model::with_opset(6, &[1, 4])
        .node(op("Clip", &["x"], &["y"], vec![float_attr("min", 0.0), float_attr("max", 6.0)]))
        .output("y")
        .import();
    assert_eq!(node(&network, "y").op, NnOp::Clip { min: 0.0, max: 6.0 });

    let scalar = |name: &str, value: f32| floats(name, &[], &[value]);
    let network = Model::new(&[1, 4])
        .init(scalar("low", -1.0))
        .node(op("Constant", &[], &["high"], vec![float_attr("value_float", 1.5)]))
        .node(op("Clip", &["x", "low", "high"], &["y"], vec![]))
        .output("y")
        .import();
    assert_eq!(node(&network, "y").op, NnOp::Clip { min: -1.0, max: 1.5 });

    let network = Model::new(&[1, 4])
        .init(scalar("low", 0.0))
        .node(op("Clip", &["x", "low"], &["y"], vec![]))
        .output("y")
        .import();
    assert_eq!(node(&network, "y").op, NnOp::Clip { min: 0.0, max: f32::INFINITY });
}

#[test]
fn concat_of_three_is_a_chain_with_the_axis_made_non_negative() {
    let network = Model::new(&[1, 2, 4, 4])
        .node(op("Relu", &["x"], &["r"], vec![]))
        .node(op("Concat", &["x", "r", "x"], &["y"], vec![int_attr("axis", -3)]))
        .output("y")
        .import();
    let concats = nodes_of(&network, "nn.concat");
    assert_eq!(concats.len(), 2);
    assert!(concats.iter().all(|c| c.name == "y" && c.op == NnOp::Concat { axis: 1 }));
    assert_eq!(output_shape(&network), [1, 6, 4, 4]);
}

#[test]
fn reduce_mean_over_height_and_width_is_global_average_pooling() {
    let axes_attribute = Model::with_opset(13, &[1, 8, 5, 5])
        .node(op("ReduceMean", &["x"], &["y"], vec![ints_attr("axes", &[-1, -2])]))
        .output("y")
        .import();
    assert_eq!(node(&axes_attribute, "y").op, NnOp::GlobalAvgPool);
    assert_eq!(output_shape(&axes_attribute), [1, 8, 1, 1]);

    let axes_input = Model::with_opset(18, &[1, 8, 5, 5])
        .init(ints("axes", &[2, 3]))
        .node(op("ReduceMean", &["x", "axes"], &["y"], vec![int_attr("keepdims", 0)]))
        .output("y")
        .import();
    assert_eq!(output_shape(&axes_input), [1, 8]);
}

#[test]
fn identity_dropout_batchnorm_softmax_and_relu() {
    let stats = |name: &str| external(name, &[4], DataType::Float);
    let network = Model::new(&[1, 4, 2, 2])
        .init(stats("scale"))
        .init(stats("bias"))
        .init(stats("mean"))
        .init(stats("var"))
        .node(op("Identity", &["x"], &["i"], vec![]))
        .node(op("Dropout", &["i"], &["d"], vec![float_attr("ratio", 0.5)]))
        .node(op("BatchNormalization", &["d", "scale", "bias", "mean", "var"], &["bn"], vec![]))
        .node(op("Relu", &["bn"], &["r"], vec![]))
        .node(op("Softmax", &["r"], &["y"], vec![]))
        .output("y")
        .import();
    assert_eq!(node(&network, "bn").inputs[0], Ref::Input(0));
    assert_eq!(node(&network, "bn").op, NnOp::BatchNorm { epsilon: 1e-5 });
    assert_eq!(node(&network, "y").op, NnOp::Softmax { axis: 3 });
    assert!(network.weights.is_empty());
}

#[test]
fn softmax_before_opset_13_is_taken_over_everything_from_the_axis_on() {
    // The zoo's opset-9 classifiers end with a Softmax over [N, C, 1, 1].
    let network = Model::with_opset(9, &[1, 10, 1, 1])
        .node(op("Softmax", &["x"], &["y"], vec![]))
        .output("y")
        .recorded(info("y", &[1, 10, 1, 1]))
        .import();
    let ops: Vec<(&NnOp, &[i64])> = network.nodes.iter().map(|n| (&n.op, n.shape.as_slice())).collect();
    assert_eq!(
        ops,
        [
            (&NnOp::Flatten { axis: 1 }, &[1, 10][..]),
            (&NnOp::Softmax { axis: 1 }, &[1, 10][..]),
            (&NnOp::Reshape, &[1, 10, 1, 1][..]),
        ]
    );
    assert!(network.nodes.iter().all(|n| n.name == "y"));

    let last_axis = Model::with_opset(9, &[1, 10]).node(op("Softmax", &["x"], &["y"], vec![])).output("y").import();
    assert_eq!(last_axis.nodes.len(), 1);
    assert_eq!(node(&last_axis, "y").op, NnOp::Softmax { axis: 1 });
}

#[test]
fn sum_of_three_is_a_chain_of_adds_and_of_one_its_input() {
    let network = Model::with_opset(8, &[1, 4, 3, 3])
        .init(external("b", &[1, 4, 3, 3], DataType::Float))
        .node(op("Relu", &["x"], &["r"], vec![]))
        .node(op("Sum", &["x", "r", "b"], &["s"], vec![]))
        .node(op("Sum", &["s"], &["y"], vec![]))
        .output("y")
        .import();
    let adds = nodes_of(&network, "nn.add");
    assert_eq!(adds.len(), 2);
    assert!(adds.iter().all(|add| add.name == "s" && add.shape == [1, 4, 3, 3]));
    assert_eq!(adds[1].inputs[0], Ref::Node(network.nodes.iter().position(|n| n.name == "s").unwrap()));
    assert_eq!(network.outputs[0], Ref::Node(network.nodes.len() - 1));

    let mismatch = Model::with_opset(8, &[1, 4, 3, 3])
        .init(external("b", &[1, 4, 1, 1], DataType::Float))
        .node(op("Sum", &["x", "b"], &["y"], vec![]))
        .output("y");
    assert_eq!(
        mismatch.error(),
        "models/test.onnx: node 'y' (Sum): operands must have one shape, got [1, 4, 3, 3] and [1, 4, 1, 1]"
    );
    let empty = Model::with_opset(8, &[1, 4]).node(op("Sum", &[], &["y"], vec![])).output("y");
    assert_eq!(empty.error(), "models/test.onnx: node 'y' (Sum): expects at least 1 input, got 0");
}

#[test]
fn lrn_is_rejected_by_name_with_the_reason() {
    let lrn = Model::with_opset(7, &[1, 64, 8, 8])
        .node(NodeProto { name: "norm1".into(), ..op("LRN", &["x"], &["y"], vec![int_attr("size", 5)]) })
        .output("y");
    assert_eq!(
        lrn.error(),
        "models/test.onnx: node 'norm1' (LRN): local response normalization is not supported: the nn dialect has no \
         op for it (each value divided by a power of the sum of squares over neighbouring channels, not a crossbar \
         product); export the network without it"
    );
}

/// The names of the weights `node` takes after its first operand.
fn operand_names(network: &Network, node: &rram_compiler::frontend::Node) -> Vec<String> {
    node.inputs[1..]
        .iter()
        .map(|&operand| match operand {
            Ref::Node(index) => match &network.nodes[index].op {
                NnOp::Weight { name } => name.clone(),
                other => panic!("{} takes {other:?}", node.name),
            },
            Ref::Input(_) => panic!("{} takes a graph input", node.name),
        })
        .collect()
}

/// The values the network holds for weight `name`.
fn weight_values<'n>(network: &'n Network, name: &str) -> &'n [f32] {
    &network.weights.get(name).unwrap_or_else(|| panic!("no values for {name}")).values
}

#[test]
fn transpose_mul_shape_and_constant_of_shape_over_constants_are_folded() {
    let float_value = |value: f32| tensor_attr("value", floats("", &[1], &[value]));
    let int_value = |value: i64| tensor_attr("value", ints("", &[value]));
    let network = Model::with_opset(9, &[2, 3])
        .init(floats("w", &[3, 2], &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]))
        .init(floats("two", &[], &[2.0]))
        .init(ints("one", &[1]))
        .init(ints("minus_one", &[-1]))
        .node(op("Transpose", &["w"], &["wt"], vec![]))
        .node(op("Mul", &["wt", "two"], &["m"], vec![]))
        .node(op("Shape", &["x"], &["s"], vec![]))
        .node(op("ConstantOfShape", &["s"], &["half"], vec![float_value(0.5)]))
        .node(op("Add", &["x", "m"], &["a"], vec![]))
        .node(op("Add", &["a", "half"], &["b"], vec![]))
        // An old exporter's flattening: [1] ++ (ones([1]) * -1) = [1, -1].
        .node(op("ConstantOfShape", &["one"], &["ones"], vec![int_value(1)]))
        .node(op("Mul", &["ones", "minus_one"], &["rest"], vec![]))
        .node(op("Concat", &["one", "rest"], &["target"], vec![int_attr("axis", 0)]))
        .node(op("Reshape", &["b", "target"], &["y"], vec![]))
        .output("y")
        .import();
    assert_eq!(weight_values(&network, "m"), [0.0, 4.0, 8.0, 2.0, 6.0, 10.0]);
    assert_eq!(weight_values(&network, "half"), [0.5; 6]);
    assert_eq!(nodes_of(&network, "nn.add").len(), 2);
    assert_eq!(output_shape(&network), [1, 6]);

    let zeros = Model::with_opset(9, &[1, 2])
        .init(ints("shape", &[1, 2]))
        .node(op("ConstantOfShape", &["shape"], &["z"], vec![]))
        .node(op("Add", &["x", "z"], &["y"], vec![]))
        .output("y")
        .import();
    assert_eq!(weight_values(&zeros, "z"), [0.0, 0.0]);
}

#[test]
fn mul_by_a_constant_scalar_or_per_channel_factor_is_a_scaling_batchnorm() {
    let network = Model::with_opset(9, &[1, 4, 3, 3])
        .init(floats("f", &[4, 1, 1], &[1.0, 2.0, 3.0, 4.0]))
        .node(op("Mul", &["x", "f"], &["m"], vec![]))
        .node(op("Constant", &[], &["half"], vec![float_attr("value_float", 0.5)]))
        .node(op("Mul", &["half", "m"], &["y"], vec![]))
        .output("y")
        .import();
    let scalings = nodes_of(&network, "nn.batchnorm");
    assert_eq!(scalings.len(), 2);
    for scaling in &scalings {
        assert_eq!(scaling.op, NnOp::BatchNorm { epsilon: 0.0 });
        assert_eq!(scaling.shape, [1, 4, 3, 3]);
        let n = &scaling.name;
        assert_eq!(
            operand_names(&network, scaling),
            [format!("{n}.scale"), format!("{n}.zeros"), format!("{n}.zeros"), format!("{n}.ones")]
        );
    }
    assert_eq!(weight_values(&network, "m.scale"), [1.0, 2.0, 3.0, 4.0]);
    assert_eq!(weight_values(&network, "y.scale"), [0.5; 4]);
    assert_eq!(weight_values(&network, "y.zeros"), [0.0; 4]);
    assert_eq!(weight_values(&network, "y.ones"), [1.0; 4]);

    // Before opset 7, a factor [C] broadcast from axis 1 with broadcast = 1.
    let legacy = Model::with_opset(6, &[1, 4, 3, 3])
        .init(floats("f", &[4], &[1.0, 2.0, 3.0, 4.0]))
        .node(op("Mul", &["x", "f"], &["y"], vec![int_attr("broadcast", 1), int_attr("axis", 1)]))
        .output("y")
        .import();
    assert_eq!(weight_values(&legacy, "y.scale"), [1.0, 2.0, 3.0, 4.0]);
}

#[test]
fn add_of_a_constant_scalar_or_per_channel_bias_is_a_shifting_batchnorm() {
    // Caffe2's old exports add a conv's bias as Add with broadcast = 1, axis = 1.
    let network = Model::with_opset(6, &[1, 3, 4, 4])
        .init(external("w", &[2, 3, 1, 1], DataType::Float))
        .init(floats("b", &[2], &[0.5, -0.5]))
        .node(op("Conv", &["x", "w"], &["c"], vec![]))
        .node(op("Add", &["c", "b"], &["y"], vec![int_attr("broadcast", 1), int_attr("axis", 1)]))
        .output("y")
        .import();
    let shift = node(&network, "y");
    assert_eq!(shift.op, NnOp::BatchNorm { epsilon: 0.0 });
    assert_eq!(shift.shape, [1, 2, 4, 4]);
    assert_eq!(operand_names(&network, shift), ["y.ones", "y.shift", "y.zeros", "y.ones"]);
    assert_eq!(weight_values(&network, "y.shift"), [0.5, -0.5]);

    let scalar = Model::with_opset(9, &[1, 3, 4, 4])
        .init(floats("b", &[], &[1.0]))
        .node(op("Add", &["b", "x"], &["y"], vec![]))
        .output("y")
        .import();
    assert_eq!(weight_values(&scalar, "y.shift"), [1.0; 3]);
    let same_shape = Model::with_opset(9, &[1, 3])
        .init(floats("b", &[1, 3], &[1.0, 2.0, 3.0]))
        .node(op("Add", &["x", "b"], &["y"], vec![]))
        .output("y")
        .import();
    assert_eq!(node(&same_shape, "y").op, NnOp::Add);
}

#[test]
fn zero_pad_before_a_conv_adds_to_its_pads_in_every_opset() {
    let pads = [0, 0, 1, 2, 0, 0, 3, 0];
    let padded_conv = |model: Model| {
        model
            .init(external("w", &[4, 3, 3, 3], DataType::Float))
            .node(op("Conv", &["p", "w"], &["y"], vec![ints_attr("pads", &[1, 1, 1, 1])]))
            .output("y")
            .import()
    };
    let opset1 =
        Model::with_opset(1, &[1, 3, 8, 8]).node(op("Pad", &["x"], &["p"], vec![ints_attr("paddings", &pads)]));
    let opset2 = Model::with_opset(2, &[1, 3, 8, 8]).node(op(
        "Pad",
        &["x"],
        &["p"],
        vec![ints_attr("pads", &pads), string_attr("mode", "constant"), float_attr("value", 0.0)],
    ));
    let opset11 = Model::with_opset(11, &[1, 3, 8, 8])
        .init(ints("pads", &pads))
        .init(floats("zero", &[], &[0.0]))
        .node(op("Pad", &["x", "pads", "zero"], &["p"], vec![]));
    for model in [opset1, opset2, opset11] {
        let network = padded_conv(model);
        let (conv, shape) = conv_of(&network);
        assert_eq!(conv.pads, [2, 3, 4, 1]);
        assert_eq!(shape, [1, 4, 12, 10], "8 + 2 + 4 - 2 by 8 + 3 + 1 - 2");
        assert_eq!(node(&network, "y").inputs[0], Ref::Input(0));
        assert_eq!(network.nodes.len(), 2, "the weight and the conv");
    }

    let nothing = Model::with_opset(9, &[1, 3, 8, 8])
        .node(op("Pad", &["x"], &["p"], vec![ints_attr("pads", &[0; 8])]))
        .node(op("Relu", &["p"], &["y"], vec![]))
        .output("y")
        .import();
    assert_eq!(node(&nothing, "y").inputs[0], Ref::Input(0));
}

#[test]
fn pad_errors() {
    let pad_then = |attributes: Vec<AttributeProto>, consumer: &str| {
        Model::with_opset(9, &[1, 3, 8, 8])
            .init(external("w", &[4, 3, 3, 3], DataType::Float))
            .node(NodeProto { name: "pad".into(), ..op("Pad", &["x"], &["p"], attributes) })
            .node(op(
                consumer,
                &["p", "w"][..if consumer == "Conv" { 2 } else { 1 }],
                &["y"],
                vec![ints_attr("kernel_shape", &[3, 3])],
            ))
            .output("y")
            .error()
    };
    let pads = || ints_attr("pads", &[0, 0, 1, 1, 0, 0, 1, 1]);
    assert_eq!(
        pad_then(vec![pads(), string_attr("mode", "reflect")], "Conv"),
        "models/test.onnx: node 'pad' (Pad): only padding with zeros is supported (mode 'constant', value 0), got \
         mode 'reflect', value 0"
    );
    assert_eq!(
        pad_then(vec![pads(), float_attr("value", -1.0)], "Conv"),
        "models/test.onnx: node 'pad' (Pad): only padding with zeros is supported (mode 'constant', value 0), got \
         mode 'constant', value -1"
    );
    assert_eq!(
        pad_then(vec![ints_attr("pads", &[0, 1, 0, 0, 0, 0, 0, 0])], "Conv"),
        "models/test.onnx: node 'pad' (Pad): only height and width of a 4-D tensor are padded, got pads \
         [0, 1, 0, 0, 0, 0, 0, 0] for [1, 3, 8, 8]"
    );
    assert_eq!(
        pad_then(vec![ints_attr("pads", &[0, 0, -1, 0, 0, 0, 0, 0])], "Conv"),
        "models/test.onnx: node 'pad' (Pad): attribute 'pads' must have values in [0, 1048576], got [-1, 0, 0, 0]"
    );
    assert_eq!(
        pad_then(vec![pads()], "MaxPool"),
        "models/test.onnx: node 'pad' (Pad): padding is only supported as the input of a Conv that alone uses it (it \
         adds to the conv's pads)"
    );
    assert_eq!(pad_then(vec![], "Conv"), "models/test.onnx: node 'pad' (Pad): attribute 'pads' is required");
}

#[test]
fn per_channel_scale_and_shift_after_a_conv_fold_into_it() {
    let network = Model::with_opset(9, &[1, 3, 6, 6])
        .init(external("w", &[2, 3, 3, 3], DataType::Float))
        .init(floats("f", &[1, 2, 1, 1], &[2.0, 3.0]))
        .init(floats("b", &[2, 1, 1], &[0.5, -0.5]))
        .node(op("Conv", &["x", "w"], &["c"], vec![]))
        .node(op("Mul", &["c", "f"], &["m"], vec![]))
        .node(op("Add", &["m", "b"], &["y"], vec![]))
        .output("y")
        .import();
    let context = Context::new().unwrap();
    let mut module = context.parse(&network.to_mlir(), &network.name).unwrap();
    let count = |module: &rram_dialects::Module, name: &str| module.operations_named(name).len();
    assert_eq!(count(&module, "nn.batchnorm"), 2);
    FoldBatchnorm.run(&mut module).unwrap();
    VerifyShapes.run(&mut module).unwrap();
    assert_eq!(count(&module, "nn.batchnorm"), 0);
    assert_eq!(count(&module, "nn.conv2d"), 1);
}

#[test]
fn mul_transpose_and_constant_of_shape_errors() {
    let per_width = floats("f", &[3], &[1.0, 2.0, 3.0]);
    assert_eq!(
        node_error(&[1, 4, 3, 3], vec![per_width], op("Mul", &["x", "f"], &["y"], vec![])),
        "models/test.onnx: node 'y' (Mul): only a constant scalar or one value per channel (dimension 1) is supported \
         as the other operand, got [1, 4, 3, 3] and 'f' of shape [3]"
    );
    assert_eq!(
        node_error(&[1, 4], vec![], op("Mul", &["x", "x"], &["y"], vec![])),
        "models/test.onnx: node 'y' (Mul): the product of two computed tensors is not supported; one factor must be a \
         constant (a scalar or one value per channel)"
    );
    assert_eq!(
        node_error(&[1, 4], vec![ints("f", &[2])], op("Mul", &["x", "f"], &["y"], vec![])),
        "models/test.onnx: node 'y' (Mul): 'f' has data type INT64; operands of the network must be FLOAT"
    );
    let legacy = Model::with_opset(6, &[1, 4, 3, 3])
        .init(floats("f", &[4, 3], &[0.0; 12]))
        .node(op("Mul", &["x", "f"], &["y"], vec![int_attr("broadcast", 1), int_attr("axis", 3)]))
        .output("y");
    assert_eq!(
        legacy.error(),
        "models/test.onnx: node 'y' (Mul): 'f' of shape [4, 3] does not fit from axis 3 of rank 4"
    );
    let mixed = Model::with_opset(9, &[1, 4])
        .init(ints("i", &[2]))
        .init(floats("f", &[1], &[2.0]))
        .node(op("Mul", &["i", "f"], &["p"], vec![]))
        .node(op("Reshape", &["x", "p"], &["y"], vec![]))
        .output("y");
    assert_eq!(
        mixed.error(),
        "models/test.onnx: node 'p' (Mul): 'i' is INT64 but 'f' is FLOAT; the operands must have one data type"
    );

    assert_eq!(
        node_error(&[1, 4, 3, 3], vec![], op("Transpose", &["x"], &["y"], vec![ints_attr("perm", &[0, 2, 3, 1])])),
        "models/test.onnx: node 'y' (Transpose): perm [0, 2, 3, 1] reorders the data of [1, 4, 3, 3]; a computed \
         tensor is only transposed where dimensions of size 1 move"
    );
    assert_eq!(
        node_error(&[1, 4, 3, 3], vec![], op("Transpose", &["x"], &["y"], vec![ints_attr("perm", &[0, 1, 1, 2])])),
        "models/test.onnx: node 'y' (Transpose): attribute 'perm' = [0, 1, 1, 2] is not a permutation of the 4 axes \
         of [1, 4, 3, 3]"
    );

    let two_values = tensor_attr("value", floats("", &[2], &[1.0, 2.0]));
    assert_eq!(
        node_error(&[1, 4], vec![ints("s", &[1, 4])], op("ConstantOfShape", &["s"], &["y"], vec![two_values])),
        "models/test.onnx: node 'y' (ConstantOfShape): attribute 'value' must hold one value, got shape [2]"
    );
    assert_eq!(
        node_error(&[1, 4], vec![ints("s", &[1, 1 << 30])], op("ConstantOfShape", &["s"], &["y"], vec![])),
        "models/test.onnx: node 'y' (ConstantOfShape): folding 'y' into [1, 1073741824] would compute more than \
         16777216 values, which is not supported"
    );
}

#[test]
fn transpose_of_a_tensor_that_moves_only_dimensions_of_size_1_is_a_reshape() {
    let network = Model::with_opset(9, &[1, 4, 1, 1])
        .node(op("Transpose", &["x"], &["y"], vec![ints_attr("perm", &[0, 2, 3, 1])]))
        .output("y")
        .import();
    assert_eq!(node(&network, "y").op, NnOp::Reshape);
    assert_eq!(output_shape(&network), [1, 1, 1, 4]);
}

#[test]
fn attribute_forms_of_old_opsets() {
    // Opset 5: BatchNormalization and Dropout with `is_test` and
    // `consumed_inputs`, Concat without an axis (1 before opset 4 only;
    // opset 3 below), Reshape to an attribute `shape` (before opset 5).
    let stats = |name: &str| external(name, &[4], DataType::Float);
    let old_batchnorm = vec![
        int_attr("is_test", 1),
        ints_attr("consumed_inputs", &[0, 0, 0, 1, 1]),
        int_attr("spatial", 1),
        float_attr("epsilon", 1e-3),
    ];
    let network = Model::with_opset(5, &[1, 4, 2, 2])
        .init(stats("scale"))
        .init(stats("bias"))
        .init(stats("mean"))
        .init(stats("var"))
        .node(op("BatchNormalization", &["x", "scale", "bias", "mean", "var"], &["bn"], old_batchnorm))
        .node(op("Dropout", &["bn"], &["y"], vec![int_attr("is_test", 1), ints_attr("consumed_inputs", &[0])]))
        .output("y")
        .import();
    assert_eq!(node(&network, "bn").op, NnOp::BatchNorm { epsilon: 1e-3 });
    assert_eq!(network.outputs[0], Ref::Node(network.nodes.len() - 1));

    let network = Model::with_opset(3, &[1, 4, 2, 2])
        .node(op("Concat", &["x", "x"], &["c"], vec![]))
        .node(op("Reshape", &["c"], &["y"], vec![ints_attr("shape", &[1, -1])]))
        .output("y")
        .import();
    assert_eq!(node(&network, "c").op, NnOp::Concat { axis: 1 });
    assert_eq!(output_shape(&network), [1, 32]);

    let spatial = Model::with_opset(7, &[1, 4, 2, 2])
        .init(stats("scale"))
        .init(stats("bias"))
        .init(stats("mean"))
        .init(stats("var"))
        .node(op("BatchNormalization", &["x", "scale", "bias", "mean", "var"], &["y"], vec![int_attr("spatial", 0)]))
        .output("y");
    assert_eq!(
        spatial.error(),
        "models/test.onnx: node 'y' (BatchNormalization): spatial = 0 (statistics per element, before opset 9) is not \
         supported"
    );
    let without_shape = Model::with_opset(4, &[1, 4]).node(op("Reshape", &["x"], &["y"], vec![])).output("y");
    assert_eq!(without_shape.error(), "models/test.onnx: node 'y' (Reshape): attribute 'shape' is required");
    let without_axis = Model::with_opset(4, &[1, 4]).node(op("Concat", &["x", "x"], &["y"], vec![])).output("y");
    assert_eq!(without_axis.error(), "models/test.onnx: node 'y' (Concat): attribute 'axis' is required");
}

#[test]
fn node_names_symbolic_batch_and_initializers_listed_as_inputs() {
    let mut model = Model::new(&[1, 2]);
    let graph = model.graph();
    graph.input = vec![dims_info("x", &[None, Some(3), Some(4), Some(4)], DataType::Float), info("w", &[2, 3, 1, 1])];
    let model = model
        .init(external("w", &[2, 3, 1, 1], DataType::Float))
        .node(NodeProto { name: "conv1".into(), ..op("Conv", &["x", "w"], &["c"], vec![]) })
        .node(op("Relu", &["c"], &["y"], vec![]))
        .output("y");
    let network = model.import();
    assert_eq!(network.inputs, [("x".to_string(), vec![1, 3, 4, 4])]);
    let names: Vec<&str> = network.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["w", "conv1", "y"]);
    assert_eq!(network.name, "test");
}

#[test]
fn nodes_out_of_order_are_sorted() {
    let network = Model::new(&[1, 4])
        .node(op("Relu", &["r"], &["y"], vec![]))
        .node(op("Relu", &["x"], &["r"], vec![]))
        .output("y")
        .import();
    let names: Vec<&str> = network.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["r", "y"]);
}

#[test]
fn shapes_the_file_records_are_cross_checked() {
    let network = Model::new(&[1, 4])
        .node(op("Relu", &["x"], &["y"], vec![]))
        .recorded(dims_info("y", &[None, Some(4)], DataType::Float))
        .output("y")
        .import();
    assert_eq!(output_shape(&network), [1, 4]);
}

#[test]
fn external_weight_data_next_to_the_model_is_read() {
    let directory = tempfile::tempdir().unwrap();
    let values: [f32; 3] = [0.5, -1.0, 2.0];
    let mut data = vec![0u8; 8];
    data.extend(values.iter().flat_map(|v| v.to_le_bytes()));
    std::fs::write(directory.path().join("weights.bin"), data).unwrap();
    let mut weight = external("w", &[3, 1, 1, 1], DataType::Float);
    weight.external_data.push(StringStringEntryProto { key: "offset".into(), value: "8".into() });
    weight.external_data.push(StringStringEntryProto { key: "length".into(), value: "12".into() });
    let model = Model::new(&[1, 1, 2, 2]).init(weight).node(op("Conv", &["x", "w"], &["y"], vec![])).output("y");
    let path = directory.path().join("model.onnx");
    std::fs::write(&path, model.bytes()).unwrap();
    let network = import_file(&path).unwrap();
    assert_eq!(network.weights["w"].values, values);
    // The same bytes from memory have no directory to look in.
    assert!(import_bytes(&model.bytes(), "model.onnx").unwrap().weights.is_empty());
}

// ---- errors ----

#[test]
fn unreadable_files_are_named() {
    let missing = models_dir().join("missing.onnx");
    assert_eq!(
        import_file(&missing).unwrap_err().to_string(),
        format!("{}: cannot read the file: No such file or directory (os error 2)", missing.display())
    );
    let bytes = std::fs::read(models_dir().join("lenet5.struct.onnx")).unwrap();
    assert_eq!(
        import_bytes(&bytes[..bytes.len() / 2], "lenet5.onnx").unwrap_err().to_string(),
        "lenet5.onnx: not an ONNX model: failed to decode Protobuf message: ModelProto.graph: buffer underflow"
    );
    assert_eq!(
        import_bytes(b"", "empty.onnx").unwrap_err().to_string(),
        "empty.onnx: not an ONNX model: the file holds no graph"
    );
    assert_eq!(
        import_bytes(b"\xff\xff\xff", "junk.onnx").unwrap_err().to_string(),
        "junk.onnx: not an ONNX model: failed to decode Protobuf message: invalid varint"
    );
    let mut no_opset = Model::new(&[1]);
    no_opset.0.opset_import.clear();
    assert_eq!(
        no_opset.error(),
        "models/test.onnx: not an ONNX model: it imports no version of the standard operator set (opset_import)"
    );
}

#[test]
fn unsupported_operators_are_named_with_the_list_of_supported_ones() {
    let supported = "Add, AveragePool, BatchNormalization, Cast, Clip, Concat, Constant, ConstantOfShape, Conv, \
                     Dropout, Flatten, Gather, Gemm, GlobalAveragePool, Identity, MatMul, MaxPool, Mul, Pad, \
                     ReduceMean, Relu, Reshape, Shape, Softmax, Squeeze, Sum, Transpose, Unsqueeze";
    let lstm = Model::new(&[1, 4]).node(NodeProto { name: "rnn".into(), ..op("LSTM", &["x"], &["y"], vec![]) });
    assert_eq!(
        lstm.output("y").error(),
        format!("models/test.onnx: node 'rnn' (LSTM): unsupported operator; supported: {supported}")
    );
    let custom =
        Model::new(&[1, 4]).node(NodeProto { domain: "com.microsoft".into(), ..op("Relu", &["x"], &["y"], vec![]) });
    assert_eq!(
        custom.output("y").error(),
        format!(
            "models/test.onnx: node 'y' (Relu): unsupported operator of domain 'com.microsoft'; \
             supported (standard domain): {supported}"
        )
    );
}

#[test]
fn graph_structure_errors() {
    let cycle = Model::new(&[1, 4])
        .node(op("Relu", &["x"], &["a"], vec![]))
        .node(op("Add", &["a", "c"], &["b"], vec![]))
        .node(op("Relu", &["b"], &["c"], vec![]))
        .output("c");
    assert_eq!(cycle.error(), "models/test.onnx: the graph has a cycle: 'b' (Add) -> 'c' (Relu) -> 'b' (Add)");

    let dangling = Model::new(&[1, 4]).node(op("Add", &["x", "nowhere"], &["y"], vec![])).output("y");
    assert_eq!(
        dangling.error(),
        "models/test.onnx: node 'y' (Add): input 'nowhere' is not defined: \
         no node, graph input or initializer produces it"
    );

    let twice = Model::new(&[1, 4])
        .node(op("Relu", &["x"], &["y"], vec![]))
        .node(NodeProto { name: "again".into(), ..op("Relu", &["x"], &["y"], vec![]) })
        .output("y");
    assert_eq!(twice.error(), "models/test.onnx: node 'again' (Relu): output 'y' is also produced by node 'y'");

    let no_outputs = Model::new(&[1, 4]).node(op("Relu", &["x"], &["y"], vec![]));
    assert_eq!(no_outputs.error(), "models/test.onnx: the graph has no outputs");

    let unknown_output = Model::new(&[1, 4]).node(op("Relu", &["x"], &["y"], vec![])).output("z");
    assert_eq!(unknown_output.error(), "models/test.onnx: graph output 'z' is not produced by any node or input");

    let constant_output = Model::new(&[1, 4]).init(floats("c", &[1], &[1.0])).output("c");
    assert_eq!(
        constant_output.error(),
        "models/test.onnx: graph output 'c' is a constant; only values computed from the inputs can be outputs"
    );
}

#[test]
fn graph_input_errors() {
    let mut symbolic = Model::new(&[1]);
    symbolic.graph().input = vec![dims_info("x", &[Some(1), Some(3), None, Some(4)], DataType::Float)];
    assert_eq!(
        symbolic.output("x").error(),
        "models/test.onnx: graph input 'x' has a symbolic dimension 'batch' at axis 2; \
         only the batch dimension (axis 0) may be symbolic"
    );
    let mut integer = Model::new(&[1]);
    integer.graph().input = vec![dims_info("x", &[Some(1)], DataType::Int64)];
    assert_eq!(
        integer.output("x").error(),
        "models/test.onnx: graph input 'x' has element type INT64; only FLOAT inputs are supported"
    );
    let mut huge = Model::new(&[1]);
    huge.graph().input = vec![info("x", &[1 << 30, 1 << 30])];
    assert_eq!(
        huge.output("x").error(),
        "models/test.onnx: graph input 'x' shape [1073741824, 1073741824] has more than 1099511627776 elements, \
         which is not supported"
    );
}

/// The error of a model of one node `y` on input `x` of `input`.
fn node_error(input: &[i64], initializers: Vec<TensorProto>, node: NodeProto) -> String {
    let mut model = Model::new(input);
    for tensor in initializers {
        model = model.init(tensor);
    }
    model.node(node).output("y").error()
}

#[test]
fn attribute_errors() {
    let weight = || vec![external("w", &[4, 3, 3, 3], DataType::Float)];
    let conv = |attributes| op("Conv", &["x", "w"], &["y"], attributes);
    let cases = [
        (vec![float_attr("group", 1.0)], "attribute 'group' must be INT, got FLOAT"),
        (vec![int_attr("group", 0)], "attribute 'group' must be in [1, 1048576], got 0"),
        (vec![ints_attr("strides", &[0, 1])], "attribute 'strides' must have values in [1, 1048576], got [0, 1]"),
        (vec![ints_attr("pads", &[1, 1])], "attribute 'pads' must have 4 values (2-D), got [1, 1]"),
        (
            vec![ints_attr("pads", &[-1, 0, 0, 0])],
            "attribute 'pads' must have values in [0, 1048576], got [-1, 0, 0, 0]",
        ),
        (
            vec![string_attr("auto_pad", "SAME")],
            "attribute 'auto_pad' = 'SAME' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID",
        ),
        (
            vec![string_attr("auto_pad", "VALID"), ints_attr("pads", &[1, 1, 1, 1])],
            "attribute 'pads' cannot be combined with auto_pad = VALID",
        ),
        (
            vec![ints_attr("kernel_shape", &[5, 5])],
            "attribute 'kernel_shape' = [5, 5] does not match the weight [4, 3, 3, 3]",
        ),
        (vec![int_attr("group", 3)], "input has 3 channels but weight [4, 3, 3, 3] with groups = 3 expects 9"),
    ];
    for (attributes, message) in cases {
        assert_eq!(
            node_error(&[1, 3, 8, 8], weight(), conv(attributes)),
            format!("models/test.onnx: node 'y' (Conv): {message}")
        );
    }
    let pool = |attributes| op("MaxPool", &["x"], &["y"], attributes);
    assert_eq!(
        node_error(&[1, 3, 8, 8], vec![], pool(vec![])),
        "models/test.onnx: node 'y' (MaxPool): attribute 'kernel_shape' is required"
    );
    assert_eq!(
        node_error(&[1, 3, 8, 8], vec![], pool(vec![ints_attr("kernel_shape", &[9, 9])])),
        "models/test.onnx: node 'y' (MaxPool): window of extent 9 does not fit the padded input of extent 8 (dimension 2)"
    );
    let clip = op("Clip", &["x"], &["y"], vec![float_attr("min", 6.0), float_attr("max", 0.0)]);
    assert_eq!(
        node_error(&[1, 4], vec![], clip),
        "models/test.onnx: node 'y' (Clip): 'min' (6) must not exceed 'max' (0)"
    );
}

#[test]
fn operand_errors() {
    let half = TensorProto { data_type: DataType::Float16 as i32, ..floats("w", &[4, 3, 1, 1], &[]) };
    assert_eq!(
        node_error(&[1, 3, 4, 4], vec![half], op("Conv", &["x", "w"], &["y"], vec![])),
        "models/test.onnx: node 'y' (Conv): 'w' has data type FLOAT16; operands of the network must be FLOAT"
    );
    let short = TensorProto { raw_data: vec![0; 12], ..floats("w", &[4, 3, 1, 1], &[]) };
    assert_eq!(
        node_error(&[1, 3, 4, 4], vec![short], op("Conv", &["x", "w"], &["y"], vec![])),
        "models/test.onnx: node 'y' (Conv): cannot read the values of 'w': 12 bytes of data for 12 elements of 4 bytes"
    );
    assert_eq!(
        node_error(
            &[1, 3, 4, 4],
            vec![external("s", &[2], DataType::Int64)],
            op("Reshape", &["x", "s"], &["y"], vec![])
        ),
        "models/test.onnx: node 'y' (Reshape): needs the values of 's', which the file does not hold"
    );
    assert_eq!(
        node_error(&[1, 3, 4, 4], vec![ints("s", &[5, -1])], op("Reshape", &["x", "s"], &["y"], vec![])),
        "models/test.onnx: node 'y' (Reshape): cannot reshape [1, 3, 4, 4] into [5, -1]"
    );
    assert_eq!(
        node_error(&[1, 4], vec![], op("MatMul", &["x", "x"], &["y"], vec![])),
        "models/test.onnx: node 'y' (MatMul): input #1 'x' must be a constant (an initializer or a value computed at \
         import time): only products by a weight are supported"
    );
    assert_eq!(
        node_error(
            &[4, 1],
            vec![floats("w", &[4, 2], &[0.0; 8])],
            op("Gemm", &["x", "w"], &["y"], vec![int_attr("transA", 1)])
        ),
        "models/test.onnx: node 'y' (Gemm): transA = 1 is not supported: the input must be [batch, features]"
    );
    assert_eq!(
        node_error(&[1, 4, 2, 2], vec![], op("ReduceMean", &["x"], &["y"], vec![ints_attr("axes", &[1])])),
        "models/test.onnx: node 'y' (ReduceMean): only the mean over axes [2, 3] of a 4-D tensor (global average \
         pooling) is supported, got axes [1] of [1, 4, 2, 2]"
    );
    assert_eq!(
        node_error(&[1, 4, 2, 2], vec![], op("Add", &["x", "x", "x"], &["y"], vec![])),
        "models/test.onnx: node 'y' (Add): expects 2 inputs, got 3"
    );
    assert_eq!(
        node_error(&[1, 4], vec![floats("b", &[2], &[0.0; 2])], op("Add", &["x", "b"], &["y"], vec![])),
        "models/test.onnx: node 'y' (Add): only a constant scalar or one value per channel (dimension 1) is supported \
         as the other operand, got [1, 4] and 'b' of shape [2]"
    );
    let taken = vec![floats("w", &[2, 2], &[0.0; 4]), floats("w.T", &[2, 2], &[0.0; 4])];
    assert_eq!(
        node_error(&[1, 2], taken, op("MatMul", &["x", "w"], &["y"], vec![])),
        "models/test.onnx: node 'y' (MatMul): the name 'w.T' for a weight changed on import is already used in the file"
    );
    let indices = op("MaxPool", &["x"], &["y", "indices"], vec![ints_attr("kernel_shape", &[2, 2])]);
    let model = Model::new(&[1, 1, 4, 4]).node(indices).output("y").output("indices");
    assert_eq!(model.error(), "models/test.onnx: node 'y' (MaxPool): output #1 'indices' is not supported");
    let mut escaping = external("w", &[1, 1, 1, 1], DataType::Float);
    escaping.external_data[0].value = "../weights.bin".into();
    assert_eq!(
        node_error(&[1, 1, 2, 2], vec![escaping], op("Conv", &["x", "w"], &["y"], vec![])),
        "models/test.onnx: node 'y' (Conv): cannot read the values of 'w': \
         external data location '../weights.bin' must be a path below the model's directory"
    );
}

#[test]
fn a_shape_the_file_records_differently_is_an_error() {
    let model = Model::new(&[1, 3, 8, 8])
        .init(external("w", &[4, 3, 3, 3], DataType::Float))
        .node(NodeProto { name: "conv1".into(), ..op("Conv", &["x", "w"], &["c"], vec![]) })
        .recorded(dims_info("c", &[None, Some(4), Some(8), Some(8)], DataType::Float))
        .output("c");
    assert_eq!(
        model.error(),
        "models/test.onnx: node 'conv1' (Conv): inferred shape [1, 4, 6, 6] for 'c', but the file records [?, 4, 8, 8]"
    );
}

// ---- fuzzing ----

/// Protobuf wire bytes: field tags, lengths, varint continuation.
const STRUCTURAL_BYTES: &[u8] = b"\x00\x01\x08\x0a\x10\x12\x1a\x22\x7f\x80\xff";

/// Whatever the bytes, the importer answers: a network whose MLIR parses,
/// verifies and passes `nn-verify-shapes`, or a one-line error naming the
/// file.
fn check_importer_on(bytes: &[u8]) -> Result<(), TestCaseError> {
    match import_bytes(bytes, "fuzz.onnx") {
        Ok(network) => check_mlir(&network),
        Err(error) => {
            let message = error.to_string();
            prop_assert!(message.starts_with("fuzz.onnx: ") && !message.contains('\n'), "{}", message);
        }
    }
    Ok(())
}

/// A change to a decoded model, to reach the importer's checks behind the
/// protobuf decoder: odd attribute values and types, dims, operators,
/// wiring.
#[derive(Debug, Clone)]
enum Edit {
    AttributeInts(prop::sample::Index, prop::sample::Index, Vec<i64>),
    AttributeFloat(prop::sample::Index, prop::sample::Index, f32),
    AttributeType(prop::sample::Index, prop::sample::Index, i32),
    InitializerDims(prop::sample::Index, Vec<i64>),
    InputDims(Vec<i64>),
    OpType(prop::sample::Index, &'static str),
    Rewire(prop::sample::Index, prop::sample::Index, prop::sample::Index),
    RemoveNode(prop::sample::Index),
}

/// Mostly small values, plus the edges of i64 and sizes past every limit.
fn interesting_int() -> impl Strategy<Value = i64> {
    prop_oneof![
        6 => -2i64..=8,
        2 => 0i64..600,
        1 => Just(i64::MAX),
        1 => Just(i64::MIN),
        1 => Just(1 << 40),
        1 => any::<i64>(),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    let index = any::<prop::sample::Index>;
    let ints = || prop::collection::vec(interesting_int(), 0..6);
    // Every supported operator, and one that is not.
    let op_types: Vec<&str> = SUPPORTED_OPERATORS.iter().copied().chain(["LSTM"]).collect();
    prop_oneof![
        4 => (index(), index(), ints()).prop_map(|(n, a, v)| Edit::AttributeInts(n, a, v)),
        1 => (index(), index(), any::<f32>()).prop_map(|(n, a, v)| Edit::AttributeFloat(n, a, v)),
        1 => (index(), index(), -1i32..16).prop_map(|(n, a, t)| Edit::AttributeType(n, a, t)),
        2 => (index(), ints()).prop_map(|(i, d)| Edit::InitializerDims(i, d)),
        1 => ints().prop_map(Edit::InputDims),
        2 => (index(), prop::sample::select(op_types)).prop_map(|(n, o)| Edit::OpType(n, o)),
        2 => (index(), index(), index()).prop_map(|(n, i, v)| Edit::Rewire(n, i, v)),
        1 => index().prop_map(Edit::RemoveNode),
    ]
}

/// Attribute `a` of node `n`, if the node has attributes.
fn attribute_of<'g>(
    graph: &'g mut GraphProto,
    n: &prop::sample::Index,
    a: &prop::sample::Index,
) -> Option<&'g mut AttributeProto> {
    let count = graph.node.len();
    let node = &mut graph.node[n.index(count)];
    let attributes = node.attribute.len();
    (attributes > 0).then(|| &mut node.attribute[a.index(attributes)])
}

fn apply(model: &mut ModelProto, edit: &Edit) {
    let graph = model.graph.as_mut().unwrap();
    let names: Vec<String> = graph
        .input
        .iter()
        .map(|i| i.name.clone())
        .chain(graph.initializer.iter().map(|t| t.name.clone()))
        .chain(graph.node.iter().flat_map(|n| n.output.clone()))
        .collect();
    let nodes = graph.node.len();
    match edit {
        Edit::AttributeInts(n, a, values) => {
            if let Some(attribute) = attribute_of(graph, n, a) {
                attribute.ints = values.clone();
                attribute.i = values.first().copied().unwrap_or(0);
            }
        }
        Edit::AttributeFloat(n, a, value) => {
            if let Some(attribute) = attribute_of(graph, n, a) {
                attribute.f = *value;
            }
        }
        Edit::AttributeType(n, a, r#type) => {
            if let Some(attribute) = attribute_of(graph, n, a) {
                attribute.r#type = *r#type;
            }
        }
        Edit::InitializerDims(i, dims) => {
            let count = graph.initializer.len();
            graph.initializer[i.index(count)].dims = dims.clone();
        }
        Edit::InputDims(dims) => graph.input[0] = info(&graph.input[0].name.clone(), dims),
        Edit::OpType(n, op_type) => graph.node[n.index(nodes)].op_type = op_type.to_string(),
        Edit::Rewire(n, i, v) => {
            let node = &mut graph.node[n.index(nodes)];
            let count = node.input.len();
            if count > 0 {
                node.input[i.index(count)] = names[v.index(names.len())].clone();
            }
        }
        Edit::RemoveNode(n) => {
            graph.node.remove(n.index(nodes));
        }
    }
}

// An input that makes the importer panic is to be kept as a file under
// tests/onnx-corpus/ and replayed below: proptest's own seeds stop
// reproducing it as soon as a strategy changes.
proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn mutated_models_never_panic(
        file in prop::sample::select(vec!["lenet5.struct.onnx", "resnet18.struct.onnx"]),
        mutations in mutations(STRUCTURAL_BYTES, 1..6),
    ) {
        let bytes = std::fs::read(models_dir().join(file)).unwrap();
        check_importer_on(&mutate(bytes, &mutations))?;
    }

    #[test]
    fn edited_models_never_panic(
        file in prop::sample::select(vec![
            "lenet5.full.onnx", "resnet18.dynamo.struct.onnx", "mobilenet_v2.struct.onnx", "squeezenet1_1.struct.onnx",
        ]),
        edits in prop::collection::vec(edit(), 1..5),
    ) {
        let mut model = ModelProto::decode(std::fs::read(models_dir().join(file)).unwrap().as_slice()).unwrap();
        for edit in &edits {
            if model.graph.as_ref().is_some_and(|graph| !graph.node.is_empty()) {
                apply(&mut model, edit);
            }
        }
        check_importer_on(&model.encode_to_vec())?;
    }
}

#[test]
fn the_corpus_of_past_crashes_imports_without_panicking() {
    let files = common::models::onnx_files_in(&corpus_dir());
    assert!(!files.is_empty());
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        let error = import_bytes(&bytes, "fuzz.onnx").err().unwrap_or_else(|| panic!("{} imports", file.display()));
        let message = error.to_string();
        assert!(message.starts_with("fuzz.onnx: ") && !message.contains('\n'), "{message}");
    }
}
