//! The per-core instruction set: what `rram-translate --emit-isa` will write
//! and `rram-sim` runs. `docs/isa.md` defines every instruction, its
//! operands, its bus bytes and its timing.
//!
//! A [`Program`] is one [`CoreProgram`] per core plus the initial contents
//! of shared memory. Memories are arrays of 32-bit words (one element each:
//! an f32, or an integer in the int8/int32 mode); addresses and lengths
//! count words. What a transfer costs on the bus depends on what it carries
//! ([`Class`]): activations travel at the architecture's input width,
//! partial sums at its output width, sequence numbers at the register width.
//! Pixel loops stay loops ([`Instr::Loop`]); addresses and sequence values
//! are affine in the loop counters ([`Affine`]), so a program's size does
//! not grow with the number of pixels.
//!
//! A program on disk is a directory ([`read_program`], [`write_program`]),
//! with the architecture it was compiled for; [`check_fit`] decides whether
//! a program fits a chip, before anything runs.

mod dir;
mod fit;
mod text;

pub use dir::{is_program_file, read_program, write_program, ProgramDirError};
pub use fit::{check_fit, Misfit, WORD_BYTES};
pub use text::{instruction_lines, parse_core, parse_memory, print_core, print_memory, ParseError};

use std::fmt;

/// A name of an enclosing loop's counter, e.g. `p`.
pub type LoopVar = String;

/// `constant + sum(coefficient * counter)`, the form of every address and
/// sequence value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Affine {
    pub constant: i64,
    /// `(counter, coefficient)`, each counter at most once, no zero coefficient.
    pub terms: Vec<(LoopVar, i64)>,
}

impl Affine {
    pub fn constant(value: i64) -> Self {
        Affine { constant: value, terms: Vec::new() }
    }

    /// `self + coefficient * var`
    pub fn plus(mut self, var: &str, coefficient: i64) -> Self {
        if coefficient != 0 {
            self.terms.push((var.to_string(), coefficient));
        }
        self
    }
}

/// What a bus transfer carries, which fixes its width per element and the
/// statistic it is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// Activations read as MVM input (input width per element).
    Input,
    /// Partial sums of a horizontal group (output width per element).
    Partial,
    /// Final activations written for the next layer (input width per element).
    Output,
    /// Synchronization traffic (register width per element).
    Sync,
}

impl Class {
    pub const ALL: [Class; 4] = [Class::Input, Class::Partial, Class::Output, Class::Sync];

    pub fn name(self) -> &'static str {
        match self {
            Class::Input => "input",
            Class::Partial => "partial",
            Class::Output => "output",
            Class::Sync => "sync",
        }
    }
}

/// Vector-unit operations on two vectors: `dst[i] = op(a[i], b[i])`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `a + b`, e.g. accumulating one partial sum into another.
    Add,
    /// `a + b` where `b` is a bias vector (same arithmetic, told apart in traces).
    Bias,
    /// `max(a, b)`, for max pooling.
    Max,
}

/// Vector-unit operations on one vector: `dst[i] = op(a[i])`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnaryOp {
    /// `max(a, 0)`
    Relu,
    /// `min(max(a, lo), hi)`, e.g. relu6.
    Clip { lo: f32, hi: f32 },
    /// `a / count`: the last step of average pooling, after the `Add`s.
    Avg { count: u32 },
    /// `a / 2^shift` rounded to the nearest integer (halves up) and
    /// saturated to int8: what an int8 network does to a layer's int32
    /// sums so that the next layer's inputs are int8 again.
    Requant { shift: u32 },
}

/// One instruction; `Loop` holds its body.
#[derive(Debug, Clone, PartialEq)]
pub enum Instr {
    /// `local[local..local+n] = shared[shared..shared+n]` over the bus.
    Load { local: Affine, shared: Affine, n: u32, class: Class },
    /// `shared[shared..shared+n] = local[local..local+n]` over the bus.
    Store { shared: Affine, local: Affine, n: u32, class: Class },
    /// `local[dst..dst+n] = local[src..src+n]`, in the vector unit.
    Mov { dst: Affine, src: Affine, n: u32 },
    /// `local[dst..dst+cols] = W^T local[src..src+rows]` with crossbar `xbar`.
    Mvm { xbar: u32, dst: Affine, src: Affine },
    /// Vector-unit operation on two vectors of `n` words.
    Binary { op: BinaryOp, dst: Affine, a: Affine, b: Affine, n: u32 },
    /// Vector-unit operation on one vector of `n` words.
    Unary { op: UnaryOp, dst: Affine, a: Affine, n: u32 },
    /// `core`'s `local[dst..dst+n] = local[src..src+n]`, then `core`'s
    /// sequence register raised to `signal`: one bus transaction (a remote
    /// write with a signal, on architectures with `core.remote_writes`).
    Put { core: u32, dst: Affine, src: Affine, n: u32, class: Class, signal: Affine },
    /// Raises core `core`'s sequence register `register` to `value` over the bus.
    Call { core: u32, register: u32, value: Affine },
    /// Blocks until this core's sequence register `register` is at least `value`.
    Wait { register: u32, value: Affine },
    /// Blocks until every core that has not halted reaches barrier `id`.
    Barrier { id: u32 },
    /// `body` run `count` times with `var` = 0, 1, ..., count - 1.
    Loop { var: LoopVar, count: u32, body: Vec<Instr> },
    /// The core is done.
    Halt,
}

