//! Small conv layers with deterministic values, in the library's terms: a
//! network whose weights are all known (for `reference::evaluate`, the
//! direct f64 reference) and its conv as a `ConvCase` (for `LayerCheck`,
//! which tiles it and provides the im2col windows, the crossbars' weights
//! and the reference of every output word). Only the data is made here.

use rram_compiler::frontend::{Network, WeightData};
use rram_compiler::report::check::{cases, ConvCase};
use rram_dialects::nn::{Conv2d, NnOp};

/// `relu(conv(x, w) + b)` of a `[1, cin, size, size]` input and `[cout,
/// cin, kernel, kernel]` weights, stride 1, no padding, with its input.
/// Values are small multiples of 1/8, exact in f32 and in their sums.
pub fn network(cin: i64, cout: i64, kernel: i64, size: i64) -> (Network, Vec<f64>) {
    let value = |i: usize, salt: usize| ((i * 7919 + salt * 104_729) % 23) as f64 / 8.0 - 1.25;
    let values = |shape: &[i64], salt| (0..shape.iter().product::<i64>() as usize).map(move |i| value(i, salt));
    let (input, weight, bias) = (vec![1, cin, size, size], vec![cout, cin, kernel, kernel], vec![cout]);
    let mut network = Network::new("conv");
    let x = network.input("x", input.clone());
    let w = network.weight("w", weight.clone()).unwrap();
    let b = network.weight("b", bias.clone()).unwrap();
    let conv = Conv2d { strides: [1, 1], pads: [0; 4], dilations: [1, 1], groups: 1 };
    let y = network.add("conv", NnOp::Conv2d(conv), &[x, w, b]).unwrap();
    let relu = network.add("relu", NnOp::Relu, &[y]).unwrap();
    network.outputs.push(relu);
    for (name, shape, salt) in [("w", weight, 2), ("b", bias, 3)] {
        let data = values(&shape, salt).map(|v| v as f32).collect();
        network.weights.insert(name.into(), WeightData { shape, values: data });
    }
    let input = values(&input, 1).collect();
    (network, input)
}

/// [`network`]'s conv with its data and the ReLU it fuses.
pub fn case(cin: i64, cout: i64, kernel: i64, size: i64) -> ConvCase {
    let (network, input) = network(cin, cout, kernel, size);
    let [case] = <[ConvCase; 1]>::try_from(cases(&network, Some(&input)).unwrap()).unwrap();
    case
}
