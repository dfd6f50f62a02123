//! rram-opt as a process: exit codes, output files, stdin, and that bad
//! input never panics or leaves a file behind.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const VALID: &str = r#"func.func @main(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %r = "nn.relu"(%x) : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %r : tensor<1x4x8x8xf32>
}
"#;

fn rram_opt(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rram-opt"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A child that rejects its command line may exit before reading stdin.
    if let Err(error) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
    }
    child.wait_with_output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn reads_stdin_and_names_it_in_errors() {
    let ok = rram_opt(&[], VALID);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("module {"));

    let bad = rram_opt(&["-"], "func.func @f( {\n");
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).starts_with("<stdin>:1:"), "{}", stderr(&bad));
}

#[test]
fn output_file_is_written_only_on_success() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.mlir", VALID);
    let bad = write(dir.path(), "bad.mlir", &VALID.replace("nn.relu", "nn.rectify"));
    let out = dir.path().join("out.mlir");
    let out_arg = out.to_string_lossy().into_owned();

    let failed = rram_opt(&[&bad, "-o", &out_arg, "--nn-verify-shapes"], "");
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        stderr(&failed).contains("bad.mlir:2:8: error: unregistered operation 'nn.rectify'"),
        "{}",
        stderr(&failed)
    );
    assert!(!out.exists(), "a failed run must not create the output file");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "no temporary file may be left behind");

    let succeeded = rram_opt(&[&good, "-o", &out_arg, "--nn-verify-shapes"], "");
    assert!(succeeded.status.success(), "{}", stderr(&succeeded));
    assert!(succeeded.stdout.is_empty());
    assert!(std::fs::read_to_string(&out).unwrap().contains("\"nn.relu\""));

    // A later failure leaves the earlier result untouched rather than truncated.
    let failed_again = rram_opt(&[&bad, "-o", &out_arg], "");
    assert_eq!(failed_again.status.code(), Some(1));
    assert!(std::fs::read_to_string(&out).unwrap().contains("\"nn.relu\""));
}

#[test]
fn bad_command_lines_exit_1_with_a_reason() {
    let cases: [(&[&str], &str); 6] = [
        (&["--no-such-flag"], "unexpected argument '--no-such-flag'"),
        (&["/no/such/file.mlir"], "cannot read '/no/such/file.mlir'"),
        (&["--pass-pipeline=builtin.module(cse)", "--canonicalize"], "cannot be combined with pass flags"),
        (&["--verify-each=maybe"], "invalid value 'maybe'"),
        (&["--nn-verify-shapes=strict=1"], "pass 'nn-verify-shapes' has no option 'strict'"),
        (&["--pass-pipeline=builtin.module(canonicalize{nope=1})"], "invalid upstream pass 'canonicalize{nope=1}'"),
    ];
    for (args, expected) in cases {
        let output = rram_opt(args, VALID);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
        assert!(!stderr(&output).contains("panicked"), "{args:?}: {}", stderr(&output));
    }
}

/// The error names the path given and the reason: not the temporary file
/// the output is staged in.
#[test]
fn a_write_error_names_the_output_path_and_the_reason_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("missing").join("out");
    let out = out.to_str().unwrap();
    let input = write(dir.path(), "in.mlir", VALID);
    let program = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/lit/sim/linear");
    let runs: [(&str, &[&str]); 3] = [
        ("rram-opt", &[&input, "-o", out]),
        ("rram-translate", &["--zoo", "lenet5", "-o", out]),
        ("rram-sim", &[program, "--trace", out]),
    ];
    for (tool, args) in runs {
        let output = run_tool(tool, args);
        assert_eq!(output.status.code(), Some(1), "{tool}");
        assert_eq!(stderr(&output), format!("{tool}: cannot write '{out}': No such file or directory (os error 2)\n"));
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "nothing but the input");
}

/// Long options with one dash, as mlir-opt takes them.
#[test]
fn long_options_may_have_one_dash() {
    let runs: [&[&str]; 3] = [
        &["-pass-pipeline=builtin.module(nn-verify-shapes,cse)", "-verify-each=false"],
        &["-nn-verify-shapes", "-cse", "-mlir-print-debuginfo"],
        &["-pass-pipeline", "builtin.module(canonicalize)", "-split-input-file"],
    ];
    for args in runs {
        let output = rram_opt(args, VALID);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        assert!(String::from_utf8_lossy(&output.stdout).contains("\"nn.relu\""), "{args:?}");
    }
    let unknown = rram_opt(&["-no-such-flag"], VALID);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("unexpected argument '-n' found"), "{}", stderr(&unknown));
}

