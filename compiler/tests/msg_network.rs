//! A whole network's programs as one `msg` module
//! (`CompiledNetwork::msg_module`): printed, parsed back and translated
//! (`lower_msg`), they are the compiled programs; the module's size grows
//! with layers and cores, not pixels, and stays small for ResNet-18.

use rram_compiler::arch::Architecture;
use rram_compiler::frontend::{zoo, Network};
use rram_compiler::lower_msg;
use rram_compiler::reference::{evaluate, pseudo_random, pseudo_random_weights};
use rram_compiler::whole_network::{compile_network, CompiledNetwork, NetworkSync, Options, Values};
use rram_dialects::nn::{Conv2d, NnOp, Pool, Window};
use rram_dialects::Context;
use rram_isa::Program;
use rram_sim::NumericMode;

/// A chip with room for a whole ResNet-18, a layer per core, and the
/// registers of a pipelined network.
fn chip() -> Architecture {
    let mut chip = Architecture::default();
    chip.core.count = 4096;
    chip.shared_memory.size_bytes = 1 << 30;
    chip.sync.registers = 8;
    chip.validate("test chip").unwrap();
    chip
}

/// `network` compiled for timing (no weights, no data), layer by layer.
fn timing(network: &Network) -> CompiledNetwork {
    compile_in(network, NetworkSync::LayerByLayer)
}

fn compile_in(network: &Network, sync: NetworkSync) -> CompiledNetwork {
    compile_network(network, &chip(), Options::new(sync), None).unwrap_or_else(|e| panic!("{e}"))
}

/// The programs as the IR holds them: crossbars without their weights, no
/// initial shared memory.
fn without_data(program: &Program) -> Program {
    let mut cores = program.cores.clone();
    for crossbar in cores.iter_mut().flat_map(|core| &mut core.crossbars) {
        crossbar.weights = None;
    }
    Program { cores, memory: Vec::new() }
}

/// The network's printed `msg` module, after checking that parsing it back
/// and translating it gives the compiled programs.
fn round_trip(compiled: &CompiledNetwork) -> String {
    let context = Context::new().unwrap();
    let text = compiled.msg_module(&context).unwrap_or_else(|e| panic!("{e}")).print();
    let parsed = context.parse(&text, "printed").unwrap_or_else(|e| panic!("{e}"));
    let read = lower_msg::program(&parsed).unwrap_or_else(|e| panic!("{e}"));
    let expected = without_data(&compiled.compiled.program);
    assert_eq!(read.cores.len(), expected.cores.len());
    for (read, expected) in read.cores.iter().zip(&expected.cores) {
        assert!(read == expected, "core {} reads back as\n{read:?}\ninstead of\n{expected:?}", expected.core);
    }
    text
}

/// The functions of a printed module: (roles, core programs).
fn functions(text: &str) -> (usize, usize) {
    let count = |marker: &str| text.lines().filter(|l| l.contains("func.func") && l.contains(marker)).count();
    (count("msg.role"), count("msg.core"))
}

#[test]
fn lenet5_round_trips() {
    let compiled = timing(&zoo::build("lenet5").unwrap());
    let text = round_trip(&compiled);
    assert_eq!(functions(&text).1, compiled.compiled.program.cores.len());
}

#[test]
fn testnet_with_its_weights_round_trips_without_them() {
    let mut network = zoo::build("testnet").unwrap();
    let missing = pseudo_random_weights(&network).unwrap();
    network.weights.extend(missing);
    let values = evaluate(&network, &pseudo_random(3 * 16 * 16, 7)).unwrap_or_else(|e| panic!("{e}"));
    let compiled = compile_network(
        &network,
        &chip(),
        Options::new(NetworkSync::LayerByLayer),
        Some(Values { evaluation: &values, numeric: NumericMode::F32 }),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(compiled.compiled.program.cores.iter().flat_map(|c| &c.crossbars).any(|x| x.weights.is_some()));
    round_trip(&compiled);
}

/// ResNet-18's module, in bytes, with its functions: well under the 20 MB
/// the IR may take, since it does not grow with the pixels.
#[test]
fn resnet18_round_trips_in_a_small_module() {
    let compiled = timing(&zoo::build("resnet18").unwrap());
    let text = round_trip(&compiled);
    let (roles, cores) = functions(&text);
    println!(
        "resnet18: {} bytes, {} lines, {roles} roles, {cores} core programs ({} cores)",
        text.len(),
        text.lines().count(),
        compiled.compiled.program.cores.len()
    );
    assert_eq!(cores, compiled.compiled.program.cores.len());
    assert!(text.len() < 20 << 20, "ResNet-18's msg module takes {} bytes", text.len());
}

/// A conv with a ReLU, then a max pooling: two layers on a few cores.
fn conv_then_pool() -> Network {
    let mut network = Network::new("conv_pool");
    let x = network.input("x", vec![1, 2, 6, 6]);
    let w = network.weight("w", vec![4, 2, 3, 3]).unwrap();
    let b = network.weight("b", vec![4]).unwrap();
    let conv = Conv2d { strides: [1, 1], pads: [0; 4], dilations: [1, 1], groups: 1 };
    let y = network.add("conv", NnOp::Conv2d(conv), &[x, w, b]).unwrap();
    let relu = network.add("relu", NnOp::Relu, &[y]).unwrap();
    let window = Window { kernel: [2, 2], strides: [2, 2], pads: [0; 4], dilations: [1, 1] };
    let pool = network.add("pool", NnOp::MaxPool2d(Pool { window, ceil_mode: false }), &[relu]).unwrap();
    network.outputs.push(pool);
    network
}

#[test]
fn two_layer_module() {
    let text = round_trip(&timing(&conv_then_pool()));
    insta::assert_snapshot!(text);
}

/// Pipelined: the conv's core tells the pooling's cores each row it
/// finishes (register 2); they pass rows on in a ring (register 1).
#[test]
fn two_layer_module_pipelined() {
    let text = round_trip(&compile_in(&conv_then_pool(), NetworkSync::Pipelined));
    insta::assert_snapshot!(text);
}
