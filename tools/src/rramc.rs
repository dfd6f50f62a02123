//! `rramc`: the compiler driver. For now it shows architecture descriptions:
//!
//! ```text
//! rramc arch                      # the default architecture, every field resolved
//! rramc arch my-chip.toml         # check a file and show it with its derived quantities
//! rramc arch --preset xbar64-bus16
//! rramc arch --list               # the presets
//! ```

use crate::output::{finish, report_usage};
use clap::{Parser, Subcommand};
use rram_compiler::arch::{preset_names, Architecture};
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
    let result = match args.command {
        Command::Arch { list: true, .. } => Ok(preset_names().iter().map(|name| format!("{name}\n")).collect()),
        Command::Arch { file: Some(path), .. } => {
            Architecture::load(&path).map_err(|e| e.to_string()).and_then(|a| show(&a))
        }
        Command::Arch { preset: Some(name), .. } => {
            Architecture::preset(&name).map_err(|e| e.to_string()).and_then(|a| show(&a))
        }
        Command::Arch { .. } => show(&Architecture::default()),
    };
    finish("rramc", result, None, stdout, stderr)
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
