//! Whole networks compiled into one set of per-core programs, simulated
//! with values and compared with the reference interpreter.

mod common;

use common::random_network::{random_network, step};
use proptest::prelude::*;

use common::models;
use rram_compiler::arch::Architecture;
use rram_compiler::frontend::onnx::import_file;
use rram_compiler::frontend::{zoo, Network};
use rram_compiler::quantize::evaluate_int8;
use rram_compiler::reference::{evaluate, pseudo_random, pseudo_random_weights};
use rram_compiler::sim::{simulate, NumericMode, SimOptions};
use rram_compiler::whole_network::{compile_lowered, lower_module, CompiledNetwork, NetworkSync, Options, Values};
use rram_dialects::Context;
use rram_isa::{Affine, Class, Instr};
use rram_passes::network::NetOp;
use std::collections::HashMap;

fn numbers(name: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(models::dir().join(name)).unwrap();
    text.split_whitespace().map(|word| word.parse().unwrap()).collect()
}

/// The network's outputs as the simulated chip computes them on `input`,
/// its layers synchronized as `sync` says, in `numeric`, with the
/// reference's: the reference interpreter's in f32, the integer
/// reference's in int8.
fn run_on_chip(
    network: &Network,
    arch: &Architecture,
    sync: NetworkSync,
    numeric: NumericMode,
    input: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    run_duplicated(network, arch, sync, numeric, input, &[1], 1)
}

/// As [`run_on_chip`], the `k`-th crossbar layer in `replicas[k %
/// replicas.len()]` replicas (at most one per output row), the input
/// streamed through `inferences` times: every inference's outputs, and the
/// reference's as often.
fn run_duplicated(
    network: &Network,
    arch: &Architecture,
    sync: NetworkSync,
    numeric: NumericMode,
    input: &[f64],
    replicas: &[i64],
    inferences: u32,
) -> (Vec<f64>, Vec<f64>) {
    let evaluation = evaluate(network, input).unwrap_or_else(|e| panic!("{e}"));
    let values = Values { evaluation: &evaluation, numeric };
    let context = Context::new().unwrap();
    let module = context.parse(&network.to_mlir(), &network.name).unwrap();
    let mut lowered = lower_module(module, arch, Some((network, values))).unwrap_or_else(|e| panic!("{e}"));
    let convs = lowered.net.layers.iter_mut().filter_map(|layer| match &mut layer.op {
        NetOp::Conv { replicas, .. } => Some((replicas, layer.shape[1])),
        _ => None,
    });
    for (k, (replicas_of, height)) in convs.enumerate() {
        *replicas_of = replicas[k % replicas.len()].min(height);
    }
    let options = Options { inferences, ..Options::new(sync) };
    let compiled = compile_lowered(lowered, arch, options).unwrap_or_else(|e| panic!("{e}"));
    check_each_output_word_written_once(&compiled);
    let options = SimOptions { functional: Some(numeric), trace: false };
    let result = simulate(arch, &compiled.compiled.program, &options).unwrap_or_else(|e| panic!("{e}"));
    let shared = result.shared.expect("a functional run keeps shared memory");
    let mut outputs = Vec::new();
    for inference in 0..inferences as usize {
        let above = inference * compiled.compiled.shared_words as usize;
        for &layer in &compiled.net.outputs {
            let shape = compiled.net.layers[layer].shape;
            let word = |address: usize| {
                shared.read(above + address, 1)[0].unwrap_or_else(|| panic!("word {address} unwritten"))
            };
            outputs.extend(compiled.compiled.read_map(layer, shape, word));
        }
    }
    let reference: Vec<f64> = match numeric {
        NumericMode::F32 => evaluation.outputs(network).collect(),
        NumericMode::Int8 => {
            let layers = evaluate_int8(&compiled.net).unwrap_or_else(|e| panic!("{e}"));
            compiled.net.outputs.iter().flat_map(|&o| layers[o].clone()).collect()
        }
    };
    (outputs, reference.repeat(inferences as usize))
}

fn assert_close(actual: &[f64], expected: &[f64], tolerance: f64) {
    assert_eq!(actual.len(), expected.len());
    let scale = expected.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-30);
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!((a - e).abs() <= tolerance * scale, "output {i}: chip {a}, reference {e}");
    }
}

const BOTH: [NetworkSync; 2] = [NetworkSync::LayerByLayer, NetworkSync::Pipelined];

