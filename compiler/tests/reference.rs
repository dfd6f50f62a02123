//! The reference interpreter (`rram_compiler::reference`): every `nn` op
//! against values computed by hand, LeNet-5 against an independent ONNX
//! runtime, every zoo network with pseudo-random weights, and its errors.

use rram_compiler::frontend::onnx::import_file;
use rram_compiler::frontend::{zoo, Network, Node, Ref, WeightData};
use rram_compiler::reference::{evaluate, pseudo_random, pseudo_random_weights, EvalError};
use rram_dialects::nn::{Conv2d, NnOp, Pool, Window};
use std::path::{Path, PathBuf};

/// A tensor given by hand: shape and values.
type Given<'a> = (&'a [i64], &'a [f64]);

/// `op` applied to an input and weights (operands in that order, the
/// weights named `w0`, `w1`, ...): the result's shape and values.
fn run(op: NnOp, input: Given, weights: &[Given]) -> (Vec<i64>, Vec<f64>) {
    let mut network = Network::new("test");
    let mut operands = vec![network.input("x", input.0.to_vec())];
    for (i, (shape, values)) in weights.iter().enumerate() {
        let name = format!("w{i}");
        operands.push(network.weight(name.clone(), shape.to_vec()).unwrap());
        let values = values.iter().map(|&v| v as f32).collect();
        network.weights.insert(name, WeightData { shape: shape.to_vec(), values });
    }
    let output = network.add("op", op, &operands).unwrap_or_else(|error| panic!("{error}"));
    network.outputs.push(output);
    let evaluation = evaluate(&network, input.1).unwrap_or_else(|error| panic!("{error}"));
    (network.shape(output).to_vec(), evaluation.value(output).to_vec())
}

fn assert_close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= 1e-12 * w.abs().max(1.0), "{got:?} vs {want:?}");
    }
}

/// `1, 2, ..., count`
fn counting(count: usize) -> Vec<f64> {
    (1..=count).map(|v| v as f64).collect()
}

fn pool(kernel: i64, stride: i64, pads: [i64; 4], ceil_mode: bool) -> Pool {
    Pool { window: Window { kernel: [kernel; 2], strides: [stride; 2], pads, dilations: [1, 1] }, ceil_mode }
}

fn conv(stride: i64, pads: [i64; 4], dilation: i64, groups: i64) -> NnOp {
    NnOp::Conv2d(Conv2d { strides: [stride; 2], pads, dilations: [dilation; 2], groups })
}

#[test]
fn max_pooling_never_takes_the_padding_and_counts_ceil_mode_windows() {
    // -1 .. -25 row-major: zero padding would win every border window.
    let input: Vec<f64> = (1..=25).map(|v| -f64::from(v)).collect();
    let padded = run(NnOp::MaxPool2d(pool(3, 2, [1; 4], false)), (&[1, 1, 5, 5], &input), &[]);
    assert_eq!(padded, (vec![1, 1, 3, 3], vec![-1.0, -2.0, -4.0, -6.0, -7.0, -9.0, -16.0, -17.0, -19.0]));
    // 0 .. 24: windows of rows and columns {0, 1}, {2, 3}, and in ceil mode {4}.
    let input: Vec<f64> = (0..25).map(f64::from).collect();
    let floor = run(NnOp::MaxPool2d(pool(2, 2, [0; 4], false)), (&[1, 1, 5, 5], &input), &[]);
    assert_eq!(floor, (vec![1, 1, 2, 2], vec![6.0, 8.0, 16.0, 18.0]));
    let ceil = run(NnOp::MaxPool2d(pool(2, 2, [0; 4], true)), (&[1, 1, 5, 5], &input), &[]);
    assert_eq!(ceil, (vec![1, 1, 3, 3], vec![6.0, 8.0, 9.0, 16.0, 18.0, 19.0, 21.0, 23.0, 24.0]));
    let dilated = Pool { window: Window { dilations: [2, 2], ..pool(2, 1, [0; 4], false).window }, ceil_mode: false };
    let dilated = run(NnOp::MaxPool2d(dilated), (&[1, 1, 5, 5], &input), &[]);
    assert_eq!(dilated.1[..3], [12.0, 13.0, 14.0]);
}

