//! The text form of the instruction set: hand-written programs parse to the
//! structures they mean, every error names its line and column exactly,
//! printing is canonical and reads back unchanged (property tests), mutated
//! programs never panic, and the example of docs/isa.md is accepted.

use std::path::Path;

mod common;

use common::mutation::{mutate, mutations};
use proptest::prelude::*;
use rram_isa::{
    parse_core, parse_memory, print_core, print_memory, Affine, BinaryOp, Class, CoreProgram, Crossbar, Instr,
    MemoryInit, ParseError, UnaryOp,
};

fn parse(text: &str) -> CoreProgram {
    parse_core(text, "core0.isa").unwrap_or_else(|error| panic!("{error}"))
}

/// The message a user sees for `text`.
fn error_of(text: &str) -> String {
    match parse_core(text, "core0.isa") {
        Ok(program) => panic!("expected an error for {text:?}, got {program:?}"),
        Err(error) => error.to_string(),
    }
}

fn memory_error_of(text: &str) -> String {
    match parse_memory(text, "memory.txt") {
        Ok(memory) => panic!("expected an error for {text:?}, got {memory:?}"),
        Err(error) => error.to_string(),
    }
}

fn constant(value: i64) -> Affine {
    Affine::constant(value)
}

fn var(name: &str) -> Affine {
    Affine::constant(0).plus(name, 1)
}

// ---- hand-written programs ----

const HAND_WRITTEN: &str = "\
; a hand-written core program
.core 3
.xbar 0 2x3
  1.5 -2 0      # row 0
  0.25 4 inf
.xbar 7 128x64  ; no weights: timing only

LOOP p, 64
  load  l[0], s[1024+27*p], 27, input
  MVM   x0, l[128], l[0]
  Store s[8192 + 64*p], l[128] ,16,partial
  mov   l[0], l[64], 16
  ADD   l[128], l[128], l[192], 16
  BIAS  l[128], l[128], l[192], 16
  MAX   l[128], l[128], l[192], 16
  RELU  l[128], l[128], 16
  CLIP  l[128], l[128], 16, 0, 6
  AVG   l[0], l[0], 16, 9
  LOOP q, 3
    CALL  c1, p+1 + 2*q - q
    WAIT  3*q + p*2 - 1
  END
  LOAD  l[0], s[-p], 1, sync
  STORE s[0], l[1], 2, OUTPUT
END
BARRIER 0
HALT
";

#[test]
fn hand_written_program_parses_to_what_it_means() {
    let l128 = || constant(128);
    let l192 = || constant(192);
    let expected = CoreProgram {
        core: 3,
        crossbars: vec![
            Crossbar { index: 0, rows: 2, cols: 3, weights: Some(vec![1.5, -2.0, 0.0, 0.25, 4.0, f64::INFINITY]) },
            Crossbar { index: 7, rows: 128, cols: 64, weights: None },
        ],
        body: vec![
            Instr::Loop {
                var: "p".into(),
                count: 64,
                body: vec![
                    Instr::Load {
                        local: constant(0),
                        shared: constant(1024).plus("p", 27),
                        n: 27,
                        class: Class::Input,
                    },
                    Instr::Mvm { xbar: 0, dst: l128(), src: constant(0) },
                    Instr::Store { shared: constant(8192).plus("p", 64), local: l128(), n: 16, class: Class::Partial },
                    Instr::Mov { dst: constant(0), src: constant(64), n: 16 },
                    Instr::Binary { op: BinaryOp::Add, dst: l128(), a: l128(), b: l192(), n: 16 },
                    Instr::Binary { op: BinaryOp::Bias, dst: l128(), a: l128(), b: l192(), n: 16 },
                    Instr::Binary { op: BinaryOp::Max, dst: l128(), a: l128(), b: l192(), n: 16 },
                    Instr::Unary { op: UnaryOp::Relu, dst: l128(), a: l128(), n: 16 },
                    Instr::Unary { op: UnaryOp::Clip { lo: 0.0, hi: 6.0 }, dst: l128(), a: l128(), n: 16 },
                    Instr::Unary { op: UnaryOp::Avg { count: 9 }, dst: constant(0), a: constant(0), n: 16 },
                    Instr::Loop {
                        var: "q".into(),
                        count: 3,
                        body: vec![
                            Instr::Call { core: 1, register: 0, value: constant(1).plus("p", 1).plus("q", 1) },
                            Instr::Wait { register: 0, value: constant(-1).plus("q", 3).plus("p", 2) },
                        ],
                    },
                    Instr::Load { local: constant(0), shared: constant(0).plus("p", -1), n: 1, class: Class::Sync },
                    Instr::Store { shared: constant(0), local: constant(1), n: 2, class: Class::Output },
                ],
            },
            Instr::Barrier { id: 0 },
            Instr::Halt,
        ],
    };
    assert_eq!(parse(HAND_WRITTEN), expected);
}

