//! The published experiment's building blocks: which layers it measures,
//! what one measurement holds, and the report it writes.

use rram_arch::Architecture;
use rram_compiler::frontend::zoo;
use rram_compiler::report::paper::{
    conv_layers, cores_reaching, measure, report_files, sweep, ConvLayer, CSV_HEADER, EXCHANGE_HEADER,
};
use rram_dialects::nn::Window;
use rram_passes::schedule::SyncMode;

#[test]
fn the_experiment_measures_every_conv_of_the_networks() {
    let resnet = conv_layers(&zoo::build("resnet18").unwrap());
    // conv1, two convs in each of 8 basic blocks, 3 downsampling 1x1 convs.
    assert_eq!(resnet.len(), 20);
    assert_eq!((resnet[0].name.as_str(), resnet[0].weight, resnet[0].pixels), ("conv1", [64, 3, 7, 7], 112 * 112));
    let mobilenet = conv_layers(&zoo::build("mobilenet_v1").unwrap());
    // The stem, then 13 depthwise + pointwise pairs.
    assert_eq!(mobilenet.len(), 27);
    assert_eq!(mobilenet.iter().filter(|l| l.groups > 1 && l.groups == l.weight[0]).count(), 13);
}

#[test]
fn a_measurement_is_consistent_and_the_synchronized_modes_near_pv() {
    // LeNet-5's second conv: 150 x 64 cells on 32x32 crossbars (4 slices),
    // H = 5, V = 2, over 10 x 10 pixels.
    let layer = conv_layers(&zoo::build("lenet5").unwrap()).remove(1);
    let chip = Architecture::preset("xbar32-bus64").unwrap();
    let row = measure(&layer, &chip).unwrap();
    assert_eq!((row.h, row.v, row.pv, row.cores), (5, 2, 5, 10));
    assert_eq!(row.sync_memory_bytes, 10 * 4);
    assert!(row.sync_bytes > 0 && row.sync_bytes < row.total_bus_bytes);
    assert!(row.seq_cycles > row.linear_cycles && row.linear_cycles > row.cyclic_cycles, "{row:?}");
    // Measured: linear 97.0% of PV (its pipeline fills for 4 of 104 steps),
    // cyclic 99.6%; synchronization 0.61% of the bus bytes.
    assert!(row.pct_pv(SyncMode::Cyclic) > 99.0, "{row:?}");
    assert!(row.pct_pv(SyncMode::Linear) > 96.0, "{row:?}");
    assert!(row.sync_overhead_pct() < 1.0, "{row:?}");
    // No run beats its bound; this small layer is far from the bus's limit.
    for mode in [SyncMode::Linear, SyncMode::Cyclic] {
        assert!(row.pct_pv(mode) <= row.pct_pv_bound(mode), "{mode:?}: {row:?}");
        assert_eq!(row.pct_pv_bound(mode), 100.0, "{mode:?}: {row:?}");
    }
    assert_eq!((row.pct_pv_shared_memory_floor(), row.pct_pv_exchange_floor()), (100.0, 100.0));
}

#[test]
fn cores_of_two_crossbars_share_a_group_between_fewer_cores() {
    // The same LeNet-5 conv (H = 5, V = 2) with two crossbars per core:
    // groups of 3 cores (2 + 2 + 1 tiles), 6 cores, PV 3.
    let layer = conv_layers(&zoo::build("lenet5").unwrap()).remove(1);
    let mut chip = Architecture::preset("xbar32-bus64").unwrap();
    chip.core.crossbars = 2;
    let row = measure(&layer, &chip).unwrap();
    assert_eq!((row.h, row.v, row.pv, row.cores), (5, 2, 3, 6));
    assert_eq!(row.sync_memory_bytes, 6 * 4);
    // A core runs its crossbars one after another (it issues in order), so
    // a step of a two-tile core takes two MVMs and the group is at most
    // 5 / 2 = 2.5 times as fast as one core: measured 2.51 (cyclic).
    let speedup = row.speedup(SyncMode::Cyclic);
    assert!((2.4..=2.55).contains(&speedup), "{row:?}");
}

#[test]
fn a_layer_beyond_the_bus_is_bound_below_pv() {
    // ResNet-18's layer1 3x3 conv on 32x32 crossbars: 144 cores on a 4 B bus.
    let layer = conv_layers(&zoo::build("resnet18").unwrap()).remove(1);
    let row = measure(&layer, &Architecture::preset("xbar32-bus4").unwrap()).unwrap();
    assert_eq!(row.cores, 144);
    for mode in [SyncMode::Linear, SyncMode::Cyclic] {
        let (reached, bound) = (row.pct_pv(mode), row.pct_pv_bound(mode));
        assert!(reached <= bound && bound < 50.0, "{mode:?}: {reached} of at most {bound}");
    }
    // The least traffic of any schedule through shared memory rules out
    // 50%; the run's own bytes hold the bus longer still (it loads every
    // input element once for each of the 9 taps that read it).
    let floor = row.pct_pv_shared_memory_floor();
    assert!(row.pct_pv_bound(SyncMode::Cyclic) <= floor && floor < 50.0, "{row:?}");
    assert!(floor <= row.pct_pv_exchange_floor(), "{row:?}");
    assert!(row.cyclic_bus_cycles > row.shared_memory_floor_cycles, "{row:?}");
}

