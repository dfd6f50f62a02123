//! The rram-opt inputs of the lit tests, mutated byte by byte, through
//! rram-opt's entry point: parsing, our verifiers and a pipeline must
//! answer with a module or a clean error (exit 1, a message naming the
//! input), never a panic. The ONNX importer and the architecture reader
//! have their own mutation fuzzers in `compiler/tests/onnx.rs` and
//! `compiler/tests/arch.rs`; this one shares their mutations.

#[path = "../compiler/tests/common/mutation.rs"]
mod mutation;

use mutation::{mutate, mutations};
use proptest::prelude::*;
use rram_tests::lit_files;
use std::sync::OnceLock;

/// Bytes that change MLIR's structure or a number: sigils, brackets,
/// separators and digits.
const STRUCTURAL_BYTES: &[u8] = b"%^#!@\"(){}<>[]:,=x-.0123456789 \n\xff";

/// Shape checks, batchnorm folding and the upstream cleanups. Tiling is
/// left out: a mutated digit can make a layer of millions of tiles, which
/// rram-tile builds when it is not told the chip (rramc tells it).
const PIPELINE: &str = "--pass-pipeline=builtin.module(nn-verify-shapes,nn-fold-batchnorm,canonicalize,cse)";

/// The lit inputs that rram-opt reads.
fn inputs() -> &'static [String] {
    static INPUTS: OnceLock<Vec<String>> = OnceLock::new();
    INPUTS.get_or_init(|| {
        let texts = lit_files().into_iter().map(|path| std::fs::read_to_string(path).unwrap());
        texts.filter(|text| text.starts_with("// RUN: rram-opt")).collect()
    })
}

fn check_rram_opt_on(input: &[u8]) -> Result<(), TestCaseError> {
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let args = ["rram-opt", "-", "--split-input-file", PIPELINE];
    let exit_code = rram_tools::opt::run(args, &mut &input[..], &mut stdout, &mut stderr);
    let (stderr, input) = (String::from_utf8_lossy(&stderr), String::from_utf8_lossy(input));
    match exit_code {
        0 => prop_assert!(!stdout.is_empty(), "no output for:\n{input}"),
        1 => prop_assert!(
            stderr.starts_with("<stdin>:") || stderr.starts_with("rram-opt: '<stdin>'"),
            "stderr '{stderr}' for:\n{input}"
        ),
        other => prop_assert!(false, "exit code {other}: {stderr} for:\n{input}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn mutated_mlir_never_panics(input in any::<prop::sample::Index>(), mutations in mutations(STRUCTURAL_BYTES, 1..6)) {
        let inputs = inputs();
        prop_assert!(!inputs.is_empty());
        check_rram_opt_on(&mutate(inputs[input.index(inputs.len())].clone().into_bytes(), &mutations))?;
    }
}
