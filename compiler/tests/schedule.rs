//! The synchronization schemes, simulated: values equal a direct
//! convolution with no race or deadlock in every mode, and the synchronized
//! modes come near the parallelism limit PV.

mod common;

use common::conv::Conv;
use rram_compiler::arch::Architecture;
use rram_compiler::sim::{simulate, NumericMode, SimOptions};
use rram_passes::schedule::{layer_program, Activation, Layer, SyncMode};
use rram_passes::tiling::{plan, KernelMatrix, TilePlan};

fn arch(cores: u32, xbar: u32, bus: u32) -> Architecture {
    let text = format!(
        "[core]\ncount = {cores}\ncrossbars = 1\nlocal_memory_bytes = 65536\n\
         [crossbar]\nrows = {xbar}\ncols = {xbar}\nweight_bits = 8\ncell_bits = 8\n\
         [bus]\nwidth_bytes = {bus}\n[shared_memory]\nsize_bytes = 16777216\n"
    );
    Architecture::from_toml_str(&text, "test.toml").unwrap()
}

fn setup(conv: &Conv, xbar: i64) -> (Layer, TilePlan) {
    let matrix = KernelMatrix::conv([conv.cout as i64, conv.cin as i64, conv.kernel as i64, conv.kernel as i64], 1, 1);
    let n = conv.out_size() as i64;
    let layer = Layer {
        pixels: n * n,
        channels: conv.cout as i64,
        slices: 1,
        window: conv.rows() as i64,
        activation: Activation::Relu,
    };
    (layer, plan(&matrix, xbar, xbar))
}

#[test]
fn every_mode_computes_the_convolution_without_races() {
    // 4 x 3x3 inputs: 36 rows on 16-row crossbars (H = 3); 20 channels in
    // blocks of 16 and 4 (V = 2); 36 pixels, which split unevenly in 3.
    let conv = Conv::new(4, 20, 3, 8);
    let (layer, plan) = setup(&conv, 16);
    assert_eq!((plan.h, plan.v), (3, 2));
    let reference = conv.reference();
    let weights = |tile: usize| {
        let t = plan.tiles[tile];
        Some(conv.matrix(t.rows[0] as usize..t.rows[1] as usize, t.cols[0] as usize..t.cols[1] as usize))
    };
    for mode in SyncMode::ALL {
        let program = layer_program(&layer, &plan, mode, &weights, Some((conv.windows(), conv.bias.clone())));
        let options = SimOptions { functional: Some(NumericMode::F32), trace: false };
        let result = simulate(&arch(6, 16, 16), &program, &options).unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        let outputs = result.shared.unwrap().read(layer.layout().outputs as usize, reference.len());
        for (i, (got, want)) in outputs.iter().zip(&reference).enumerate() {
            let got = got.unwrap_or_else(|| panic!("{mode:?}: output word {i} never written"));
            assert!((got - want).abs() <= 1e-5 * want.abs().max(1.0), "{mode:?}: word {i}: {got} vs {want}");
        }
    }
}

/// Measured: linear reaches 95.2% of PV here (its pipeline fills for 3 of
/// 403 steps), cyclic 96.2%. Cyclic cores run identical programs; started
/// together they queued for the bus in lockstep and reached 87%, until the
/// start chain (a token after each core's first input load) staggered them.
#[test]
fn synchronized_modes_approach_pv() {
    // 4 tiles per horizontal group (PV = 4), 400 pixels, a wide bus.
    let conv = Conv::new(7, 16, 3, 22);
    let (layer, plan) = setup(&conv, 16);
    assert_eq!((plan.h, plan.v), (4, 1));
    let cycles = |mode| {
        let program = layer_program(&layer, &plan, mode, &|_| None, None);
        simulate(&arch(4, 16, 64), &program, &SimOptions::default()).unwrap().stats.cycles as f64
    };
    let (sequential, linear, cyclic) =
        (cycles(SyncMode::Sequential), cycles(SyncMode::Linear), cycles(SyncMode::Cyclic));
    let pv = plan.h as f64;
    assert!(sequential / linear > 0.95 * pv, "linear speedup {} of PV {pv}", sequential / linear);
    assert!(sequential / cyclic > 0.96 * pv, "cyclic speedup {} of PV {pv}", sequential / cyclic);
    assert!(cyclic < linear, "cyclic {cyclic} cycles, linear {linear}");
}
