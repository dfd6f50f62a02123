//! The published experiment of MISSION.md section 3, rerun with our own
//! tiling, schedules and simulator (`rramc paper`): every conv layer of a
//! network, alone on a chip, for each crossbar size and bus width, in the
//! three synchronization modes.
//!
//! A layer gets as many cores as its tiles need (one crossbar each in the
//! published setups), even beyond the preset's core count: the experiment studies how a layer's
//! synchronization scales with its core count, not whether a network fits.
//! The sequential run is the baseline of the speedups; synchronization
//! traffic and memory are those of the cyclic run. On a chip whose cores
//! write each other's local memory (`core.remote_writes`), the linear run
//! forwards partial sums core to core ([`Scheme::LINEAR_FORWARD`]).

use crate::frontend::Network;
use rram_arch::Architecture;

use crate::report::parallel;
use crate::report::svg::{Axis, Chart, Series};
use rram_dialects::nn::{NnOp, Window};
use rram_passes::exchange;
use rram_passes::schedule::{core_tiles, group_members, layer_program, Activation, Exchange, Layer, Scheme, SyncMode};
use rram_passes::tiling::{plan, KernelMatrix, TilePlan};
use rram_sim::{simulate, SimError, SimOptions, Stats};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::Range;

/// The CSV header, fixed so that scripts can rely on it.
pub const CSV_HEADER: &str = "network,layer,xbar,bus_bytes,cores,h,v,pv,seq_cycles,linear_cycles,cyclic_cycles,\
speedup_linear,speedup_cyclic,pct_pv_linear,pct_pv_cyclic,sync_bytes,total_bus_bytes,sync_overhead_pct,\
sync_memory_bytes";

/// A conv layer as the experiment sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvLayer {
    pub network: String,
    pub name: String,
    /// `[Cout, Cin/groups, Kh, Kw]`
    pub weight: [i64; 4],
    pub groups: i64,
    /// Output pixels of one inference.
    pub pixels: i64,
    /// Input and output height and width, and the sliding window between.
    pub input: [i64; 2],
    pub output: [i64; 2],
    pub window: Window,
}

/// The conv layers of `network`, in order.
pub fn conv_layers(network: &Network) -> Vec<ConvLayer> {
    network
        .nodes
        .iter()
        .filter_map(|node| {
            let NnOp::Conv2d(conv) = &node.op else { return None };
            let weight = network.shape(*node.inputs.get(1)?);
            let weight = [weight[0], weight[1], weight[2], weight[3]];
            let pixels = node.shape[0] * node.shape[2] * node.shape[3];
            let input = network.shape(*node.inputs.first()?);
            Some(ConvLayer {
                network: network.name.clone(),
                name: node.name.clone(),
                weight,
                groups: conv.groups,
                pixels,
                input: [input[2], input[3]],
                output: [node.shape[2], node.shape[3]],
                window: Window {
                    kernel: [weight[2], weight[3]],
                    strides: conv.strides,
                    pads: conv.pads,
                    dilations: conv.dilations,
                },
            })
        })
        .collect()
}

/// One line of the CSV: a layer on one crossbar size and bus width.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub network: String,
    pub layer: String,
    pub xbar: u32,
    pub bus_bytes: u32,
    pub cores: usize,
    pub h: i64,
    pub v: i64,
    /// The parallelism limit: the cores that share each output, `h` with
    /// one crossbar per core, `ceil(h / crossbars)` with several.
    pub pv: i64,
    pub seq_cycles: u64,
    pub linear_cycles: u64,
    pub cyclic_cycles: u64,
    /// Cycles the bus was held in the linear and cyclic runs: no run that
    /// moves the same bytes is shorter.
    pub linear_bus_cycles: u64,
    pub cyclic_bus_cycles: u64,
    /// One core's MVMs, pixels x MVM latency: no run is shorter either.
    pub mvm_cycles: u64,
    /// Cycles the bus must be held by any schedule that accumulates through
    /// shared memory, as sequential, linear and cyclic do: per pixel,
    /// `pv - 1` owners read the vector and write it back, the last writes
    /// the output; and every core receives each input element it reads
    /// once (see [`bus_floor`]).
    pub shared_memory_floor_cycles: u64,
    /// The same for any exchange: every core but one of a group must get
    /// its partial sum off the core once.
    pub exchange_floor_cycles: u64,
    pub sync_bytes: u64,
    pub total_bus_bytes: u64,
    pub sync_memory_bytes: u64,
    /// Whether the linear run forwarded partial sums core to core.
    pub forward: bool,
    /// The synchronization and total bus bytes of the sequential and
    /// linear runs (the cyclic run's are `sync_bytes` and `total_bus_bytes`).
    pub sequential_sync_bytes: u64,
    pub sequential_total_bus_bytes: u64,
    pub linear_sync_bytes: u64,
    pub linear_total_bus_bytes: u64,
    /// What the exchange cost model predicts for the sequential, linear and
    /// cyclic runs, in [`SyncMode::ALL`] order ([`rram_passes::exchange`]).
    pub predicted_cycles: [u64; 3],
}