#[test]
fn printing_is_canonical() {
    let printed = print_core(&parse(HAND_WRITTEN));
    let expected = "\
.core 3
.xbar 0 2x3
  1.5 -2 0
  0.25 4 inf
.xbar 7 128x64
LOOP p, 64
  LOAD l[0], s[1024+27*p], 27, input
  MVM x0, l[128], l[0]
  STORE s[8192+64*p], l[128], 16, partial
  MOV l[0], l[64], 16
  ADD l[128], l[128], l[192], 16
  BIAS l[128], l[128], l[192], 16
  MAX l[128], l[128], l[192], 16
  RELU l[128], l[128], 16
  CLIP l[128], l[128], 16, 0, 6
  AVG l[0], l[0], 16, 9
  LOOP q, 3
    CALL c1, 1+p+q
    WAIT -1+3*q+2*p
  END
  LOAD l[0], s[-p], 1, sync
  STORE s[0], l[1], 2, output
END
BARRIER 0
HALT
";
    assert_eq!(printed, expected);
    assert_eq!(print_core(&parse(&printed)), printed);
}

#[test]
fn affine_expressions_are_normalised() {
    let cases: &[(&str, Affine)] = &[
        ("0", constant(0)),
        ("-7", constant(-7)),
        ("+7", constant(7)),
        ("p", var("p")),
        ("-p", constant(0).plus("p", -1)),
        ("p + p", constant(0).plus("p", 2)),
        ("p - p + 3", constant(3)),
        ("q*4 + 2*p - q*4 + 1 - 1", constant(0).plus("p", 2)),
        ("2*q + p - 5 + 3*p", constant(-5).plus("q", 2).plus("p", 4)),
        ("0*p", constant(0)),
        ("  1  +  p  *  2  ", constant(1).plus("p", 2)),
        ("p + 3 + 2*p - 1", constant(2).plus("p", 3)),
        ("9223372036854775807", constant(i64::MAX)),
        ("-9223372036854775808", constant(i64::MIN)),
        ("-9223372036854775808*q", constant(0).plus("q", i64::MIN)),
        ("18446744073709551615*p - 18446744073709551615*p", constant(0)),
    ];
    for (text, expected) in cases {
        let program = parse(&format!(".core 0\nLOOP p, 2\nLOOP q, 2\nWAIT {text}\nEND\nEND\n"));
        let [Instr::Loop { body, .. }] = &program.body[..] else { panic!("{program:?}") };
        let [Instr::Loop { body, .. }] = &body[..] else { panic!("{program:?}") };
        assert_eq!(body, &[Instr::Wait { register: 0, value: expected.clone() }], "{text}");
    }
}

#[test]
fn keywords_are_case_insensitive_and_loop_variables_are_not() {
    let program = parse(".CORE 1\n.Xbar 2 1X1\n  -inf\nLoop P, 1\nmvm X2, L[P], l[P*0]\ncall C0, P\nend\nhalt\n");
    assert_eq!(
        program.crossbars,
        vec![Crossbar { index: 2, rows: 1, cols: 1, weights: Some(vec![f64::NEG_INFINITY]) }]
    );
    let expected_loop = Instr::Loop {
        var: "P".into(),
        count: 1,
        body: vec![
            Instr::Mvm { xbar: 2, dst: var("P"), src: constant(0) },
            Instr::Call { core: 0, register: 0, value: var("P") },
        ],
    };
    assert_eq!(program.body, vec![expected_loop, Instr::Halt]);
    assert_eq!(error_of(".core 0\nLOOP P, 1\nWAIT p\nEND\n"), "core0.isa:3:6: unknown loop variable `p` (loops: P)");
}

#[test]
fn comments_blank_lines_and_line_endings_are_ignored() {
    let text = "# header comment\r\n\r\n   .core 5 ; the core\r\n\t\r\nHALT#done\r\n;\n#";
    assert_eq!(parse(text), CoreProgram { core: 5, crossbars: vec![], body: vec![Instr::Halt] });
    assert_eq!(parse(".core 0"), CoreProgram { core: 0, crossbars: vec![], body: vec![] });
}

#[test]
fn crossbar_sizes_and_empty_loops_parse() {
    let program = parse(".core 4294967295\n.xbar 4294967295 4096x1\nLOOP i, 0\nEND\nLOOP i, 4294967295\nEND\n");
    assert_eq!(program.core, u32::MAX);
    assert_eq!(program.crossbars[0], Crossbar { index: u32::MAX, rows: 4096, cols: 1, weights: None });
    let empty = |count| Instr::Loop { var: "i".into(), count, body: vec![] };
    assert_eq!(program.body, vec![empty(0), empty(u32::MAX)]);
}