#[test]
fn invalid_utf8_and_binary_input_are_errors_not_panics() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rram-opt"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&[0xff, 0xfe, 0x00, 0x01]).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("'<stdin>' is not UTF-8 text"), "{}", stderr(&output));
    let output = rram_opt(&[], "module {\n}\0 {\n}");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with("<stdin>:2:2: error: a NUL byte, which MLIR text cannot contain"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn emit_irdl_prints_the_three_dialects() {
    let output = rram_opt(&["--emit-irdl"], "");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    for dialect in ["irdl.dialect @nn", "irdl.dialect @xbar", "irdl.dialect @msg"] {
        assert!(text.contains(dialect), "missing {dialect}");
    }
}

/// The trace of tests/lit/sim/linear (2 cores, a 1 GHz clock): a name for
/// the process and every row, the bus's row after the cores', every slice's
/// instruction and cycles, timestamps in exact microseconds.
#[test]
fn rram_sim_writes_a_trace_that_describes_every_slice() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("run.json");
    let program = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/lit/sim/linear");
    let traced = run_tool("rram-sim", &[program, "--trace", trace.to_str().unwrap()]);
    assert!(traced.status.success(), "{}", stderr(&traced));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    let events = json["traceEvents"].as_array().unwrap();
    let metadata = |name: &str| -> Vec<(Option<u64>, String)> {
        let named = events.iter().filter(|e| e["ph"] == "M" && e["name"] == name);
        named.map(|e| (e["tid"].as_u64(), e["args"]["name"].as_str().unwrap().to_string())).collect()
    };
    assert_eq!(metadata("process_name"), [(None, "rram-sim on tiny".to_string())]);
    let rows = [(Some(0), "core 0"), (Some(1), "core 1"), (Some(2), "bus")].map(|(t, n)| (t, n.to_string()));
    assert_eq!(metadata("thread_name"), rows);

    let slices: Vec<&serde_json::Value> = events.iter().filter(|e| e["ph"] == "X").collect();
    assert!(slices.iter().any(|e| e["name"] == "MVM" && e["args"]["instruction"] == "MVM x0, l[2], l[0]"));
    assert!(slices.iter().any(|e| e["name"] == "wait sync" && e["args"]["instruction"] == "WAIT 1+p"));
    for slice in &slices {
        let args = &slice["args"];
        assert!(args["instruction"].as_str().is_some_and(|text| !text.is_empty()), "{slice}");
        for (time, cycles) in [("ts", "cycle"), ("dur", "cycles")] {
            // 1000 cycles per microsecond: exact, no float noise.
            let exact = args[cycles].as_u64().unwrap() as f64 / 1000.0;
            assert_eq!(slice[time].to_string(), serde_json::json!(exact).to_string(), "{slice}");
        }
        if slice["tid"] == 2 {
            assert!(args["core"].is_u64() && args["bytes"].is_u64() && args["class"].is_string(), "{slice}");
        }
    }
    let stores = slices.iter().filter(|e| e["name"] == "STORE" && e["tid"] == 1);
    let classes: BTreeSet<&str> = stores.map(|e| e["args"]["class"].as_str().unwrap()).collect();
    assert_eq!(classes, BTreeSet::from(["output"]));
    let load = slices.iter().find(|e| e["name"] == "LOAD" && e["args"]["address"] == 200).unwrap();
    assert_eq!((&load["args"]["words"], &load["args"]["bytes"]), (&serde_json::json!(2), &serde_json::json!(2)));
}

