//! `rramc`: the compiler driver.
//!
//! ```text
//! rramc arch                      # the default architecture, every field resolved
//! rramc arch my-chip.toml         # check a file and show it with its derived quantities
//! rramc arch --preset xbar64-bus16
//! rramc arch --list               # the presets
//! rramc graph --zoo resnet18      # the layer graph: one line per layer, producers first
//! rramc graph --import-onnx models/squeezenet1_1.struct.onnx --dot | dot -Tsvg > squeezenet.svg
//! rramc compile --zoo resnet18 --preset xbar64-bus16 --summary   # layers onto crossbars
//! rramc compile --zoo resnet18 --preset wholenet -o out/resnet18 # programs, timing report
//! rramc run --import-onnx models/lenet5.full.onnx --input models/lenet5.input.txt
//!                                 # the network's output computed by the simulated chip
//! rramc paper --out results       # the published experiment: CSV, Markdown, SVG charts
//! rramc check --import-onnx models/lenet5.full.onnx --input models/lenet5.input.txt
//!                                 # every conv, every scheme, simulated with values vs a reference
//! rramc eval --import-onnx models/lenet5.full.onnx --input models/lenet5.input.txt
//!                                 # the network's output by the reference interpreter, one number a line
//! ```

use crate::inputs::{ArchArgs, ArchSettings, NetworkArgs};
use crate::network::{self, read_numbers, ChipArgs, DataArgs, Source};
use crate::output::{finish, render_error, report_usage, write_atomically};
use crate::progress;
use clap::{ArgGroup, Parser, Subcommand, ValueEnum};
use rram_arch::{preset_names, Architecture};
use rram_compiler::frontend::zoo;
use rram_compiler::graph::LayerGraph;
use rram_compiler::pipeline::{Pipeline, RunOptions};
use rram_compiler::reference::{evaluate, pseudo_random_weights, EvalError};
use rram_compiler::report::check::{check_network, schemes, CheckResult};
use rram_compiler::report::paper;
use rram_dialects::{Context, Error, Module, Op};
use rram_passes::schedule::SyncMode;
use rram_sim::NumericMode;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(name = "rramc", version, about = "Compiles CNNs for multi-core RRAM compute-in-memory chips")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check an architecture description and show it with its derived quantities
    Arch {
        /// A TOML architecture file (default: the built-in default)
        #[arg(value_name = "FILE", conflicts_with_all = ["preset", "list"])]
        file: Option<PathBuf>,
        /// A built-in preset instead of a file
        #[arg(long, value_name = "NAME", conflicts_with = "list")]
        preset: Option<String>,
        /// List the built-in presets
        #[arg(long, conflicts_with = "set")]
        list: bool,
        #[command(flatten)]
        settings: ArchSettings,
    },
    /// Show a network's layer graph (batchnorms folded, activations fused, reshapes on the
    /// edges): one line per layer in topological order, or Graphviz DOT
    #[command(group(ArgGroup::new("source").args(["import_onnx", "zoo", "file"]).required(true)))]
    Graph {
        /// An nn MLIR module instead of --import-onnx or --zoo
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
        #[command(flatten)]
        network: NetworkArgs,
        /// Print Graphviz DOT (render with `dot -Tsvg`)
        #[arg(long)]
        dot: bool,
    },
    /// Compile a whole network for a chip: with -o DIR, every level (nn.mlir, xbar.mlir),
    /// the per-core programs (DIR/program) and, after a timing simulation of one
    /// inference, report.json, report.md, timeline.svg and trace.json (Perfetto);
    /// without, print the network mapped onto the crossbars (folded, tiled, placed)
    #[command(group(ArgGroup::new("source").args(["import_onnx", "zoo", "file"]).required(true)))]
    Compile {
        /// An nn MLIR module instead of --import-onnx or --zoo (timing only: no weights)
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
        #[command(flatten)]
        network: NetworkArgs,
        #[command(flatten)]
        chip: ChipArgs,
        /// Print a table per layer (tiles, horizontal group size, cores) instead of MLIR
        #[arg(long, conflicts_with = "output")]
        summary: bool,
        /// Print on stderr how the crossbar layers were replicated: each layer's replicas,
        /// stage cycles and what bounds it, the bottleneck, and what the other --duplicate
        /// modes would reach
        #[arg(long)]
        explain: bool,
        /// Also stream N inputs back to back through the programs (each its own feature
        /// maps) and report the steady-state interval and throughput, with and without
        /// duplication
        #[arg(long, value_name = "N", default_value = "1", requires = "output",
              value_parser = clap::value_parser!(u32).range(1..=1024))]
        inferences: u32,
        /// Write the compilation and its report into this directory (replaced as a whole)
        #[arg(short = 'o', value_name = "DIR")]
        output: Option<PathBuf>,
        /// The network's input, one number per line (NCHW): the programs then carry the
        /// weights and DIR/program/memory.txt the input, for rram-sim --functional
        #[arg(long, value_name = "FILE", requires = "output")]
        input: Option<PathBuf>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Run a network with weights on the simulated chip: compile it as `compile` does,
    /// simulate one inference with values (f32, or --int8) and print its output, one number a line
    /// in NCHW order (after the host's softmax where the network ends in one)
    #[command(group(ArgGroup::new("source").args(["import_onnx", "zoo"]).required(true)))]
    Run {
        #[command(flatten)]
        network: NetworkArgs,
        #[command(flatten)]
        chip: ChipArgs,
        /// The network's input, one number per line, row-major (NCHW)
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
        #[command(flatten)]
        data: DataArgs,
        /// Write the output here instead of stdout
        #[arg(short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Check that the compiled programs compute each conv layer: simulate every layer in
    /// every synchronization scheme with values and compare each output word with a
    /// direct convolution (exactly in int8; within 1e-5 of the terms' magnitude in f32)
    #[command(group(ArgGroup::new("source").args(["import_onnx", "zoo"]).required(true)))]
    Check {
        #[command(flatten)]
        network: NetworkArgs,
        #[command(flatten)]
        arch: ArchArgs,
        /// Numeric modes to simulate
        #[arg(long, value_name = "MODES", value_delimiter = ',', default_value = "int8,f32")]
        numeric: Vec<Numeric>,
        /// The network's input, one number per line (default: the network evaluated on
        /// pseudo-random values when all its weights are known, else pseudo-random tensors)
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
        /// Worker threads (default: the machine's cores)
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        threads: Option<u16>,
    },
    /// Run the network on the host with the reference interpreter (f64, every nn op, ONNX
    /// semantics) and print its output, one number per line in row-major order (NCHW)
    #[command(group(ArgGroup::new("source").args(["import_onnx", "zoo"]).required(true)))]
    Eval {
        #[command(flatten)]
        network: NetworkArgs,
        /// The network's input, one number per line, row-major (NCHW)
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
        /// Give the weights the network has no values for (zoo networks, structure-only
        /// ONNX files) deterministic pseudo-random values instead of failing
        #[arg(long)]
        random_weights: bool,
        /// Write the output here instead of stdout
        #[arg(short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Rerun the published experiment: every conv layer of the networks, alone on a
    /// chip, for each crossbar size and bus width, in the three synchronization modes
    Paper {
        /// Directory for paper.csv, paper.md and the SVG charts (created if missing)
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Zoo networks whose conv layers are measured
        #[arg(long, value_name = "NAMES", value_delimiter = ',', default_value = "mobilenet_v1,resnet18")]
        networks: Vec<String>,
        /// Crossbar sizes (rows = cols)
        #[arg(long, value_name = "SIZES", value_delimiter = ',', default_value = "32,64,128")]
        xbars: Vec<u32>,
        /// Bus widths in bytes
        #[arg(long, value_name = "BYTES", value_delimiter = ',', default_value = "4,8,16,32,64")]
        buses: Vec<u32>,
        /// A fixed MVM latency in cycles for every setup, instead of the one derived
        /// from the crossbar size (for sensitivity studies)
        #[arg(long, value_name = "CYCLES")]
        mvm_latency: Option<u32>,
        /// Forward partial sums core to core in the linear runs: every setup gets
        /// core.remote_writes (not part of the published architecture)
        #[arg(long)]
        forward: bool,
        /// auto: also write DIR/exchange.csv, the scheme the exchange cost model chooses for
        /// each layer and setup, what it reached and what was attainable
        #[arg(long, value_enum, value_name = "auto")]
        exchange: Option<ExchangeArg>,
        /// Worker threads (default: the machine's cores)
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        threads: Option<u16>,
    },
}

/// `rramc paper --exchange`: how each layer's exchange is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExchangeArg {
    /// By the exchange cost model, from the architecture alone
    Auto,
}

