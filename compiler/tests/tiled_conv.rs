//! The simulator on a convolution computed through crossbar tiles and
//! shared-memory accumulation, against the library's direct convolution:
//! the crossbar contents come from the library's own program for the layer.

mod common;
#[path = "../../sim/tests/support/mod.rs"]
mod support;

use common::conv;
use rram_compiler::reference::evaluate;
use rram_compiler::report::check::LayerCheck;
use rram_isa::{Affine, BinaryOp, Class, Instr, MemoryInit, Program, UnaryOp};
use rram_passes::schedule::SyncMode;
use rram_sim::{simulate, NumericMode, SimError, SimOptions};
use support::{arch, c, core, xbar};

/// `(cin, cout, kernel, size)`: a 3x3 convolution of a 3-channel 6x6 input
/// into 4 channels (a 27 x 4 kernel matrix) on two 16-row crossbars: core 0
/// holds rows 0..16, core 1 rows 16..27. For each of the 16 output pixels
/// both accumulate into the output vector in shared memory (read, add,
/// write back) while they own it; core 0 hands each vector on with a CALL,
/// core 1 adds the bias and applies ReLU.
const LAYER: (i64, i64, i64, i64) = (3, 4, 3, 6);

const PATCHES: i64 = 0; // 16 windows of 27 words (im2col)
const OUTPUT: i64 = 1024; // 16 vectors of 4 words
const BIAS: i64 = 2048;

/// What the hand-written program loads, in the library's im2col form: the
/// two crossbars' kernel-matrix rows (0..16 and 16..27, channels 0..4), the
/// windows, pixel after pixel, and the bias. They are those of the library's
/// own program for the layer, which tiles it the same way on these crossbars.
struct ConvData {
    crossbars: [Vec<f64>; 2],
    windows: Vec<f64>,
    bias: Vec<f64>,
}

fn conv_data() -> ConvData {
    let (cin, cout, kernel, size) = LAYER;
    let check = LayerCheck::new(&conv::case(cin, cout, kernel, size), &arch(2), NumericMode::F32).unwrap();
    let program = check.program(SyncMode::Sequential.into()).unwrap();
    let shapes: Vec<(u32, u32)> =
        program.cores.iter().map(|core| (core.crossbars[0].rows, core.crossbars[0].cols)).collect();
    assert_eq!(shapes, [(16, 4), (11, 4)]);
    let weights = |core: usize| program.cores[core].crossbars[0].weights.clone().unwrap();
    let [windows, bias] = <[MemoryInit; 2]>::try_from(program.memory.clone()).unwrap().map(|init| init.values);
    assert_eq!((windows.len(), bias.len()), (16 * 27, 4));
    ConvData { crossbars: [weights(0), weights(1)], windows, bias }
}

/// The layer's output by the library's direct f64 convolution (NCHW), as
/// the program stores it: pixel after pixel, 4 channels each.
fn conv_reference() -> Vec<f64> {
    let (cin, cout, kernel, size) = LAYER;
    let (network, input) = conv::network(cin, cout, kernel, size);
    let output = evaluate(&network, &input).unwrap().value(network.outputs[0]).to_vec();
    assert_eq!(output.len(), 64);
    (0..64).map(|i| output[(i % 4) * 16 + i / 4]).collect()
}

fn conv_program(data: ConvData, synchronized: bool) -> Program {
    let p = |constant: i64, stride: i64| Affine::constant(constant).plus("p", stride);
    let accumulate = |extra: Vec<Instr>| -> Vec<Instr> {
        let mut body = vec![
            Instr::Load { local: c(32), shared: p(OUTPUT, 4), n: 4, class: Class::Partial },
            Instr::Binary { op: BinaryOp::Add, dst: c(16), a: c(16), b: c(32), n: 4 },
        ];
        body.extend(extra);
        body.push(Instr::Store { shared: p(OUTPUT, 4), local: c(16), n: 4, class: Class::Partial });
        body
    };
    let mut first = vec![
        Instr::Load { local: c(0), shared: p(PATCHES, 27), n: 16, class: Class::Input },
        Instr::Mvm { xbar: 0, dst: c(16), src: c(0) },
    ];
    first.extend(accumulate(vec![]));
    let mut last = vec![
        Instr::Load { local: c(0), shared: p(PATCHES + 16, 27), n: 11, class: Class::Input },
        Instr::Mvm { xbar: 0, dst: c(16), src: c(0) },
    ];
    if synchronized {
        first.push(Instr::Call { core: 1, register: 0, value: p(1, 1) });
        last.push(Instr::Wait { register: 0, value: p(1, 1) });
    }
    last.extend(accumulate(vec![
        Instr::Binary { op: BinaryOp::Bias, dst: c(16), a: c(16), b: c(48), n: 4 },
        Instr::Unary { op: UnaryOp::Relu, dst: c(16), a: c(16), n: 4 },
    ]));
    let pixels = |body| vec![Instr::Loop { var: "p".into(), count: 16, body }];
    let mut last_body = vec![Instr::Load { local: c(48), shared: c(BIAS), n: 4, class: Class::Input }];
    last_body.extend(pixels(last));
    let ConvData { crossbars: [rows_0_16, rows_16_27], windows, bias } = data;
    Program {
        cores: vec![
            core(0, vec![xbar(16, 4, Some(rows_0_16))], pixels(first)),
            core(1, vec![xbar(11, 4, Some(rows_16_27))], last_body),
        ],
        memory: vec![
            MemoryInit { address: PATCHES as u64, values: windows },
            MemoryInit { address: OUTPUT as u64, values: vec![0.0; 64] },
            MemoryInit { address: BIAS as u64, values: bias },
        ],
    }
}

#[test]
fn a_tiled_convolution_computes_the_direct_convolution() {
    let options = SimOptions { functional: Some(NumericMode::F32), trace: false };
    let result = simulate(&arch(2), &conv_program(conv_data(), true), &options).unwrap();
    let outputs = result.shared.unwrap().read(OUTPUT as usize, 64);
    for (i, (got, want)) in outputs.iter().zip(conv_reference()).enumerate() {
        let got = got.unwrap();
        assert!((got - want).abs() <= 1e-5 * want.abs().max(1.0), "pixel {} channel {}: {got} vs {want}", i / 4, i % 4);
    }
}

#[test]
fn accumulating_without_a_hand_off_is_a_race() {
    let options = SimOptions { functional: Some(NumericMode::F32), trace: false };
    let error = simulate(&arch(2), &conv_program(conv_data(), false), &options).unwrap_err();
    assert!(matches!(error, SimError::Race { .. }), "{error}");
    // Core 0's STORE of pixel 0 (instruction 5) meets core 1's LOAD of the same vector.
    assert_eq!(
        error.to_string(),
        "core 0 instruction 5 (p=0): race on shared word 1024: it writes it while the read by core 1 \
         instruction 4 is not synchronized with it (no CALL/WAIT or barrier orders them)"
    );
}
