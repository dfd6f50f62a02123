//! `rram-opt`: reads MLIR in our dialects, runs a pass pipeline, prints the
//! result, modelled on `mlir-opt`.
//!
//! ```text
//! rram-opt model.mlir --pass-pipeline='builtin.module(nn-fold-batchnorm,canonicalize)' -o out.mlir
//! rram-opt model.mlir --nn-fold-batchnorm --cse        # each pass is a flag too
//! ```
//! Errors go to stderr as `file:line:col: error: message`; the exit code is 1
//! and no output file is written.

use crate::inputs::ArchArgs;
use crate::output::{render_error, report_usage, write_atomically};
use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};
use rram_compiler::arch::{self, ARCH_ATTRIBUTE};
use rram_compiler::pipeline::{Pipeline, RunOptions, Step};
use rram_dialects::{irdl_definitions, Context, Error, Module, UPSTREAM_PASSES};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::Path;

/// The line that separates the inputs of `--split-input-file`, as in mlir-opt.
const SPLIT_MARKER: &str = "// -----";

fn command() -> Command {
    let mut command = Command::new("rram-opt")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Runs passes over MLIR in the nn, xbar and msg dialects (like mlir-opt)")
        .arg(Arg::new("input").value_name("INPUT").default_value("-").help("Input file ('-' reads stdin)"))
        .arg(Arg::new("output").short('o').value_name("FILE").help("Write the result here instead of stdout"))
        .arg(
            Arg::new("pass-pipeline")
                .long("pass-pipeline")
                .value_name("PIPELINE")
                .help("Passes to run, e.g. 'builtin.module(nn-fold-batchnorm,canonicalize)'"),
        )
        .arg(Arg::new("list-passes").long("list-passes").action(ArgAction::SetTrue).help("List the passes and exit"))
        .arg(
            Arg::new("verify-each")
                .long("verify-each")
                .value_name("BOOL")
                .value_parser(clap::value_parser!(bool))
                .num_args(0..=1)
                .require_equals(true)
                .default_value("true")
                .default_missing_value("true")
                .help("Verify the IR after each pass"),
        )
        .arg(
            Arg::new("print-ir-after-all")
                .long("print-ir-after-all")
                .action(ArgAction::SetTrue)
                .help("Print the IR to stderr after each pass"),
        )
        .arg(
            Arg::new("mlir-print-debuginfo")
                .long("mlir-print-debuginfo")
                .action(ArgAction::SetTrue)
                .help("Print each op's location (e.g. the ONNX node it was imported from)"),
        )
        .arg(
            Arg::new("emit-irdl")
                .long("emit-irdl")
                .action(ArgAction::SetTrue)
                .help("Print the IRDL definitions of our dialects (for mlir-opt --irdl-file) and exit"),
        )
        .arg(
            Arg::new("split-input-file")
                .long("split-input-file")
                .action(ArgAction::SetTrue)
                .help(format!("Process each chunk between '{SPLIT_MARKER}' lines as its own module")),
        )
        .next_help_heading("The chip (recorded on the module as 'rram.arch'; without these, a module that carries no chip gets the default chip when a pass needs one)");
    command = ArchArgs::augment_args(command).next_help_heading("Passes (run in command-line order)");
    for (name, summary) in pass_names() {
        command = command.arg(
            Arg::new(name)
                .long(name)
                .value_name("OPTIONS")
                .num_args(0..=1)
                .require_equals(true)
                .default_missing_value("")
                .action(ArgAction::Append)
                .help(summary),
        );
    }
    command
}

/// mlir-opt also takes long options with one dash (`-pass-pipeline=...`,
/// `-cse`); clap wants two, so those get a second one.
fn with_two_dashes(command: &Command, args: impl IntoIterator<Item = impl Into<OsString>>) -> Vec<OsString> {
    let longs: Vec<&str> = command.get_arguments().filter_map(Arg::get_long).collect();
    let mut options_ended = false;
    args.into_iter()
        .map(Into::into)
        .map(|arg| {
            options_ended |= arg == "--";
            let name = arg.to_str().and_then(|a| a.strip_prefix('-')).map(|a| a.split('=').next().unwrap_or(a));
            match name {
                Some(name) if !options_ended && longs.contains(&name) => {
                    let mut doubled = OsString::from("-");
                    doubled.push(&arg);
                    doubled
                }
                _ => arg,
            }
        })
        .collect()
}