/// How `rramc check` computes values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Numeric {
    /// int8 inputs and weights, int32 sums: outputs must be exact
    Int8,
    /// f32 throughout
    F32,
}

/// Runs rramc with `args` (including the program name); returns the exit code.
pub fn run(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let args = match Args::try_parse_from(args) {
        Ok(args) => args,
        Err(error) => return report_usage(&error, stdout, stderr),
    };
    match &args.command {
        Command::Arch { file, preset, list, settings } => {
            finish("rramc", arch(file.as_deref(), preset.as_deref(), *list, settings), None, stdout, stderr)
        }
        Command::Graph { file, network, dot } => {
            finish("rramc", graph(file.as_deref(), network, *dot), None, stdout, stderr)
        }
        Command::Compile { file, network, chip, summary, explain, inferences, output, input, data } => {
            let result = Source::read(file.as_deref(), network).and_then(|source| match output {
                Some(dir) => {
                    let input = input.as_deref().map(|i| (i, data));
                    network::compile_to_dir(&source, chip, input, *explain, *inferences, dir)
                }
                None => compile(&source, chip, *summary, *explain),
            });
            let result = result.map(|(text, remarks)| {
                for remark in remarks {
                    let _ = writeln!(stderr, "remark: {}", remark.trim_end());
                }
                text
            });
            finish("rramc", result, None, stdout, stderr)
        }
        Command::Run { network, chip, input, data, output } => {
            let result = network::run(network, chip, input, data);
            finish("rramc", result, output.as_deref(), stdout, stderr)
        }
        Command::Check { network, arch, numeric, input, threads } => {
            match check(network, arch, numeric, input.as_deref(), *threads) {
                Ok((report, failed)) => {
                    let _ = stdout.write_all(report.as_bytes());
                    if failed > 0 {
                        let _ = writeln!(stderr, "rramc: {failed} checks failed");
                        return 1;
                    }
                    0
                }
                Err(message) => {
                    let _ = writeln!(stderr, "rramc: {message}");
                    1
                }
            }
        }
        Command::Eval { network, input, random_weights, output } => {
            finish("rramc", eval(network, input, *random_weights), output.as_deref(), stdout, stderr)
        }
        Command::Paper { out, networks, xbars, buses, mvm_latency, forward, exchange, threads } => {
            let exchange = exchange.is_some();
            let sweep = Sweep { networks, xbars, buses, mvm_latency: *mvm_latency, forward: *forward, exchange };
            finish("rramc", paper(out, &sweep, *threads), None, stdout, stderr)
        }
    }
}

