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
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
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
