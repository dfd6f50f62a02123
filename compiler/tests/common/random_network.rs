//! Random networks for property tests: a DAG of layers of every kind the
//! layer graph knows, on a small input, ending in a flatten and a dense
//! layer.

use proptest::prelude::*;
use rram_compiler::frontend::{Network, Ref};
use rram_dialects::nn::{Conv2d, NnOp, Pool, Window};

/// One step of a random network: a layer on earlier values (indices taken
/// modulo the values so far); steps whose shapes do not fit are skipped.
#[derive(Debug, Clone)]
pub enum Step {
    Conv { from: usize, out: i64, kernel: i64, stride: i64, pad: i64, depthwise: bool, relu: bool },
    Pool { from: usize, max: bool, kernel: i64, stride: i64, pad: i64 },
    GlobalAvgPool { from: usize },
    Add { lhs: usize, rhs: usize },
    Concat { lhs: usize, rhs: usize },
}

pub fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (any::<usize>(), 1i64..4, 1i64..4, 1i64..3, 0i64..2, any::<bool>(), any::<bool>()).prop_map(
            |(from, out, kernel, stride, pad, depthwise, relu)| Step::Conv {
                from,
                out,
                kernel,
                stride,
                pad: pad.min(kernel - 1),
                depthwise,
                relu
            }
        ),
        1 => (any::<usize>(), any::<bool>(), 2i64..4, 1i64..3, 0i64..2)
            .prop_map(|(from, max, kernel, stride, pad)| Step::Pool { from, max, kernel, stride, pad }),
        1 => any::<usize>().prop_map(|from| Step::GlobalAvgPool { from }),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(lhs, rhs)| Step::Add { lhs, rhs }),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(lhs, rhs)| Step::Concat { lhs, rhs }),
    ]
}

/// The network of `steps` on an input of `input` (NCHW, batch 1), ending
/// in a flatten and a dense layer of 3 outputs on the last value; with the
/// layers it holds, as `"conv"`, `"depthwise"` (a conv too), `"relu"`,
/// `"maxpool"`, `"avgpool"`, `"global_avgpool"`, `"add"`, `"concat"` and
/// `"dense"`.
pub fn random_network(steps: &[Step], input: [i64; 4]) -> (Network, Vec<&'static str>) {
    let mut network = Network::new("random");
    let mut values = vec![network.input("x", input.to_vec())];
    let mut layers = Vec::new();
    let pick = |values: &[Ref], i: usize| values[i % values.len()];
    for (i, step) in steps.iter().enumerate() {
        let name = format!("s{i}");
        let added = match *step {
            Step::Conv { from, out, kernel, stride, pad, depthwise, relu } => {
                let x = pick(&values, from);
                let channels = network.shape(x)[1];
                let (groups, out) = if depthwise { (channels, channels) } else { (1, out) };
                let weight = network.weight(format!("{name}.w"), vec![out, channels / groups, kernel, kernel]);
                let conv = Conv2d { strides: [stride; 2], pads: [pad; 4], dilations: [1, 1], groups };
                let y = weight.and_then(|w| network.add(&name, NnOp::Conv2d(conv), &[x, w]));
                if y.is_ok() {
                    layers.push("conv");
                    if depthwise && channels > 1 {
                        layers.push("depthwise");
                    }
                }
                match (y, relu) {
                    (Ok(y), true) => {
                        layers.push("relu");
                        network.add(format!("{name}.relu"), NnOp::Relu, &[y])
                    }
                    (y, _) => y,
                }
            }
            Step::Pool { from, max, kernel, stride, pad } => {
                let window = Window { kernel: [kernel; 2], strides: [stride; 2], pads: [pad; 4], dilations: [1, 1] };
                let pool = Pool { window, ceil_mode: false };
                let (op, word) = if max {
                    (NnOp::MaxPool2d(pool), "maxpool")
                } else {
                    (NnOp::AvgPool2d { pool, count_include_pad: pad % 2 == 1 }, "avgpool")
                };
                network.add(&name, op, &[pick(&values, from)]).inspect(|_| layers.push(word))
            }
            Step::GlobalAvgPool { from } => network
                .add(&name, NnOp::GlobalAvgPool, &[pick(&values, from)])
                .inspect(|_| layers.push("global_avgpool")),
            Step::Add { lhs, rhs } => {
                network.add(&name, NnOp::Add, &[pick(&values, lhs), pick(&values, rhs)]).inspect(|_| layers.push("add"))
            }
            Step::Concat { lhs, rhs } => network
                .add(&name, NnOp::Concat { axis: 1 }, &[pick(&values, lhs), pick(&values, rhs)])
                .inspect(|_| layers.push("concat")),
        };
        values.extend(added.ok());
    }
    let last = *values.last().unwrap();
    let flat = network.add("flatten", NnOp::Flatten { axis: 1 }, &[last]).unwrap();
    let features = network.shape(flat)[1];
    let weight = network.weight("fc.w", vec![3, features]).unwrap();
    network.outputs = vec![network.add("fc", NnOp::Dense, &[flat, weight]).unwrap()];
    layers.push("dense");
    (network, layers)
}