#[test]
fn clip_bounds_are_f32_and_may_be_infinite() {
    let program = parse(".core 0\nCLIP l[0], l[0], 4, -inf, 0.1\nCLIP l[0], l[0], 4, -1e-3, +Infinity\n");
    let bounds: Vec<(f32, f32)> = program
        .body
        .iter()
        .map(|instr| match instr {
            Instr::Unary { op: UnaryOp::Clip { lo, hi }, .. } => (*lo, *hi),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(bounds, vec![(f32::NEG_INFINITY, 0.1f32), (-1e-3f32, f32::INFINITY)]);
}

// ---- errors ----

#[test]
fn error_is_one_line_with_file_line_and_column() {
    let error = parse_core(".core 0\n  FOO l[0]\n", "dir/core0.isa").unwrap_err();
    assert_eq!((error.file.as_str(), error.line, error.column), ("dir/core0.isa", 2, 3), "{error}");
    assert!(error.message.starts_with("unknown instruction `FOO`"), "{error}");
    assert_eq!(error.to_string(), format!("dir/core0.isa:2:3: {}", error.message));
    assert!(!error.to_string().contains('\n'));
}

/// Programs with one fault each, and the error after `core0.isa:`.
const CORE_FAULTS: &[(&str, &str)] = &[
    // The header.
    ("", "1:1: empty program: a core program starts with `.core <number>`"),
    ("; only a comment\n", "2:1: empty program: a core program starts with `.core <number>`"),
    ("; comment\nHALT\n", "2:1: a core program starts with `.core <number>`"),
    (".xbar 0 2x2\n.core 0\n", "1:1: a core program starts with `.core <number>`"),
    (".core\n", "1:1: `.core` needs the core's number, e.g. `.core 0`"),
    (".core 1 2\n", "1:9: unexpected `2` after the core number"),
    (".core -1\n", "1:7: the core number must not be negative, got -1"),
    (".core 4294967296\n", "1:7: the core number is too large: 4294967296 (at most 4294967295)"),
    (".core one\n", "1:7: expected the core number, found `one`"),
    (".core 0\n.core 1\n", "2:1: `.core` is given twice (first at line 1)"),
    (".core 0\n.crossbar 0 2x2\n", "2:1: unknown directive `.crossbar` (expected `.core` or `.xbar`)"),
    // Crossbars and their weights.
    (".core 0\n.xbar 0\n", "2:1: `.xbar` needs a crossbar index and a size, e.g. `.xbar 0 128x128`"),
    (".core 0\n.xbar 0 2x2 3\n", "2:13: unexpected `3` after the crossbar's size"),
    (".core 0\n.xbar 0 22\n", "2:9: expected the crossbar's size `<rows>x<cols>`, found `22`"),
    (".core 0\n.xbar 0 0x2\n", "2:9: the number of rows must be positive, got 0"),
    (".core 0\n.xbar 0 2x-2\n", "2:11: the number of columns must be positive, got -2"),
    (".core 0\n.xbar 0 2x\n", "2:11: expected the number of columns, found nothing"),
    (".core 0\n.xbar -1 2x2\n", "2:7: the crossbar index must not be negative, got -1"),
    (".core 0\n.xbar 1 1x1\n.xbar 1 2x2\n", "3:7: crossbar 1 is declared twice (first at line 2)"),
    (".core 0\nHALT\n.xbar 0 1x1\n", "3:1: `.xbar` must come before the first instruction"),
    (".core 0\n.xbar 0 2x3\n 1 2 3\n", "2:9: crossbar 0 is 2x3 but has weights for only 1 of its 2 rows: give all rows or none"),
    (
        ".core 0\n.xbar 0 2x3\n 1 2 3\nHALT\n",
        "2:9: crossbar 0 is 2x3 but has weights for only 1 of its 2 rows: give all rows or none",
    ),
    (".core 0\n.xbar 0 2x3\n 1 2 3\n 4 5 6\n 7 8 9\n", "5:2: too many rows of weights: crossbar 0 has 2 rows"),
    (".core 0\n.xbar 0 1x1\n 1\n 2\n", "4:2: too many rows of weights: crossbar 0 has 1 row"),
    (".core 0\n.xbar 0 2x3\n 1 2\n", "3:2: crossbar 0 has 3 columns but this row has 2 values"),
    (".core 0\n.xbar 0 2x3\n 1 2 3 4\n", "3:8: crossbar 0 has 3 columns but this row has 4 values"),
    (".core 0\n.xbar 0 1x3\n 1 2,5 3\n", "3:4: expected a weight (a number), found `2,5`"),
    (".core 0\n.xbar 0 1x3\n 1 NaN 3\n", "3:4: a weight must not be NaN"),
    (".core 0\n.xbar 0 1x2\n 1 1e400\n", "3:4: a weight is out of range of a 64-bit float: 1e400"),
    (".core 0\n1 2 3\n", "2:1: a row of weights must follow a `.xbar` line or another row"),
    (".core 0\n.xbar 0 1x1\nHALT\n1\n", "4:1: a row of weights must follow a `.xbar` line or another row"),
    // Instructions and their operands.
    (".core 0\nFOO l[0]\n", "2:1: unknown instruction `FOO` (instructions: LOAD, STORE, MOV, MVM, ADD, BIAS, MAX, RELU, CLIP, AVG, REQUANT, PUT, CALL, WAIT, BARRIER, LOOP, END, HALT)"),
    (".core 0\n[0]\n", "2:1: expected an instruction, found `[0]`"),
    (".core 0\nMOV l[0], l[1]\n", "2:1: `MOV` takes 3 operands (dst, src, n), found 2"),
    (".core 0\nMOV l[0], l[1], 2, 3\n", "2:20: `MOV` takes 3 operands (dst, src, n), found 4"),
    (".core 0\nmov\n", "2:1: `MOV` takes 3 operands (dst, src, n), found 0"),
    (".core 0\nHALT 1\n", "2:6: `HALT` takes no operands, found 1"),
    (".core 0\nHALT ,\n", "2:6: `HALT` takes no operands, found 2"),
    (".core 0\nWAIT\n", "2:1: `WAIT` takes 1 operand (value), found 0"),
    (".core 0\nMOV l[0],, 2\n", "2:10: missing operand src of `MOV`"),
    (".core 0\nMOV l[0], l[1], 2,\n", "2:19: unexpected `,` after the last operand of `MOV`"),
    (".core 0\nMOV l[, l[1], 2\n", "2:6: missing `]` to close the address"),
    (".core 0\nMOV l[0, l[1], 2\n", "2:6: missing `]` to close the address"),
    (".core 0\nMOV l[], l[1], 2\n", "2:7: empty address: expected an expression such as `64*p+8`"),
    (".core 0\nMOV l[0]x, l[1], 2\n", "2:9: unexpected `x` after the address"),
    (".core 0\nMOV s[0], l[1], 2\n", "2:5: expected a local address `l[...]`, found `s[0]`"),
    (".core 0\nLOAD l[0], l[1], 2, input\n", "2:12: expected a shared address `s[...]`, found `l[1]`"),
    (".core 0\nPUT c1, l[0], l[1], 2, partial\n", "2:1: `PUT` takes 6 operands (core, dst, src, n, class, signal), found 5"),
    (".core 0\nPUT c1, s[0], l[1], 2, partial, 1\n", "2:9: expected a local address `l[...]`, found `s[0]`"),
    (".core 0\nMOV l[0], l[1], 0\n", "2:17: the word count must be positive, got 0"),
    (".core 0\nMOV l[0], l[1], -3\n", "2:17: the word count must be positive, got -3"),
    (".core 0\nMOV l[0], l[1], 4294967296\n", "2:17: the word count is too large: 4294967296 (at most 4294967295)"),
    (".core 0\nMOV l[0], l[1], 99999999999999999999999\n", "2:17: the word count is too large: 99999999999999999999999 (at most 4294967295)"),
    (".core 0\nMOV l[0], l[1], n\n", "2:17: expected the word count, found `n`"),
    (".core 0\nLOAD l[0], s[1], 2, weights\n", "2:21: unknown transfer class `weights` (expected input, partial, output or sync)"),
    (".core 0\nMVM 0, l[0], l[1]\n", "2:5: expected a crossbar `x<index>`, found `0`"),
    (".core 0\nMVM x, l[0], l[1]\n", "2:6: expected the crossbar index, found nothing"),
    (".core 0\nMVM x1, l[0], l[1]\n", "2:5: crossbar 1 is not declared (no `.xbar 1` line)"),
    (".core 0\nCALL 1, 2\n", "2:6: expected a core `c<number>`, found `1`"),
    (".core 0\nCALL c-1, 2\n", "2:7: the core number must not be negative, got -1"),
    (".core 0\nBARRIER -1\n", "2:9: the barrier id must not be negative, got -1"),
    (".core 0\nAVG l[0], l[0], 4, 0\n", "2:20: the AVG count must be positive, got 0"),
    (".core 0\nCLIP l[0], l[0], 4, 6, 0\n", "2:21: the lower bound 6 is above the upper bound 0"),
    (".core 0\nCLIP l[0], l[0], 4, 0, 1e39\n", "2:24: the upper bound is out of range of a 32-bit float: 1e39"),
    (".core 0\nCLIP l[0], l[0], 4, nan, 1\n", "2:21: the lower bound must not be NaN"),
    (".core 0\nCLIP l[0], l[0], 4, zero, 1\n", "2:21: expected the lower bound (a number), found `zero`"),
    // Affine expressions.
    (".core 0\nWAIT p\n", "2:6: unknown loop variable `p` (no loop encloses it)"),
    (".core 0\nLOOP p, 2\nEND\nWAIT p\n", "4:6: unknown loop variable `p` (no loop encloses it)"),
    (".core 0\nLOOP p, 2\nLOOP q, 2\nWAIT r\nEND\nEND\n", "4:6: unknown loop variable `r` (loops: p, q)"),
    (".core 0\nWAIT 1 +\n", "2:9: expected an integer or a loop variable, found nothing"),
    (".core 0\nWAIT 1 2\n", "2:8: expected `+`, `-` or the end of the expression, found `2`"),
    (".core 0\nWAIT 2*3\n", "2:8: expected a loop variable after `*`, found `3`"),
    (".core 0\nLOOP p, 2\nWAIT p*q\nEND\n", "3:8: expected an integer after `*`, found `q`"),
    (".core 0\nLOOP p, 2\nWAIT p*-2\nEND\n", "3:8: expected an integer after `*`, found `-`"),
    (".core 0\nWAIT --1\n", "2:7: expected an integer or a loop variable, found `-`"),
    (".core 0\nMOV l[0.5], l[1], 2\n", "2:8: expected `+`, `-` or the end of the expression, found `.`"),
    (".core 0\nWAIT 9223372036854775808\n", "2:6: `9223372036854775808` does not fit in a 64-bit integer"),
    (".core 0\nWAIT 18446744073709551616\n", "2:6: integer `18446744073709551616` is too large"),
    // Loops.
    (".core 0\nEND\n", "2:1: `END` without a matching `LOOP`"),
    (".core 0\nLOOP p, 4\nHALT\n", "2:1: `LOOP p` is never closed: missing `END`"),
    (".core 0\nLOOP p, 4\n  LOOP q, 4\nEND\n", "2:1: `LOOP p` is never closed: missing `END`"),
    (".core 0\nLOOP p, 4\n  LOOP q, 4\n", "3:3: `LOOP q` is never closed: missing `END`"),
    (".core 0\nLOOP p, 4\nLOOP p, 2\nEND\nEND\n", "3:6: loop variable `p` is already used by the loop at line 2"),
    (".core 0\nLOOP 3, 4\nEND\n", "2:6: expected a loop variable name, found `3`"),
    (".core 0\nLOOP p, -1\nEND\n", "2:9: the loop count must not be negative, got -1"),
    (".core 0\nLOOP p\nEND\n", "2:1: `LOOP` takes 2 operands (var, count), found 1"),
    (".core 0\nEND p\n", "2:5: `END` takes no operands, found 1"),
];

/// The cases whose error is not `file:` + the expected text, described.
fn wrong_messages(cases: &[(&str, &str)], file: &str, error_of: impl Fn(&str) -> String) -> Vec<String> {
    cases
        .iter()
        .filter_map(|(text, expected)| {
            let got = error_of(text);
            (got != format!("{file}:{expected}"))
                .then(|| format!("{text:?}\n  expected {file}:{expected}\n  got      {got}"))
        })
        .collect()
}

#[test]
fn every_fault_gives_its_exact_message() {
    let wrong = wrong_messages(CORE_FAULTS, "core0.isa", error_of);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn columns_count_characters_not_bytes() {
    // U+00A0 and U+3000 are whitespace of 2 and 3 bytes.
    let text = ".core 0 ; é\nMOV\u{a0}l[0],\u{3000}l[ä], 1\n";
    assert_eq!(error_of(text), "core0.isa:2:13: expected an integer or a loop variable, found `ä`");
}

#[test]
fn long_and_control_characters_are_shown_shortened_on_one_line() {
    let long = "X".repeat(100);
    assert_eq!(
        error_of(&format!(".core 0\nMOV l[0], {long}, 1\n")),
        format!("core0.isa:2:11: expected a local address `l[...]`, found `{}...`", "X".repeat(40))
    );
    let message = error_of(".core 0\nMOV l[0], s[\u{b}1], 1\n");
    assert_eq!(message, "core0.isa:2:11: expected a local address `l[...]`, found `s[\u{fffd}1]`");
}

#[test]
fn loops_nest_at_most_64_deep() {
    let nest = |depth: usize| {
        let mut text = ".core 0\n".to_string();
        for level in 0..depth {
            text.push_str(&format!("LOOP v{level}, 1\n"));
        }
        text.push_str(&"END\n".repeat(depth));
        text
    };
    assert_eq!(parse(&nest(64)).body.len(), 1);
    assert_eq!(error_of(&nest(65)), "core0.isa:66:1: loops nest deeper than 64 levels");
}

// ---- memory files ----

#[test]
fn memory_file_parses_blocks_and_continuations() {
    let text = "\
; inputs
s[0]: 1 2.5 -3
   4e2   # continued
s[ 100 ] :
\t-inf 0.125

S[10]:7
";
    let memory = parse_memory(text, "memory.txt").unwrap();
    assert_eq!(
        memory,
        vec![
            MemoryInit { address: 0, values: vec![1.0, 2.5, -3.0, 400.0] },
            MemoryInit { address: 100, values: vec![f64::NEG_INFINITY, 0.125] },
            MemoryInit { address: 10, values: vec![7.0] },
        ]
    );
    assert_eq!(print_memory(&memory), "s[0]: 1 2.5 -3 400\ns[100]: -inf 0.125\ns[10]: 7\n");
    assert_eq!(parse_memory("", "memory.txt").unwrap(), vec![]);
}

#[test]
fn long_memory_blocks_print_sixteen_values_per_line() {
    let memory = vec![MemoryInit { address: 5, values: (0..33).map(f64::from).collect() }];
    let printed = print_memory(&memory);
    assert_eq!(
        printed,
        "s[5]: 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n  16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31\n  32\n"
    );
    assert_eq!(parse_memory(&printed, "memory.txt").unwrap(), memory);
}

/// Memory files with one fault each, and the error after `memory.txt:`.
const MEMORY_FAULTS: &[(&str, &str)] = &[
    ("  1 2\n", "1:3: values must follow an `s[<address>]:` line"),
    ("s[0]: 1\n  s[4]: 2\n", "2:3: `s[<address>]:` must start at the beginning of its line"),
    ("l[0]: 1\n", "1:1: expected `s[<address>]:`, found `l[0]:`"),
    ("s[0: 1\n", "1:2: missing `]` to close the address"),
    ("s[-1]: 1\n", "1:3: the address must not be negative, got -1"),
    ("s[p]: 1\n", "1:3: expected the address, found `p`"),
    ("s[]: 1\n", "1:3: expected the address, found nothing"),
    ("s[0] 1\n", "1:6: expected `:` after the address, found `1`"),
    ("s[0]: 1 x\n", "1:9: expected a value (a number), found `x`"),
    ("s[0]: 1 nan\n", "1:9: a value must not be NaN"),
    ("s[0]:\ns[1]: 2\n", "1:1: no values for s[0]"),
    ("s[0]: 1\ns[1]: ; nothing\n", "2:1: no values for s[1]"),
    ("s[10]: 1 2 3\ns[0]: 1 2 3 4 5 6 7 8 9 10 11\n", "2:1: s[0] with 11 values overlaps s[10] with 3 values (line 1)"),
    ("s[0]: 1 2\ns[1]: 1\n", "2:1: s[1] with 1 value overlaps s[0] with 2 values (line 1)"),
    ("s[18446744073709551615]: 1 2\n", "1:1: s[18446744073709551615] with 2 values runs past the last address"),
];

#[test]
fn every_memory_fault_gives_its_exact_message() {
    let wrong = wrong_messages(MEMORY_FAULTS, "memory.txt", memory_error_of);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(
        parse_memory("s[18446744073709551615]: 1\n", "m").unwrap(),
        vec![MemoryInit { address: u64::MAX, values: vec![1.0] }]
    );
}

// ---- the example of docs/isa.md ----

/// The code blocks of docs/isa.md marked ```isa, by the file name on their
/// first line (`; core0.isa ...`).
fn documented_files() -> Vec<(String, String)> {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/isa.md")).unwrap();
    let mut files = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "```isa" {
            continue;
        }
        let block: Vec<&str> = lines.by_ref().take_while(|line| line.trim() != "```").collect();
        let first_word = block[0].trim_start_matches([';', ' ']).split_whitespace().next().unwrap_or_default();
        let name = first_word.trim_end_matches(':').to_string();
        files.push((name, block.join("\n") + "\n"));
    }
    files
}

#[test]
fn documented_example_parses() {
    let files = documented_files();
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["core0.isa", "core1.isa", "memory.txt"]);
    for (name, text) in &files {
        if name == "memory.txt" {
            let memory = parse_memory(text, name).unwrap_or_else(|error| panic!("{error}"));
            assert_eq!(parse_memory(&print_memory(&memory), name).unwrap(), memory);
            continue;
        }
        let program = parse_core(text, name).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(format!("core{}.isa", program.core), *name);
        assert_eq!(parse_core(&print_core(&program), name).unwrap(), program);
        // Both cores walk the same 4 pixels; core 0 hands each one to core 1.
        let Some(Instr::Loop { count: 4, body, .. }) =
            program.body.iter().find(|instr| matches!(instr, Instr::Loop { .. }))
        else {
            panic!("{name}: no loop over 4 pixels in {program:?}");
        };
        let hand_off = if program.core == 0 {
            Instr::Call { core: 1, register: 0, value: constant(1).plus("p", 1) }
        } else {
            Instr::Wait { register: 0, value: constant(1).plus("p", 1) }
        };
        assert!(body.contains(&hand_off), "{name}: {body:?}");
    }
}

#[test]
fn errors_quoted_in_the_documentation_are_the_tested_ones() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/isa.md")).unwrap();
    let tested: Vec<String> = CORE_FAULTS
        .iter()
        .map(|(_, error)| format!("core0.isa:{error}"))
        .chain(MEMORY_FAULTS.iter().map(|(_, error)| format!("memory.txt:{error}")))
        .collect();
    let quoted: Vec<&str> =
        doc.lines().filter(|line| line.starts_with("core0.isa:") || line.starts_with("memory.txt:")).collect();
    assert!(quoted.len() >= 10, "{quoted:?}");
    for line in quoted {
        assert!(tested.iter().any(|error| error == line), "docs/isa.md quotes an untested error: {line}");
    }
}