impl Instr {
    /// `body` run `count` times with `var` = 0, 1, ...: a loop, except that
    /// a single trip is the body itself with `var` = 0, so that programs
    /// hold no loop of one.
    pub fn repeat(var: &str, count: u32, mut body: Vec<Instr>) -> Vec<Instr> {
        if count != 1 {
            return vec![Instr::Loop { var: var.into(), count, body }];
        }
        for instr in &mut body {
            instr.set_to_zero(var);
        }
        body
    }

    /// Replaces the counter `var` by 0 wherever this instruction uses it
    /// (not inside a nested loop that defines its own `var`).
    fn set_to_zero(&mut self, var: &str) {
        let drop_var = |affine: &mut Affine| affine.terms.retain(|(v, _)| v != var);
        match self {
            Instr::Loop { var: inner, body, .. } => {
                if inner != var {
                    body.iter_mut().for_each(|instr| instr.set_to_zero(var));
                }
            }
            Instr::Load { local, shared, .. } | Instr::Store { shared, local, .. } => {
                drop_var(local);
                drop_var(shared);
            }
            Instr::Mov { dst, src, .. } | Instr::Mvm { dst, src, .. } => {
                drop_var(dst);
                drop_var(src);
            }
            Instr::Binary { dst, a, b, .. } => [dst, a, b].into_iter().for_each(drop_var),
            Instr::Unary { dst, a, .. } => [dst, a].into_iter().for_each(drop_var),
            Instr::Put { dst, src, signal, .. } => [dst, src, signal].into_iter().for_each(drop_var),
            Instr::Call { value, .. } | Instr::Wait { value, .. } => drop_var(value),
            Instr::Barrier { .. } | Instr::Halt => {}
        }
    }
}

/// The weights one crossbar holds: `rows x cols`, row-major; `None` when
/// only timing is simulated.
#[derive(Debug, Clone, PartialEq)]
pub struct Crossbar {
    pub index: u32,
    pub rows: u32,
    pub cols: u32,
    pub weights: Option<Vec<f64>>,
}

/// The program of one core.
#[derive(Debug, Clone, PartialEq)]
pub struct CoreProgram {
    pub core: u32,
    pub crossbars: Vec<Crossbar>,
    pub body: Vec<Instr>,
}

/// Initial contents of shared memory: `values` from word `address` on.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryInit {
    pub address: u64,
    pub values: Vec<f64>,
}

/// Programs for every core of a chip, and what shared memory holds at start.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Program {
    pub cores: Vec<CoreProgram>,
    pub memory: Vec<MemoryInit>,
}

impl Program {
    /// The highest sequence register any CALL or WAIT names, with a core
    /// that names it; `None` without any.
    pub fn highest_register(&self) -> Option<(u32, u32)> {
        fn highest(body: &[Instr]) -> Option<u32> {
            body.iter()
                .filter_map(|instr| match instr {
                    Instr::Call { register, .. } | Instr::Wait { register, .. } => Some(*register),
                    Instr::Loop { body, .. } => highest(body),
                    _ => None,
                })
                .max()
        }
        self.cores.iter().filter_map(|core| highest(&core.body).map(|r| (core.core, r))).max_by_key(|&(_, r)| r)
    }

    /// Whether any core writes another core's local memory (`PUT`), which
    /// only an architecture with remote writes can run.
    pub fn has_remote_writes(&self) -> bool {
        fn any_put(body: &[Instr]) -> bool {
            body.iter().any(|instr| match instr {
                Instr::Put { .. } => true,
                Instr::Loop { body, .. } => any_put(body),
                _ => false,
            })
        }
        self.cores.iter().any(|core| any_put(&core.body))
    }
}

impl fmt::Display for Affine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut wrote = false;
        if self.constant != 0 || self.terms.is_empty() {
            write!(f, "{}", self.constant)?;
            wrote = true;
        }
        for (var, coefficient) in &self.terms {
            let sign = if *coefficient < 0 {
                "-"
            } else if wrote {
                "+"
            } else {
                ""
            };
            let magnitude = coefficient.unsigned_abs();
            if magnitude == 1 {
                write!(f, "{sign}{var}")?;
            } else {
                write!(f, "{sign}{magnitude}*{var}")?;
            }
            wrote = true;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait(affine: Affine) -> Instr {
        Instr::Wait { register: 0, value: affine }
    }

    #[test]
    fn a_single_trip_is_its_body_with_the_counter_at_zero() {
        let body = vec![
            wait(Affine::constant(3).plus("p", 2).plus("q", 1)),
            Instr::Loop { var: "q".into(), count: 4, body: vec![wait(Affine::constant(0).plus("p", 1).plus("q", 1))] },
            Instr::Loop { var: "p".into(), count: 2, body: vec![wait(Affine::constant(0).plus("p", 1))] },
        ];
        let inlined = Instr::repeat("p", 1, body.clone());
        assert_eq!(
            inlined,
            [
                wait(Affine::constant(3).plus("q", 1)),
                Instr::Loop { var: "q".into(), count: 4, body: vec![wait(Affine::constant(0).plus("q", 1))] },
                // A nested loop over its own `p` keeps it.
                body[2].clone(),
            ]
        );
        assert_eq!(Instr::repeat("p", 3, body.clone()), [Instr::Loop { var: "p".into(), count: 3, body }]);
    }
}
