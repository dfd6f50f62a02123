//! The architecture description: presets, exact error messages, derived
//! quantities on hand-computed examples, and fuzzing of the TOML reader.

use std::path::{Path, PathBuf};

mod common;

use common::mutation::{mutate, mutations};
use proptest::prelude::*;
use rram_arch::{preset_names, Arbitration, ArchError, Architecture, LineColumn, MeshNoc};

fn preset_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../arch")
}

/// The message of the error `text` must produce, as a user sees it.
fn error_of(text: &str) -> String {
    match Architecture::from_toml_str(text, "arch/x.toml") {
        Ok(architecture) => panic!("expected an error for {text:?}, got {architecture:?}"),
        Err(error) => error.to_string(),
    }
}

fn parse(text: &str) -> Architecture {
    Architecture::from_toml_str(text, "arch/x.toml").unwrap_or_else(|error| panic!("{error}"))
}

// ---- presets ----

#[test]
fn every_preset_loads_validates_and_is_named_after_its_file() {
    for &name in preset_names() {
        let architecture = Architecture::preset(name).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(architecture.name, name);
        let from_disk = Architecture::load(&preset_dir().join(format!("{name}.toml"))).unwrap();
        assert_eq!(from_disk, architecture, "embedded and on-disk {name} differ");
    }
}