// ---- property tests ----

/// Names for loop variables; the generator may pick one already in scope,
/// which `make_valid` then renames.
const NAMES: &[&str] = &["p", "q", "r", "i", "j", "row", "col", "_k", "Pixel2"];

fn affine_strategy() -> impl Strategy<Value = Affine> {
    let integer = || prop_oneof![4 => -300i64..300, 1 => any::<i64>()];
    (integer(), prop::collection::vec((prop::sample::select(NAMES), integer()), 0..4)).prop_map(|(constant, terms)| {
        Affine {
            constant,
            terms: terms.into_iter().map(|(name, coefficient)| (name.to_string(), coefficient)).collect(),
        }
    })
}

fn count_strategy() -> impl Strategy<Value = u32> {
    prop_oneof![4 => 1u32..300, 1 => 1u32..=u32::MAX]
}

/// Finite floats of every kind, and many short ones.
fn finite_f64() -> impl Strategy<Value = f64> {
    use prop::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    prop_oneof![
        2 => (-512i32..512).prop_map(|value| f64::from(value) / 4.0),
        1 => POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO,
    ]
}

fn bound_strategy() -> impl Strategy<Value = f32> {
    use prop::num::f32::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    prop_oneof![
        3 => (-64i32..64).prop_map(|value| value as f32 / 8.0),
        2 => POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO,
        1 => prop_oneof![Just(f32::INFINITY), Just(f32::NEG_INFINITY)],
    ]
}