/// The header of `exchange.csv` (`rramc paper --exchange auto`): the plan
/// the cost model chooses per layer and setup, and what it reached.
pub const EXCHANGE_HEADER: &str = "network,layer,xbar,bus_bytes,cores,h,pv,plan,cycles,pct_pv,attainable_pct_pv,\
pct_of_attainable,best_hand_pct_pv,predicted_cycles,sync_overhead_pct";

impl Row {
    pub fn speedup(&self, mode: SyncMode) -> f64 {
        self.seq_cycles as f64 / self.cycles(mode) as f64
    }

    /// The simulated cycles of the run of `mode`.
    pub fn cycles(&self, mode: SyncMode) -> u64 {
        match mode {
            SyncMode::Sequential => self.seq_cycles,
            SyncMode::Linear => self.linear_cycles,
            SyncMode::Cyclic => self.cyclic_cycles,
        }
    }

    /// The model's prediction for the run of `mode`.
    pub fn predicted(&self, mode: SyncMode) -> u64 {
        self.predicted_cycles[SyncMode::ALL.iter().position(|&m| m == mode).expect("listed")]
    }

    /// The run the cost model chooses: the least predicted (the earlier of
    /// equal ones).
    pub fn chosen(&self) -> SyncMode {
        SyncMode::ALL.into_iter().min_by_key(|&mode| self.predicted(mode)).expect("three modes")
    }