#[test]
fn every_file_under_arch_is_a_preset() {
    let mut on_disk: Vec<String> = std::fs::read_dir(preset_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "toml"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut embedded: Vec<String> = preset_names().iter().map(|name| name.to_string()).collect();
    embedded.sort();
    assert_eq!(on_disk, embedded);
}

#[test]
fn experiment_presets_are_the_published_grid() {
    let mut expected = Vec::new();
    for side in [32, 64, 128] {
        for bus_width in [4, 8, 16, 32, 64] {
            let name = format!("xbar{side}-bus{bus_width}");
            let architecture = Architecture::preset(&name).unwrap();
            assert_eq!((architecture.crossbar.rows, architecture.crossbar.cols), (side, side), "{name}");
            assert_eq!(architecture.bus.width_bytes, bus_width, "{name}");
            assert_eq!((architecture.core.count, architecture.core.crossbars), (1024, 1), "{name}");
            expected.push(name);
        }
    }
    assert_eq!(preset_names()[0], "default");
    assert_eq!(&preset_names()[1..16], expected.as_slice());
    assert_eq!(&preset_names()[16..], ["wholenet"]);
}

#[test]
fn default_preset_is_the_default_and_every_field_default() {
    assert_eq!(Architecture::preset("default").unwrap(), Architecture::default());
    let empty = Architecture::from_toml_str("", "chips/default.toml").unwrap();
    assert_eq!(empty, Architecture::default());
}

#[test]
fn name_defaults_to_the_file_stem() {
    assert_eq!(Architecture::from_toml_str("", "some/dir/my-chip.toml").unwrap().name, "my-chip");
    assert_eq!(Architecture::from_toml_str("name = \"\"", "x.toml").unwrap().name, "x");
    assert_eq!(Architecture::from_toml_str("name = \"kept\"", "x.toml").unwrap().name, "kept");
}

#[test]
fn presets_and_a_full_description_round_trip_through_toml() {
    let mut full = Architecture::preset("xbar64-bus32").unwrap();
    full.crossbar.mvm_latency_cycles = Some(700);
    full.noc = Some(MeshNoc { rows: 32, cols: 32, link_width_bytes: 8, hop_latency_cycles: 3 });
    full.clock_mhz = 812.5;
    let presets = preset_names().iter().map(|name| Architecture::preset(name).unwrap());
    for architecture in presets.chain([full]) {
        let text = architecture.to_toml().unwrap();
        assert_eq!(Architecture::from_toml_str(&text, "round-trip.toml").unwrap(), architecture, "{text}");
    }
}

#[test]
fn unknown_preset_lists_the_known_ones() {
    let message = Architecture::preset("xbar256").unwrap_err().to_string();
    assert_eq!(message, format!("unknown architecture preset 'xbar256' (presets: {})", preset_names().join(", ")));
    assert!(message.contains("default, xbar32-bus4, xbar32-bus8"));
}

#[test]
fn missing_file_names_the_path() {
    let path = preset_dir().join("no-such-chip.toml");
    let error = Architecture::load(&path).unwrap_err();
    assert!(matches!(error, ArchError::Read { .. }));
    assert_eq!(error.to_string(), format!("{}: cannot read: No such file or directory (os error 2)", path.display()));
}

// ---- derived quantities ----

#[test]
fn derived_quantities_of_the_default() {
    let architecture = Architecture::default();
    assert_eq!(architecture.slices_per_weight(), 4); // 8-bit weights in 2-bit cells
    assert_eq!(architecture.input_cycles(), 8); // 8-bit inputs, 1-bit DAC
    assert_eq!(architecture.mvm_latency_cycles(), 1104); // 8 * (10 + 128 / 1 * 1)
    assert_eq!(architecture.total_crossbars(), 2048);
    assert_eq!(architecture.bus_transfer_cycles(0), 4);
    assert_eq!(architecture.bus_transfer_cycles(16), 5);
    assert_eq!(architecture.bus_transfer_cycles(100), 11); // 4 + ceil(100 / 16)
    assert_eq!(architecture.vector_op_cycles(100), 8); // 4 + ceil(100 / 32)
    assert_eq!(architecture.input_vector_bytes(), 128);
    assert_eq!(architecture.weights_per_row(), 32); // 128 cells, 4 per weight
    assert_eq!(architecture.output_vector_bytes(), 128); // 32 weight columns of 32 bits
    assert_eq!(architecture.sync_memory_bytes(), 4096); // MISSION: 4 kB for 1024 cores
    assert!((architecture.cycles_to_us(1104) - 1.104).abs() < 1e-12);
    assert_eq!(architecture.bus.arbitration, Arbitration::RoundRobin);
}

#[test]
fn derived_quantities_of_an_uneven_chip() {
    let text = r#"
        clock_mhz = 250
        [core]
        count = 12
        crossbars = 3
        [crossbar]
        rows = 64
        cols = 100
        weight_bits = 7
        cell_bits = 2
        input_bits = 12
        dac_bits = 5
        output_bits = 20
        read_cycles = 6
        adc_count = 8
        adc_cycles = 3
        [vector_unit]
        elements_per_cycle = 24
        latency_cycles = 2
        [bus]
        width_bytes = 12
        overhead_cycles = 7
        [sync]
        register_bytes = 2
    "#;
    let architecture = parse(text);
    assert_eq!(architecture.slices_per_weight(), 4); // ceil(7 / 2)
    assert_eq!(architecture.input_cycles(), 3); // ceil(12 / 5)
    assert_eq!(architecture.mvm_latency_cycles(), 135); // 3 * (6 + ceil(100 / 8) * 3)
    assert_eq!(architecture.total_crossbars(), 36);
    assert_eq!(architecture.bus_transfer_cycles(12), 8);
    assert_eq!(architecture.bus_transfer_cycles(13), 9);
    assert_eq!(architecture.bus_transfer_cycles(100), 16); // 7 + ceil(100 / 12)
    assert_eq!(architecture.vector_op_cycles(50), 5); // 2 + ceil(50 / 24)
    assert_eq!(architecture.input_vector_bytes(), 128); // 64 rows of 2 bytes
    assert_eq!(architecture.weights_per_row(), 25); // 100 cells, 4 per weight
    assert_eq!(architecture.output_vector_bytes(), 75); // 25 weight columns of 3 bytes
    assert_eq!(architecture.sync_memory_bytes(), 24);
    assert!((architecture.cycles_to_us(135) - 0.54).abs() < 1e-12);

    let fixed = parse(&text.replace("adc_cycles = 3", "adc_cycles = 3\nmvm_latency_cycles = 500"));
    assert_eq!(fixed.mvm_latency_cycles(), 500);
}

#[test]
fn smaller_crossbars_convert_fewer_columns() {
    let latency = |name: &str| Architecture::preset(name).unwrap().mvm_latency_cycles();
    assert_eq!(latency("xbar32-bus4"), 336); // 8 * (10 + 32)
    assert_eq!(latency("xbar64-bus4"), 592); // 8 * (10 + 64)
    assert_eq!(latency("xbar128-bus4"), 1104);
}

#[test]
fn largest_allowed_values_do_not_overflow() {
    let architecture = parse(
        "[core]\ncount = 65536\ncrossbars = 1024\nlocal_memory_bytes = 1073741824\n\
         [crossbar]\nrows = 4096\ncols = 4096\nweight_bits = 32\ncell_bits = 1\ninput_bits = 32\ndac_bits = 1\n\
         output_bits = 64\nread_cycles = 65536\nadc_count = 1\nadc_cycles = 65536\n\
         [bus]\nwidth_bytes = 1\noverhead_cycles = 65536\n[sync]\nregister_bytes = 16",
    );
    assert_eq!(architecture.slices_per_weight(), 32);
    assert_eq!(architecture.mvm_latency_cycles(), 8_592_031_744); // 32 * (65536 + 4096 * 65536)
    assert_eq!(architecture.total_crossbars(), 67_108_864);
    assert_eq!(architecture.sync_memory_bytes(), 1_048_576);
    assert_eq!(architecture.bus_transfer_cycles(u64::MAX), u64::MAX);
}

// ---- errors: values out of range ----

#[test]
fn zero_cores() {
    assert_eq!(error_of("[core]\ncount = 0"), "arch/x.toml: core.count must be between 1 and 65536, got 0");
}

#[test]
fn crossbar_rows_zero() {
    assert_eq!(error_of("[crossbar]\nrows = 0"), "arch/x.toml: crossbar.rows must be between 1 and 4096, got 0");
}

#[test]
fn bus_width_zero() {
    assert_eq!(error_of("[bus]\nwidth_bytes = 0"), "arch/x.toml: bus.width_bytes must be between 1 and 4096, got 0");
}

#[test]
fn cell_bits_above_weight_bits() {
    assert_eq!(
        error_of("[crossbar]\nweight_bits = 2\ncell_bits = 3"),
        "arch/x.toml: crossbar.cell_bits must be between 1 and 2 (crossbar.weight_bits), got 3"
    );
    assert_eq!(error_of("[crossbar]\ncell_bits = 9"), "arch/x.toml: crossbar.cell_bits must be between 1 and 8, got 9");
}

#[test]
fn dac_bits_above_input_bits() {
    assert_eq!(
        error_of("[crossbar]\ninput_bits = 4\ndac_bits = 5"),
        "arch/x.toml: crossbar.dac_bits must be between 1 and 4 (crossbar.input_bits), got 5"
    );
}

#[test]
fn clock_out_of_range() {
    let expected = |got: &str| format!("arch/x.toml: clock_mhz must be between 0.001 and 100000, got {got}");
    assert_eq!(error_of("clock_mhz = 0"), expected("0.0"));
    assert_eq!(error_of("clock_mhz = 5e-324"), expected("5e-324"));
    assert_eq!(error_of("clock_mhz = 0.0009"), expected("0.0009"));
    assert_eq!(error_of("clock_mhz = -5.5"), expected("-5.5"));
    assert_eq!(error_of("clock_mhz = nan"), expected("NaN"));
    assert_eq!(error_of("clock_mhz = inf"), expected("inf"));
}

#[test]
fn local_memory_smaller_than_one_crossbars_vectors() {
    assert_eq!(
        error_of("[core]\nlocal_memory_bytes = 255"),
        "arch/x.toml: core.local_memory_bytes must be between 256 (one crossbar's input and output vector) \
         and 1073741824, got 255"
    );
}

#[test]
fn crossbar_narrower_than_one_weight() {
    // 8-bit weights on 2-bit cells: 4 cells a weight.
    assert_eq!(
        error_of("[crossbar]\ncols = 3\nadc_count = 1"),
        "arch/x.toml: crossbar.cols must be between 4 (one weight's cells) and 4096, got 3"
    );
}

#[test]
fn more_adcs_than_columns() {
    assert_eq!(
        error_of("[crossbar]\ncols = 16\nadc_count = 17"),
        "arch/x.toml: crossbar.adc_count must be between 1 and 16 (crossbar.cols), got 17"
    );
}

#[test]
fn mesh_that_does_not_divide_the_cores() {
    assert_eq!(
        error_of("[noc]\nrows = 3\ncols = 5"),
        "arch/x.toml: noc.rows * noc.cols must be a divisor of core.count (1024), got 15 (3 * 5)"
    );
}

#[test]
fn every_other_range() {
    let cases = [
        ("[core]\ncrossbars = 0", "core.crossbars must be between 1 and 1024, got 0"),
        ("[core]\ncount = 65537", "core.count must be between 1 and 65536, got 65537"),
        ("[crossbar]\ncols = 4097", "crossbar.cols must be between 1 and 4096, got 4097"),
        ("[crossbar]\nweight_bits = 33", "crossbar.weight_bits must be between 1 and 32, got 33"),
        ("[crossbar]\ncell_bits = 0", "crossbar.cell_bits must be between 1 and 8, got 0"),
        ("[crossbar]\ninput_bits = 0", "crossbar.input_bits must be between 1 and 32, got 0"),
        ("[crossbar]\noutput_bits = 65", "crossbar.output_bits must be between 1 and 64, got 65"),
        ("[crossbar]\nread_cycles = 65537", "crossbar.read_cycles must be between 0 and 65536, got 65537"),
        ("[crossbar]\nadc_cycles = 0", "crossbar.adc_cycles must be between 1 and 65536, got 0"),
        ("[crossbar]\nmvm_latency_cycles = 0", "crossbar.mvm_latency_cycles must be between 1 and 1000000000, got 0"),
        ("[vector_unit]\nelements_per_cycle = 0", "vector_unit.elements_per_cycle must be between 1 and 4096, got 0"),
        ("[vector_unit]\nlatency_cycles = 70000", "vector_unit.latency_cycles must be between 0 and 65536, got 70000"),
        ("[bus]\noverhead_cycles = 65537", "bus.overhead_cycles must be between 0 and 65536, got 65537"),
        ("[shared_memory]\nsize_bytes = 0", "shared_memory.size_bytes must be between 1 and 1099511627776, got 0"),
        ("[sync]\nregister_bytes = 0", "sync.register_bytes must be between 1 and 16, got 0"),
        ("[noc]\nrows = 0\ncols = 4", "noc.rows must be between 1 and 256, got 0"),
        ("[noc]\nrows = 4\ncols = 257", "noc.cols must be between 1 and 256, got 257"),
        ("[noc]\nrows = 4\ncols = 4\nlink_width_bytes = 0", "noc.link_width_bytes must be between 1 and 4096, got 0"),
        (
            "[noc]\nrows = 4\ncols = 4\nhop_latency_cycles = 0",
            "noc.hop_latency_cycles must be between 1 and 65536, got 0",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(error_of(text), format!("arch/x.toml: {expected}"), "{text}");
    }
}

// ---- errors: the text itself ----

#[test]
fn unknown_key() {
    assert_eq!(
        error_of("[bus]\nwidth_bytes = 8\nspeed = 3"),
        "arch/x.toml:3:1: unknown field `speed`, expected one of `width_bytes`, `overhead_cycles`, `pipelined`, `arbitration`"
    );
    assert_eq!(
        error_of("clock = 3"),
        "arch/x.toml:1:1: unknown field `clock`, expected one of `name`, `clock_mhz`, `core`, `crossbar`, \
         `vector_unit`, `bus`, `shared_memory`, `sync`, `noc`"
    );
}

#[test]
fn unknown_section() {
    assert_eq!(
        error_of("[dram]\nsize_bytes = 3"),
        "arch/x.toml:1:2: unknown field `dram`, expected one of `name`, `clock_mhz`, `core`, `crossbar`, \
         `vector_unit`, `bus`, `shared_memory`, `sync`, `noc`"
    );
}

#[test]
fn wrong_type() {
    assert_eq!(
        error_of("[bus]\nwidth_bytes = \"wide\""),
        "arch/x.toml:2:15: invalid type: string \"wide\", expected an integer between 0 and 4294967295"
    );
    assert_eq!(
        error_of("[crossbar]\nrows = 1.5"),
        "arch/x.toml:2:8: invalid type: floating point `1.5`, expected an integer between 0 and 4294967295"
    );
    assert_eq!(error_of("clock_mhz = \"fast\""), "arch/x.toml:1:13: invalid type: string \"fast\", expected a number");
    assert_eq!(error_of("core = 5"), "arch/x.toml:1:8: invalid type: integer `5`, expected a table");
    assert_eq!(error_of("name = 3"), "arch/x.toml:1:8: invalid type: integer `3`, expected a string");
}

#[test]
fn negative_and_too_large_integers() {
    assert_eq!(
        error_of("[core]\ncount = -1"),
        "arch/x.toml:2:9: invalid value: integer `-1`, expected an integer between 0 and 4294967295"
    );
    assert_eq!(
        error_of("[core]\ncount = 99999999999"),
        "arch/x.toml:2:9: invalid value: integer `99999999999`, expected an integer between 0 and 4294967295"
    );
}

#[test]
fn unknown_arbitration() {
    assert_eq!(
        error_of("[bus]\narbitration = \"fifo\""),
        "arch/x.toml:2:15: unknown variant `fifo`, expected `round-robin`"
    );
}

#[test]
fn mesh_without_its_size() {
    assert_eq!(error_of("[bus]\nwidth_bytes = 4\n\n[noc]\ncols = 4"), "arch/x.toml:4:1: missing field `rows`");
}

#[test]
fn syntax_errors_give_line_and_column() {
    assert_eq!(error_of("[core\ncount = 1"), "arch/x.toml:1:6: unclosed table, expected `]`");
    assert_eq!(error_of("clock_mhz = 1000\n[core]\ncount = = 1"), "arch/x.toml:3:9: extra `=`, expected nothing");
    assert_eq!(error_of("[core]\ncount = 1\n\n[core]\ncrossbars = 1"), "arch/x.toml:4:2: duplicate key");
}

#[test]
fn columns_count_characters_not_bytes() {
    assert_eq!(
        error_of("name = \"\u{e9}\u{e9}\" x"),
        "arch/x.toml:1:13: unexpected key or value, expected newline, `#`"
    );
}

#[test]
fn positions_inside_a_character_or_past_the_end_do_not_panic() {
    let text = "a\n\u{e9}b";
    assert_eq!(LineColumn::of_offset(text, 0), LineColumn { line: 1, column: 1 });
    assert_eq!(LineColumn::of_offset(text, 2), LineColumn { line: 2, column: 1 });
    assert_eq!(LineColumn::of_offset(text, 3), LineColumn { line: 2, column: 2 }); // inside the é
    assert_eq!(LineColumn::of_offset(text, 4), LineColumn { line: 2, column: 2 });
    assert_eq!(LineColumn::of_offset(text, 99), LineColumn { line: 2, column: 3 });
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let text = format!("name = {}", "[".repeat(100_000));
    assert!(error_of(&text).starts_with("arch/x.toml:1:"));
}

// ---- fuzzing ----

/// Bytes that change TOML's structure or a number, more likely to reach
/// the validator's corners than random bytes alone.
const STRUCTURAL_BYTES: &[u8] = b"[]{}=\"'#\n.,-+_e0123456789\xff";

/// Whatever `from_toml_str` accepts must be usable: no derived quantity
/// overflows, and it round-trips. Whatever it rejects names the file.
fn check_reader_on(text: &str) -> Result<(), TestCaseError> {
    match Architecture::from_toml_str(text, "fuzz.toml") {
        Ok(architecture) => {
            architecture.slices_per_weight();
            architecture.input_cycles();
            prop_assert!(architecture.mvm_latency_cycles() >= 1);
            architecture.bus_transfer_cycles(u64::MAX);
            architecture.vector_op_cycles(u64::MAX);
            architecture.total_crossbars();
            architecture.sync_memory_bytes();
            prop_assert!(architecture.cycles_to_us(1) > 0.0);
            prop_assert!(architecture.cycles_to_us(u64::MAX).is_finite());
            let written = architecture.to_toml().map_err(|error| TestCaseError::fail(error.to_string()))?;
            prop_assert_eq!(Architecture::from_toml_str(&written, "fuzz.toml").ok(), Some(architecture));
        }
        Err(error) => prop_assert!(error.to_string().starts_with("fuzz.toml"), "{}", error),
    }
    Ok(())
}

// An input that makes the reader panic is to be kept as a file under
// tests/arch-corpus/ and replayed by a test: proptest's own seeds stop
// reproducing it as soon as a strategy changes.
proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn mutated_presets_never_panic(
        preset in prop::sample::select(preset_names()),
        mutations in mutations(STRUCTURAL_BYTES, 1..8),
    ) {
        let original = Architecture::preset(preset).unwrap().to_toml().unwrap();
        let text_of_file = std::fs::read(preset_dir().join(format!("{preset}.toml"))).unwrap();
        for source in [text_of_file, original.into_bytes()] {
            let bytes = mutate(source, &mutations);
            check_reader_on(&String::from_utf8_lossy(&bytes))?;
        }
    }

    #[test]
    fn any_field_values_never_panic(
        values in prop::collection::vec(prop::option::weighted(0.25, field_value()), NUMERIC_KEYS.len()),
        noc in prop::option::weighted(0.2, prop::collection::vec(field_value(), NOC_KEYS.len())),
        clock_mhz in prop_oneof![1 => any::<f64>(), 6 => 0.001f64..100_000.0],
    ) {
        let mut text = format!("clock_mhz = {clock_mhz:?}\n");
        for (key, value) in NUMERIC_KEYS.iter().zip(values) {
            if let Some(value) = value {
                text.push_str(&format!("{key} = {value}\n"));
            }
        }
        // The mesh's size has no default: give all its keys or none.
        for (key, value) in NOC_KEYS.iter().zip(noc.into_iter().flatten()) {
            text.push_str(&format!("noc.{key} = {value}\n"));
        }
        check_reader_on(&text)?;
    }
}

/// Mostly small values that many fields accept, plus range edges, values
/// just past them, and anything a u32 holds.
fn field_value() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => 1u64..=8,
        1 => 0u64..=2,
        1 => 0u64..=70_000,
        1 => Just(u64::from(u32::MAX)),
        1 => any::<u32>().prop_map(u64::from),
    ]
}

/// Every integer key outside `[noc]`, to try out of range together.
const NUMERIC_KEYS: &[&str] = &[
    "core.count",
    "core.crossbars",
    "core.local_memory_bytes",
    "crossbar.rows",
    "crossbar.cols",
    "crossbar.weight_bits",
    "crossbar.cell_bits",
    "crossbar.input_bits",
    "crossbar.dac_bits",
    "crossbar.output_bits",
    "crossbar.read_cycles",
    "crossbar.adc_count",
    "crossbar.adc_cycles",
    "crossbar.mvm_latency_cycles",
    "vector_unit.elements_per_cycle",
    "vector_unit.latency_cycles",
    "bus.width_bytes",
    "bus.overhead_cycles",
    "shared_memory.size_bytes",
    "sync.register_bytes",
];

const NOC_KEYS: &[&str] = &["rows", "cols", "link_width_bytes", "hop_latency_cycles"];