fn class_strategy() -> impl Strategy<Value = Class> {
    prop::sample::select(Class::ALL.to_vec())
}

fn leaf_strategy() -> impl Strategy<Value = Instr> {
    let a = affine_strategy;
    prop_oneof![
        (a(), a(), count_strategy(), class_strategy()).prop_map(|(local, shared, n, class)| Instr::Load {
            local,
            shared,
            n,
            class
        }),
        (a(), a(), count_strategy(), class_strategy()).prop_map(|(shared, local, n, class)| Instr::Store {
            shared,
            local,
            n,
            class
        }),
        (a(), a(), count_strategy()).prop_map(|(dst, src, n)| Instr::Mov { dst, src, n }),
        (any::<u32>(), a(), a()).prop_map(|(xbar, dst, src)| Instr::Mvm { xbar, dst, src }),
        (prop::sample::select(vec![BinaryOp::Add, BinaryOp::Bias, BinaryOp::Max]), a(), a(), a(), count_strategy())
            .prop_map(|(op, dst, a, b, n)| Instr::Binary { op, dst, a, b, n }),
        (a(), a(), count_strategy()).prop_map(|(dst, a, n)| Instr::Unary { op: UnaryOp::Relu, dst, a, n }),
        (bound_strategy(), bound_strategy(), a(), a(), count_strategy()).prop_map(|(x, y, dst, a, n)| {
            let (lo, hi) = if x <= y { (x, y) } else { (y, x) };
            Instr::Unary { op: UnaryOp::Clip { lo, hi }, dst, a, n }
        }),
        (count_strategy(), a(), a(), count_strategy()).prop_map(|(count, dst, a, n)| Instr::Unary {
            op: UnaryOp::Avg { count },
            dst,
            a,
            n
        }),
        (0u32..32, a(), a(), count_strategy()).prop_map(|(shift, dst, a, n)| Instr::Unary {
            op: UnaryOp::Requant { shift },
            dst,
            a,
            n
        }),
        (any::<u32>(), 0u32..4, a()).prop_map(|(core, register, value)| Instr::Call { core, register, value }),
        (any::<u32>(), a(), a(), count_strategy(), class_strategy(), a())
            .prop_map(|(core, dst, src, n, class, signal)| Instr::Put { core, dst, src, n, class, signal }),
        (0u32..4, a()).prop_map(|(register, value)| Instr::Wait { register, value }),
        any::<u32>().prop_map(|id| Instr::Barrier { id }),
        Just(Instr::Halt),
    ]
}