    /// The scheme the run of `mode` used.
    pub fn scheme_name(&self, mode: SyncMode) -> &'static str {
        match mode {
            SyncMode::Linear if self.forward => "linear-forward",
            mode => mode.name(),
        }
    }

    /// The most of PV that any schedule of the chip could reach (at most
    /// 100): through shared memory, or with forwarding where the chip can.
    pub fn attainable_pct_pv(&self) -> f64 {
        if self.forward {
            self.pct_pv_exchange_floor()
        } else {
            self.pct_pv_shared_memory_floor()
        }
    }

    /// The line under [`EXCHANGE_HEADER`].
    pub fn exchange_csv(&self) -> String {
        let chosen = self.chosen();
        let (pct_pv, attainable) = (self.pct_pv(chosen), self.attainable_pct_pv());
        let (sync, total) = match chosen {
            SyncMode::Sequential => (self.sequential_sync_bytes, self.sequential_total_bus_bytes),
            SyncMode::Linear => (self.linear_sync_bytes, self.linear_total_bus_bytes),
            SyncMode::Cyclic => (self.sync_bytes, self.total_bus_bytes),
        };
        format!(
            "{},{},{},{},{},{},{},{},{},{:.2},{:.2},{:.2},{:.2},{},{:.3}",
            self.network,
            self.layer,
            self.xbar,
            self.bus_bytes,
            self.cores,
            self.h,
            self.pv,
            self.scheme_name(chosen),
            self.cycles(chosen),
            pct_pv,
            attainable,
            100.0 * pct_pv / attainable.max(f64::MIN_POSITIVE),
            self.pct_pv(SyncMode::Linear).max(self.pct_pv(SyncMode::Cyclic)),
            self.predicted(chosen),
            if total == 0 { 0.0 } else { 100.0 * sync as f64 / total as f64 },
        )
    }

    /// Speedup as a percentage of PV.
    pub fn pct_pv(&self, mode: SyncMode) -> f64 {
        100.0 * self.speedup(mode) / self.pv as f64
    }

    /// The most of PV a run of `mode` could reach while moving the bytes it
    /// moved (at most 100): it takes at least as long as the bus is held
    /// for them and as one core's MVMs. Below 100, the layer is bus-bound:
    /// only less traffic gets it further.
    pub fn pct_pv_bound(&self, mode: SyncMode) -> f64 {
        match mode {
            SyncMode::Sequential => 100.0,
            SyncMode::Linear => self.pct_pv_within(self.linear_bus_cycles),
            SyncMode::Cyclic => self.pct_pv_within(self.cyclic_bus_cycles),
        }
    }

    /// The most of PV (at most 100) that any schedule accumulating through
    /// shared memory could reach, whatever else it saves: cyclic, by its
    /// definition, can do no better.
    pub fn pct_pv_shared_memory_floor(&self) -> f64 {
        self.pct_pv_within(self.shared_memory_floor_cycles)
    }

    /// The most of PV (at most 100) that any exchange of partial sums could
    /// reach.
    pub fn pct_pv_exchange_floor(&self) -> f64 {
        self.pct_pv_within(self.exchange_floor_cycles)
    }

    /// The share of PV of a run that holds the bus for `bus_cycles` and
    /// runs one core's MVMs, at best.
    fn pct_pv_within(&self, bus_cycles: u64) -> f64 {
        let floor = bus_cycles.max(self.mvm_cycles).max(1);
        (100.0 * self.seq_cycles as f64 / floor as f64 / self.pv as f64).min(100.0)
    }

    pub fn sync_overhead_pct(&self) -> f64 {
        if self.total_bus_bytes == 0 {
            0.0
        } else {
            100.0 * self.sync_bytes as f64 / self.total_bus_bytes as f64
        }
    }

    /// The line under [`CSV_HEADER`].
    pub fn csv(&self) -> String {
        format!(
            "{},{},{},{},{},{},{},{},{},{},{},{:.4},{:.4},{:.2},{:.2},{},{},{:.3},{}",
            self.network,
            self.layer,
            self.xbar,
            self.bus_bytes,
            self.cores,
            self.h,
            self.v,
            self.pv,
            self.seq_cycles,
            self.linear_cycles,
            self.cyclic_cycles,
            self.speedup(SyncMode::Linear),
            self.speedup(SyncMode::Cyclic),
            self.pct_pv(SyncMode::Linear),
            self.pct_pv(SyncMode::Cyclic),
            self.sync_bytes,
            self.total_bus_bytes,
            self.sync_overhead_pct(),
            self.sync_memory_bytes
        )
    }
}

