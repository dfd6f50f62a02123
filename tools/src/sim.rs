//! `rram-sim`: runs a program directory on an architecture and reports
//! cycles, where each core's time went, bus traffic and memory.
//!
//! ```text
//! rram-sim prog/                         # timing; architecture from prog/arch.toml or the default
//! rram-sim prog/ --functional --dump 1024:16
//! rram-sim prog/ --preset xbar64-bus16 --json --trace run.json
//! rram-sim --bench                       # simulated instructions per second
//! ```

use crate::inputs::ArchArgs;
use crate::output::{finish, report_usage, write_atomically};
use clap::{Parser, ValueEnum};
use rram_isa::read_program;
use rram_sim::bench::{instructions_per_pass, synthetic_program};
use rram_sim::{simulate, NumericMode, SimOptions};
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Mode {
    /// f32 values, each result rounded to f32
    F32,
    /// int8 weights and inputs, int32 accumulation
    Int8,
}

#[derive(Parser, Debug)]
#[command(name = "rram-sim", version, about = "Simulates per-core programs on a multi-core RRAM CIM chip")]
struct Args {
    /// Program directory: core<N>.isa files, optional memory.txt and arch.toml
    #[arg(required_unless_present = "bench")]
    dir: Option<PathBuf>,
    /// Run on another chip than the directory's arch.toml (the chip the programs were compiled for; without
    /// one, the default chip): an error unless the programs fit it
    #[command(flatten)]
    arch: ArchArgs,
    /// Compute values and check for races and uninitialised reads
    #[arg(long, value_enum, num_args = 0..=1, require_equals = true, default_missing_value = "f32")]
    functional: Option<Mode>,
    /// Write a Chrome / Perfetto trace of every core's timeline
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Print the statistics as JSON
    #[arg(long)]
    json: bool,
    /// Print `N` words of shared memory from `ADDR` at the end (functional mode)
    #[arg(long, value_name = "ADDR:N", value_parser = parse_range)]
    dump: Vec<(usize, usize)>,
    /// Time the simulator on a large synthetic program and exit
    #[arg(long, conflicts_with = "dir")]
    bench: bool,
    /// Instructions the benchmark simulates at least
    #[arg(long, value_name = "N", default_value_t = 10_000_000, requires = "bench")]
    bench_instructions: u64,
}

fn parse_range(text: &str) -> Result<(usize, usize), String> {
    let (address, n) = text.split_once(':').ok_or("expected ADDR:N, e.g. 1024:16")?;
    let number = |s: &str| s.trim().parse::<usize>().map_err(|e| format!("'{s}': {e}"));
    Ok((number(address)?, number(n)?))
}

/// Runs rram-sim with `args` (including the program name); returns the exit code.
pub fn run(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    match Args::try_parse_from(args) {
        Ok(args) => {
            finish("rram-sim", if args.bench { bench(&args) } else { simulate_dir(&args) }, None, stdout, stderr)
        }
        Err(error) => report_usage(&error, stdout, stderr),
    }
}

fn simulate_dir(args: &Args) -> Result<String, String> {
    let dir = args.dir.as_ref().ok_or("give a program directory, or --bench")?;
    let (program, compiled_for) = read_program(dir).map_err(|e| e.to_string())?;
    let arch = args.arch.architecture(compiled_for.clone())?;
    let elsewhere = compiled_for.as_ref().filter(|c| **c != arch).map(|c| format!(" (compiled for {})", c.name));
    if let Some(compiled_for) = compiled_for.filter(|c| c.slices_per_weight() != arch.slices_per_weight()) {
        return Err(format!(
            "{}: the programs are compiled for chip '{}', whose weights take {} cells, chip '{}' cuts them into {}: \
             compile them again for that chip",
            dir.display(),
            compiled_for.name,
            compiled_for.slices_per_weight(),
            arch.name,
            arch.slices_per_weight()
        ));
    }
    let functional = args.functional.map(|mode| match mode {
        Mode::F32 => NumericMode::F32,
        Mode::Int8 => NumericMode::Int8,
    });
    if !args.dump.is_empty() && functional.is_none() {
        return Err("--dump needs --functional: a timing run computes no values".into());
    }
    let options = SimOptions { functional, trace: args.trace.is_some() };
    let result = simulate(&arch, &program, &options).map_err(|e| e.to_string())?;
    if let (Some(path), Some(trace)) = (&args.trace, &result.trace) {
        write_atomically(path, &trace.to_json())?;
    }
    let dumps: Vec<(String, Vec<Option<f64>>)> = match &result.shared {
        Some(memory) => args.dump.iter().map(|&(a, n)| (format!("{a}:{n}"), memory.read(a, n))).collect(),
        None => Vec::new(),
    };
    if args.json {
        let mut json = serde_json::to_value(&result.stats).map_err(|e| e.to_string())?;
        if !dumps.is_empty() {
            json["dump"] = serde_json::json!(dumps.iter().cloned().collect::<std::collections::BTreeMap<_, _>>());
        }
        return Ok(format!("{json:#}\n"));
    }
    let mut text = format!(
        "{}: {} cores on {}{}\n{}",
        dir.display(),
        program.cores.len(),
        arch.name,
        elsewhere.unwrap_or_default(),
        result.stats
    );
    for (range, values) in dumps {
        let values: Vec<String> = values.iter().map(|v| v.map_or("-".into(), |v| v.to_string())).collect();
        text.push_str(&format!("shared {range}: {}\n", values.join(" ")));
    }
    Ok(text)
}

fn bench(args: &Args) -> Result<String, String> {
    let arch = args.arch.architecture(None)?;
    let cores = 64.min(arch.core.count / 4 * 4).max(4);
    let passes = args.bench_instructions.div_ceil(instructions_per_pass(cores)).max(1) as u32;
    let program = synthetic_program(cores, passes, arch.crossbar.rows, arch.weights_per_row());
    let start = Instant::now();
    let result = simulate(&arch, &program, &SimOptions::default()).map_err(|e| e.to_string())?;
    let seconds = start.elapsed().as_secs_f64();
    let stats = &result.stats;
    Ok(format!(
        "benchmark: {cores} cores x {passes} passes of 256 pixels on {} (timing only)\n\
         simulated cycles: {}\n\
         wall time: {seconds:.3} s\n\
         simulated instructions: {}\n\
         simulated instructions/s: {:.0}\n",
        arch.name,
        stats.cycles,
        stats.instructions,
        stats.instructions as f64 / seconds
    ))
}
