//! rram-opt as a process: exit codes, output files, stdin, and that bad
//! input never panics or leaves a file behind.

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

#[test]
fn rram_sim_writes_a_trace_and_rejects_what_it_cannot_do() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("run.json");
    let program = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/lit/sim/linear");
    let sim = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_rram-sim")).args(args).output().unwrap();
    let traced = sim(&[program, "--trace", trace.to_str().unwrap()]);
    assert!(traced.status.success(), "{}", stderr(&traced));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    assert!(json["traceEvents"].as_array().unwrap().iter().any(|e| e["name"] == "MVM"));

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
/// its RUN line starts: rram-opt (tile, place, sync), rram-translate
/// --emit-isa, rram-sim.
#[test]
fn a_conv_goes_from_mlir_to_a_simulated_program() {
    let dir = tempfile::tempdir().unwrap();
    let conv = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/lit/sync/conv-cyclic.mlir");
    let programs = dir.path().join("conv.msg.mlir");
    let programs = programs.to_str().unwrap();
    let out = dir.path().join("prog");
    let out = out.to_str().unwrap();
    for mode in ["sequential", "linear", "cyclic"] {
        let pipeline = format!(
            "--pass-pipeline=builtin.module(rram-tile{{rows=16 cols=16 slices=2}},rram-place{{cores=4}},rram-sync{{mode={mode}}})"
        );
        let opt = run_tool("rram-opt", &[conv, &pipeline, "-o", programs]);
        assert!(opt.status.success(), "{mode}: {}", stderr(&opt));

        let emit = run_tool("rram-translate", &[programs, "--emit-isa", out, "--preset", "xbar32-bus4"]);
        assert!(emit.status.success(), "{mode}: {}", stderr(&emit));
        let report = String::from_utf8_lossy(&emit.stdout);
        assert!(report.contains("3 core programs for xbar32-bus4"), "{report}");
        assert!(report.contains("output   s[576..640]"), "{report}");
        let mut files: Vec<String> =
            std::fs::read_dir(out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        files.sort();
        assert_eq!(files, ["arch.toml", "core0.isa", "core1.isa", "core2.isa"], "{mode}");

        let sim = run_tool("rram-sim", &[out]);
        assert!(sim.status.success(), "{mode}: {}", stderr(&sim));
        let stats = String::from_utf8_lossy(&sim.stdout);
        assert!(stats.contains("3 cores on xbar32-bus4"), "{mode}: {stats}");
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
    assert!(stderr(&failed).contains("'func.call' op is not an instruction"), "{}", stderr(&failed));
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
    assert!(stderr(&refused).contains("holds 'notes.txt', which is not part of a program"), "{}", stderr(&refused));
    assert_eq!(listing(), ["arch.toml", "core0.isa", "notes.txt"]);

    let cases: [(&[&str], &str); 3] = [
        (&[&one], "--emit-isa <DIR>"),
        (&["--zoo", "lenet5", "--preset", "xbar32-bus4"], "--arch and --preset go with --emit-isa"),
        (&[&one, "--emit-isa", out_arg, "--summary"], "cannot be used with"),
    ];
    for (args, expected) in cases {
        let output = run_tool("rram-translate", args);
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