/// The presets, or a description (a file, a preset or the default, with
/// `--set` changes) shown with its derived quantities.
fn arch(file: Option<&Path>, preset: Option<&str>, list: bool, settings: &ArchSettings) -> Result<String, String> {
    if list {
        return Ok(preset_names().iter().map(|name| format!("{name}\n")).collect());
    }
    let chosen = match (file, preset) {
        (Some(path), _) => Architecture::load(path),
        (None, Some(name)) => Architecture::preset(name),
        (None, None) => Ok(Architecture::default()),
    };
    show(&settings.apply(&chosen.map_err(|e| e.to_string())?)?)
}

/// The layer graph of a network or an `nn` module file, after folding
/// batchnorms: as text, or as DOT.
fn graph(file: Option<&Path>, network: &NetworkArgs, dot: bool) -> Result<String, String> {
    let context = Context::new().map_err(|e| e.to_string())?;
    let graph = match file {
        Some(path) => {
            let source_name = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read '{source_name}': {e}"))?;
            // Errors in a file the user wrote show the lines they point at.
            let render = |error: Error| render_error(&error, &source_name, &text);
            let module = context.parse(&text, &source_name).map_err(render)?;
            layer_graph(module).map_err(render)?
        }
        None => {
            let network = network.network()?;
            let module = context
                .parse(&network.to_mlir(), &network.name)
                .map_err(|e| format!("internal error: the imported network does not verify: {e}"))?;
            layer_graph(module).map_err(|e| e.to_string())?
        }
    };
    Ok(if dot { graph.to_dot() } else { graph.to_string() })
}

