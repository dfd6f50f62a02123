//! Functional verification of compiled conv layers (`report::check`): real
//! LeNet-5 layers, grouped, depthwise, dilated and unevenly split layers on
//! small crossbars pass in every mode and both numeric modes; a corrupted
//! program fails.

use rram_arch::Architecture;
use rram_compiler::frontend::onnx::import_file;
use rram_compiler::frontend::{zoo, Network};
use rram_compiler::reference::{evaluate, EvalError, Tensor};
use rram_compiler::report::check::{cases, check_layer, check_network, CheckError, CheckResult, ConvCase, LayerCheck};
use rram_dialects::nn::Conv2d;
use rram_isa::Instr;
use rram_passes::schedule::{Activation, Scheme, SyncMode};
use rram_passes::tiling::{plan, KernelMatrix};
use rram_sim::NumericMode;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

const NUMERICS: [NumericMode; 2] = [NumericMode::Int8, NumericMode::F32];

/// A chip of `xbar` x `xbar` crossbars whose 8-bit weights take `slices` cells.
fn chip(xbar: u32, slices: u32) -> Architecture {
    let text = format!(
        "[core]\ncount = 4\ncrossbars = 1\n[crossbar]\nrows = {xbar}\ncols = {xbar}\nweight_bits = 8\ncell_bits = {}\n",
        8 / slices
    );
    Architecture::from_toml_str(&text, "test.toml").unwrap()
}

fn lenet5() -> (Network, Vec<f64>) {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
    let network = import_file(&models.join("lenet5.full.onnx")).unwrap_or_else(|error| panic!("{error}"));
    let input = std::fs::read_to_string(models.join("lenet5.input.txt")).unwrap();
    (network, input.lines().map(|line| line.parse().unwrap()).collect())
}

/// Deterministic values `k/8`, `k` in -8..=7, different per `salt`.
fn values(count: usize, salt: usize) -> Vec<f64> {
    (0..count).map(|i| ((i * 7919 + salt * 104_729) % 16) as f64 / 8.0 - 1.0).collect()
}

/// A conv of `cin` x `size` x `size` inputs to `cout` channels of `kernel` x `kernel`.
fn conv_case(cin: i64, cout: i64, kernel: i64, size: i64, conv: Conv2d, activation: Activation) -> ConvCase {
    let input = [1, cin, size, size];
    let weight = [cout, cin / conv.groups, kernel, kernel];
    ConvCase {
        name: "test".into(),
        conv,
        input: Tensor { shape: input.to_vec(), values: values(input.iter().product::<i64>() as usize, 1) },
        weight: Tensor { shape: weight.to_vec(), values: values(weight.iter().product::<i64>() as usize, 2) },
        bias: values(cout as usize, 3),
        activation,
    }
}

fn attributes(stride: i64, pads: [i64; 4], dilation: i64, groups: i64) -> Conv2d {
    Conv2d { strides: [stride; 2], pads, dilations: [dilation; 2], groups }
}

/// `(H, V)` of `case`'s tile plan on `chip`.
fn grid(case: &ConvCase, chip: &Architecture) -> (i64, i64) {
    let weight = [0, 1, 2, 3].map(|d| case.weight.shape[d]);
    let matrix = KernelMatrix::conv(weight, case.conv.groups, i64::from(chip.slices_per_weight())).unwrap();
    let tiles = plan(&matrix, i64::from(chip.crossbar.rows), i64::from(chip.crossbar.cols));
    (tiles.h, tiles.v)
}

/// Checks `case` on `chip` in every mode and numeric mode; every result must pass.
fn assert_passes(case: &ConvCase, chip: &Architecture) {
    for numeric in NUMERICS {
        let results = check_layer(case, chip, numeric).unwrap();
        assert_eq!(results.len(), 3);
        for result in results {
            assert!(result.passed(), "{result}");
            assert!(result.words > 0, "{result}");
            if numeric == NumericMode::Int8 {
                assert_eq!((result.max_abs_error, result.max_rel_error), (0.0, 0.0), "{result}");
            }
        }
    }
}