#[test]
fn average_pooling_divides_by_the_positions_in_the_input_or_in_the_padded_input() {
    // 1 .. 16 in 4x4, 3x3 windows of stride 2 and pads 1 in ceil mode:
    // rows and columns {0, 1} (+1 pad), {1, 2, 3}, {3} (+1 pad, +1 beyond
    // the padded input, which never counts).
    let input = counting(16);
    let average = |count_include_pad| {
        let op = NnOp::AvgPool2d { pool: pool(3, 2, [1; 4], true), count_include_pad };
        run(op, (&[1, 1, 4, 4], &input), &[])
    };
    let (shape, excluding) = average(false);
    assert_eq!(shape, [1, 1, 3, 3]);
    assert_close(&excluding, &[3.5, 5.0, 6.0, 9.5, 11.0, 12.0, 13.5, 15.0, 16.0]);
    let nine = |sum: f64| sum / 9.0;
    let six = |sum: f64| sum / 6.0;
    let including = [nine(14.0), nine(30.0), six(12.0), nine(57.0), nine(99.0), six(36.0), six(27.0), six(45.0), 4.0];
    assert_close(&average(true).1, &including);
}

#[test]
fn global_average_pooling_averages_each_channel() {
    let input = [1.0, 2.0, 3.0, 4.0, 5.0, 5.0, 5.0, 5.0];
    assert_eq!(run(NnOp::GlobalAvgPool, (&[1, 2, 2, 2], &input), &[]), (vec![1, 2, 1, 1], vec![2.5, 5.0]));
}

#[test]
fn a_dilated_conv_reads_every_other_pixel() {
    let ones = [1.0; 4];
    let (shape, output) = run(conv(1, [0; 4], 2, 1), (&[1, 1, 4, 4], &counting(16)), &[(&[1, 1, 2, 2], &ones)]);
    assert_eq!((shape, output), (vec![1, 1, 2, 2], vec![24.0, 28.0, 40.0, 44.0]));
}

#[test]
fn a_depthwise_conv_keeps_channels_apart() {
    // Channel 0: 1 .. 9 with a diagonal kernel; channel 1: 10 .. 18 summed.
    let input = counting(18);
    let weight = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0];
    let (shape, output) = run(conv(1, [0; 4], 1, 2), (&[1, 2, 3, 3], &input), &[(&[2, 1, 2, 2], &weight)]);
    assert_eq!(shape, [1, 2, 2, 2]);
    assert_eq!(output, [6.0, 8.0, 12.0, 14.0, 48.0, 52.0, 60.0, 64.0]);
}

#[test]
fn a_grouped_strided_conv_with_padding_and_bias() {
    // Channel c holds 10c + pixel; stride 2 over pads 1 reaches the input
    // only at its pixel (1, 1); elsewhere only the bias remains.
    let input: Vec<f64> = (0..4).flat_map(|c| (0..4).map(move |p| f64::from(10 * c + p))).collect();
    let weight = [1.0, 2.0, 3.0, 4.0];
    let bias = [0.5, -1.0];
    let operands: [Given; 2] = [(&[2, 2, 1, 1], &weight), (&[2], &bias)];
    let (shape, output) = run(conv(2, [1; 4], 1, 2), (&[1, 4, 2, 2], &input), &operands);
    assert_eq!(shape, [1, 2, 2, 2]);
    // 1 * 3 + 2 * 13 + 0.5 and 3 * 23 + 4 * 33 - 1
    assert_eq!(output, [0.5, 0.5, 0.5, 29.5, -1.0, -1.0, -1.0, 200.0]);
}

#[test]
fn a_batch_of_two_is_convolved_image_by_image() {
    let (shape, output) =
        run(conv(1, [0; 4], 1, 1), (&[2, 1, 1, 2], &[1.0, 2.0, 3.0, 4.0]), &[(&[1, 1, 1, 2], &[1.0, 10.0])]);
    assert_eq!((shape, output), (vec![2, 1, 1, 1], vec![21.0, 43.0]));
}

#[test]
fn dense_multiplies_by_the_transposed_weight_and_adds_the_bias() {
    let weight = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
    let operands: [Given; 2] = [(&[3, 2], &weight), (&[3], &[0.0, 1.0, -1.0])];
    assert_eq!(run(NnOp::Dense, (&[1, 2], &[1.0, 2.0]), &operands), (vec![1, 3], vec![1.0, 3.0, 2.0]));
}