#[test]
fn rram_sim_rejects_what_it_cannot_do() {
    let program = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/lit/sim/linear");
    let sim = |args: &[&str]| run_tool("rram-sim", args);
    let cases: [(&[&str], &str); 3] = [
        (&[program, "--dump", "100:8"], "--dump needs --functional"),
        (&["/no/such/dir"], "/no/such/dir"),
        (&[program, "--functional=int4"], "invalid value 'int4'"),
    ];
    for (args, expected) in cases {
        let output = sim(args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
    }
}

fn run_tool(tool: &str, args: &[&str]) -> Output {
    let binary = match tool {
        "rram-opt" => env!("CARGO_BIN_EXE_rram-opt"),
        "rram-translate" => env!("CARGO_BIN_EXE_rram-translate"),
        "rramc" => env!("CARGO_BIN_EXE_rramc"),
        _ => env!("CARGO_BIN_EXE_rram-sim"),
    };
    Command::new(binary).args(args).output().unwrap()
}

/// The small conv of `tests/lit/sync/conv-cyclic.mlir`, through the chain
/// its RUN line starts: rram-opt (tile, place, sync) for its chip,
/// rram-translate --emit-isa, rram-sim, each on the chip the module
/// carries.
#[test]
fn a_conv_goes_from_mlir_to_a_simulated_program() {
    let dir = tempfile::tempdir().unwrap();
    let conv = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/lit/sync/conv-cyclic.mlir");
    let chip = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/lit/chips/c16x16-s2.toml");
    let programs = dir.path().join("conv.msg.mlir");
    let programs = programs.to_str().unwrap();
    let out = dir.path().join("prog");
    let out = out.to_str().unwrap();
    for mode in ["sequential", "linear", "cyclic"] {
        let pipeline = format!("--pass-pipeline=builtin.module(rram-tile,rram-place,rram-sync{{mode={mode}}})");
        let opt = run_tool("rram-opt", &[conv, "--arch", chip, &pipeline, "-o", programs]);
        assert!(opt.status.success(), "{mode}: {}", stderr(&opt));

        let elsewhere = run_tool("rram-translate", &[programs, "--emit-isa", out, "--preset", "xbar32-bus4"]);
        assert!(stderr(&elsewhere).contains("is compiled for chip 'c16x16-s2'"), "{mode}: {}", stderr(&elsewhere));
        let emit = run_tool("rram-translate", &[programs, "--emit-isa", out]);
        assert!(emit.status.success(), "{mode}: {}", stderr(&emit));
        let report = String::from_utf8_lossy(&emit.stdout);
        assert!(report.contains("3 core programs for c16x16-s2"), "{report}");
        assert!(report.contains("output   s[576..640]"), "{report}");
        let mut files: Vec<String> =
            std::fs::read_dir(out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        files.sort();
        assert_eq!(files, ["arch.toml", "core0.isa", "core1.isa", "core2.isa"], "{mode}");

        let sim = run_tool("rram-sim", &[out]);
        assert!(sim.status.success(), "{mode}: {}", stderr(&sim));
        let stats = String::from_utf8_lossy(&sim.stdout);
        assert!(stats.contains("3 cores on c16x16-s2\n"), "{mode}: {stats}");
    }
}

#[test]
fn emit_isa_writes_a_whole_directory_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    };
    let program = |core: u32| {
        format!("func.func @core_{core}() attributes {{msg.core = {core} : i64}} {{\n  \"msg.halt\"() : () -> ()\n  return\n}}\n")
    };
    let two = write("two.mlir", &(program(0) + &program(1)));
    let one = write("one.mlir", &program(0));
    let bad = write("bad.mlir", &program(0).replace("\"msg.halt\"() : () -> ()", "func.call @core_0() : () -> ()"));
    let out = dir.path().join("prog");
    let out_arg = out.to_str().unwrap();
    let listing = || {
        let mut names: Vec<String> =
            std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    };

    let failed = run_tool("rram-translate", &[&bad, "--emit-isa", out_arg]);
    assert_eq!(failed.status.code(), Some(1));
    assert!(stderr(&failed).contains("'func.call' op calls @core_0, which is not a role"), "{}", stderr(&failed));
    assert!(!out.exists(), "a failed run must not create the directory");

    assert!(run_tool("rram-translate", &[&two, "--emit-isa", out_arg]).status.success());
    assert_eq!(listing(), ["arch.toml", "core0.isa", "core1.isa"]);
    // A new program replaces the old one whole: no stale core1.isa.
    assert!(run_tool("rram-translate", &[&one, "--emit-isa", out_arg]).status.success());
    assert_eq!(listing(), ["arch.toml", "core0.isa"]);
    // A failure leaves the previous program as it was.
    assert_eq!(run_tool("rram-translate", &[&bad, "--emit-isa", out_arg]).status.code(), Some(1));
    assert_eq!(listing(), ["arch.toml", "core0.isa"]);
    // No temporary directory is left next to it.
    let siblings = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(siblings, 4, "three inputs and the program directory");

    // A directory that holds something else is not replaced.
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let refused = run_tool("rram-translate", &[&two, "--emit-isa", out_arg]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("holds 'notes.txt', which this command does not write"), "{}", stderr(&refused));
    assert_eq!(listing(), ["arch.toml", "core0.isa", "notes.txt"]);

    let cases: [(&[&str], &str); 3] = [
        (&[&one], "--emit-isa <DIR>"),
        (&["--zoo", "lenet5", "--preset", "xbar32-bus4"], "--arch, --preset and --set go with --emit-isa"),
        (&[&one, "--emit-isa", out_arg, "--summary"], "cannot be used with"),
    ];
    for (args, expected) in cases {
        let output = run_tool("rram-translate", args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
    }
}

/// `--set` changes a field wherever an architecture is chosen; `rramc arch`
/// prints the result as a file that reads back the same.
#[test]
fn set_changes_a_field_of_the_chosen_architecture() {
    let dir = tempfile::tempdir().unwrap();
    let set = ["--set", "core.remote_writes=true", "--set", "name=forward"];
    let shown = run_tool("rramc", &[&["arch", "--preset", "xbar32-bus16"][..], &set].concat());
    assert!(shown.status.success(), "{}", stderr(&shown));
    let text = String::from_utf8_lossy(&shown.stdout).into_owned();
    assert!(text.starts_with("name = \"forward\"\n") && text.contains("\nremote_writes = true\n"), "{text}");
    let file = write(dir.path(), "forward.toml", &text);
    let reread = run_tool("rramc", &["arch", &file]);
    assert_eq!(String::from_utf8_lossy(&reread.stdout), text);

    let program = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/lit/sim/linear");
    let cycles = |args: &[&str]| {
        let output = run_tool("rram-sim", &[&[program, "--json"][..], args].concat());
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()["cycles"].as_u64().unwrap()
    };
    assert!(cycles(&["--set", "bus.width_bytes=64"]) < cycles(&[]), "a wider bus than arch.toml's 4 bytes");

    let cases: [(&str, &[&str], &str); 3] = [
        (
            "rramc",
            &["arch", "--set", "core.remote_write=true"],
            "--set core.remote_write=true: unknown field `remote_write`",
        ),
        ("rramc", &["arch", "--set", "core.count"], "expected KEY=VALUE"),
        ("rram-sim", &[program, "--set", "core.count=1"], "core 1 has a program, the chip has 1 cores (core.count)"),
    ];
    for (tool, args, expected) in cases {
        let output = run_tool(tool, args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
    }
}

/// `rramc paper` on LeNet-5's two convs and one setup: the report files,
/// the CSV under its fixed header, and errors that leave nothing behind.
#[test]
fn rramc_paper_writes_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    let out_arg = out.to_string_lossy().into_owned();
    let run =
        run_tool("rramc", &["paper", "--out", &out_arg, "--networks", "lenet5", "--xbars", "32", "--buses", "64"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("2 layers x 1 setups"), "{stdout}");
    for file in ["paper.csv", "paper.md", "speedup-vs-pv.svg", "pct-pv-vs-cores.svg", "sync-overhead.svg"] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let csv = std::fs::read_to_string(out.join("paper.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "network,layer,xbar,bus_bytes,cores,h,v,pv,seq_cycles,linear_cycles,cyclic_cycles,speedup_linear,\
         speedup_cyclic,pct_pv_linear,pct_pv_cyclic,sync_bytes,total_bus_bytes,sync_overhead_pct,sync_memory_bytes"
    );
    assert_eq!(lines.len(), 3);
    assert!(lines[1..].iter().all(|l| l.split(',').count() == 19 && l.starts_with("lenet5,")), "{csv}");
    assert!(!out.join("exchange.csv").exists(), "only with --exchange auto");

    // With --exchange auto, the chosen plans too, and how they fare.
    let args =
        ["paper", "--out", &out_arg, "--networks", "lenet5", "--xbars", "32", "--buses", "64", "--exchange", "auto"];
    let run = run_tool("rramc", &args);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(String::from_utf8_lossy(&run.stdout).contains(">= 99% of attainable"));
    let exchange = std::fs::read_to_string(out.join("exchange.csv")).unwrap();
    assert_eq!(
        exchange.lines().next(),
        Some(
            "network,layer,xbar,bus_bytes,cores,h,pv,plan,cycles,pct_pv,attainable_pct_pv,pct_of_attainable,\
             best_hand_pct_pv,predicted_cycles,sync_overhead_pct"
        )
    );
    assert_eq!(exchange.lines().count(), 3);

    let empty = dir.path().join("none");
    let empty_arg = empty.to_string_lossy().into_owned();
    for (args, message) in [
        (vec!["--networks", "lenet6"], "unknown model 'lenet6'"),
        (vec!["--xbars", "0"], "crossbar.rows must be between 1 and 4096, got 0"),
        (vec!["--buses", "x"], "invalid value 'x' for '--buses <BYTES>'"),
        (vec!["--xbars", "3"], "crossbar.cols must be between 4 (one weight's cells) and 4096, got 3"),
        (vec!["--threads", "0"], "invalid value '0' for '--threads <N>'"),
    ] {
        let mut full = vec!["paper", "--out", &empty_arg];
        full.extend(args);
        let run = run_tool("rramc", &full);
        assert_eq!(run.status.code(), Some(1));
        assert!(stderr(&run).contains(message), "{}", stderr(&run));
        assert!(!empty.exists(), "nothing is written on failure");
    }
}

/// `rramc check` on LeNet-5 with its real weights and input: every conv in
/// every scheme and numeric mode matches the reference; a bad input file is
/// an error that names it.
#[test]
fn rramc_check_verifies_every_conv_of_a_network() {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
    let onnx = models.join("lenet5.full.onnx").to_string_lossy().into_owned();
    let input = models.join("lenet5.input.txt").to_string_lossy().into_owned();
    let run = run_tool("rramc", &["check", "--import-onnx", &onnx, "--input", &input, "--preset", "xbar32-bus16"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.ends_with("12 of 12 checks passed\n"), "{stdout}");
    assert_eq!(stdout.matches(": ok").count(), 12, "{stdout}");

    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "input.txt", "0.5\nhalf\n");
    let run = run_tool("rramc", &["check", "--import-onnx", &onnx, "--input", &bad]);
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains("input.txt: value 2 is not a number: 'half'"), "{}", stderr(&run));
}

/// A reader that stops reading (`rram-sim prog | head -1`) is no error:
/// whichever comes first, the tool's write or the reader's exit, the run
/// ends quietly and successfully.
#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let program = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/lit/sim/linear");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rram-sim"))
        .args([program, "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!((output.status.code(), stderr(&output)), (Some(0), String::new()));
}

/// The project's `models/` directory, as an argument.
fn model(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models").join(name).to_string_lossy().into_owned()
}

fn numbers(text: &str) -> Vec<f64> {
    text.split_whitespace().map(|word| word.parse().unwrap()).collect()
}

/// `run` (an `rramc run` of LeNet-5 on its input) succeeded and printed
/// its ONNX reference output, within 1e-4.
fn assert_lenet5_output(run: &Output) {
    assert!(run.status.success(), "{}", stderr(run));
    let expected = numbers(&std::fs::read_to_string(model("lenet5.output.txt")).unwrap());
    let actual = numbers(&String::from_utf8_lossy(&run.stdout));
    assert_eq!(actual.len(), expected.len());
    for (a, e) in actual.iter().zip(&expected) {
        assert!((a - e).abs() <= 1e-4 * e.abs().max(1e-3), "chip {a}, reference {e}");
    }
}

/// The `report.json` of the compilation directory `dir`.
fn report_json(dir: impl AsRef<Path>) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.as_ref().join("report.json")).unwrap()).unwrap()
}

