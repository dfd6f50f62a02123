//! Whole networks from the command line: `rramc compile -o DIR` (every
//! level of the compilation, the programs and a timing report) and `rramc
//! run` (the network's output computed by the simulated chip).

use crate::inputs::{ArchArgs, NetworkArgs};
use crate::output::{render_error, replace_dir, write_program_files};
use crate::progress;
use rram_arch::Architecture;
use rram_compiler::frontend::Network;
use rram_compiler::pipeline::{Pipeline, RunOptions};
use rram_compiler::reference::{evaluate, pseudo_random_weights, EvalError, Evaluation};
use rram_compiler::report::network::{NetworkReport, StreamRun, StreamingReport};
use rram_compiler::whole_network::{
    compile_module, compile_network, Budget, CompiledNetwork, Cores, Duplication, Mode, NetworkSync, Options, Values,
};
use rram_dialects::{Context, Module};
use rram_sim::{simulate, NumericMode, SimOptions};
use std::path::Path;
use std::str::FromStr;
use std::time::Instant;

/// `--network-sync`: how the layers are synchronized with each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SyncArg {
    /// A barrier after each layer
    LayerByLayer,
    /// Layers overlap: a core starts an output row once the input rows it reads are
    /// written (needs sync.registers of 2 + the most producers a layer has)
    Pipelined,
}

impl SyncArg {
    fn sync(self) -> NetworkSync {
        match self {
            SyncArg::LayerByLayer => NetworkSync::LayerByLayer,
            SyncArg::Pipelined => NetworkSync::Pipelined,
        }
    }
}

/// `--cores N|auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoresArg {
    Count(u32),
    Auto,
}

impl FromStr for CoresArg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "auto" => Ok(CoresArg::Auto),
            _ => text
                .parse()
                .ok()
                .filter(|&n| n > 0)
                .map(CoresArg::Count)
                .ok_or_else(|| format!("expected a positive number of cores or 'auto', got '{text}'")),
        }
    }
}

/// A network to compile without its data: from the zoo or an ONNX file,
/// or an `nn` module someone wrote.
pub enum Source {
    Network(Network),
    Module { name: String, text: String },
}

impl Source {
    /// The module file `file`, else the network of the options.
    pub fn read(file: Option<&Path>, network: &NetworkArgs) -> Result<Source, String> {
        match file {
            Some(path) => {
                let name = path.display().to_string();
                let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read '{name}': {e}"))?;
                Ok(Source::Module { name, text })
            }
            None => Ok(Source::Network(network.network()?)),
        }
    }

    /// Its `nn` module as text.
    fn text(&self) -> String {
        match self {
            Source::Network(network) => network.to_mlir(),
            Source::Module { text, .. } => text.clone(),
        }
    }

    /// The network's name, or the file's: what its errors go by.
    pub fn name(&self) -> &str {
        match self {
            Source::Network(network) => &network.name,
            Source::Module { name, .. } => name,
        }
    }

    /// Its `nn` module, parsed and verified; errors in a file show the
    /// lines they point at.
    fn module<'c>(&self, context: &'c Context) -> Result<Module<'c>, String> {
        let (text, name) = (self.text(), self.name());
        context.parse(&text, name).map_err(|error| match self {
            Source::Network(_) => format!("internal error: the imported network does not verify: {error}"),
            Source::Module { .. } => render_error(&error, name, &text),
        })
    }

    /// Compiled for timing (no data) for `chip`.
    fn compile(&self, chip: &Architecture, options: Options) -> Result<CompiledNetwork, String> {
        let context = Context::new().map_err(|e| e.to_string())?;
        let compiled = compile_module(self.module(&context)?, chip, options, None);
        compiled.map_err(|e| e.to_string())
    }
}

/// The chip a whole network is compiled for, and how its layers are
/// synchronized.
#[derive(clap::Args, Debug)]
pub struct ChipArgs {
    #[command(flatten)]
    arch: ArchArgs,
    /// The chip's cores: a number, or 'auto' for as many as the network needs
    #[arg(long, value_name = "N|auto")]
    cores: Option<CoresArg>,
    /// How the layers are synchronized with each other (compile -o with pipelined
    /// also simulates layer-by-layer, for the speedup)
    #[arg(long, value_enum, default_value = "layer-by-layer")]
    network_sync: SyncArg,
    /// Replicate the slow crossbar layers on the cores to spare, the replicas of a layer
    /// taking its output rows in turn
    #[arg(long, value_enum, default_value = "exact")]
    duplicate: DuplicateArg,
    /// The cores the replicas of the crossbar layers may take (default: the chip's, less
    /// those of the layers without crossbars when pipelined; with --cores auto, twice what
    /// the network needs without duplication)
    #[arg(long, value_name = "CORES", value_parser = clap::value_parser!(i64).range(1..))]
    budget: Option<i64>,
}

