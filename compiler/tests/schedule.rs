//! The synchronization schemes, simulated: values equal a direct
//! convolution with no race or deadlock in every mode, and the synchronized
//! modes come near the parallelism limit PV.

mod common;

use common::conv;
use proptest::prelude::*;
use rram_arch::Architecture;
use rram_compiler::report::check::{check_layer, ConvCase, LayerCheck};
use rram_passes::schedule::{layer_program, Activation, Layer, Scheme, SyncMode};
use rram_passes::tiling::{plan, KernelMatrix, TilePlan};
use rram_sim::{simulate, NumericMode, SimOptions};

fn arch(cores: u32, xbar: u32, bus: u32) -> Architecture {
    let text = format!(
        "[core]\ncount = {cores}\ncrossbars = 1\nlocal_memory_bytes = 65536\nremote_writes = true\n\
         [crossbar]\nrows = {xbar}\ncols = {xbar}\nweight_bits = 8\ncell_bits = 8\n\
         [bus]\nwidth_bytes = {bus}\n[shared_memory]\nsize_bytes = 16777216\n"
    );
    Architecture::from_toml_str(&text, "test.toml").unwrap()
}

/// The layer and tile plan of `case` (stride 1, no padding, one cell per
/// weight) on `xbar` x `xbar` crossbars.
fn setup(case: &ConvCase, xbar: i64) -> (Layer, TilePlan) {
    let weight = [0, 1, 2, 3].map(|d| case.weight.shape[d]);
    let matrix = KernelMatrix::conv(weight, 1, 1).unwrap();
    let n = case.input.shape[2] - weight[2] + 1;
    let layer = Layer {
        pixels: n * n,
        channels: weight[0],
        slices: 1,
        window: matrix.rows(),
        bias: true,
        activation: case.activation,
        requant: None,
    };
    (layer, plan(&matrix, xbar, xbar))
}

#[test]
fn every_mode_computes_the_convolution_without_races() {
    // 4 x 3x3 inputs: 36 rows on 16-row crossbars (H = 3); 20 channels in
    // blocks of 16 and 4 (V = 2); 36 pixels, which split unevenly in 3.
    let case = conv::case(4, 20, 3, 8);
    let (layer, plan) = setup(&case, 16);
    assert_eq!((plan.h, plan.v), (3, 2));
    // The library's check builds this layer's program for each mode with
    // the same plan, simulates it and compares every word with its direct
    // convolution.
    let results = check_layer(&case, &arch(6, 16, 16), NumericMode::F32).unwrap();
    assert_eq!(results.iter().map(|r| r.scheme).collect::<Vec<_>>(), Scheme::ALL);
    for result in results {
        assert!(result.passed(), "{result}");
        assert_eq!(result.words as i64, layer.pixels * layer.channels, "{result}");
        // Within 1e-5 of every word, and so within 1e-5 max(|want|, 1).
        assert!(result.max_abs_error <= 1e-5, "{result}");
    }
}

/// Measured: linear reaches 95.2% of PV here, forwarding linear 96.4%,
/// cyclic 97.3%. Cyclic cores run identical programs; started
/// together they queued for the bus in lockstep and reached 87%, until the
/// start chain (a token after each core's first input load) staggered them.
#[test]
fn synchronized_modes_approach_pv() {
    // 4 tiles per horizontal group (PV = 4), 400 pixels, a wide bus.
    let (layer, plan) = setup(&conv::case(7, 16, 3, 22), 16);
    assert_eq!((plan.h, plan.v), (4, 1));
    let cycles = |scheme: Scheme| {
        let program = layer_program(&layer, &plan, scheme, 1, &|_| None, None).unwrap();
        simulate(&arch(4, 16, 64), &program, &SimOptions::default()).unwrap().stats.cycles as f64
    };
    let (sequential, linear, cyclic, forward) = (
        cycles(SyncMode::Sequential.into()),
        cycles(SyncMode::Linear.into()),
        cycles(SyncMode::Cyclic.into()),
        cycles(Scheme::LINEAR_FORWARD),
    );
    let pv = plan.h as f64;
    assert!(sequential / linear > 0.95 * pv, "linear speedup {} of PV {pv}", sequential / linear);
    assert!(sequential / cyclic > 0.96 * pv, "cyclic speedup {} of PV {pv}", sequential / cyclic);
    assert!(cyclic < linear, "cyclic {cyclic} cycles, linear {linear}");
    // Forwarding moves less and drops the CALLs: ahead of linear through
    // shared memory, behind cyclic, whose last owners rotate.
    assert!(sequential / forward > 0.96 * pv, "linear forward speedup {} of PV {pv}", sequential / forward);
    assert!(forward < linear, "linear forward {forward} cycles, linear {linear}");
}

#[test]
fn a_layer_without_bias_skips_its_loads_and_adds() {
    // The same layer with and without a bias, no activation: every output
    // word differs by exactly its channel's bias, in every mode.
    let mut case = conv::case(4, 20, 3, 8);
    case.activation = Activation::None;
    let (with_bias, plan) = setup(&case, 16);
    let without = Layer { bias: false, ..with_bias };
    let check = LayerCheck::new(&case, &arch(6, 16, 16), NumericMode::F32).unwrap();
    let words = (with_bias.pixels * with_bias.channels) as usize;
    for scheme in Scheme::ALL {
        let reference = check.program(scheme).unwrap();
        let weights = |tile: usize| reference.cores[tile].crossbars[0].weights.clone();
        let windows = reference.memory[0].values.clone();
        let outputs = |layer: &Layer| {
            let data = Some((windows.clone(), case.bias.clone()));
            let program = layer_program(layer, &plan, scheme, 1, &weights, data).unwrap();
            let options = SimOptions { functional: Some(NumericMode::F32), trace: false };
            let result = simulate(&arch(6, 16, 16), &program, &options).unwrap_or_else(|e| panic!("{scheme}: {e}"));
            (program, result.shared.unwrap().read(layer.layout().outputs as usize, words))
        };
        let ((_, biased), (program, plain)) = (outputs(&with_bias), outputs(&without));
        assert_eq!(program.memory.len(), 1, "no bias in shared memory");
        for (i, (b, p)) in biased.iter().zip(&plain).enumerate() {
            let (b, p) = (b.unwrap(), p.unwrap());
            assert!((b - p - case.bias[i % 20]).abs() < 1e-5, "{scheme}: word {i}: {b} = {p} + {}", case.bias[i % 20]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Every scheme, forwarding included, computes random layers exactly
    /// (int8) with no race or deadlock, however the pixels split into
    /// slot rounds and credit groups, the rows into tiles and the tiles
    /// onto cores of one to three crossbars.
    #[test]
    fn every_scheme_computes_random_layers_exactly(
        cin in 1i64..6,
        cout in 1i64..20,
        kernel in 1i64..4,
        extra in 0i64..9,
        xbar in prop::sample::select(vec![4u32, 8, 16]),
        crossbars in 1u32..4,
    ) {
        let case = conv::case(cin, cout, kernel, kernel + extra);
        let mut chip = arch(64 * 64, xbar, 16);
        chip.core.crossbars = crossbars;
        for result in check_layer(&case, &chip, NumericMode::Int8).unwrap() {
            prop_assert!(result.passed(), "{}", result);
        }
    }
}