#[test]
fn rramc_run_computes_lenet5_on_the_chip() {
    let run =
        run_tool("rramc", &["run", "--import-onnx", &model("lenet5.full.onnx"), "--input", &model("lenet5.input.txt")]);
    assert_lenet5_output(&run);
}

#[test]
fn rramc_run_refuses_what_it_cannot_run_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let short = write(dir.path(), "short.txt", "1\n2\n3\n");
    let out = dir.path().join("out.txt").to_string_lossy().into_owned();
    let (full, structure, input) = (model("lenet5.full.onnx"), model("lenet5.struct.onnx"), model("lenet5.input.txt"));
    let cases = [
        (vec!["--import-onnx", &full, "--input", &short], "the network's input has 1024 values, 3 given"),
        (vec!["--import-onnx", &structure, "--input", &input], "has no values: the network has no weights to run"),
        (vec!["--import-onnx", &full, "--input", &input, "--cores", "2"], "the network needs 13 cores"),
    ];
    for (args, message) in cases {
        let args: Vec<&str> = ["run", "-o", &out].into_iter().chain(args).collect();
        let refused = run_tool("rramc", &args);
        assert_eq!(refused.status.code(), Some(1), "{args:?}");
        assert!(stderr(&refused).contains(message), "{}", stderr(&refused));
        assert!(!Path::new(&out).exists());
    }
}

