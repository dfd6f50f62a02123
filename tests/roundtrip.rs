//! Upstream MLIR must read what we print: every module a lit test prints,
//! and a whole network's `msg` module, is fed to `mlir-opt-22
//! --irdl-file=<our dialects>`, which must print the very same text back.

use rram_compiler::arch::Architecture;
use rram_compiler::frontend::zoo;
use rram_compiler::whole_network::{compile_network, NetworkSync, Options};
use rram_dialects::Context;
use rram_tests::{lit_files, LitTest, Tool};
use std::io::Write;
use std::process::{Command, Stdio};

fn mlir_opt() -> &'static str {
    ["mlir-opt-22", "/usr/lib/llvm-22/bin/mlir-opt"]
        .into_iter()
        .find(|p| Command::new(p).arg("--version").output().is_ok_and(|o| o.status.success()))
        .expect("mlir-opt-22 not found: run scripts/setup-mlir.sh (the README's test command does)")
}

/// Flags of ours that change how output is printed, which mlir-opt shares.
const PRINTING_FLAGS: [&str; 2] = ["--split-input-file", "--mlir-print-debuginfo"];

/// Our dialect definitions, in a file for `--irdl-file`.
fn irdl_file() -> tempfile::NamedTempFile {
    let mut irdl = tempfile::NamedTempFile::new().unwrap();
    irdl.write_all(rram_dialects::irdl_definitions().as_bytes()).unwrap();
    irdl
}

fn upstream_print(irdl: &std::path::Path, text: &str, flags: &[&str]) -> Result<String, String> {
    let mut command = Command::new(mlir_opt());
    command.arg(format!("--irdl-file={}", irdl.display())).args(flags);
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

#[test]
fn printed_ir_round_trips_through_upstream_mlir_opt() {
    let irdl = irdl_file();
    let mut checked = 0;
    let mut failures = Vec::new();
    for path in lit_files() {
        let test = LitTest::parse(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
        let outcome = test.run();
        // Modules print as `module {`, or with their locations first (`#loc`).
        let is_ir = outcome.stdout.starts_with("module") || outcome.stdout.starts_with("#loc");
        if outcome.exit_code != 0 || !is_ir {
            continue;
        }
        let mut flags: Vec<&str> = PRINTING_FLAGS.into_iter().filter(|f| test.args.iter().any(|a| a == f)).collect();
        // rram-translate and rramc always print locations.
        if test.tool != Tool::Opt && !flags.contains(&"--mlir-print-debuginfo") {
            flags.push("--mlir-print-debuginfo");
        }
        match upstream_print(irdl.path(), &outcome.stdout, &flags) {
            Ok(text) if text == outcome.stdout => checked += 1,
            Ok(text) => {
                failures.push(format!("{}: mlir-opt printed\n{text}\nwe printed\n{}", path.display(), outcome.stdout))
            }
            Err(error) => failures.push(format!("{}: mlir-opt rejected our output:\n{error}", path.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(checked >= 20, "only {checked} lit tests print IR; expected at least 20");
}

#[test]
fn whole_network_msg_module_round_trips_through_upstream_mlir_opt() {
    let network = zoo::build("testnet").unwrap();
    let chip = Architecture::default().with_settings(&[("sync.registers".into(), "8".into())]).unwrap();
    let irdl = irdl_file();
    for sync in [NetworkSync::LayerByLayer, NetworkSync::Pipelined] {
        let compiled = compile_network(&network, &chip, Options::new(sync), None).unwrap_or_else(|e| panic!("{e}"));
        let context = Context::new().unwrap();
        // As rram-opt prints a module: on lines of its own.
        let text = format!("{}\n", compiled.msg_module(&context).unwrap_or_else(|e| panic!("{e}")).print());
        match upstream_print(irdl.path(), &text, &[]) {
            Ok(upstream) => assert!(upstream == text, "mlir-opt printed\n{upstream}\nwe printed\n{text}"),
            Err(error) => panic!("mlir-opt rejected testnet's msg module ({sync:?}):\n{error}"),
        }
    }
}