#[test]
fn activations_clamp() {
    let input = [-1.0, 0.5, 7.0];
    assert_eq!(run(NnOp::Relu, (&[1, 3], &input), &[]).1, [0.0, 0.5, 7.0]);
    assert_eq!(run(NnOp::Clip { min: 0.0, max: 6.0 }, (&[1, 3], &input), &[]).1, [0.0, 0.5, 6.0]);
}

#[test]
fn add_sums_element_by_element() {
    let sum = run(NnOp::Add, (&[1, 3], &[1.0, 2.0, 3.0]), &[(&[1, 3], &[10.0, 20.0, 30.0])]);
    assert_eq!(sum, (vec![1, 3], vec![11.0, 22.0, 33.0]));
}

#[test]
fn concat_joins_along_its_axis() {
    let channels =
        run(NnOp::Concat { axis: 1 }, (&[1, 1, 1, 2], &[1.0, 2.0]), &[(&[1, 2, 1, 2], &[3.0, 4.0, 5.0, 6.0])]);
    assert_eq!(channels, (vec![1, 3, 1, 2], counting(6)));
    // Along the last axis of a batch of two: rows interleave.
    let columns =
        run(NnOp::Concat { axis: 3 }, (&[2, 1, 1, 2], &[1.0, 2.0, 3.0, 4.0]), &[(&[2, 1, 1, 1], &[5.0, 6.0])]);
    assert_eq!(columns, (vec![2, 1, 1, 3], vec![1.0, 2.0, 5.0, 3.0, 4.0, 6.0]));
}

#[test]
fn batchnorm_normalizes_each_channel() {
    // k = scale / sqrt(var + 1) = [1, 2].
    let statistics: [Given; 4] = [(&[2], &[2.0, 2.0]), (&[2], &[0.5, -1.0]), (&[2], &[1.0, 3.0]), (&[2], &[3.0, 0.0])];
    let (shape, output) = run(NnOp::BatchNorm { epsilon: 1.0 }, (&[1, 2, 1, 2], &[1.0, 2.0, 3.0, 4.0]), &statistics);
    assert_eq!((shape, output), (vec![1, 2, 1, 2], vec![0.5, 1.5, -1.0, 1.0]));
}

#[test]
fn scale_channels_multiplies_each_output_channel() {
    let scaled = run(NnOp::ScaleChannels, (&[2, 2], &[1.0, 2.0, 3.0, 4.0]), &[(&[2], &[10.0, -1.0])]);
    assert_eq!(scaled.1, [10.0, 20.0, -3.0, -4.0]);
}

#[test]
fn softmax_normalizes_along_its_axis_without_overflow() {
    let (_, output) = run(NnOp::Softmax { axis: 1 }, (&[1, 3], &[1.0, 2.0, 3.0]), &[]);
    assert_close(&output, &[0.090_030_573_170_380_46, 0.244_728_471_054_797_67, 0.665_240_955_774_821_9]);
    // Along axis 0: each column sums to 1; exp(1000) alone would overflow.
    let (_, output) = run(NnOp::Softmax { axis: 0 }, (&[2, 2], &[1000.0, 0.0, 1000.0, 0.0]), &[]);
    assert_eq!(output, [0.5, 0.5, 0.5, 0.5]);
}

#[test]
fn flatten_and_reshape_keep_the_values() {
    let input = counting(6);
    assert_eq!(run(NnOp::Flatten { axis: 1 }, (&[1, 2, 3, 1], &input), &[]), (vec![1, 6], input.clone()));
    let mut network = Network::new("reshape");
    let x = network.input("x", vec![1, 6]);
    let y = network.reshape("y", x, vec![3, 2]).unwrap();
    assert_eq!(evaluate(&network, &input).unwrap().value(y), input);
}

fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models")
}

fn read_numbers(name: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(models().join(name)).unwrap();
    text.lines().map(|line| line.parse().unwrap()).collect()
}