#[test]
fn rramc_compile_writes_every_level_and_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("testnet");
    let out_arg = out.to_string_lossy().into_owned();
    let compiled = run_tool("rramc", &["compile", "--zoo", "testnet", "-o", &out_arg]);
    assert!(compiled.status.success(), "{}", stderr(&compiled));
    assert!(String::from_utf8_lossy(&compiled.stdout).starts_with("testnet on default (layer-by-layer): "));
    let names: BTreeSet<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    let expected =
        ["msg.mlir", "nn.mlir", "program", "report.json", "report.md", "timeline.svg", "trace.json", "xbar.mlir"];
    assert_eq!(names, expected.iter().map(|s| s.to_string()).collect());
    let report = report_json(&out);
    for key in [
        "model",
        "arch",
        "network_sync",
        "cores_used",
        "crossbars_used",
        "latency_cycles",
        "latency_us",
        "speedup_vs_layer_by_layer",
        "bus_utilization",
        "bus_bytes",
        "sync_memory_bytes",
        "peak_shared_memory_bytes",
        "compile_seconds",
        "simulate_seconds",
        "layers",
    ] {
        assert!(report.get(key).is_some(), "report.json lacks '{key}'");
    }
    let layers = report["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 9, "every layer on the chip: 4 convs, a dense, 3 pools, the add; not the concat");
    for key in ["name", "kind", "cores", "h", "v", "pv", "start_cycle", "end_cycle"] {
        assert!(layers.iter().all(|layer| layer.get(key).is_some()), "a layer lacks '{key}'");
    }
    let last_end = layers.last().unwrap()["end_cycle"].as_u64().unwrap();
    assert_eq!(last_end, report["latency_cycles"].as_u64().unwrap());
    // The program directory runs as it is.
    let program = out.join("program").to_string_lossy().into_owned();
    let simulated = run_tool("rram-sim", &[&program, "--json"]);
    assert!(simulated.status.success(), "{}", stderr(&simulated));
    let stats: serde_json::Value = serde_json::from_slice(&simulated.stdout).unwrap();
    assert_eq!(stats["cycles"], report["latency_cycles"]);
    // So do the programs translated from msg.mlir, on the chip it carries.
    let translated = dir.path().join("translated").to_string_lossy().into_owned();
    let msg = out.join("msg.mlir").to_string_lossy().into_owned();
    let emitted = run_tool("rram-translate", &[&msg, "--emit-isa", &translated]);
    assert!(emitted.status.success(), "{}", stderr(&emitted));
    let resimulated = run_tool("rram-sim", &[&translated, "--json"]);
    let stats: serde_json::Value = serde_json::from_slice(&resimulated.stdout).unwrap();
    assert_eq!(stats["cycles"], report["latency_cycles"]);

    // A directory holding something else is left alone.
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let refused = run_tool("rramc", &["compile", "--zoo", "testnet", "-o", &out_arg]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("holds 'notes.txt', which this command does not write"), "{}", stderr(&refused));
    assert_eq!(std::fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
}

#[test]
fn rramc_pipelines_a_network_on_a_chip_with_the_registers_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("testnet").to_string_lossy().into_owned();
    let args = ["compile", "--zoo", "testnet", "--network-sync", "pipelined", "-o", &out];
    let refused = run_tool("rramc", &args);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("pipelined synchronization needs 4 sequence registers per core (sync.registers)"),
        "{}",
        stderr(&refused)
    );
    assert!(!Path::new(&out).exists());
    let compiled = run_tool("rramc", &[&args[..], &["--set", "sync.registers=4"]].concat());
    assert!(compiled.status.success(), "{}", stderr(&compiled));
    let report = report_json(&out);
    assert_eq!(report["network_sync"], "pipelined");
    assert!(report["speedup_vs_layer_by_layer"].as_f64().unwrap() > 1.0, "{report}");
    assert_eq!(report["sync_memory_bytes"].as_u64().unwrap(), report["cores_used"].as_u64().unwrap() * 4 * 4);

    let (full, input) = (model("lenet5.full.onnx"), model("lenet5.input.txt"));
    let pipelined = ["run", "--import-onnx", &full, "--input", &input, "--network-sync", "pipelined"];
    let int8 = run_tool("rramc", &[&pipelined[..], &["--set", "sync.registers=3", "--int8"]].concat());
    assert!(int8.status.success(), "{}", stderr(&int8));
    // Int8 words scaled back by a power of two.
    let outputs = numbers(&String::from_utf8_lossy(&int8.stdout));
    assert_eq!(outputs.len(), 10);
    assert!(outputs.iter().all(|v| (v * 65536.0).fract() == 0.0), "{outputs:?}");
    let run = run_tool("rramc", &[&pipelined[..], &["--set", "sync.registers=3"]].concat());
    assert_lenet5_output(&run);
}