/// Tiles `layer` for `chip` and simulates its three schedules (timing only).
pub fn measure(layer: &ConvLayer, chip: &Architecture) -> Result<Row, SimError> {
    let slices = i64::from(chip.slices_per_weight());
    let matrix = KernelMatrix::conv(layer.weight, layer.groups, slices)
        .map_err(|message| SimError::Layer { layer: layer.name.clone(), message })?;
    let tiles = plan(&matrix, i64::from(chip.crossbar.rows), i64::from(chip.crossbar.cols));
    let shape = Layer {
        pixels: layer.pixels,
        channels: layer.weight[0],
        slices,
        window: matrix.rows(),
        // A batchnorm folded into the conv, or its own bias.
        bias: true,
        activation: Activation::Relu,
        requant: None,
    };
    let mut chip = chip.clone();
    let crossbars = i64::from(chip.core.crossbars);
    let core_ranges = core_tiles(&tiles, crossbars);
    let cores = core_ranges.len();
    chip.core.count = chip.core.count.max(cores as u32);
    let run = |scheme: Scheme| -> Result<Stats, SimError> {
        let program = layer_program(&shape, &tiles, scheme, crossbars, &|_| None, None).expect("only linear forwards");
        Ok(simulate(&chip, &program, &SimOptions::default())?.stats)
    };
    let linear_scheme = if chip.core.remote_writes { Scheme::LINEAR_FORWARD } else { SyncMode::Linear.into() };
    let schemes = [SyncMode::Sequential.into(), linear_scheme, SyncMode::Cyclic.into()];
    let (sequential, linear, cyclic) = (run(schemes[0])?, run(schemes[1])?, run(schemes[2])?);
    let pv = group_members(tiles.h, crossbars);
    let inputs = distinct_inputs(layer, &tiles, &core_ranges);
    let predicted_cycles = schemes.map(|scheme| exchange::predict(&shape, &tiles, crossbars, scheme, &chip).cycles);
    Ok(Row {
        network: layer.network.clone(),
        layer: layer.name.clone(),
        xbar: chip.crossbar.rows,
        bus_bytes: chip.bus.width_bytes,
        cores,
        h: tiles.h,
        v: tiles.v,
        pv,
        seq_cycles: sequential.cycles,
        linear_cycles: linear.cycles,
        cyclic_cycles: cyclic.cycles,
        linear_bus_cycles: linear.bus_busy_cycles,
        cyclic_bus_cycles: cyclic.bus_busy_cycles,
        mvm_cycles: layer.pixels as u64 * chip.mvm_latency_cycles(),
        shared_memory_floor_cycles: bus_floor(layer, pv, Exchange::SharedMemory, inputs, &chip),
        exchange_floor_cycles: bus_floor(layer, pv, Exchange::Forward, inputs, &chip),
        sync_bytes: cyclic.bus_bytes.sync,
        total_bus_bytes: cyclic.bus_bytes.total(),
        sync_memory_bytes: cyclic.sync_memory_bytes,
        forward: chip.core.remote_writes,
        sequential_sync_bytes: sequential.bus_bytes.sync,
        sequential_total_bus_bytes: sequential.bus_bytes.total(),
        linear_sync_bytes: linear.bus_bytes.sync,
        linear_total_bus_bytes: linear.bus_bytes.total(),
        predicted_cycles,
    })
}

/// The fewest cycles any schedule of `chip` must hold the bus for
/// `layer` when `pv` cores share each output vector and exchange partial
/// sums through `exchange`, and its cores receive `inputs` input elements
/// (see [`distinct_inputs`]): per pixel, every output channel is written
/// once as an output (input precision) and crosses the bus as a partial sum
/// `pv - 1` times by forwarding, twice that through shared memory (read,
/// written back). Bytes over the bus width, as if every beat were full.
fn bus_floor(layer: &ConvLayer, pv: i64, exchange: Exchange, inputs: u64, chip: &Architecture) -> u64 {
    let crossings = match exchange {
        Exchange::SharedMemory => 2 * (pv - 1),
        Exchange::Forward => pv - 1,
    } as u64;
    let partial = u64::from(chip.crossbar.output_bits.div_ceil(8));
    let element = u64::from(chip.crossbar.input_bits.div_ceil(8));
    let bytes = (layer.pixels * layer.weight[0]) as u64 * (crossings * partial + element) + inputs * element;
    bytes.div_ceil(u64::from(chip.bus.width_bytes))
}

/// The input elements that reach the cores (the tiles of each,
/// [`core_tiles`]) at the least: each core needs
/// every distinct element its crossbars' rows read over the layer's pixels
/// at least once (it may keep what it loaded, but the bus delivers to one
/// core at a time). Kernel-matrix rows are `(input channel, tap)`, taps
/// row-major, so a core's rows give each of its channels a set of taps; the
/// elements of a channel are the input positions those taps touch.
fn distinct_inputs(layer: &ConvLayer, tiles: &TilePlan, cores: &[Range<usize>]) -> u64 {
    let taps = (layer.window.kernel[0] * layer.window.kernel[1]) as usize;
    let images = (layer.pixels / (layer.output[0] * layer.output[1]).max(1)) as u64;
    let mut touched: HashMap<Vec<usize>, u64> = HashMap::new();
    let mut total = 0;
    for range in cores {
        let mut rows: Vec<usize> =
            tiles.tiles[range.clone()].iter().flat_map(|tile| tile.rows[0] as usize..tile.rows[1] as usize).collect();
        rows.sort_unstable();
        rows.dedup();
        for channel in rows.chunk_by(|a, b| a / taps == b / taps) {
            let channel_taps: Vec<usize> = channel.iter().map(|row| row % taps).collect();
            let positions = *touched.entry(channel_taps).or_insert_with_key(|taps| touched_positions(layer, taps));
            total += positions * images;
        }
    }
    total
}