/// Folds the module's batchnorms and reads its layer graph.
fn layer_graph(mut module: Module) -> Result<LayerGraph, Error> {
    Pipeline::parse("builtin.module(nn-fold-batchnorm)")?.run(&mut module, RunOptions::default(), |_, _| {})?;
    LayerGraph::from_module(&module)
}

/// Folds batchnorms, checks shapes, tiles every conv for the chip's
/// crossbars, replicates the slow layers as asked and places the tiles on
/// its cores; the module (or its summary) and the passes' remarks.
fn compile(source: &Source, chip: &ChipArgs, summary: bool, explain: bool) -> Result<(String, Vec<String>), String> {
    let compiled = network::compile_timing(source, chip)?;
    network::with_xbar_module(source, &compiled, explain, |module| match summary {
        true => placement_summary(module, source.name(), &compiled.arch),
        false => module.print_with_locations() + "\n",
    })
}

/// Checks every conv layer of the network on the chip; returns one line per
/// layer, numeric mode and scheme, then a total, and how many failed.
fn check(
    network: &NetworkArgs,
    arch: &ArchArgs,
    numerics: &[Numeric],
    input: Option<&Path>,
    threads: Option<u16>,
) -> Result<(String, usize), String> {
    let network = network.network()?;
    let chip = arch.architecture(None)?;
    let input = input.map(read_numbers).transpose()?;
    let numerics: Vec<NumericMode> = numerics
        .iter()
        .map(|n| match n {
            Numeric::Int8 => NumericMode::Int8,
            Numeric::F32 => NumericMode::F32,
        })
        .collect();
    let threads = threads.map_or_else(default_threads, usize::from);
    let bar = progress::bar(paper::conv_layers(&network).len() * numerics.len() * schemes(&chip).len());
    let progress = |result: &CheckResult| {
        bar.set_message(result.layer.clone());
        bar.inc(1);
    };
    let results = check_network(&network, &chip, &numerics, input.as_deref(), threads, &progress);
    bar.finish_and_clear();
    let results = results.map_err(|e| e.to_string())?;
    let mut text = format!("{} on {}\n", network.name, chip.name);
    for result in &results {
        let _ = writeln!(text, "{result}");
    }
    let failed = results.iter().filter(|r| !r.passed()).count();
    let _ = writeln!(text, "{} of {} checks passed", results.len() - failed, results.len());
    Ok((text, failed))
}

/// The network's output on the numbers in `input`, one per line.
fn eval(network: &NetworkArgs, input: &Path, random_weights: bool) -> Result<String, String> {
    let mut network = network.network()?;
    let input = read_numbers(input)?;
    if random_weights {
        let missing = pseudo_random_weights(&network).map_err(|e| e.to_string())?;
        network.weights.extend(missing);
    }
    let evaluation = evaluate(&network, &input).map_err(|error| match error {
        EvalError::MissingWeight { .. } => format!("{error} (--random-weights gives it pseudo-random values)"),
        other => other.to_string(),
    })?;
    Ok(evaluation.outputs(&network).map(|value| format!("{value}\n")).collect())
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// What `rramc paper` sweeps.
struct Sweep<'a> {
    networks: &'a [String],
    xbars: &'a [u32],
    buses: &'a [u32],
    mvm_latency: Option<u32>,
    forward: bool,
    /// Also write the plans the exchange cost model chooses (`exchange.csv`).
    exchange: bool,
}

impl Sweep<'_> {
    /// The published setups (`xbarX-busB` presets) for every size and
    /// width asked for: sizes and widths other than the presets' work too.
    fn setups(&self) -> Result<Vec<Architecture>, String> {
        let base = Architecture::preset("xbar32-bus4").map_err(|e| e.to_string())?;
        let mut setups = Vec::new();
        for &xbar in self.xbars {
            for &bus in self.buses {
                let mut chip = base.clone();
                chip.name = format!("xbar{xbar}-bus{bus}");
                (chip.crossbar.rows, chip.crossbar.cols, chip.bus.width_bytes) = (xbar, xbar, bus);
                chip.crossbar.mvm_latency_cycles = self.mvm_latency.or(chip.crossbar.mvm_latency_cycles);
                chip.core.remote_writes |= self.forward;
                chip.validate(&chip.name.clone()).map_err(|e| e.to_string())?;
                setups.push(chip);
            }
        }
        Ok(setups)
    }

    /// The command line that reruns this sweep.
    fn command(&self) -> String {
        format!(
            "rramc paper --networks {} --xbars {} --buses {}{}{}{}",
            self.networks.join(","),
            join(self.xbars),
            join(self.buses),
            self.mvm_latency.map(|c| format!(" --mvm-latency {c}")).unwrap_or_default(),
            if self.forward { " --forward" } else { "" },
            if self.exchange { " --exchange auto" } else { "" }
        )
    }
}