#[test]
fn lenet5_convs_with_real_weights_and_activations_pass() {
    let (network, input) = lenet5();
    let results = std::sync::Mutex::new(Vec::new());
    for (xbar, slices) in [(16, 1), (32, 2)] {
        let seen = AtomicUsize::new(0);
        let progress = |_: &CheckResult| {
            seen.fetch_add(1, Ordering::Relaxed);
        };
        let checked = check_network(&network, &chip(xbar, slices), &NUMERICS, Some(&input), 2, &progress).unwrap();
        // 2 convs x 2 numeric modes x 3 synchronization modes, in that order.
        assert_eq!((checked.len(), seen.into_inner()), (12, 12));
        let order: Vec<(&str, NumericMode, SyncMode)> =
            checked.iter().map(|r| (r.layer.as_str(), r.numeric, r.scheme.mode)).collect();
        assert_eq!(
            order[..4],
            [
                ("/features/features.0/Conv", NumericMode::Int8, SyncMode::Sequential),
                ("/features/features.0/Conv", NumericMode::Int8, SyncMode::Linear),
                ("/features/features.0/Conv", NumericMode::Int8, SyncMode::Cyclic),
                ("/features/features.0/Conv", NumericMode::F32, SyncMode::Sequential),
            ]
        );
        results.lock().unwrap().extend(checked);
    }
    for result in results.into_inner().unwrap() {
        assert!(result.passed(), "{result}");
        assert!(result.to_string().ends_with(": ok"), "{result}");
    }
}

#[test]
fn lenet5_cases_hold_its_weights_and_the_activations_before_each_conv() {
    let (network, input) = lenet5();
    let cases = cases(&network, Some(&input)).unwrap();
    assert_eq!(cases.len(), 2);
    let evaluation = evaluate(&network, &input).unwrap();
    let pool1 = network.nodes.iter().position(|n| n.name == "/features/features.2/MaxPool").unwrap();
    assert_eq!(cases[0].input.values, input);
    assert_eq!(cases[1].input.values, evaluation.nodes[pool1]);
    assert_eq!(cases[1].input.shape, [1, 6, 14, 14]);
    for (case, layer) in cases.iter().zip(["features.0", "features.3"]) {
        let real = |name: String| -> Vec<f64> { network.weights[&name].values.iter().map(|&v| f64::from(v)).collect() };
        assert_eq!(case.weight.values, real(format!("{layer}.weight")));
        assert_eq!(case.bias, real(format!("{layer}.bias")));
        assert_eq!(case.activation, Activation::Relu);
    }
    // 150 kernel-matrix rows on 16-row crossbars: a horizontal group of 10.
    assert_eq!(grid(&cases[1], &chip(16, 1)), (10, 1));
}

#[test]
fn a_scaled_down_mobilenet_depthwise_layer_passes() {
    // 12 channels, one per group: 9-row blocks, 1 per 16x16 crossbar, 3 per 32x32.
    let case = conv_case(12, 12, 3, 9, attributes(2, [1; 4], 1, 12), Activation::Relu);
    for (xbar, tiles) in [(16, 12), (32, 4)] {
        assert_eq!(grid(&case, &chip(xbar, 1)), (1, tiles));
        assert_passes(&case, &chip(xbar, 1));
    }
}

#[test]
fn a_grouped_conv_with_padding_and_stride_2_passes() {
    // 2 groups of 4 inputs x 3x3 = 36 rows, cut into 3 tiles each on 16 rows.
    let case = conv_case(8, 6, 3, 9, attributes(2, [1, 0, 2, 1], 1, 2), Activation::None);
    assert_eq!(grid(&case, &chip(16, 1)), (3, 2));
    assert_passes(&case, &chip(16, 1));
}