/// The input positions of one channel that the window's `taps` read over
/// all output pixels.
fn touched_positions(layer: &ConvLayer, taps: &[usize]) -> u64 {
    let ([h, w], [out_h, out_w]) = (layer.input.map(|x| x as usize), layer.output.map(|x| x as usize));
    let kernel_w = layer.window.kernel[1] as usize;
    let mut touched = vec![false; h * w];
    for &tap in taps {
        let (ky, kx) = (tap / kernel_w, tap % kernel_w);
        for oy in 0..out_h {
            let Some(y) = layer.window.source(0, oy, ky, h) else { continue };
            for ox in 0..out_w {
                if let Some(x) = layer.window.source(1, ox, kx, w) {
                    touched[y * w + x] = true;
                }
            }
        }
    }
    touched.iter().filter(|&&t| t).count() as u64
}

/// Measures every `(layer, chip)` pair on `threads` threads; rows come in
/// the order of `chips`, then `layers`. `progress` is told of each row.
pub fn sweep(
    layers: &[ConvLayer],
    chips: &[Architecture],
    threads: usize,
    progress: &(dyn Fn(&Row) + Sync),
) -> Result<Vec<Row>, SimError> {
    let jobs: Vec<(&Architecture, &ConvLayer)> =
        chips.iter().flat_map(|chip| layers.iter().map(move |layer| (chip, layer))).collect();
    parallel::map(&jobs, threads, |(chip, layer)| {
        let row = measure(layer, chip);
        if let Ok(row) = &row {
            progress(row);
        }
        row
    })
    .into_iter()
    .collect()
}

/// The CSV file: the header, then one line per row.
pub fn csv(rows: &[Row]) -> String {
    let mut text = format!("{CSV_HEADER}\n");
    for row in rows {
        let _ = writeln!(text, "{}", row.csv());
    }
    text
}

/// The exchange CSV file: the header, then one line per row.
pub fn exchange_csv(rows: &[Row]) -> String {
    let mut text = format!("{EXCHANGE_HEADER}\n");
    for row in rows {
        let _ = writeln!(text, "{}", row.exchange_csv());
    }
    text
}

/// The files of the report, by name: the CSV, a Markdown summary and SVG
/// charts; with `exchange`, the plans the cost model chooses
/// (`exchange.csv`).
pub fn report_files(rows: &[Row], setup: &str, exchange: bool) -> Vec<(&'static str, String)> {
    let mut files = vec![
        ("paper.csv", csv(rows)),
        ("paper.md", markdown(rows, setup)),
        ("speedup-vs-pv.svg", speedup_chart(rows).to_svg()),
        ("pct-pv-vs-cores.svg", scaling_chart(rows).to_svg()),
        ("sync-overhead.svg", sync_chart(rows).to_svg()),
    ];
    if exchange {
        files.push(("exchange.csv", exchange_csv(rows)));
    }
    files
}

/// Rows where synchronization matters: more than one core per output.
fn synchronized(rows: &[Row]) -> impl Iterator<Item = &Row> {
    rows.iter().filter(|r| r.pv > 1)
}

fn distinct<T: PartialEq + Copy + PartialOrd>(values: impl Iterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    out
}

/// The most cores at which every synchronized layer with at most that many
/// cores reaches `pct` of PV in cyclic mode, over `rows` (0 if even the
/// smallest falls short).
pub fn cores_reaching(rows: &[&Row], pct: f64) -> usize {
    let mut sorted: Vec<&&Row> = rows.iter().filter(|r| r.pv > 1).collect();
    sorted.sort_by_key(|r| r.cores);
    let mut best = 0;
    for row in sorted {
        if row.pct_pv(SyncMode::Cyclic) < pct {
            break;
        }
        best = row.cores;
    }
    best
}

