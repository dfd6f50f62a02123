//! `rram-translate`: brings networks in as `nn` dialect MLIR, and takes
//! per-core `msg` programs out as the instruction set.
//!
//! ```text
//! rram-translate --import-onnx models/resnet18.struct.onnx -o resnet18.mlir
//! rram-translate --zoo mobilenet_v1 --summary
//! rram-translate --list-zoo
//! rram-translate conv.msg.mlir --emit-isa prog/ --preset xbar32-bus4   # then: rram-sim prog/
//! ```
//! Every imported op is located at the ONNX node (or zoo layer) it comes
//! from, and the output is printed with its locations. `--emit-isa` writes
//! a program directory (`core<N>.isa` per core and the architecture's
//! `arch.toml`) as a whole or not at all, and prints where the layer's data
//! lives in shared memory. Errors go to stderr, the exit code is 1 and no
//! output file or directory is written.

use crate::inputs::{ArchArgs, NetworkArgs};
use crate::output::{finish, report_usage, write_program_dir};
use clap::{ArgGroup, Parser};
use rram_compiler::arch::{self, ARCH_ATTRIBUTE};
use rram_compiler::frontend::zoo;
use rram_compiler::lower_msg;
use rram_compiler::report::Summary;
use rram_dialects::msg::{LAYER_ATTRIBUTE, LAYOUT_ATTRIBUTES};
use rram_dialects::{Context, Module};
use rram_isa::check_fit;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "rram-translate",
    version,
    about = "Imports networks (ONNX files, built-in benchmarks) as nn dialect MLIR; writes msg programs as \
             instruction-set files (--emit-isa)"
)]
#[command(group(ArgGroup::new("source").args(["import_onnx", "zoo", "list_zoo", "input"]).required(true)))]
struct Args {
    #[command(flatten)]
    network: NetworkArgs,
    /// Per-core msg programs (what rram-opt's rram-sync writes), for --emit-isa
    #[arg(value_name = "INPUT", requires = "emit_isa")]
    input: Option<PathBuf>,
    /// Write INPUT's programs as instruction-set files into the directory DIR, for rram-sim
    #[arg(long, value_name = "DIR", requires = "input", conflicts_with_all = ["summary", "output"])]
    emit_isa: Option<PathBuf>,
    /// With --emit-isa, for a module that carries no chip (rram.arch): the chip written to DIR/arch.toml
    /// (default: the default chip); for one that does, it must be that chip
    #[command(flatten)]
    arch: ArchArgs,
    /// List the networks of the built-in zoo and exit
    #[arg(long)]
    list_zoo: bool,
    /// Print a table per layer (shapes, kernel matrix, MACs, parameters) instead of MLIR
    #[arg(long)]
    summary: bool,
    /// Write the result here instead of stdout
    #[arg(short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Runs rram-translate with `args` (including the program name); returns the exit code.
pub fn run(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    match Args::try_parse_from(args) {
        Ok(args) => finish("rram-translate", translate(&args), args.output.as_deref(), stdout, stderr),
        Err(error) => report_usage(&error, stdout, stderr),
    }
}

fn translate(args: &Args) -> Result<String, String> {
    if let (Some(input), Some(dir)) = (&args.input, &args.emit_isa) {
        return emit_isa(input, dir, &args.arch);
    }
    if args.arch.is_given() {
        return Err("--arch, --preset and --set go with --emit-isa".into());
    }
    if args.list_zoo {
        return Ok(zoo::names()
            .iter()
            .map(|name| format!("{name:<16} {}\n", zoo::describe(name).unwrap_or("")))
            .collect());
    }
    let network = args.network.network()?;
    if args.summary {
        return Summary::of(&network).map(|summary| summary.to_string()).map_err(|e| e.to_string());
    }
    let context = Context::new().map_err(|e| e.to_string())?;
    let module = context
        .parse(&network.to_mlir(), &network.name)
        .map_err(|e| format!("internal error: the imported network does not verify: {e}"))?;
    Ok(module.print_with_locations() + "\n")
}

/// Reads the `msg` programs in `input`, translates them to the instruction
/// set and writes them into `dir` with the chip they were compiled for
/// (the module's `rram.arch`; for a module without one, `--arch` or
/// `--preset`, else the default chip), once they are known to fit it.
/// Returns what was written and where the layer's data lives in shared
/// memory.
fn emit_isa(input: &Path, dir: &Path, chip: &ArchArgs) -> Result<String, String> {
    let source_name = input.display().to_string();
    let text = std::fs::read_to_string(input).map_err(|e| format!("cannot read '{source_name}': {e}"))?;
    let context = Context::new().map_err(|e| e.to_string())?;
    let module = context.parse(&text, &source_name).map_err(|e| e.to_string())?;
    let carried = arch::of_module(&module).map_err(|e| e.to_string())?;
    let arch = match (carried.clone(), chip.given(carried)?) {
        (Some(compiled_for), Some(given)) if compiled_for != given => {
            return Err(format!(
                "'{source_name}' is compiled for chip '{}' (its '{ARCH_ATTRIBUTE}' attribute), not for '{}': \
                 compile it again for that chip, or leave out --arch and --preset (rram-sim --preset runs a \
                 program on another chip it fits)",
                compiled_for.name, given.name
            ))
        }
        (Some(compiled_for), _) => compiled_for,
        (None, given) => given.unwrap_or_default(),
    };
    let program = lower_msg::program(&module).map_err(|e| e.to_string())?;
    check_fit(&program, &arch).map_err(|e| format!("'{source_name}': {e}"))?;
    write_program_dir(dir, &program, &arch)?;
    let mut report = format!("{}: {} core programs for {}\n", dir.display(), program.cores.len(), arch.name);
    report.push_str(&layout(&module));
    Ok(report)
}

/// The layer and its shared-memory regions, as `rram-sync` recorded them
/// on the module (nothing for a module written by hand without them).
fn layout(module: &Module) -> String {
    let top = module.operation();
    let mut text = String::new();
    if let Some(layer) = top.attribute(LAYER_ATTRIBUTE).and_then(|a| a.as_string()) {
        let _ = writeln!(text, "layer '{layer}', shared memory in words:");
    }
    for (name, what) in LAYOUT_ATTRIBUTES {
        if let Some([address, words]) = top.attribute(name).and_then(|a| a.as_i64_array()).as_deref() {
            let region = format!("s[{address}..{}]", address.saturating_add(*words));
            let _ = writeln!(text, "  {:<8} {region:<20} {what}", name.trim_start_matches("msg."));
        }
    }
    text
}