/// Measures every conv layer of the sweep's networks on every setup and
/// writes the report files into `out`; returns what to print: where they
/// are and the bus-width summary.
fn paper(out: &Path, sweep: &Sweep, threads: Option<u16>) -> Result<String, String> {
    let (networks, buses) = (sweep.networks, sweep.buses);
    let setups = sweep.setups()?;
    let mut layers = Vec::new();
    for name in networks {
        layers.extend(paper::conv_layers(&zoo::build(name).map_err(|e| e.to_string())?));
    }
    let threads = threads.map_or_else(default_threads, usize::from);
    let bar = progress::bar(layers.len() * setups.len());
    let progress = |row: &paper::Row| {
        bar.set_message(format!("{} {} xbar {} bus {} B", row.network, row.layer, row.xbar, row.bus_bytes));
        bar.inc(1);
    };
    let started = Instant::now();
    let rows = paper::sweep(&layers, &setups, threads, &progress).map_err(|e| format!("simulation failed: {e}"))?;
    bar.finish_and_clear();
    let setup = format!(
        "`{}`: each layer alone on a `xbarX-busB` setup (arch/xbar32-bus4.toml with the crossbar size and bus \
         width changed{}), with as many cores as it has tiles.",
        sweep.command(),
        if sweep.forward { "; the linear runs forward partial sums core to core" } else { "" }
    );
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create '{}': {e}", out.display()))?;
    let mut text = String::new();
    for (name, contents) in paper::report_files(&rows, &setup, sweep.exchange) {
        let path = out.join(name);
        write_atomically(&path, &contents)?;
        let _ = writeln!(text, "wrote {}", path.display());
    }
    let _ = writeln!(
        text,
        "{} layers x {} setups simulated in {:.1} s",
        layers.len(),
        setups.len(),
        started.elapsed().as_secs_f64()
    );
    let _ = writeln!(
        text,
        "{:>6} {:>26} {:>26} {:>22} {:>28}",
        "bus B",
        "most cores, all >= 90% PV",
        "most cores, all >= 99% PV",
        "layers >= 99% cyclic",
        "out of reach through memory"
    );
    for &bus in buses {
        let group: Vec<&paper::Row> = rows.iter().filter(|r| r.bus_bytes == bus).collect();
        let synchronized = group.iter().filter(|r| r.pv > 1);
        let reaching = synchronized.clone().filter(|r| r.pct_pv(SyncMode::Cyclic) >= 99.0).count();
        let out_of_reach = synchronized.clone().filter(|r| r.pct_pv_shared_memory_floor() < 99.0).count();
        let _ = writeln!(
            text,
            "{bus:>6} {:>26} {:>26} {:>22} {:>28}",
            paper::cores_reaching(&group, 90.0),
            paper::cores_reaching(&group, 99.0),
            format!("{reaching} of {}", synchronized.count()),
            out_of_reach
        );
    }
    if sweep.exchange {
        let _ = writeln!(
            text,
            "exchange auto (the plan the cost model chooses), layers with PV > 1:\n{:>6} {:>28} {:>34}",
            "bus B", ">= 99% of attainable", "> 0.5 points behind best hand"
        );
        for &bus in buses {
            let group: Vec<&paper::Row> = rows.iter().filter(|r| r.bus_bytes == bus && r.pv > 1).collect();
            let chosen = |r: &paper::Row| r.pct_pv(r.chosen());
            let attained = group.iter().filter(|r| chosen(r) >= 0.99 * r.attainable_pct_pv()).count();
            let best_hand = |r: &paper::Row| r.pct_pv(SyncMode::Linear).max(r.pct_pv(SyncMode::Cyclic));
            let behind = group.iter().filter(|r| chosen(r) < best_hand(r) - 0.5).count();
            let _ = writeln!(text, "{bus:>6} {:>28} {behind:>34}", format!("{attained} of {}", group.len()));
        }
    }
    Ok(text)
}