/// `--duplicate`: how many replicas the crossbar layers get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DuplicateArg {
    /// One copy of each layer's weights
    None,
    /// The slowest layer gets another replica while one fits and helps (the heuristic of
    /// PIMCOMP-NN and CLSA-CIM)
    Greedy,
    /// The fewest replicas that make the slowest layer as fast as the cores to spare allow,
    /// solved exactly for the cost model
    Exact,
}

impl ChipArgs {
    /// The chip the options ask for, and how to compile for it (one inference).
    fn setup(&self) -> Result<(Architecture, Options), String> {
        if self.duplicate == DuplicateArg::None && self.budget.is_some() {
            return Err(
                "--budget bounds the replicas of --duplicate greedy or exact; --duplicate none makes none".into()
            );
        }
        let mut chip = self.arch.architecture(None)?;
        let cores = match self.cores {
            Some(CoresArg::Auto) => Cores::Auto,
            Some(CoresArg::Count(count)) => {
                chip = chip.with_settings(&[("core.count".into(), count.to_string())]).map_err(|e| e.to_string())?;
                Cores::Chip
            }
            None => Cores::Chip,
        };
        let mode = match self.duplicate {
            DuplicateArg::None => Mode::None,
            DuplicateArg::Greedy => Mode::Greedy,
            DuplicateArg::Exact => Mode::Exact,
        };
        let duplication = Duplication { mode, budget: self.budget.map_or(Budget::Chip, Budget::Cores) };
        Ok((chip, Options { cores, sync: self.network_sync.sync(), duplication, inferences: 1 }))
    }
}

/// The data of a functional run: the input, where the weights come from,
/// and the numbers the chip computes with.
#[derive(clap::Args, Debug)]
pub struct DataArgs {
    /// Give the weights the network has no values for (zoo networks, structure-only
    /// ONNX files) deterministic pseudo-random values instead of failing
    #[arg(long)]
    random_weights: bool,
    /// Compute in int8 (power-of-two scales, docs/whole-network.md): the output is
    /// exactly the integer reference's, scaled back
    #[arg(long)]
    int8: bool,
}

impl DataArgs {
    fn numeric(&self) -> NumericMode {
        if self.int8 {
            NumericMode::Int8
        } else {
            NumericMode::F32
        }
    }

    /// `network` compiled for `chip` as `args` say, with the weights asked
    /// for and the numbers in `input`, for a functional run.
    fn compile(
        &self,
        mut network: Network,
        chip: &Architecture,
        options: Options,
        input: &Path,
    ) -> Result<CompiledNetwork, String> {
        let evaluation = self.evaluate(&mut network, input)?;
        let values = Values { evaluation: &evaluation, numeric: self.numeric() };
        compile_network(&network, chip, options, Some(values)).map_err(|e| e.to_string())
    }

    /// `network` with the weights asked for, evaluated by the reference
    /// interpreter on the numbers in `input`.
    fn evaluate(&self, network: &mut Network, input: &Path) -> Result<Evaluation, String> {
        let input = read_numbers(input)?;
        if self.random_weights {
            network.weights.extend(pseudo_random_weights(network).map_err(|e| e.to_string())?);
        }
        evaluate(network, &input).map_err(|error| match error {
            EvalError::MissingWeight { name } => format!(
                "weight '{name}' has no values: the network has no weights to run (a structure-only model? \
                 --random-weights gives them pseudo-random values)"
            ),
            other => other.to_string(),
        })
    }
}

/// Numbers separated by whitespace, e.g. one per line.
pub fn read_numbers(path: &Path) -> Result<Vec<f64>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read '{}': {e}", path.display()))?;
    text.split_whitespace()
        .enumerate()
        .map(|(index, word)| {
            word.parse().map_err(|_| format!("{}: value {} is not a number: '{word}'", path.display(), index + 1))
        })
        .collect()
}

/// `source` compiled for timing (no weights) as `args` say.
pub fn compile_timing(source: &Source, args: &ChipArgs) -> Result<CompiledNetwork, String> {
    let (chip, options) = args.setup()?;
    source.compile(&chip, options)
}

/// The files of a compilation directory besides the program directory.
const OUTPUT_FILES: [&str; 7] =
    ["nn.mlir", "xbar.mlir", "msg.mlir", "report.json", "report.md", "timeline.svg", "trace.json"];