/// Every word of every layer's output map, in every inference, is stored
/// exactly once over all cores: one replica, one core computes each output
/// pixel's channels (the input is the host's; a concat's words are its
/// inputs').
fn check_each_output_word_written_once(compiled: &CompiledNetwork) {
    let mut stores: HashMap<i64, u32> = HashMap::new();
    for core in &compiled.compiled.program.cores {
        count_output_stores(&core.body, &mut HashMap::new(), &mut stores);
    }
    for (index, layer) in compiled.net.layers.iter().enumerate() {
        if matches!(layer.op, NetOp::Input { .. } | NetOp::Concat) {
            continue;
        }
        let map = compiled.compiled.maps[index];
        let [channels, height, width] = layer.shape;
        for inference in 0..i64::from(compiled.inferences) {
            for (y, x, c) in
                (0..height).flat_map(|y| (0..width).flat_map(move |x| (0..channels).map(move |c| (y, x, c))))
            {
                let address = inference * compiled.compiled.shared_words + map.base + y * map.row + x * map.pixel + c;
                let count = stores.get(&address).copied().unwrap_or(0);
                assert_eq!(count, 1, "layer '{}' inference {inference} pixel ({y}, {x}) channel {c}", layer.name);
            }
        }
    }
}

/// Counts the words `body` stores as outputs, its loops unrolled.
fn count_output_stores(body: &[Instr], env: &mut HashMap<String, i64>, stores: &mut HashMap<i64, u32>) {
    let value =
        |a: &Affine, env: &HashMap<String, i64>| a.constant + a.terms.iter().map(|(v, c)| c * env[v]).sum::<i64>();
    for instr in body {
        match instr {
            Instr::Store { shared, n, class: Class::Output, .. } => {
                let start = value(shared, env);
                for address in start..start + i64::from(*n) {
                    *stores.entry(address).or_insert(0) += 1;
                }
            }
            Instr::Loop { var, count, body } => {
                for i in 0..i64::from(*count) {
                    env.insert(var.clone(), i);
                    count_output_stores(body, env, stores);
                }
                env.remove(var);
            }
            _ => {}
        }
    }
}

/// `chip` with enough sequence registers for pipelined networks.
fn with_registers(chip: Architecture) -> Architecture {
    chip.with_settings(&[("sync.registers".to_string(), "64".to_string())]).unwrap()
}

#[test]
fn lenet5_on_the_chip_computes_its_reference_output() {
    let network = import_file(&models::dir().join("lenet5.full.onnx")).unwrap_or_else(|e| panic!("{e}"));
    let input = numbers("lenet5.input.txt");
    let chip = with_registers(Architecture::default());
    for sync in BOTH {
        let (computed, reference) = run_on_chip(&network, &chip, sync, NumericMode::F32, &input);
        assert_close(&computed, &reference, 1e-5);
        assert_close(&computed, &numbers("lenet5.output.txt"), 1e-4);
        let (computed, reference) = run_on_chip(&network, &chip, sync, NumericMode::Int8, &input);
        assert_eq!(computed, reference);
    }
}

#[test]
fn every_kind_of_layer_on_the_chip_computes_the_reference_output() {
    let mut network = zoo::build("testnet").unwrap();
    let missing = pseudo_random_weights(&network).unwrap();
    network.weights.extend(missing);
    let input = pseudo_random(3 * 16 * 16, 7);
    let chip = with_registers(Architecture::default());
    for sync in BOTH {
        let (computed, reference) = run_on_chip(&network, &chip, sync, NumericMode::F32, &input);
        assert_close(&computed, &reference, 1e-5);
        // In int8, exactly the integer reference's, and not all zeros.
        let (computed, reference) = run_on_chip(&network, &chip, sync, NumericMode::Int8, &input);
        assert_eq!(computed, reference);
        assert!(computed.iter().any(|&v| v != 0.0), "{computed:?}");
        // Duplicated (2, 3 and 4 replicas in turn), the same words.
        let (duplicated, _) = run_duplicated(&network, &chip, sync, NumericMode::Int8, &input, &[2, 3, 4], 1);
        assert_eq!(duplicated, computed);
    }
}

/// A small chip that cuts the random networks' kernels into several tiles:
/// 16x16 crossbars of one cell per weight, two per core.
fn small_chip() -> Architecture {
    let settings = [("crossbar.rows", "16"), ("crossbar.cols", "16"), ("crossbar.cell_bits", "8")];
    let settings: Vec<(String, String)> = settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    with_registers(Architecture::default().with_settings(&settings).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any DAG of the layer kinds, compiled whole, its layers one after
    /// another or overlapping, for one input or several streamed back to
    /// back, and simulated with values: no race, no deadlock, and the
    /// reference interpreter's output for every inference.
    #[test]
    fn random_networks_on_the_chip_compute_their_reference_output(
        steps in prop::collection::vec(step(), 1..8), channels in 1i64..5, size in 5i64..10,
        replicas in prop::collection::vec(1i64..4, 1..4), inferences in 1u32..4,
    ) {
        let (mut network, _) = random_network(&steps, [1, channels, size, size]);
        let missing = pseudo_random_weights(&network).unwrap();
        network.weights.extend(missing);
        let input = pseudo_random((channels * size * size) as usize, 3);
        for sync in BOTH {
            let run = |numeric| run_duplicated(&network, &small_chip(), sync, numeric, &input, &replicas, inferences);
            let (chip, reference) = run(NumericMode::F32);
            assert_close(&chip, &reference, 1e-5);
            let (chip, reference) = run(NumericMode::Int8);
            prop_assert_eq!(chip, reference);
        }
    }
}
