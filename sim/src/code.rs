//! Programs lowered for execution: loops become counter slots and jumps,
//! affine operands refer to counter slots, so running a program never
//! allocates or looks anything up by name.

use rram_isa::{Affine, BinaryOp, Class, CoreProgram, Instr, UnaryOp};

/// An affine operand over the counters of the enclosing loops: a constant
/// plus `len` terms stored in the code's term table. Kept to 16 bytes so
/// that a core's code stays small in cache: running it is the simulator's
/// inner loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operand {
    constant: i64,
    start: u32,
    len: u32,
}

impl Operand {
    #[inline]
    pub fn eval(self, terms: &[(usize, i64)], counters: &[i64]) -> i64 {
        if self.len == 0 {
            return self.constant;
        }
        let terms = &terms[self.start as usize..(self.start + self.len) as usize];
        // Wrapping: an absurd operand gives an absurd address, which the
        // range checks report, rather than a panic.
        terms.iter().fold(self.constant, |sum, &(slot, c)| sum.wrapping_add(c.wrapping_mul(counters[slot])))
    }
}

/// One executable step. `index` fields name the instruction in the source
/// program (pre-order: a loop, then its body).
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Load {
        local: Operand,
        shared: Operand,
        n: u32,
        class: Class,
    },
    Store {
        shared: Operand,
        local: Operand,
        n: u32,
        class: Class,
    },
    Mov {
        dst: Operand,
        src: Operand,
        n: u32,
    },
    Mvm {
        xbar: u32,
        dst: Operand,
        src: Operand,
    },
    Binary {
        op: BinaryOp,
        dst: Operand,
        a: Operand,
        b: Operand,
        n: u32,
    },
    Unary {
        op: UnaryOp,
        dst: Operand,
        a: Operand,
        n: u32,
    },
    Put {
        core: u32,
        dst: Operand,
        src: Operand,
        n: u32,
        class: Class,
        signal: Operand,
    },
    Call {
        core: u32,
        register: u32,
        value: Operand,
    },
    Wait {
        register: u32,
        value: Operand,
    },
    Barrier {
        id: u32,
    },
    /// Starts a loop: counter `slot` = 0; with `count` 0, jumps past `end`.
    LoopStart {
        slot: usize,
        count: u32,
        end: usize,
    },
    /// Ends a loop: next iteration from `start + 1`, or falls through.
    LoopEnd {
        slot: usize,
        count: u32,
        start: usize,
    },
    Halt,
}

/// A core's program ready to run.
#[derive(Debug, Clone)]
pub struct Code {
    pub ops: Vec<Op>,
    /// `(counter slot, coefficient)` of every operand, see [`Operand`].
    pub terms: Vec<(usize, i64)>,
    /// For each op, the index of its source instruction.
    pub source_index: Vec<u32>,
    /// Loop counter names by slot, for error messages.
    pub counter_names: Vec<String>,
}

/// Why a program cannot be lowered: a loop variable no loop defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowerError {
    pub instruction: u32,
    pub variable: String,
}

pub fn lower(program: &CoreProgram) -> Result<Code, LowerError> {
    let mut code = Code { ops: Vec::new(), terms: Vec::new(), source_index: Vec::new(), counter_names: Vec::new() };
    let mut next_index = 0;
    lower_block(&program.body, &mut Vec::new(), &mut code, &mut next_index)?;
    Ok(code)
}

fn lower_block(
    body: &[Instr],
    scope: &mut Vec<(String, usize)>,
    code: &mut Code,
    next_index: &mut u32,
) -> Result<(), LowerError> {
    for instr in body {
        let index = *next_index;
        *next_index += 1;
        let terms = &mut code.terms;
        let mut operand = |affine: &Affine| -> Result<Operand, LowerError> {
            let start = terms.len() as u32;
            for (var, coefficient) in &affine.terms {
                let slot = scope
                    .iter()
                    .rev()
                    .find(|(name, _)| name == var)
                    .map(|&(_, slot)| slot)
                    .ok_or_else(|| LowerError { instruction: index, variable: var.clone() })?;
                terms.push((slot, *coefficient));
            }
            Ok(Operand { constant: affine.constant, start, len: affine.terms.len() as u32 })
        };
        let op = match instr {
            Instr::Load { local, shared, n, class } => {
                Op::Load { local: operand(local)?, shared: operand(shared)?, n: *n, class: *class }
            }
            Instr::Store { shared, local, n, class } => {
                Op::Store { shared: operand(shared)?, local: operand(local)?, n: *n, class: *class }
            }
            Instr::Mov { dst, src, n } => Op::Mov { dst: operand(dst)?, src: operand(src)?, n: *n },
            Instr::Mvm { xbar, dst, src } => Op::Mvm { xbar: *xbar, dst: operand(dst)?, src: operand(src)? },
            Instr::Binary { op, dst, a, b, n } => {
                Op::Binary { op: *op, dst: operand(dst)?, a: operand(a)?, b: operand(b)?, n: *n }
            }
            Instr::Unary { op, dst, a, n } => Op::Unary { op: *op, dst: operand(dst)?, a: operand(a)?, n: *n },
            Instr::Put { core, dst, src, n, class, signal } => Op::Put {
                core: *core,
                dst: operand(dst)?,
                src: operand(src)?,
                n: *n,
                class: *class,
                signal: operand(signal)?,
            },
            Instr::Call { core, register, value } => {
                Op::Call { core: *core, register: *register, value: operand(value)? }
            }
            Instr::Wait { register, value } => Op::Wait { register: *register, value: operand(value)? },
            Instr::Barrier { id } => Op::Barrier { id: *id },
            Instr::Halt => Op::Halt,
            Instr::Loop { var, count, body } => {
                let slot = code.counter_names.len();
                code.counter_names.push(var.clone());
                let start = code.ops.len();
                code.ops.push(Op::LoopStart { slot, count: *count, end: 0 });
                code.source_index.push(index);
                scope.push((var.clone(), slot));
                lower_block(body, scope, code, next_index)?;
                scope.pop();
                let end = code.ops.len();
                code.ops.push(Op::LoopEnd { slot, count: *count, start });
                code.source_index.push(index);
                code.ops[start] = Op::LoopStart { slot, count: *count, end };
                continue;
            }
        };
        code.ops.push(op);
        code.source_index.push(index);
    }
    Ok(())
}