#[test]
fn rramc_compiles_a_hand_written_module_whole_or_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out").to_string_lossy().into_owned();
    let module = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/lit/graph/hand-written.mlir");
    let module = module.to_string_lossy().into_owned();
    let cycle = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/lit/compile/cycle.mlir");
    let refused = run_tool("rramc", &["compile", &cycle.to_string_lossy(), "-o", &out]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("does not dominate this use"), "{}", stderr(&refused));
    assert!(!Path::new(&out).exists());
    for sync in ["layer-by-layer", "pipelined"] {
        let args = ["compile", &module, "--network-sync", sync, "--set", "sync.registers=8", "-o", &out];
        let compiled = run_tool("rramc", &args);
        assert!(compiled.status.success(), "{}", stderr(&compiled));
        let nn = std::fs::read_to_string(Path::new(&out).join("nn.mlir")).unwrap();
        assert_eq!(nn, std::fs::read_to_string(&module).unwrap());
    }
}

#[test]
fn a_compiled_network_with_its_input_runs_with_values_in_rram_sim() {
    let dir = tempfile::tempdir().unwrap();
    let (full, input) = (model("lenet5.full.onnx"), model("lenet5.input.txt"));
    for (numeric, extra) in
        [("f32", vec![]), ("int8", vec!["--int8", "--network-sync", "pipelined", "--set", "sync.registers=3"])]
    {
        let out = dir.path().join(numeric).to_string_lossy().into_owned();
        let args = [vec!["compile", "--import-onnx", &full, "--input", &input, "-o", &out], extra].concat();
        let compiled = run_tool("rramc", &args);
        assert!(compiled.status.success(), "{}", stderr(&compiled));
        let program = Path::new(&out).join("program").to_string_lossy().into_owned();
        let simulated = run_tool("rram-sim", &[&program, &format!("--functional={numeric}")]);
        assert!(simulated.status.success(), "{numeric}: {}", stderr(&simulated));
    }
    let module = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/lit/graph/hand-written.mlir");
    let out = dir.path().join("module").to_string_lossy().into_owned();
    let refused = run_tool("rramc", &["compile", &module.to_string_lossy(), "--input", &input, "-o", &out]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("holds no weights: --input needs --zoo or --import-onnx"),
        "{}",
        stderr(&refused)
    );
    assert!(!Path::new(&out).exists());
}

