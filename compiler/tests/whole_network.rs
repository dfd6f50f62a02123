//! Whole networks compiled into one set of per-core programs, simulated
//! with values and compared with the reference interpreter.

mod common;

use common::random_network::{random_network, step};
use proptest::prelude::*;

use common::models;
use rram_compiler::arch::Architecture;
use rram_compiler::frontend::onnx::import_file;
use rram_compiler::frontend::{zoo, Network};
use rram_compiler::reference::{evaluate, pseudo_random, pseudo_random_weights};
use rram_compiler::sim::{simulate, NumericMode, SimOptions};
use rram_compiler::whole_network::{compile_network, Cores, NetworkSync};

fn numbers(name: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(models::dir().join(name)).unwrap();
    text.split_whitespace().map(|word| word.parse().unwrap()).collect()
}

/// The network's outputs as the simulated chip computes them on `input`,
/// its layers synchronized as `sync` says, with the reference's.
fn run_on_chip(network: &Network, arch: &Architecture, sync: NetworkSync, input: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let values = evaluate(network, input).unwrap_or_else(|e| panic!("{e}"));
    let compiled = compile_network(network, arch, Cores::Chip, sync, Some(&values)).unwrap_or_else(|e| panic!("{e}"));
    let options = SimOptions { functional: Some(NumericMode::F32), trace: false };
    let result = simulate(arch, &compiled.compiled.program, &options).unwrap_or_else(|e| panic!("{e}"));
    let shared = result.shared.expect("a functional run keeps shared memory");
    let mut outputs = Vec::new();
    for &layer in &compiled.net.outputs {
        let shape = compiled.net.layers[layer].shape;
        let word = |address: usize| shared.read(address, 1)[0].unwrap_or_else(|| panic!("word {address} unwritten"));
        outputs.extend(compiled.compiled.read_map(layer, shape, word));
    }
    (outputs, values.outputs(network).collect())
}

fn assert_close(actual: &[f64], expected: &[f64], tolerance: f64) {
    assert_eq!(actual.len(), expected.len());
    let scale = expected.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-30);
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!((a - e).abs() <= tolerance * scale, "output {i}: chip {a}, reference {e}");
    }
}

const BOTH: [NetworkSync; 2] = [NetworkSync::LayerByLayer, NetworkSync::Pipelined];

/// `chip` with enough sequence registers for pipelined networks.
fn with_registers(chip: Architecture) -> Architecture {
    chip.with_settings(&[("sync.registers".to_string(), "8".to_string())]).unwrap()
}

#[test]
fn lenet5_on_the_chip_computes_its_reference_output() {
    let network = import_file(&models::dir().join("lenet5.full.onnx")).unwrap_or_else(|e| panic!("{e}"));
    let input = numbers("lenet5.input.txt");
    for sync in BOTH {
        let (chip, reference) = run_on_chip(&network, &with_registers(Architecture::default()), sync, &input);
        assert_close(&chip, &reference, 1e-5);
        assert_close(&chip, &numbers("lenet5.output.txt"), 1e-4);
    }
}

#[test]
fn every_kind_of_layer_on_the_chip_computes_the_reference_output() {
    let mut network = zoo::build("testnet").unwrap();
    let missing = pseudo_random_weights(&network).unwrap();
    network.weights.extend(missing);
    let input = pseudo_random(3 * 16 * 16, 7);
    for sync in BOTH {
        let (chip, reference) = run_on_chip(&network, &with_registers(Architecture::default()), sync, &input);
        assert_close(&chip, &reference, 1e-5);
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
    /// another or overlapping, and simulated with values: no race, no
    /// deadlock, and the reference interpreter's output.
    #[test]
    fn random_networks_on_the_chip_compute_their_reference_output(
        steps in prop::collection::vec(step(), 1..8), channels in 1i64..5, size in 5i64..10,
    ) {
        let (mut network, _) = random_network(&steps, [1, channels, size, size]);
        let missing = pseudo_random_weights(&network).unwrap();
        network.weights.extend(missing);
        let input = pseudo_random((channels * size * size) as usize, 3);
        for sync in BOTH {
            let (chip, reference) = run_on_chip(&network, &small_chip(), sync, &input);
            assert_close(&chip, &reference, 1e-5);
        }
    }
}