fn markdown(rows: &[Row], setup: &str) -> String {
    let mut md = String::new();
    let xbars = distinct(rows.iter().map(|r| r.xbar));
    let buses = distinct(rows.iter().map(|r| r.bus_bytes));
    let _ = writeln!(md, "# Synchronized conv layers: speedup, % of PV, traffic\n");
    let _ = writeln!(md, "{setup}\n");
    let _ = writeln!(
        md,
        "{} rows: {} layers x {} crossbar sizes x {} bus widths; {} rows have PV > 1 (the others are single-tile-high \
         layers, such as depthwise convs packed block-diagonally, where every mode is the same program).\n",
        rows.len(),
        distinct(rows.iter().map(|r| (r.network.as_str(), r.layer.as_str()))).len(),
        xbars.len(),
        buses.len(),
        synchronized(rows).count()
    );
    let _ = writeln!(md, "## Per crossbar size and bus width (layers with PV > 1)\n");
    let _ = writeln!(
        md,
        "A layer is bus-bound below 99% when its run cannot reach 99% of PV while moving the bytes it moved: the run \
         takes at least as long as the bus is held for them (and as one core's MVMs). Only less traffic gets such a \
         layer further. Beyond any schedule, partial sums and inputs set a floor: through shared memory, every output \
         vector is read and written back by all but one of the cores that share it (any exchange must at least get \
         each core's partial sum off the core once), and every core must receive each input element it reads, once. \
         Where that floor is below 99%, no schedule of the kind reaches 99% of PV on this architecture.\n"
    );
    let _ = writeln!(
        md,
        "| xbar | bus B | layers | cyclic % of PV: min / mean | linear: min / mean | >= 99% PV: linear / cyclic | \
         bus-bound below 99%: linear / cyclic | no schedule reaches 99%: shared memory / any exchange | \
         most cores, all >= 90% (cyclic) | max speedup (cyclic) | max sync overhead % |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|");
    for &xbar in &xbars {
        for &bus in &buses {
            let group: Vec<&Row> = synchronized(rows).filter(|r| r.xbar == xbar && r.bus_bytes == bus).collect();
            if group.is_empty() {
                continue;
            }
            let stats = |mode| {
                let values: Vec<f64> = group.iter().map(|r| r.pct_pv(mode)).collect();
                let min = values.iter().cloned().fold(f64::INFINITY, f64::min);
                (min, values.iter().sum::<f64>() / values.len() as f64)
            };
            let (cyc_min, cyc_mean) = stats(SyncMode::Cyclic);
            let (lin_min, lin_mean) = stats(SyncMode::Linear);
            let reaching = |mode| group.iter().filter(|r| r.pct_pv(mode) >= 99.0).count();
            let bound = |mode| group.iter().filter(|r| r.pct_pv_bound(mode) < 99.0).count();
            let floor = |pct: fn(&Row) -> f64| group.iter().filter(|r| pct(r) < 99.0).count();
            let best = group.iter().map(|r| r.speedup(SyncMode::Cyclic)).fold(0.0, f64::max);
            let sync = group.iter().map(|r| r.sync_overhead_pct()).fold(0.0, f64::max);
            let _ = writeln!(
                md,
                "| {xbar} | {bus} | {} | {cyc_min:.1} / {cyc_mean:.1} | {lin_min:.1} / {lin_mean:.1} | {} / {} | {} / {} | \
                 {} / {} | {} | {best:.2}x | {sync:.2} |",
                group.len(),
                reaching(SyncMode::Linear),
                reaching(SyncMode::Cyclic),
                bound(SyncMode::Linear),
                bound(SyncMode::Cyclic),
                floor(Row::pct_pv_shared_memory_floor),
                floor(Row::pct_pv_exchange_floor),
                cores_reaching(&group, 90.0)
            );
        }
    }
    let _ = writeln!(md, "\n## Bus width and core count (cyclic, all crossbar sizes)\n");
    let _ = writeln!(md, "| bus B | most cores with every layer >= 90% of PV | ... >= 99% of PV |");
    let _ = writeln!(md, "|---|---|---|");
    for &bus in &buses {
        let group: Vec<&Row> = rows.iter().filter(|r| r.bus_bytes == bus).collect();
        let _ = writeln!(md, "| {bus} | {} | {} |", cores_reaching(&group, 90.0), cores_reaching(&group, 99.0));
    }
    let widest = buses.last().copied().unwrap_or(0);
    let _ = writeln!(md, "\n## Every layer with a {widest} B bus\n");
    let _ = writeln!(
        md,
        "| network | layer | xbar | cores | H x V | sequential cycles | speedup linear / cyclic | % of PV linear / cyclic | \
         bound: linear / cyclic | floor: shared memory / any exchange | sync overhead % | sync memory B |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    for row in rows.iter().filter(|r| r.bus_bytes == widest) {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} x {} | {} | {:.2} / {:.2} | {:.1} / {:.1} | {:.1} / {:.1} | {:.1} / {:.1} | {:.2} | {} |",
            row.network,
            row.layer,
            row.xbar,
            row.cores,
            row.h,
            row.v,
            row.seq_cycles,
            row.speedup(SyncMode::Linear),
            row.speedup(SyncMode::Cyclic),
            row.pct_pv(SyncMode::Linear),
            row.pct_pv(SyncMode::Cyclic),
            row.pct_pv_bound(SyncMode::Linear),
            row.pct_pv_bound(SyncMode::Cyclic),
            row.pct_pv_shared_memory_floor(),
            row.pct_pv_exchange_floor(),
            row.sync_overhead_pct(),
            row.sync_memory_bytes
        );
    }
    md.push_str(&model_section(rows));
    md
}