#[test]
fn duplication_replicates_the_slow_layers_and_keeps_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let cycles = |duplicate: &str| {
        let out = dir.path().join(duplicate).to_string_lossy().into_owned();
        let args = ["compile", "--zoo", "testnet", "--duplicate", duplicate, "--explain", "-o", &out];
        let compiled = run_tool("rramc", &args);
        assert!(compiled.status.success(), "{}", stderr(&compiled));
        let explained = format!("remark: rram-duplicate: {duplicate}: ");
        assert!(stderr(&compiled).starts_with(&explained), "{}", stderr(&compiled));
        let report = report_json(&out);
        let replicas: Vec<(String, i64)> = report["layers"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|l| Some((l["name"].as_str()?.to_string(), l["duplication"].as_i64()?)))
            .collect();
        // xbar.mlir's grids (rram-duplicate) carry the replicas the programs have.
        let xbar = std::fs::read_to_string(Path::new(&out).join("xbar.mlir")).unwrap();
        let attribute = |line: &str, name: &str| line.split(&format!("{name} = ")).nth(1).map(|rest| rest.to_string());
        let grids: Vec<(String, i64)> = xbar
            .lines()
            .filter(|line| line.contains("\"xbar.grid\""))
            .map(|line| {
                let layer = attribute(line, "layer").unwrap();
                let replicas = attribute(line, "replicas").unwrap();
                let layer = layer.trim_start_matches('"').split('"').next().unwrap().to_string();
                (layer, replicas.split(' ').next().unwrap().parse().unwrap())
            })
            .collect();
        assert_eq!(grids, replicas, "xbar.mlir against report.json");
        let replicas: Vec<i64> = replicas.into_iter().map(|(_, d)| d).collect();
        (report["latency_cycles"].as_u64().unwrap(), replicas)
    };
    let (none, replicas) = cycles("none");
    assert!(replicas.iter().all(|&d| d == 1));
    let (greedy, _) = cycles("greedy");
    let (exact, replicas) = cycles("exact");
    assert!(replicas.iter().any(|&d| d > 1), "{replicas:?}");
    assert!(exact < none && greedy < none, "none {none}, greedy {greedy}, exact {exact}");

    // A budget bounds the replicas' cores; one below a copy of each layer is an error.
    let out = dir.path().join("budget").to_string_lossy().into_owned();
    let args = ["compile", "--zoo", "testnet", "--duplicate", "exact", "--budget", "12", "-o", &out];
    let compiled = run_tool("rramc", &args);
    assert!(compiled.status.success(), "{}", stderr(&compiled));
    let report = report_json(&out);
    assert!(report["cores_used"].as_u64().unwrap() <= 12, "{report}");
    let args = ["compile", "--zoo", "testnet", "--duplicate", "greedy", "--budget", "3", "-o", &out];
    let refused = run_tool("rramc", &args);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("the layers need 5 cores with one replica each, the budget is 3"));
    let refused =
        run_tool("rramc", &["compile", "--zoo", "testnet", "--duplicate", "none", "--budget", "9", "-o", &out]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("--budget bounds the replicas of --duplicate greedy or exact"));

    let (full, input) = (model("lenet5.full.onnx"), model("lenet5.input.txt"));
    let run = run_tool("rramc", &["run", "--import-onnx", &full, "--input", &input, "--duplicate", "exact"]);
    assert_lenet5_output(&run);
}