fn body_strategy() -> impl Strategy<Value = Vec<Instr>> {
    let instr = leaf_strategy().prop_recursive(4, 48, 6, |inner| {
        let count = prop_oneof![4 => 0u32..100, 1 => any::<u32>()];
        (prop::sample::select(NAMES), count, prop::collection::vec(inner, 0..6))
            .prop_map(|(var, count, body)| Instr::Loop { var: var.to_string(), count, body })
    });
    prop::collection::vec(instr, 0..8)
}

fn crossbar_strategy() -> impl Strategy<Value = Crossbar> {
    (prop_oneof![0u32..8, any::<u32>()], 1u32..5, 1u32..5, any::<bool>()).prop_flat_map(|(index, rows, cols, data)| {
        let size = if data { (rows * cols) as usize } else { 0 };
        prop::collection::vec(finite_f64(), size).prop_map(move |values| Crossbar {
            index,
            rows,
            cols,
            weights: data.then_some(values),
        })
    })
}

/// Turns anything generated into a valid program: loop variables that
/// would shadow are renamed, affine terms keep only variables in scope
/// (each once, no zero coefficient), MVMs use declared crossbars.
fn make_valid(body: &mut [Instr], scope: &mut Vec<String>, crossbars: &[u32]) {
    let fix = |affine: &mut Affine, scope: &[String]| {
        let mut terms: Vec<(String, i64)> = Vec::new();
        for (name, coefficient) in affine.terms.drain(..) {
            if coefficient != 0 && scope.contains(&name) && !terms.iter().any(|(known, _)| *known == name) {
                terms.push((name, coefficient));
            }
        }
        affine.terms = terms;
    };
    for instr in body.iter_mut() {
        match instr {
            Instr::Load { local: x, shared: y, .. }
            | Instr::Store { shared: y, local: x, .. }
            | Instr::Mov { dst: x, src: y, .. }
            | Instr::Unary { dst: x, a: y, .. } => {
                fix(x, scope);
                fix(y, scope);
            }
            Instr::Mvm { xbar, dst, src } => {
                fix(dst, scope);
                fix(src, scope);
                match crossbars {
                    [] => *instr = Instr::Halt,
                    _ => *xbar = crossbars[*xbar as usize % crossbars.len()],
                }
            }
            Instr::Binary { dst, a, b, .. } => {
                for affine in [dst, a, b] {
                    fix(affine, scope);
                }
            }
            Instr::Put { dst, src, signal, .. } => {
                for affine in [dst, src, signal] {
                    fix(affine, scope);
                }
            }
            Instr::Call { value, .. } | Instr::Wait { value, .. } => fix(value, scope),
            Instr::Barrier { .. } | Instr::Halt => {}
            Instr::Loop { var, body, .. } => {
                if scope.contains(var) {
                    *var = NAMES.iter().find(|name| !scope.iter().any(|taken| taken == *name)).unwrap().to_string();
                }
                scope.push(var.clone());
                make_valid(body, scope, crossbars);
                scope.pop();
            }
        }
    }
}

