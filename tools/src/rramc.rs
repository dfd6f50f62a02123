//! `rramc`: the compiler driver.
//!
//! ```text
//! rramc arch                      # the default architecture, every field resolved
//! rramc arch my-chip.toml         # check a file and show it with its derived quantities
//! rramc arch --preset xbar64-bus16
//! rramc arch --list               # the presets
//! rramc compile --zoo resnet18 --preset xbar64-bus16 --summary   # layers onto crossbars
//! ```

use crate::inputs::{ArchArgs, NetworkArgs};
use crate::output::{finish, report_usage};
use clap::{ArgGroup, Parser, Subcommand};
use rram_compiler::arch::{preset_names, Architecture};
use rram_compiler::pipeline::{Pipeline, RunOptions};
use rram_dialects::{Context, Module, Op};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

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
        #[arg(long)]
        list: bool,
    },
    /// Map a network onto a chip's crossbars (fold batchnorms, tile, place)
    #[command(group(ArgGroup::new("source").args(["import_onnx", "zoo"]).required(true)))]
    Compile {
        #[command(flatten)]
        network: NetworkArgs,
        #[command(flatten)]
        arch: ArchArgs,
        /// Print a table per layer (tiles, horizontal group size, cores) instead of MLIR
        #[arg(long)]
        summary: bool,
        /// Write the result here instead of stdout
        #[arg(short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
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
    if let Command::Compile { network, arch, summary, output } = &args.command {
        let result = compile(network, arch, *summary);
        return finish("rramc", result, output.as_deref(), stdout, stderr);
    }
    let result = match args.command {
        Command::Arch { list: true, .. } => Ok(preset_names().iter().map(|name| format!("{name}\n")).collect()),
        Command::Arch { file: Some(path), .. } => {
            Architecture::load(&path).map_err(|e| e.to_string()).and_then(|a| show(&a))
        }
        Command::Arch { preset: Some(name), .. } => {
            Architecture::preset(&name).map_err(|e| e.to_string()).and_then(|a| show(&a))
        }
        Command::Arch { .. } | Command::Compile { .. } => show(&Architecture::default()),
    };
    finish("rramc", result, None, stdout, stderr)
}

/// Folds batchnorms, checks shapes, tiles every conv for the chip's
/// crossbars and places the tiles on its cores.
fn compile(network: &NetworkArgs, arch: &ArchArgs, summary: bool) -> Result<String, String> {
    let network = network.network()?;
    let arch = arch.architecture(None)?;
    let context = Context::new().map_err(|e| e.to_string())?;
    let mut module = context
        .parse(&network.to_mlir(), &network.name)
        .map_err(|e| format!("internal error: the imported network does not verify: {e}"))?;
    let pipeline = format!(
        "builtin.module(nn-fold-batchnorm,nn-verify-shapes,rram-tile{{rows={} cols={} slices={}}},\
         rram-place{{cores={} crossbars={}}})",
        arch.crossbar.rows,
        arch.crossbar.cols,
        arch.slices_per_weight(),
        arch.core.count,
        arch.core.crossbars
    );
    let pipeline = Pipeline::parse(&pipeline).map_err(|e| e.to_string())?;
    pipeline.run(&mut module, RunOptions::default(), |_, _| {}).map_err(|e| e.to_string())?;
    if !summary {
        return Ok(module.print_with_locations() + "\n");
    }
    Ok(placement_summary(&module, &network.name, &arch))
}

/// Per layer: kernel matrix, tile grid, horizontal group size (PV) and the
/// cores its tiles occupy; then the crossbars used of those available.
fn placement_summary(module: &Module, network: &str, arch: &Architecture) -> String {
    let int = |op: &Op, name: &str| op.attribute(name).and_then(|a| a.as_i64()).unwrap_or(0);
    let pair = |op: &Op, name: &str| op.attribute(name).and_then(|a| a.as_i64_array()).unwrap_or_default();
    let mut text = format!("{network} on {}\n", arch.name);
    let _ =
        writeln!(text, "{:<48} {:>11} {:>7} {:>5} {:>6} {:>11}", "layer", "matrix", "h x v", "PV", "tiles", "cores");
    let mut total = 0;
    for grid in module.operations_named("xbar.grid") {
        let layer = grid.attribute("layer").and_then(|a| a.as_string()).unwrap_or_default();
        let tiles: Vec<Op> = grid.results()[0].users();
        let cores: Vec<i64> = tiles.iter().map(|t| int(t, "core")).collect();
        let (first, last) = (cores.iter().min().copied().unwrap_or(0), cores.iter().max().copied().unwrap_or(0));
        let matrix = pair(&grid, "matrix");
        let _ = writeln!(
            text,
            "{:<48} {:>11} {:>7} {:>5} {:>6} {:>11}",
            layer,
            format!("{}x{}", matrix.first().unwrap_or(&0), matrix.get(1).unwrap_or(&0)),
            format!("{}x{}", int(&grid, "h"), int(&grid, "v")),
            int(&grid, "h"),
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
         # input cycles per MVM:     {}\n\
         # MVM latency:              {mvm} cycles ({:.3} us)\n\
         # crossbars on the chip:    {}\n\
         # one output vector:        {vector} B, {} bus cycles per transfer\n\
         # synchronization memory:   {} B\n",
        arch.slices_per_weight(),
        arch.input_cycles(),
        arch.cycles_to_us(mvm),
        arch.total_crossbars(),
        arch.bus_transfer_cycles(vector),
        arch.sync_memory_bytes(),
    );
    Ok(text)
}