#[test]
fn streaming_reports_the_steady_state_with_and_without_duplication() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("stream").to_string_lossy().into_owned();
    let args =
        ["compile", "--zoo", "testnet", "--preset", "wholenet", "--network-sync", "pipelined", "--inferences", "3"];
    let compiled = run_tool("rramc", &[&args[..], &["-o", &out]].concat());
    assert!(compiled.status.success(), "{}", stderr(&compiled));
    assert!(String::from_utf8_lossy(&compiled.stdout).contains("3 inferences streamed: "));
    let report = report_json(&out);
    let streaming = &report["streaming"];
    assert_eq!(streaming["inferences"], 3);
    assert_eq!(streaming["latency_cycles"], report["latency_cycles"]);
    let interval = |run: &serde_json::Value| run["steady_state_interval_cycles"].as_f64().unwrap();
    // Pipelined, inferences overlap: one every interval, well under the latency.
    assert!(interval(streaming) < report["latency_cycles"].as_f64().unwrap() / 2.0, "{streaming}");
    let plain = &streaming["without_duplication"];
    assert!(interval(plain) > interval(streaming), "{streaming}");
    let throughput = streaming["throughput_inferences_per_s"].as_f64().unwrap();
    assert!((throughput - 1e9 / interval(streaming)).abs() < 1e-6 * throughput, "{streaming}");

    let refused = run_tool("rramc", &["compile", "--zoo", "testnet", "--inferences", "0", "-o", &out]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("invalid value '0' for '--inferences <N>'"), "{}", stderr(&refused));
}