fn join(values: &[u32]) -> String {
    values.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// Per layer: kernel matrix, tile grid, horizontal group size (PV) and the
/// cores its tiles occupy; then the crossbars used of those available.
fn placement_summary(module: &Module, network: &str, arch: &Architecture) -> String {
    let int = |op: &Op, name: &str| op.attribute(name).and_then(|a| a.as_i64()).unwrap_or(0);
    let pair = |op: &Op, name: &str| op.attribute(name).and_then(|a| a.as_i64_array()).unwrap_or_default();
    let mut text = format!("{network} on {}\n", arch.name);
    let _ = writeln!(
        text,
        "{:<48} {:>11} {:>7} {:>5} {:>8} {:>6} {:>11}",
        "layer", "matrix", "h x v", "PV", "replicas", "tiles", "cores"
    );
    let mut total = 0;
    for grid in module.operations_named("xbar.grid") {
        let layer = grid.attribute("layer").and_then(|a| a.as_string()).unwrap_or_default();
        let tiles: Vec<Op> = grid.results()[0].users();
        let cores: Vec<i64> = tiles.iter().map(|t| int(t, "core")).collect();
        let (first, last) = (cores.iter().min().copied().unwrap_or(0), cores.iter().max().copied().unwrap_or(0));
        let matrix = pair(&grid, "matrix");
        let _ = writeln!(
            text,
            "{:<48} {:>11} {:>7} {:>5} {:>8} {:>6} {:>11}",
            layer,
            format!("{}x{}", matrix.first().unwrap_or(&0), matrix.get(1).unwrap_or(&0)),
            format!("{}x{}", int(&grid, "h"), int(&grid, "v")),
            int(&grid, "h"),
            int(&grid, "replicas"),
            tiles.len(),
            format!("{first}-{last}")
        );
        total += tiles.len();
    }
    let _ = writeln!(text, "{total} crossbars used of {}", arch.total_crossbars());
    text
}

/// The resolved description (every default explicit, readable back as a
/// file) followed by the quantities derived from it.
fn show(arch: &Architecture) -> Result<String, String> {
    let mut text = arch.to_toml().map_err(|e| e.to_string())?;
    let mvm = arch.mvm_latency_cycles();
    let vector = arch.output_vector_bytes();
    let _ = write!(
        text,
        "\n# Derived quantities\n\
         # slices per weight:        {}\n\
         # weights per crossbar row: {} (crossbar.cols counts cells)\n\
         # input cycles per MVM:     {}\n\
         # MVM latency:              {mvm} cycles ({:.3} us)\n\
         # crossbars on the chip:    {}\n\
         # one output vector:        {vector} B, {} bus cycles per transfer\n\
         # synchronization memory:   {} B\n",
        arch.slices_per_weight(),
        arch.weights_per_row(),
        arch.input_cycles(),
        arch.cycles_to_us(mvm),
        arch.total_crossbars(),
        arch.bus_transfer_cycles(vector),
        arch.sync_memory_bytes(),
    );
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Args {
        Args::try_parse_from(["rramc"].iter().chain(args)).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    /// A list option's default, as --help shows it, is what the user would type.
    #[test]
    fn list_defaults_are_shown_as_they_are_typed() {
        let mut command = Args::command();
        let help = command.find_subcommand_mut("paper").unwrap().render_help().to_string();
        for shown in ["[default: mobilenet_v1,resnet18]", "[default: 32,64,128]", "[default: 4,8,16,32,64]"] {
            assert!(help.contains(shown), "{shown} not in {help}");
        }
        let typed = ["--networks", "mobilenet_v1,resnet18", "--xbars", "32,64,128", "--buses", "4,8,16,32,64"];
        let defaults = parse(&["paper", "--out", "x"]);
        assert_eq!(format!("{defaults:?}"), format!("{:?}", parse(&[&["paper", "--out", "x"][..], &typed].concat())));
        let Command::Paper { xbars, .. } = defaults.command else { unreachable!("parsed as paper") };
        assert_eq!(xbars, [32, 64, 128]);
        let Command::Check { numeric, .. } = parse(&["check", "--zoo", "lenet5"]).command else {
            unreachable!("parsed as check")
        };
        assert_eq!(numeric, [Numeric::Int8, Numeric::F32]);
    }
}