fn program_strategy() -> impl Strategy<Value = CoreProgram> {
    (any::<u32>(), prop::collection::vec(crossbar_strategy(), 0..4), body_strategy()).prop_map(
        |(core, mut crossbars, mut body)| {
            let mut seen = Vec::new();
            crossbars.retain(|crossbar| {
                let fresh = !seen.contains(&crossbar.index);
                seen.push(crossbar.index);
                fresh
            });
            let indices: Vec<u32> = crossbars.iter().map(|crossbar| crossbar.index).collect();
            make_valid(&mut body, &mut Vec::new(), &indices);
            CoreProgram { core, crossbars, body }
        },
    )
}

/// Disjoint blocks in any order.
fn memory_strategy() -> impl Strategy<Value = Vec<MemoryInit>> {
    let block = (0u64..1000, prop::collection::vec(finite_f64(), 1..40));
    (prop_oneof![Just(0u64), 0u64..1 << 40], prop::collection::vec(block, 0..6))
        .prop_map(|(base, blocks)| {
            let mut address = base;
            let mut memory = Vec::new();
            for (gap, values) in blocks {
                address += gap;
                let length = values.len() as u64;
                memory.push(MemoryInit { address, values });
                address += length;
            }
            memory
        })
        .prop_shuffle()
}