#[test]
fn the_floors_count_partial_sums_outputs_and_each_input_element_once() {
    // A 1x1 conv, 64 -> 16 channels on 8 x 8 pixels, on 32x32 crossbars of
    // 4 slices per weight: H = 2, V = 2, 4 cores, each reading 32 channels
    // of all 64 pixels: 8192 input bytes.
    let layer = ConvLayer {
        network: "test".into(),
        name: "pointwise".into(),
        weight: [16, 64, 1, 1],
        groups: 1,
        pixels: 64,
        input: [8, 8],
        output: [8, 8],
        window: Window { kernel: [1, 1], strides: [1, 1], pads: [0; 4], dilations: [1, 1] },
    };
    let row = measure(&layer, &Architecture::preset("xbar32-bus64").unwrap()).unwrap();
    assert_eq!((row.h, row.v, row.cores), (2, 2, 4));
    // Per pixel, 16 channels: 4 B read and written back by one of the two
    // cores (forwarded: put once), 1 B of output.
    assert_eq!(row.shared_memory_floor_cycles, (64 * 16 * (2 * 4 + 1) + 8192) / 64);
    assert_eq!(row.exchange_floor_cycles, (64 * 16 * (4 + 1) + 8192) / 64);
}

#[test]
fn no_run_beats_the_floors() {
    // Every conv of LeNet-5 on every bus width of the 32x32 presets, and
    // with forwarding, which the exchange floor bounds too.
    let layers = conv_layers(&zoo::build("lenet5").unwrap());
    let mut chips: Vec<Architecture> =
        [4, 8, 16, 32, 64].iter().map(|bus| Architecture::preset(&format!("xbar32-bus{bus}")).unwrap()).collect();
    let forwarding: Vec<Architecture> = chips
        .iter()
        .map(|chip| {
            let mut chip = chip.clone();
            chip.core.remote_writes = true;
            chip
        })
        .collect();
    chips.extend(forwarding);
    for row in sweep(&layers, &chips, 2, &|_| {}).unwrap() {
        for cycles in [row.seq_cycles, row.linear_cycles, row.cyclic_cycles] {
            assert!(cycles >= row.exchange_floor_cycles.max(row.mvm_cycles), "{row:?}");
        }
        for cycles in [row.seq_cycles, row.cyclic_cycles] {
            assert!(cycles >= row.shared_memory_floor_cycles, "{row:?}");
        }
        assert!(row.shared_memory_floor_cycles >= row.exchange_floor_cycles, "{row:?}");
    }
}

#[test]
fn the_report_has_a_fixed_csv_header_and_one_line_per_measurement() {
    let layers = conv_layers(&zoo::build("lenet5").unwrap());
    let chips: Vec<Architecture> =
        ["xbar32-bus4", "xbar64-bus64"].iter().map(|name| Architecture::preset(name).unwrap()).collect();
    let rows = sweep(&layers, &chips, 2, &|_| {}).unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!((rows[0].xbar, rows[0].bus_bytes, rows[2].xbar), (32, 4, 64), "chips, then layers");
    let files = report_files(&rows, "test", true);
    let names: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        names,
        ["paper.csv", "paper.md", "speedup-vs-pv.svg", "pct-pv-vs-cores.svg", "sync-overhead.svg", "exchange.csv"]
    );
    let csv = &files[0].1;
    assert_eq!(csv.lines().next(), Some(CSV_HEADER));
    assert_eq!(csv.lines().count(), 5);
    for (name, text) in &files[2..5] {
        assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"), "{name}");
    }
    let markdown = &files[1].1;
    assert!(markdown.contains("| lenet5 | features.3 | 64 |"), "{markdown}");
    assert!(markdown.contains("## The exchange cost model against the simulator"), "{markdown}");
    // The plan the model chooses for each row, what it reached and what was attainable.
    let exchange = &files[5].1;
    assert_eq!(exchange.lines().next(), Some(EXCHANGE_HEADER));
    assert_eq!(exchange.lines().count(), 5);
    for (line, row) in exchange.lines().skip(1).zip(&rows) {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), EXCHANGE_HEADER.split(',').count(), "{line}");
        let chosen = row.chosen();
        assert_eq!(fields[7], row.scheme_name(chosen), "{line}");
        assert_eq!(fields[8], row.cycles(chosen).to_string(), "{line}");
        assert_eq!(fields[13], row.predicted(chosen).to_string(), "{line}");
        let (sync, total) = match chosen {
            SyncMode::Sequential => (row.sequential_sync_bytes, row.sequential_total_bus_bytes),
            SyncMode::Linear => (row.linear_sync_bytes, row.linear_total_bus_bytes),
            SyncMode::Cyclic => (row.sync_bytes, row.total_bus_bytes),
        };
        assert_eq!(fields[14], format!("{:.3}", 100.0 * sync as f64 / total as f64), "the chosen run's own: {line}");
        let pct_pv: f64 = fields[9].parse().unwrap();
        let attainable: f64 = fields[10].parse().unwrap();
        assert!(pct_pv <= attainable + 0.01, "no plan beats the attainable bound: {line}");
    }
    assert!(report_files(&rows, "test", false).iter().all(|(name, _)| *name != "exchange.csv"));
}

#[test]
fn cores_reaching_stops_at_the_smallest_layer_that_falls_short() {
    let layers = conv_layers(&zoo::build("lenet5").unwrap());
    let chip = Architecture::preset("xbar32-bus4").unwrap();
    let mut row = measure(&layers[1], &chip).unwrap();
    let mut small = row.clone();
    small.cores = 4;
    (small.seq_cycles, small.cyclic_cycles) = (500, 100); // 100% of PV 5
    let rows = [&small, &row];
    let reached = row.pct_pv(SyncMode::Cyclic);
    assert_eq!(cores_reaching(&rows, reached - 0.1), 10);
    assert_eq!(cores_reaching(&rows, reached + 0.1), 4);
    row.pv = 1; // layers without synchronization do not count
    assert_eq!(cores_reaching(&[&row], 100.0), 0);
}
