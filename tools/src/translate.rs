//! `rram-translate`: brings networks in as `nn` dialect MLIR.
//!
//! ```text
//! rram-translate --import-onnx models/resnet18.struct.onnx -o resnet18.mlir
//! rram-translate --zoo mobilenet_v1 --summary
//! rram-translate --list-zoo
//! ```
//! Every op is located at the ONNX node (or zoo layer) it comes from, and the
//! output is printed with its locations. Errors are one line on stderr, the
//! exit code is 1 and no output file is written.

use crate::inputs::NetworkArgs;
use crate::output::{finish, report_usage};
use clap::{ArgGroup, Parser};
use rram_compiler::frontend::zoo;
use rram_compiler::report::Summary;
use rram_dialects::Context;
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "rram-translate",
    version,
    about = "Imports networks (ONNX files, built-in benchmarks) as nn dialect MLIR"
)]
#[command(group(ArgGroup::new("source").args(["import_onnx", "zoo", "list_zoo"]).required(true)))]
struct Args {
    #[command(flatten)]
    network: NetworkArgs,
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
    if args.list_zoo {
        return Ok(zoo::names()
            .iter()
            .map(|name| format!("{name:<16} {}\n", zoo::describe(name).unwrap_or("")))
            .collect());
    }
    let network = args.network.network()?;
    if args.summary {
        return Ok(Summary::of(&network).to_string());
    }
    let context = Context::new().map_err(|e| e.to_string())?;
    let module = context
        .parse(&network.to_mlir(), &network.name)
        .map_err(|e| format!("internal error: the imported network does not verify: {e}"))?;
    Ok(module.print_with_locations() + "\n")
}
