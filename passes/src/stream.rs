//! Streaming: `N` inferences back to back through one set of per-core
//! programs, plain data like [`crate::network`], which calls it.
//!
//! Each core runs its program of one inference `N` times, in a hardware
//! loop over `inference`. Inference `i` has shared memory of its own: every
//! shared address of the one-inference program (its feature maps, borders,
//! biases and input, all below `words`) moves up by `i * words`, and the
//! memory image is laid out `N` times, so inferences never touch each
//! other's data and the front layers may run ahead of the back ones
//! without overwriting what the back ones still read (no buffer reuse, so
//! memory grows with `N`). Synchronization counts on: a sequence register
//! that one inference raises to at most `K` is raised to `i * K + v` where
//! the one-inference program raises it to `v`, and waits move alike, so
//! inference `i + 1` repeats inference `i`'s handshakes above everything
//! inference `i` signalled. A core that runs ahead waits where the
//! one-inference program would, for its producers' rows of that
//! inference (the host places every input at the start, so the first
//! layers never wait), and the pipeline's steady state is set by its
//! slowest stage.
//!
//! Layer by layer, every core must arrive at every barrier of an inference
//! (the barriers repeat their ids in each), which the caller arranges.

use rram_isa::{Affine, CoreProgram, Instr, MemoryInit, Program};
use std::collections::HashMap;

/// The loop variable counting inferences.
pub const INFERENCE: &str = "inference";

/// `program` (one inference, shared memory below `words`) turned into `N
/// = inferences` back to back. An error when an address of the program
/// reaches `words` (the copies would overlap).
pub fn stream(program: &Program, words: i64, inferences: u32) -> Result<Program, String> {
    let mut raised: HashMap<(u32, u32), i64> = HashMap::new();
    for core in &program.cores {
        scan(&core.body, core.core, &mut Vec::new(), &mut raised, words)?;
    }
    let cores = program
        .cores
        .iter()
        .map(|core| {
            let mut body: Vec<Instr> = core.body.iter().filter(|i| **i != Instr::Halt).cloned().collect();
            shift(&mut body, core.core, &raised, words);
            CoreProgram {
                core: core.core,
                crossbars: core.crossbars.clone(),
                body: vec![Instr::Loop { var: INFERENCE.into(), count: inferences, body }, Instr::Halt],
            }
        })
        .collect();
    let memory = (0..i64::from(inferences))
        .flat_map(|i| {
            program
                .memory
                .iter()
                .map(move |init| MemoryInit { address: init.address + (i * words) as u64, values: init.values.clone() })
        })
        .collect();
    Ok(Program { cores, memory })
}

/// The highest value `value` takes over the enclosing `loops` (counter,
/// trips).
pub(crate) fn highest(value: &Affine, loops: &[(String, i64)]) -> i64 {
    value.constant
        + value
            .terms
            .iter()
            .map(|(var, c)| {
                let trips = loops.iter().rev().find(|(v, _)| v == var).map_or(1, |(_, t)| *t);
                (c * (trips - 1)).max(0)
            })
            .sum::<i64>()
}

/// Records in `raised` the highest value each `(core, register)` is raised
/// to by `body` (run by `core`), and checks its shared addresses stay below
/// `words`.
fn scan(
    body: &[Instr],
    core: u32,
    loops: &mut Vec<(String, i64)>,
    raised: &mut HashMap<(u32, u32), i64>,
    words: i64,
) -> Result<(), String> {
    for instr in body {
        let mut raise = |target: u32, register: u32, value: &Affine, loops: &[(String, i64)]| {
            let top = raised.entry((target, register)).or_insert(0);
            *top = (*top).max(highest(value, loops));
        };
        match instr {
            Instr::Call { core: target, register, value } => raise(*target, *register, value, loops),
            Instr::Put { core: target, signal, .. } => raise(*target, 0, signal, loops),
            Instr::Load { shared, n, .. } | Instr::Store { shared, n, .. } => {
                let end = highest(shared, loops) + i64::from(*n);
                if end > words {
                    return Err(format!(
                        "core {core} reaches shared word {end}, past the {words} words of one inference"
                    ));
                }
            }
            Instr::Loop { var, count, body } => {
                loops.push((var.clone(), i64::from(*count)));
                scan(body, core, loops, raised, words)?;
                loops.pop();
            }
            _ => {}
        }
    }
    Ok(())
}

/// Moves `body` (run by `core`) to inference `INFERENCE`: shared addresses
/// up by `words` per inference, sequence values by what one inference
/// raises their register to.
fn shift(body: &mut [Instr], core: u32, raised: &HashMap<(u32, u32), i64>, words: i64) {
    let by = |value: &mut Affine, step: i64| {
        if step != 0 {
            value.terms.push((INFERENCE.into(), step));
        }
    };
    let step = |target: u32, register: u32| raised.get(&(target, register)).copied().unwrap_or(0);
    for instr in body {
        match instr {
            Instr::Load { shared, .. } | Instr::Store { shared, .. } => by(shared, words),
            Instr::Call { core: target, register, value } => by(value, step(*target, *register)),
            Instr::Put { core: target, signal, .. } => by(signal, step(*target, 0)),
            Instr::Wait { register, value } => by(value, step(core, *register)),
            Instr::Loop { body, .. } => shift(body, core, raised, words),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rram_isa::{parse_core, print_core};

    fn core(text: &str) -> CoreProgram {
        parse_core(text, "test.isa").unwrap()
    }

    #[test]
    fn each_inference_has_its_own_words_and_counts_on_the_registers() {
        // Core 0 hands four pixels to core 1 on r0 and one row on r2.
        let producer =
            core(".core 0\nLOOP p, 4\n  STORE s[10+p], l[0], 1, output\n  CALL c1, p+1\nEND\nCALL c1, r2, 1\nHALT\n");
        let consumer = core(".core 1\nWAIT r2, 1\nLOOP p, 4\n  WAIT p+1\n  LOAD l[0], s[10+p], 1, input\nEND\nHALT\n");
        let memory = vec![MemoryInit { address: 2, values: vec![7.0] }];
        let program = Program { cores: vec![producer, consumer], memory };
        let streamed = stream(&program, 16, 3).unwrap();
        assert_eq!(
            print_core(&streamed.cores[0]),
            ".core 0\nLOOP inference, 3\n  LOOP p, 4\n    STORE s[10+p+16*inference], l[0], 1, output\n    \
             CALL c1, 1+p+4*inference\n  END\n  CALL c1, r2, 1+inference\nEND\nHALT\n"
        );
        assert_eq!(
            print_core(&streamed.cores[1]),
            ".core 1\nLOOP inference, 3\n  WAIT r2, 1+inference\n  LOOP p, 4\n    WAIT 1+p+4*inference\n    \
             LOAD l[0], s[10+p+16*inference], 1, input\n  END\nEND\nHALT\n"
        );
        let addresses: Vec<u64> = streamed.memory.iter().map(|m| m.address).collect();
        assert_eq!(addresses, [2, 18, 34]);
    }

    #[test]
    fn an_address_past_one_inference_is_an_error() {
        let program = Program { cores: vec![core(".core 0\nLOAD l[0], s[15], 2, input\nHALT\n")], memory: Vec::new() };
        assert_eq!(
            stream(&program, 16, 2).unwrap_err(),
            "core 0 reaches shared word 17, past the 16 words of one inference"
        );
    }
}