#[test]
fn a_dilated_layer_with_h_and_v_above_1_and_uneven_cyclic_segments_passes() {
    // 36 rows: H = 3; 20 channels of 1 or 2 cells: V = 2 or 3; 7x7 = 49
    // pixels, which split into cyclic segments of 16, 16 and 17.
    let case = conv_case(4, 20, 3, 11, attributes(1, [0; 4], 2, 1), Activation::Clip { lo: -0.5, hi: 1.5 });
    for (slices, v) in [(1, 2), (2, 3)] {
        assert_eq!(grid(&case, &chip(16, slices)), (3, v));
        assert_passes(&case, &chip(16, slices));
    }
}

#[test]
fn a_corrupted_weight_is_a_mismatch() {
    let case = conv_case(4, 20, 3, 8, attributes(1, [0; 4], 1, 1), Activation::None);
    for numeric in NUMERICS {
        let check = LayerCheck::new(&case, &chip(16, 1), numeric).unwrap();
        let mut program = check.program(SyncMode::Linear.into()).unwrap();
        assert!(check.run(SyncMode::Linear.into(), &program).passed());
        program.cores[1].crossbars[0].weights.as_mut().unwrap()[0] += 1.0;
        let result = check.run(SyncMode::Linear.into(), &program);
        let failure = result.failure.unwrap_or_else(|| panic!("{numeric:?}: the corruption went unnoticed"));
        // Core 1 holds rows 16..32 of channels 0..16: its first weight feeds
        // channel 0 of the pixels whose window has a non-zero row 16.
        assert!(failure.contains(" of 720 output words wrong, the first at pixel "), "{failure}");
        assert!(failure.contains(" channel 0 (shared word "), "{failure}");
        assert!(result.max_abs_error > 0.0);
    }
}

/// Removes every WAIT, at any loop depth.
fn strip_waits(body: &mut Vec<Instr>) {
    body.retain(|instr| !matches!(instr, Instr::Wait { .. }));
    for instr in body {
        if let Instr::Loop { body, .. } = instr {
            strip_waits(body);
        }
    }
}

#[test]
fn a_missing_hand_off_is_the_simulators_race() {
    let case = conv_case(4, 8, 3, 6, attributes(1, [0; 4], 1, 1), Activation::Relu);
    let check = LayerCheck::new(&case, &chip(16, 1), NumericMode::Int8).unwrap();
    for mode in SyncMode::ALL {
        let mut program = check.program(mode.into()).unwrap();
        for core in &mut program.cores {
            strip_waits(&mut core.body);
        }
        let result = check.run(mode.into(), &program);
        let failure = result.failure.unwrap_or_else(|| panic!("{mode:?}: the race went unnoticed"));
        assert!(failure.contains("race on shared word"), "{mode:?}: {failure}");
        assert_eq!(result.words, 0);
    }
}

#[test]
fn forwarding_without_credits_is_the_simulators_race() {
    // 64 pixels through H = 3 cores: the first core reuses the receive
    // slots of the second (16 of them) from pixel 17 on, which only the
    // last core's credits order after the second core's reads.
    let case = conv_case(4, 8, 3, 10, attributes(1, [0; 4], 1, 1), Activation::Relu);
    let mut chip = chip(16, 1);
    chip.core.remote_writes = true;
    let check = LayerCheck::new(&case, &chip, NumericMode::Int8).unwrap();
    let mut program = check.program(Scheme::LINEAR_FORWARD).unwrap();
    assert!(check.run(Scheme::LINEAR_FORWARD, &program).passed());
    strip_waits(&mut program.cores[0].body);
    let failure = check.run(Scheme::LINEAR_FORWARD, &program).failure.expect("the race went unnoticed");
    assert!(failure.starts_with("core 0 instruction "), "{failure}");
    assert!(failure.contains("race on core 1's local word "), "{failure}");
    assert!(failure.contains("it writes it while the read by core 1 "), "{failure}");
}