const PROGRAM_DIR: &str = "program";

/// Compiles the network for the chip, simulates its timing and writes
/// `dir`: the `nn`, `xbar` and `msg` modules, the program directory and
/// the reports. Returns the headline and the passes' remarks (with
/// `explain`, rram-duplicate's table). With `input`, the programs carry
/// the network's weights and shared memory its input (`memory.txt`), for
/// `rram-sim --functional`. With `inferences > 1`, the report also gives
/// that many inputs streamed back to back (the programs written are one
/// inference's).
pub fn compile_to_dir(
    source: &Source,
    args: &ChipArgs,
    input: Option<(&Path, &DataArgs)>,
    explain: bool,
    inferences: u32,
    dir: &Path,
) -> Result<(String, Vec<String>), String> {
    let (chip, options) = args.setup()?;
    let progress = progress::steps();
    progress.set_message(format!("compiling {}", source.name()));
    let started = Instant::now();
    let compiled = match (input, source) {
        (None, _) => source.compile(&chip, options)?,
        (Some((input, data)), Source::Network(network)) => data.compile(network.clone(), &chip, options, input)?,
        (Some(_), Source::Module { name, .. }) => {
            return Err(format!("'{name}' holds no weights: --input needs --zoo or --import-onnx"))
        }
    };
    let (xbar, remarks) = with_xbar_module(source, &compiled, explain, |module| module.print_with_locations() + "\n")?;
    let context = Context::new().map_err(|e| e.to_string())?;
    let msg = compiled.msg_module(&context).map_err(|e| format!("internal error: the msg module: {e}"))?.print() + "\n";
    let compile_seconds = started.elapsed().as_secs_f64();
    progress.set_message(format!("simulating one inference on {} cores", compiled.compiled.program.cores.len()));
    let started = Instant::now();
    let result =
        simulate(&compiled.arch, &compiled.compiled.program, &SimOptions::default()).map_err(|e| e.to_string())?;
    let simulate_seconds = started.elapsed().as_secs_f64();
    // The baseline of the speedup: the same network layer by layer, on the same chip.
    let baseline = match options.sync {
        NetworkSync::LayerByLayer => None,
        NetworkSync::Pipelined => {
            progress.set_message("compiling and simulating the layer-by-layer baseline");
            let options = Options { cores: Cores::Chip, sync: NetworkSync::LayerByLayer, ..options };
            let layered =
                source.compile(&compiled.arch, options).map_err(|e| format!("the layer-by-layer baseline: {e}"))?;
            let stats = simulate(&compiled.arch, &layered.compiled.program, &SimOptions::default())
                .map_err(|e| format!("the layer-by-layer baseline: {e}"))?
                .stats;
            Some(stats.cycles)
        }
    };
    let mut report = NetworkReport::new(&compiled, &result.stats, compile_seconds, simulate_seconds, baseline);
    if inferences > 1 {
        report.streaming = Some(streaming(source, &chip, options, result.stats.cycles, inferences, &progress)?);
    }
    let texts = [
        source.text(),
        xbar,
        msg,
        report.to_json(),
        report.to_markdown(),
        report.timeline_svg(),
        report.perfetto_trace(compiled.arch.clock_mhz),
    ];
    progress.set_message(format!("writing {}", dir.display()));
    let owned = |name: &str| name == PROGRAM_DIR || OUTPUT_FILES.contains(&name);
    replace_dir(dir, &owned, |staged| {
        for (name, text) in OUTPUT_FILES.iter().zip(&texts) {
            let path = staged.join(name);
            std::fs::write(&path, text).map_err(|e| format!("cannot write '{}': {e}", path.display()))?;
        }
        write_program_files(&staged.join(PROGRAM_DIR), &compiled.compiled.program, &compiled.arch)
    })?;
    Ok((report.headline(), remarks))
}