/// Bytes that change the program's structure or a number.
const STRUCTURAL_BYTES: &[u8] = b"[]lsxc,;#.+-*0123456789 \n\tpqLOOPEND\xff\xc3";

/// Pieces of programs, so that random lines reach deep into the grammar.
const TOKENS: &[&str] = &[
    "LOAD",
    "store",
    "MOV",
    "MVM",
    "ADD",
    "BIAS",
    "MAX",
    "RELU",
    "CLIP",
    "AVG",
    "CALL",
    "WAIT",
    "BARRIER",
    "LOOP",
    "END",
    "HALT",
    ".core",
    ".xbar",
    "l[",
    "s[",
    "[",
    "]",
    "x0",
    "x1",
    "c1",
    "p",
    "q",
    "*",
    "+",
    "-",
    ",",
    ":",
    "0",
    "1",
    "-3",
    "27",
    "4294967296",
    "99999999999999999999",
    "2x2",
    "1x1",
    "inf",
    "nan",
    "1e400",
    "0.5",
    "input",
    "partial",
    "sync",
    ";",
    "#",
    "é",
    "\t",
    "\n",
    " ",
];

/// A text made of `TOKENS`, mostly behind a valid header.
fn token_text(header: bool, tokens: &[usize]) -> String {
    let mut text = if header { ".core 0\n.xbar 0 1x1\n".to_string() } else { String::new() };
    for &token in tokens {
        text.push_str(TOKENS[token % TOKENS.len()]);
        text.push(' ');
    }
    text
}

/// An error names the file and a position inside the text, on one line.
fn check_error(error: &ParseError, text: &str, file: &str) -> Result<(), TestCaseError> {
    let lines: Vec<&str> = text.split('\n').collect();
    prop_assert_eq!(&error.file, file);
    prop_assert!(error.line >= 1 && error.line <= lines.len(), "{}", error);
    prop_assert!(error.column >= 1 && error.column <= lines[error.line - 1].chars().count() + 1, "{}", error);
    prop_assert!(!error.to_string().contains('\n'), "{}", error);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn printed_programs_parse_back_unchanged(program in program_strategy()) {
        let printed = print_core(&program);
        let parsed = parse_core(&printed, "core.isa").map_err(|error| TestCaseError::fail(format!("{error}\n{printed}")))?;
        prop_assert_eq!(&parsed, &program, "{}", printed);
        prop_assert_eq!(print_core(&parsed), printed);
    }

    #[test]
    fn printed_memory_parses_back_unchanged(memory in memory_strategy()) {
        let printed = print_memory(&memory);
        let parsed = parse_memory(&printed, "memory.txt").map_err(|error| TestCaseError::fail(format!("{error}\n{printed}")))?;
        prop_assert_eq!(parsed, memory);
    }

    #[test]
    fn mutated_programs_never_panic(mutations in mutations(STRUCTURAL_BYTES, 1..8)) {
        let text = String::from_utf8_lossy(&mutate(HAND_WRITTEN.as_bytes().to_vec(), &mutations)).into_owned();
        match parse_core(&text, "fuzz.isa") {
            Ok(program) => prop_assert_eq!(parse_core(&print_core(&program), "fuzz.isa").ok(), Some(program)),
            Err(error) => check_error(&error, &text, "fuzz.isa")?,
        }
    }

    #[test]
    fn programs_of_random_tokens_never_panic(header in prop::bool::weighted(0.8), tokens in prop::collection::vec(any::<usize>(), 0..60)) {
        let text = token_text(header, &tokens);
        match parse_core(&text, "fuzz.isa") {
            Ok(program) => prop_assert_eq!(parse_core(&print_core(&program), "fuzz.isa").ok(), Some(program)),
            Err(error) => check_error(&error, &text, "fuzz.isa")?,
        }
        match parse_memory(&text, "memory.txt") {
            Ok(memory) => prop_assert_eq!(parse_memory(&print_memory(&memory), "memory.txt").ok(), Some(memory)),
            Err(error) => check_error(&error, &text, "memory.txt")?,
        }
    }

    #[test]
    fn mutated_memory_files_never_panic(mutations in mutations(STRUCTURAL_BYTES, 1..8)) {
        let sample = "; sample\ns[0]: 1 2.5 -3\n   4e2 inf\ns[100]: -0.125 7\n";
        let text = String::from_utf8_lossy(&mutate(sample.as_bytes().to_vec(), &mutations)).into_owned();
        match parse_memory(&text, "memory.txt") {
            Ok(memory) => prop_assert_eq!(parse_memory(&print_memory(&memory), "memory.txt").ok(), Some(memory)),
            Err(error) => check_error(&error, &text, "memory.txt")?,
        }
    }
}