#[test]
fn zoo_cases_carry_each_layers_structure_and_activation() {
    let mobilenet = cases(&zoo::build("mobilenet_v1").unwrap(), None).unwrap();
    assert_eq!(mobilenet.len(), 27);
    assert!(mobilenet.iter().all(|case| case.activation == Activation::Relu));
    let depthwise = &mobilenet[1];
    assert_eq!(
        (depthwise.name.as_str(), depthwise.conv.groups, depthwise.input.shape.as_slice()),
        ("features.1.0.0", 32, [1, 32, 112, 112].as_slice())
    );
    let resnet = cases(&zoo::build("resnet18").unwrap(), None).unwrap();
    assert_eq!(resnet.len(), 20);
    let activation = |name: &str| resnet.iter().find(|case| case.name == name).unwrap().activation;
    assert_eq!(activation("conv1"), Activation::Relu);
    // The second conv of a block and the downsample feed the residual add.
    assert_eq!(activation("layer2.0.conv2"), Activation::None);
    assert_eq!(activation("layer2.0.downsample.0"), Activation::None);
    // Pseudo-random data, different per layer, and no all-zero tensor.
    assert_ne!(resnet[1].weight.values[..64], resnet[2].weight.values[..64]);
    assert!(resnet.iter().all(|case| case.input.values.iter().any(|&v| v != 0.0)));
}

#[test]
fn the_zoo_lenet5_passes_on_the_default_chip_with_pseudo_random_data() {
    // conv2: 150 rows on 128x128 crossbars with 4 cells per weight: H = 2.
    let network = zoo::build("lenet5").unwrap();
    assert_eq!(grid(&cases(&network, None).unwrap()[1], &Architecture::default()), (2, 1));
    let results = check_network(&network, &Architecture::default(), &NUMERICS, None, 1, &|_| {}).unwrap();
    assert_eq!(results.len(), 12);
    for result in results {
        assert!(result.passed(), "{result}");
        // Multiples of 1/8 sum exactly in f32 too.
        assert_eq!(result.max_abs_error, 0.0, "{result}");
    }
}

#[test]
fn what_cannot_be_checked_is_an_error() {
    let mut case = conv_case(4, 8, 3, 6, attributes(1, [0; 4], 1, 1), Activation::Relu);
    case.bias.pop();
    let error = LayerCheck::new(&case, &chip(16, 1), NumericMode::F32).unwrap_err();
    assert_eq!(error.to_string(), "layer 'test': bias has 7 values for 8 elements");
    case.bias.push(0.0);
    let mut narrow = chip(16, 4);
    narrow.crossbar.cols = 2;
    let error = LayerCheck::new(&case, &narrow, NumericMode::F32).unwrap_err();
    assert_eq!(error.to_string(), "layer 'test': a 2-column crossbar cannot hold a weight of 4 cells");
    case.conv.groups = 3;
    let error = check_layer(&case, &chip(16, 1), NumericMode::F32).unwrap_err();
    assert!(matches!(error, CheckError::Layer { .. }), "{error}");
    let structure = zoo::build("lenet5").unwrap();
    let error = cases(&structure, Some(&vec![0.0; 1024])).unwrap_err();
    assert_eq!(error, CheckError::Evaluation(EvalError::MissingWeight { name: "features.0.weight".into() }));
    let (network, _) = lenet5();
    assert_eq!(evaluate(&network, &[0.0; 3]).unwrap_err(), EvalError::InputSize { expected: 1024, given: 3 });
}

/// The full sweep of MobileNet-V1 and ResNet-18 on one chip (every conv
/// layer, every mode, both numeric modes), timed: run with `cargo test
/// --release --test check -- --ignored --nocapture` (PRESET picks the chip,
/// THREADS the threads).
#[test]
#[ignore]
fn zoo_sweep() {
    let preset = std::env::var("PRESET").unwrap_or_else(|_| "default".into());
    let threads = std::env::var("THREADS").map_or(2, |t| t.parse().unwrap());
    let chip = Architecture::preset(&preset).unwrap();
    for name in ["mobilenet_v1", "resnet18"] {
        let start = std::time::Instant::now();
        let progress = |result: &CheckResult| println!("{result}");
        let results = check_network(&zoo::build(name).unwrap(), &chip, &NUMERICS, None, threads, &progress).unwrap();
        println!("{name} on {preset}: {} results in {:.1?}", results.len(), start.elapsed());
        assert!(results.iter().all(CheckResult::passed));
    }
}
