//! Extreme sizes in networks: counts beyond 64 bits are errors naming the
//! layer and its numbers, a network far too large for a chip is rejected
//! before any tile is built, and a check never allocates what a shape asks
//! for beyond its bound, nor does a functional simulation for an address
//! far into a large memory. The same errors come in debug and release builds,
//! since every such product is checked rather than left to wrap.

use rram_arch::Architecture;
use rram_compiler::frontend::Network;
use rram_compiler::pipeline::{Pipeline, RunOptions, Step};
use rram_compiler::reference::MAX_TENSOR_ELEMENTS;
use rram_compiler::report::check::check_network;
use rram_compiler::report::Summary;
use rram_dialects::nn::{Conv2d, NnOp};
use rram_dialects::Context;
use rram_isa::{Affine, Class, CoreProgram, Instr, MemoryInit, Program};
use rram_passes::tiling::Chip;
use rram_passes::TileLayers;
use rram_sim::{simulate, NumericMode, SimOptions, MAX_FUNCTIONAL_WORDS};
use std::time::{Duration, Instant};

/// One conv with `weight` over an input of `input`, no data.
fn conv_network(input: Vec<i64>, weight: Vec<i64>) -> Network {
    let mut network = Network::new("extreme");
    let x = network.input("x", input);
    let w = network.weight("conv.weight", weight).unwrap();
    let conv = NnOp::Conv2d(Conv2d { strides: [1, 1], pads: [0; 4], dilations: [1, 1], groups: 1 });
    let y = network.add("conv", conv, &[x, w]).unwrap();
    network.outputs = vec![y];
    network
}

#[test]
fn macs_beyond_64_bits_are_an_error_naming_the_layer() {
    // A 2^20 x 2^20 kernel over 2^24 channels: 2^24 outputs of 2^40 MACs.
    let network = conv_network(vec![1, 1, 1 << 20, 1 << 20], vec![1 << 24, 1, 1 << 20, 1 << 20]);
    let message = Summary::of(&network).unwrap_err().to_string();
    assert_eq!(
        message,
        "node 'conv' (nn.conv2d): 16777216 outputs of 1099511627776 multiply-accumulates each are more MACs than \
         fit in 64 bits"
    );
}

#[test]
fn a_network_far_too_large_for_the_chip_fails_before_any_tile_is_built() {
    // 2^16 channels in and out, 3x3: 4608 x 2048 = 9437184 tiles of 128 x 128.
    let network = conv_network(vec![1, 1 << 16, 8, 8], vec![1 << 16, 1 << 16, 3, 3]);
    let context = Context::new().unwrap();
    let mut module = context.parse(&network.to_mlir(), "extreme.mlir").unwrap();
    let chip = Chip { cores: 1024, crossbars: 2 };
    let tile = TileLayers { rows: 128, cols: 128, slices: 4, fit_on: Some(chip) };
    let pipeline = Pipeline { steps: vec![Step::Ours { name: "rram-tile".into(), pass: Box::new(tile) }] };
    let start = Instant::now();
    let error = pipeline.run(&mut module, RunOptions::default(), |_, _| {}).unwrap_err().to_string();
    assert!(start.elapsed() < Duration::from_secs(5), "took {:?}", start.elapsed());
    assert!(
        error.contains(
            "'conv': error: rram-tile: the network needs 4718592 cores of 2 crossbars for its 9437184 tiles (a \
             layer, and a horizontal group of several tiles, does not share a core with another), 1024 available"
        ),
        "{error}"
    );
    assert!(module.operations_named("xbar.tile").is_empty());
}

#[test]
fn a_check_rejects_tensors_beyond_its_memory_bound_before_allocating_them() {
    // A structure-only network whose input alone has 2^40 elements (8 TiB of f64).
    let network = conv_network(vec![1, 1, 1 << 20, 1 << 20], vec![1, 1, 3, 3]);
    let chip = Architecture::default();
    let error = check_network(&network, &chip, &[NumericMode::Int8], None, 1, &|_| {}).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "'x': [1, 1, 1048576, 1048576] has 1099511627776 elements, more than the {MAX_TENSOR_ELEMENTS} the \
             host holds in one tensor"
        )
    );
}

#[test]
fn a_check_rejects_a_layer_needing_more_cores_than_a_chip_may_have() {
    // One-cell crossbars: each of the 65537 weights is a tile of its own.
    let chip = Architecture::from_toml_str(
        "[core]\ncrossbars = 1\n[crossbar]\nrows = 1\ncols = 1\nweight_bits = 8\ncell_bits = 8\n",
        "cells.toml",
    )
    .unwrap();
    let network = conv_network(vec![1, 65537, 1, 1], vec![1, 65537, 1, 1]);
    let error = check_network(&network, &chip, &[NumericMode::Int8], None, 1, &|_| {}).unwrap_err();
    assert_eq!(
        error.to_string(),
        "layer 'conv': the layer needs 65537 cores of 1 crossbars, more than the 65536 a chip may have"
    );
}

#[test]
fn a_functional_simulation_rejects_addresses_past_what_it_holds() {
    // A chip with 1 TiB of shared memory: every address is valid, and a
    // timing-only simulation takes it.
    let chip =
        Architecture::from_toml_str("[core]\ncount = 1\n[shared_memory]\nsize_bytes = 1099511627776\n", "big.toml")
            .unwrap();
    let far = (1i64 << 38) - 2; // the last two words
    let store = Instr::Store { shared: Affine::constant(far), local: Affine::constant(0), n: 2, class: Class::Output };
    let load = Instr::Load { local: Affine::constant(0), shared: Affine::constant(0), n: 2, class: Class::Input };
    let program = Program {
        cores: vec![CoreProgram { core: 0, crossbars: vec![], body: vec![load, store] }],
        memory: vec![MemoryInit { address: 0, values: vec![1.0, 2.0] }],
    };
    simulate(&chip, &program, &SimOptions::default()).unwrap();
    let functional = SimOptions { functional: Some(NumericMode::F32), trace: false };
    let error = simulate(&chip, &program, &functional).unwrap_err().to_string();
    assert_eq!(
        error,
        format!(
            "core 0 instruction 1: shared words [{far}, {}) lie past word {MAX_FUNCTIONAL_WORDS}, the end of what a \
             functional simulation holds of a memory (a timing-only one takes any address)",
            far + 2
        )
    );
    let far_init = Program { memory: vec![MemoryInit { address: far as u64, values: vec![1.0] }], ..program };
    let error = simulate(&chip, &far_init, &functional).unwrap_err().to_string();
    assert!(error.contains("lies past word 67108864, the end of what a functional simulation holds"), "{error}");
}