/// `inferences` inputs streamed through `source` compiled as `options` say
/// (whose one inference took `latency` cycles), and without duplication
/// when it has some: each compiled for the stream and simulated.
fn streaming(
    source: &Source,
    chip: &Architecture,
    options: Options,
    latency: u64,
    inferences: u32,
    progress: &progress::Steps,
) -> Result<StreamingReport, String> {
    let cycles = |options: Options| -> Result<(u64, f64), String> {
        let compiled = source.compile(chip, options)?;
        let stats = simulate(&compiled.arch, &compiled.compiled.program, &SimOptions::default())
            .map_err(|e| e.to_string())?
            .stats;
        Ok((stats.cycles, compiled.arch.clock_mhz))
    };
    progress.set_message(format!("simulating {inferences} inferences back to back"));
    let (streamed, clock_mhz) = cycles(Options { inferences, ..options })?;
    let run = StreamRun::new(latency, streamed, inferences, clock_mhz);
    let without_duplication = match options.duplication.mode {
        Mode::None => None,
        _ => {
            progress.set_message(format!("simulating one and {inferences} inferences without duplication"));
            let plain = Options { duplication: Duplication::NONE, ..options };
            let (latency, _) = cycles(plain)?;
            let (streamed, _) = cycles(Options { inferences, ..plain })?;
            Some(StreamRun::new(latency, streamed, inferences, clock_mhz))
        }
    };
    Ok(StreamingReport { inferences, run, without_duplication })
}

/// `show` of the network folded, tiled, duplicated and placed as
/// `compiled` was (fold batchnorms, check shapes, tile every conv for the
/// chip's crossbars, replicate with `compiled`'s mode and budget, place
/// the tiles on its cores), and the remarks of the passes: with `explain`,
/// rram-duplicate's table.
pub fn with_xbar_module<T>(
    source: &Source,
    compiled: &CompiledNetwork,
    explain: bool,
    show: impl FnOnce(&Module) -> T,
) -> Result<(T, Vec<String>), String> {
    let context = Context::new().map_err(|e| e.to_string())?;
    let mut module = source.module(&context)?;
    rram_compiler::arch::attach_to(&compiled.arch, &module).map_err(|e| e.to_string())?;
    let (mode, budget) = compiled.duplication.unwrap_or((Mode::None, i64::from(compiled.arch.core.count)));
    let explain = if explain { " explain=true" } else { "" };
    let pipeline = format!(
        "builtin.module(nn-fold-batchnorm,nn-verify-shapes,rram-tile,rram-duplicate{{mode={} budget={budget}{explain}}},\
         rram-place)",
        mode.name()
    );
    let messages = Pipeline::parse(&pipeline)
        .and_then(|pipeline| pipeline.run(&mut module, RunOptions::default(), |_, _| {}))
        .map_err(|e| e.to_string())?;
    Ok((show(&module), messages.remarks))
}

/// The network's output as the simulated chip computes it on `input` (f32
/// throughout), one number a line in NCHW order of each output, after the
/// host's softmax where the network ends in one.
pub fn run(network: &NetworkArgs, args: &ChipArgs, input: &Path, data: &DataArgs) -> Result<String, String> {
    let network = network.network()?;
    let (chip, options) = args.setup()?;
    let progress = progress::steps();
    progress.set_message(format!("compiling {}", network.name));
    let compiled = data.compile(network, &chip, options, input)?;
    progress.set_message(format!("simulating with values on {} cores", compiled.compiled.program.cores.len()));
    let options = SimOptions { functional: Some(data.numeric()), trace: false };
    let result = simulate(&compiled.arch, &compiled.compiled.program, &options).map_err(|e| e.to_string())?;
    let shared = result.shared.ok_or("internal error: a functional run kept no shared memory")?;
    let mut text = String::new();
    for output in outputs(&compiled, |address| shared.read(address, 1)[0])? {
        text.push_str(&format!("{output}\n"));
    }
    Ok(text)
}

/// The values of the network's outputs read from shared memory (an int8
/// network's words scaled back by its feature maps' scale), with the
/// host's softmax applied where the network ends in one.
fn outputs(compiled: &CompiledNetwork, word: impl Fn(usize) -> Option<f64>) -> Result<Vec<f64>, String> {
    let mut values = Vec::new();
    for &layer in &compiled.net.outputs {
        let shape = compiled.net.layers[layer].shape;
        let mut unwritten = None;
        let map = compiled.compiled.read_map(layer, shape, |address| {
            word(address).unwrap_or_else(|| {
                unwritten.get_or_insert(address);
                f64::NAN
            })
        });
        if let Some(address) = unwritten {
            return Err(format!("internal error: output word {address} was never written"));
        }
        let unit = compiled.frac.map_or(1.0, |frac| 2f64.powi(-frac));
        let map: Vec<f64> = map.into_iter().map(|q| q * unit).collect();
        values.extend(if compiled.host_softmax { softmax(&map) } else { map });
    }
    Ok(values)
}

fn softmax(values: &[f64]) -> Vec<f64> {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = values.iter().map(|v| (v - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.iter().map(|e| e / sum).collect()
}