/// How the exchange cost model ([`rram_passes::exchange`]) fares against
/// the simulator on the synchronized rows: the pairs of runs it ranks as
/// simulated, its ratio per mode, and the runs it chooses.
fn model_section(rows: &[Row]) -> String {
    let mut md = String::from("\n## The exchange cost model against the simulator\n\n");
    let synchronized: Vec<&Row> = synchronized(rows).collect();
    let ranked = |pairs: &[(SyncMode, SyncMode)]| {
        let (mut agree, mut total) = (0, 0);
        for row in &synchronized {
            for &(a, b) in pairs {
                let simulated = row.cycles(a).cmp(&row.cycles(b));
                if simulated != std::cmp::Ordering::Equal {
                    total += 1;
                    agree += usize::from(row.predicted(a).cmp(&row.predicted(b)) == simulated);
                }
            }
        }
        (agree, total)
    };
    let percent = |(agree, total): (usize, usize)| 100.0 * agree as f64 / total.max(1) as f64;
    let all = ranked(&[
        (SyncMode::Sequential, SyncMode::Linear),
        (SyncMode::Sequential, SyncMode::Cyclic),
        (SyncMode::Linear, SyncMode::Cyclic),
    ]);
    let close = ranked(&[(SyncMode::Linear, SyncMode::Cyclic)]);
    let _ = writeln!(
        md,
        "Over the {} rows with PV > 1, the model ranks {} of {} pairs of runs as the simulator does ({:.1}%); linear \
         against cyclic alone, {} of {} ({:.1}%).\n",
        synchronized.len(),
        all.0,
        all.1,
        percent(all),
        close.0,
        close.1,
        percent(close)
    );
    let _ = writeln!(md, "| run | predicted / simulated: min | median | max |\n|---|---|---|---|");
    for mode in SyncMode::ALL {
        let mut ratios: Vec<f64> =
            synchronized.iter().map(|r| r.predicted(mode) as f64 / r.cycles(mode).max(1) as f64).collect();
        ratios.sort_by(f64::total_cmp);
        if let (Some(min), Some(max)) = (ratios.first(), ratios.last()) {
            let _ = writeln!(md, "| {} | {min:.3} | {:.3} | {max:.3} |", mode.name(), ratios[ratios.len() / 2]);
        }
    }
    let best = |r: &Row| r.pct_pv(SyncMode::Linear).max(r.pct_pv(SyncMode::Cyclic));
    let chosen_best = synchronized.iter().filter(|r| r.pct_pv(r.chosen()) >= best(r)).count();
    let sequential_best = synchronized.iter().filter(|r| r.pct_pv(r.chosen()) > best(r)).count();
    let within = synchronized.iter().filter(|r| r.pct_pv(r.chosen()) >= best(r) - 0.5).count();
    let worst = synchronized.iter().map(|r| best(r) - r.pct_pv(r.chosen())).fold(0.0, f64::max);
    let _ = writeln!(
        md,
        "\nThe chosen run (the least predicted) is at least as fast as the faster of linear and cyclic in \
         {chosen_best} of {} rows ({sequential_best} of them the sequential run, faster than both on a saturated \
         bus), within 0.5 points of PV of it in {within}; at most {worst:.1} points behind.\n",
        synchronized.len()
    );
    md
}