/// Every pass that can be named: ours first, then the upstream ones.
fn pass_names() -> impl Iterator<Item = (&'static str, &'static str)> {
    rram_passes::registry().iter().map(|p| (p.name, p.summary)).chain(UPSTREAM_PASSES)
}

/// Runs rram-opt with `args` (including the program name); returns the exit code.
pub fn run(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let command = command();
    let args = with_two_dashes(&command, args);
    let matches = match command.try_get_matches_from(args) {
        Ok(m) => m,
        Err(error) => return report_usage(&error, stdout, stderr),
    };
    match run_matches(&matches, stdin, stdout, stderr) {
        Ok(()) => 0,
        Err(message) => {
            if !message.is_empty() {
                let _ = writeln!(stderr, "{message}");
            }
            1
        }
    }
}

/// Errors are returned as the text to print; an empty text means the
/// diagnostics were already printed.
fn run_matches(
    matches: &ArgMatches,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<(), String> {
    let output = matches.get_one::<String>("output").map(Path::new);
    if matches.get_flag("list-passes") {
        return emit(&list_passes(), output, stdout);
    }
    if matches.get_flag("emit-irdl") {
        return emit(&irdl_definitions(), output, stdout);
    }

    let pipeline = pipeline_from(matches).map_err(|e| format!("rram-opt: {e}"))?;
    let input = matches.get_one::<String>("input").map(String::as_str).unwrap_or("-");
    let (source_name, text) = read_input(input, stdin)?;
    let options = RunOptions { verify_each: matches.get_one::<bool>("verify-each").copied().unwrap_or(true) };
    let print_after_all = matches.get_flag("print-ir-after-all");
    let print = |module: &Module| {
        if matches.get_flag("mlir-print-debuginfo") {
            module.print_with_locations()
        } else {
            module.print()
        }
    };

    let chip = ArchArgs::from_arg_matches(matches).map_err(|e| format!("rram-opt: {e}"))?;
    let context = Context::new().map_err(|e| e.to_string())?;
    let chunks = if matches.get_flag("split-input-file") { split_input(&text) } else { vec![text.clone()] };
    let mut outputs = Vec::new();
    let mut failed = false;
    for chunk in &chunks {
        let result = context.parse(chunk, &source_name).and_then(|mut module| {
            compile_for(&module, &chip)?;
            let messages = pipeline.run(&mut module, options, |pass, module| {
                if print_after_all {
                    let _ = writeln!(stderr, "// -----// IR Dump After {pass} //----- //\n{}", print(module));
                }
            })?;
            for warning in messages.warnings {
                let _ = writeln!(stderr, "warning: {warning}");
            }
            for remark in messages.remarks {
                let _ = writeln!(stderr, "remark: {}", remark.trim_end());
            }
            // mlir-opt ends each module with an empty line; so do we, for identical text.
            Ok(print(&module) + "\n")
        });
        match result {
            Ok(text) => outputs.push(text),
            Err(error) => {
                failed = true;
                let _ = writeln!(stderr, "{}", render_error(&error, &source_name, &text));
            }
        }
    }
    if failed {
        // Like mlir-opt, show what did succeed; but never write a partial file.
        if output.is_none() {
            let _ = stdout.write_all(outputs.join(&format!("{SPLIT_MARKER}\n")).as_bytes());
        }
        return Err(String::new());
    }
    emit(&outputs.join(&format!("{SPLIT_MARKER}\n")), output, stdout)
}

/// Records the chip the options ask for (`--set` alone changes the one
/// the module carries) on a module that carries none; a module compiled
/// for another chip is an error, never silently retargeted.
fn compile_for(module: &Module, options: &ArchArgs) -> Result<(), Error> {
    let carried = arch::of_module(module).map_err(|e| Error::Pipeline(e.to_string()))?;
    let Some(chip) = options.given(carried.clone()).map_err(Error::Pipeline)? else {
        return Ok(());
    };
    match carried {
        None => arch::attach_to(&chip, module),
        Some(carried) if carried == chip => Ok(()),
        Some(carried) => Err(Error::Pipeline(format!(
            "'{}' is compiled for chip '{}' (its '{ARCH_ATTRIBUTE}' attribute), not for '{}' given by --arch, \
             --preset or --set: compile the network again for that chip",
            module.source_name(),
            carried.name,
            chip.name
        ))),
    }
}

/// The pipeline from `--pass-pipeline`, or from the pass flags in command-line order.
fn pipeline_from(matches: &ArgMatches) -> Result<Pipeline, Error> {
    let mut flagged: Vec<(usize, &str, &str)> = Vec::new();
    for (name, _) in pass_names() {
        if let (Some(indices), Some(values)) = (matches.indices_of(name), matches.get_many::<String>(name)) {
            flagged.extend(indices.zip(values).map(|(i, v)| (i, name, v.as_str())));
        }
    }
    flagged.sort_by_key(|(index, ..)| *index);
    match matches.get_one::<String>("pass-pipeline") {
        Some(_) if !flagged.is_empty() => {
            Err(Error::Pipeline(format!("--pass-pipeline cannot be combined with pass flags (--{})", flagged[0].1)))
        }
        Some(text) => Pipeline::parse(text),
        None => {
            let steps = flagged
                .into_iter()
                .map(|(_, name, options)| Step::new(name, (!options.is_empty()).then_some(options)))
                .collect::<Result<_, _>>()?;
            Ok(Pipeline { steps })
        }
    }
}

fn read_input(input: &str, stdin: &mut dyn Read) -> Result<(String, String), String> {
    let mut bytes = Vec::new();
    let (name, read) = if input == "-" {
        ("<stdin>".to_string(), stdin.read_to_end(&mut bytes))
    } else {
        (input.to_string(), std::fs::File::open(input).and_then(|mut f| f.read_to_end(&mut bytes)))
    };
    read.map_err(|e| format!("rram-opt: cannot read '{name}': {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| format!("rram-opt: '{name}' is not UTF-8 text: {e}"))?;
    Ok((name, text))
}

/// Splits at `// -----` lines. Each chunk is padded with the newlines that
/// precede it, so diagnostics keep the line numbers of the whole file.
fn split_input(text: &str) -> Vec<String> {
    let mut chunks = vec![String::new()];
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if line.trim_end() == SPLIT_MARKER {
            chunks.push("\n".repeat(index + 1));
        } else if let Some(chunk) = chunks.last_mut() {
            chunk.push_str(line);
        }
    }
    chunks
}

fn emit(text: &str, output: Option<&Path>, stdout: &mut dyn Write) -> Result<(), String> {
    match output {
        Some(path) => write_atomically(path, text).map_err(|e| format!("rram-opt: {e}")),
        None => stdout.write_all(text.as_bytes()).map_err(|e| format!("rram-opt: cannot write to stdout: {e}")),
    }
}

fn list_passes() -> String {
    let mut text = String::from("Passes of rram-opt (use in --pass-pipeline or as --NAME):\n");
    for pass in rram_passes::registry() {
        text.push_str(&format!("  {:<24} {}\n", pass.name, pass.summary));
        for (option, description) in pass.options {
            text.push_str(&format!("      {option:<20} {description}\n"));
        }
    }
    text.push_str("Upstream MLIR passes:\n");
    for (name, summary) in UPSTREAM_PASSES {
        text.push_str(&format!("  {name:<24} {summary}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_chunks_keep_absolute_line_numbers() {
        let chunks = split_input("a\nb\n// -----\nc\n// -----\nd\ne\n");
        assert_eq!(chunks, ["a\nb\n", "\n\n\nc\n", "\n\n\n\n\nd\ne\n"]);
    }
}