#[test]
fn lenet5_gives_what_an_onnx_runtime_computed() {
    let network = import_file(&models().join("lenet5.full.onnx")).unwrap();
    let evaluation = evaluate(&network, &read_numbers("lenet5.input.txt")).unwrap();
    let output: Vec<f64> = evaluation.outputs(&network).collect();
    let expected = read_numbers("lenet5.output.txt");
    assert_eq!(output.len(), expected.len());
    for (got, want) in output.iter().zip(&expected) {
        assert!((got - want).abs() <= 1e-4 * want.abs(), "{output:?} vs {expected:?}");
    }
}

/// Evaluates zoo network `name` with pseudo-random weights on a
/// pseudo-random input: every output is finite, not all zero, and has the
/// output's shape.
fn evaluate_zoo(name: &str) {
    let mut network = zoo::build(name).unwrap();
    assert!(network.weights.is_empty(), "{name}: the zoo now has weights; evaluate them as they are");
    network.weights = pseudo_random_weights(&network).unwrap();
    let count = network.inputs[0].1.iter().product::<i64>() as usize;
    let evaluation = evaluate(&network, &pseudo_random(count, 7)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let [output] = network.outputs[..] else { panic!("{name} has several outputs") };
    let values = evaluation.value(output);
    assert_eq!(values.len() as i64, network.shape(output).iter().product::<i64>(), "{name}");
    assert!(values.iter().all(|v| v.is_finite()), "{name}");
    assert!(values.iter().any(|&v| v != 0.0), "{name}");
}

#[test]
fn the_zoo_lenet5_with_pseudo_random_weights_evaluates() {
    evaluate_zoo("lenet5");
}

/// Every zoo network at its full input size: 21 minutes on one core in a
/// debug build, so run with `cargo test --release -p rram-compiler --test
/// reference -- --ignored`.
#[test]
#[ignore]
fn every_zoo_network_with_pseudo_random_weights_evaluates() {
    for name in zoo::names() {
        evaluate_zoo(name);
    }
}

#[test]
fn pseudo_random_weights_give_batchnorms_a_positive_variance() {
    let network = zoo::build("resnet18").unwrap();
    let weights = pseudo_random_weights(&network).unwrap();
    assert!(weights["bn1.running_var"].values.iter().all(|&v| v >= 0.5));
    assert!(weights["conv1.weight"].values.iter().any(|&v| v < 0.0));
    assert_eq!(weights.len(), network.nodes.iter().filter(|n| matches!(n.op, NnOp::Weight { .. })).count());
}

#[test]
fn what_cannot_be_evaluated_is_a_clear_error() {
    let structure = import_file(&models().join("lenet5.struct.onnx")).unwrap();
    let error = evaluate(&structure, &[0.0; 1024]).unwrap_err();
    assert_eq!(error, EvalError::MissingWeight { name: "features.0.weight".into() });
    assert_eq!(
        error.to_string(),
        "weight 'features.0.weight' has no values: only networks with every weight can be evaluated"
    );
    let full = import_file(&models().join("lenet5.full.onnx")).unwrap();
    let error = evaluate(&full, &[0.0; 3]).unwrap_err();
    assert_eq!(error.to_string(), "the network's input has 1024 values, 3 given");
    // A 1x1 max pool over pads of 1 has windows entirely in the padding.
    let mut network = Network::new("pads");
    let x = network.input("x", vec![1, 1, 1, 1]);
    let y = network.add("pool", NnOp::MaxPool2d(pool(1, 1, [1; 4], false)), &[x]).unwrap();
    network.outputs.push(y);
    let error = evaluate(&network, &[1.0]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "node 'pool' (nn.maxpool2d): the window at output (y 0, x 0) lies entirely in the padding"
    );
    // A network assembled by hand whose node shape the dialect disagrees with.
    network.nodes[0].shape = vec![1, 1, 2, 2];
    let error = evaluate(&network, &[1.0]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "node 'pool' (nn.maxpool2d): result shape [1, 1, 2, 2] differs from the inferred [1, 1, 3, 3]"
    );
    // And one whose node reads a value defined after it.
    let mut network = Network::new("ahead");
    network.input("x", vec![1]);
    network.nodes.push(Node { name: "relu".into(), op: NnOp::Relu, inputs: vec![Ref::Node(1)], shape: vec![1] });
    let error = evaluate(&network, &[1.0]).unwrap_err();
    assert_eq!(error.to_string(), "node 'relu' (nn.relu): input Node(1) is not defined before the node");
}