fn speedup_chart(rows: &[Row]) -> Chart {
    let widest = rows.iter().map(|r| r.bus_bytes).max().unwrap_or(0);
    let mut series: Vec<Series> = distinct(rows.iter().map(|r| r.xbar))
        .into_iter()
        .map(|xbar| Series {
            name: format!("{xbar}x{xbar} cyclic"),
            points: rows
                .iter()
                .filter(|r| r.xbar == xbar && r.bus_bytes == widest)
                .map(|r| (r.pv as f64, r.speedup(SyncMode::Cyclic)))
                .collect(),
            lines: false,
        })
        .collect();
    let max_pv = rows.iter().map(|r| r.pv).max().unwrap_or(1) as f64;
    series.push(Series { name: "speedup = PV".into(), points: vec![(1.0, 1.0), (max_pv, max_pv)], lines: true });
    Chart {
        title: format!("Speedup over sequential vs PV, each layer ({widest} B bus)"),
        x: Axis::fit("PV (cores sharing each output)", true, rows.iter().map(|r| r.pv as f64)),
        y: Axis::fit("speedup (cyclic)", true, rows.iter().map(|r| r.speedup(SyncMode::Cyclic)).chain([1.0, max_pv])),
        series,
    }
}

fn scaling_chart(rows: &[Row]) -> Chart {
    let series = distinct(rows.iter().map(|r| r.bus_bytes))
        .into_iter()
        .map(|bus| {
            let mut points: Vec<(f64, f64)> = synchronized(rows)
                .filter(|r| r.bus_bytes == bus)
                .map(|r| (r.cores as f64, r.pct_pv(SyncMode::Cyclic)))
                .collect();
            points.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
            Series { name: format!("{bus} B bus"), points, lines: false }
        })
        .collect();
    Chart {
        title: "% of PV reached (cyclic) vs cores of the layer, by bus width".into(),
        x: Axis::fit("cores (tiles of the layer)", true, synchronized(rows).map(|r| r.cores as f64)),
        y: Axis::range("% of PV", 0.0, 105.0),
        series,
    }
}

fn sync_chart(rows: &[Row]) -> Chart {
    // The share of synchronization bytes hardly depends on the bus width:
    // the widest bus's runs stand for all.
    let widest = rows.iter().map(|r| r.bus_bytes).max().unwrap_or(0);
    // Per crossbar size, its layers' shares, sorted.
    let shares: Vec<(u32, Vec<f64>)> = distinct(rows.iter().map(|r| r.xbar))
        .into_iter()
        .map(|xbar| {
            let mut shares: Vec<f64> = synchronized(rows)
                .filter(|r| r.xbar == xbar && r.bus_bytes == widest)
                .map(|r| r.sync_overhead_pct())
                .collect();
            shares.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
            (xbar, shares)
        })
        .collect();
    let series = |name: &str, pick: fn(&[f64]) -> f64| Series {
        name: name.into(),
        points: shares.iter().map(|(xbar, shares)| (f64::from(*xbar), pick(shares))).collect(),
        lines: true,
    };
    let worst = synchronized(rows).map(|r| r.sync_overhead_pct()).fold(0.0, f64::max);
    Chart {
        title: format!("Synchronization traffic overhead vs crossbar size ({widest} B bus)"),
        x: Axis::fit("crossbar rows = cols", true, rows.iter().map(|r| f64::from(r.xbar))),
        y: Axis::range("sync bytes / all bus bytes, %", 0.0, (worst * 1.2).max(1.0)),
        series: vec![
            series("worst layer", |s| s.last().copied().unwrap_or(0.0)),
            series("median layer", |s| s.get(s.len() / 2).copied().unwrap_or(0.0)),
            series("best layer", |s| s.first().copied().unwrap_or(0.0)),
        ],
    }
}
