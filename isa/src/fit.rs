//! Whether a program fits a chip, decided from the program text before
//! anything runs: its cores, crossbars (rows, and weight columns times the
//! chip's cells per weight), remote writes, and every word it touches in
//! shared memory and in each core's local memory. `rram-translate
//! --emit-isa` refuses to write a program that does not fit the chip it
//! was compiled for, and `rram-sim` refuses to run one on a chip it does
//! not fit, instead of reinterpreting it.
//!
//! Units: memories hold 32-bit words (4 bytes, the unit of every address);
//! a crossbar declaration `.xbar i RxC` counts rows and weights, the
//! architecture's `crossbar.cols` counts cells.

use crate::{Affine, Instr, Program};
use rram_arch::Architecture;

/// Bytes of one memory word.
pub const WORD_BYTES: u64 = 4;

/// What does not fit, with the numbers and the field of the chip.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the programs do not fit chip '{chip}': {what}")]
pub struct Misfit {
    pub chip: String,
    pub what: String,
}

/// Checks that `program` fits `chip`; the first misfit found is the error.
pub fn check_fit(program: &Program, chip: &Architecture) -> Result<(), Misfit> {
    let misfit = |what: String| Misfit { chip: chip.name.clone(), what };
    let slices = u64::from(chip.slices_per_weight());
    for core in &program.cores {
        if core.core >= chip.core.count {
            return Err(misfit(format!(
                "core {} has a program, the chip has {} cores (core.count)",
                core.core, chip.core.count
            )));
        }
        for xbar in &core.crossbars {
            if xbar.index >= chip.core.crossbars {
                return Err(misfit(format!(
                    "core {} declares crossbar {}, a core holds {} (core.crossbars)",
                    core.core, xbar.index, chip.core.crossbars
                )));
            }
            let cells = u64::from(xbar.cols) * slices;
            if xbar.rows > chip.crossbar.rows || cells > u64::from(chip.crossbar.cols) {
                return Err(misfit(format!(
                    "crossbar {} of core {} holds {} rows x {} weights of {slices} cells = {} x {cells} cells, the \
                     chip's crossbars have {} x {} (crossbar.rows x crossbar.cols)",
                    xbar.index, core.core, xbar.rows, xbar.cols, xbar.rows, chip.crossbar.rows, chip.crossbar.cols
                )));
            }
        }
    }
    if let Some((core, register)) = program.highest_register().filter(|&(_, r)| r >= chip.sync.registers) {
        return Err(misfit(format!(
            "core {core} uses sequence register r{register}, a core has {} (sync.registers)",
            chip.sync.registers
        )));
    }
    if program.has_remote_writes() && !chip.core.remote_writes {
        return Err(misfit(
            "the programs PUT partial sums into other cores' local memory, the chip has no core.remote_writes".into(),
        ));
    }
    let extents = Extents::of(program);
    let shared_words = chip.shared_memory.size_bytes / WORD_BYTES;
    if let Some(access) = extents.shared.iter().find(|a| a.lowest < 0 || a.end > i128::from(shared_words)) {
        return Err(misfit(format!(
            "shared memory: {access}, the chip has {shared_words} words ({} bytes, shared_memory.size_bytes); the \
             programs reach word {}",
            chip.shared_memory.size_bytes,
            extents.shared.iter().map(|a| a.end).max().unwrap_or(0)
        )));
    }
    let local_words = chip.core.local_memory_bytes / WORD_BYTES;
    if let Some(access) = extents.local.iter().find(|a| a.lowest < 0 || a.end > i128::from(local_words)) {
        return Err(misfit(format!(
            "local memory: {access}, a core has {local_words} words ({} bytes, core.local_memory_bytes)",
            chip.core.local_memory_bytes
        )));
    }
    Ok(())
}

/// The words one instruction touches in one memory, over every trip of
/// its loops.
#[derive(Debug, Clone)]
struct Access {
    /// The core whose instruction it is; `None` for `memory.txt`.
    core: Option<u32>,
    /// The memory's owner when it is another core's local memory (PUT).
    remote: Option<u32>,
    what: &'static str,
    lowest: i128,
    end: i128,
}

impl std::fmt::Display for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(core) = self.core {
            write!(f, "core {core} ")?;
        }
        write!(f, "{} words [{}, {})", self.what, self.lowest, self.end)?;
        if let Some(target) = self.remote {
            write!(f, " of core {target}")?;
        }
        Ok(())
    }
}

/// Every access of a program, shared and local.
#[derive(Default)]
struct Extents {
    shared: Vec<Access>,
    local: Vec<Access>,
}

impl Extents {
    fn of(program: &Program) -> Extents {
        let mut extents = Extents::default();
        for init in &program.memory {
            let lowest = i128::from(init.address);
            let end = lowest + init.values.len() as i128;
            extents.shared.push(Access { core: None, remote: None, what: "memory.txt initializes", lowest, end });
        }
        for core in &program.cores {
            let rows = |xbar: u32| core.crossbars.iter().find(|c| c.index == xbar).map_or((0, 0), |c| (c.rows, c.cols));
            extents.walk(core.core, &core.body, &mut Vec::new(), &rows);
        }
        extents
    }

    /// Records the accesses of `body`, inside loops of the given counts.
    fn walk(&mut self, core: u32, body: &[Instr], loops: &mut Vec<(String, u32)>, xbar: &dyn Fn(u32) -> (u32, u32)) {
        for instr in body {
            let span = |what, at: &Affine, n: u32| {
                let (lowest, highest) = range(at, loops);
                Access { core: Some(core), remote: None, what, lowest, end: highest + i128::from(n) }
            };
            match instr {
                // A loop of no trips touches nothing.
                Instr::Loop { count: 0, .. } => {}
                Instr::Loop { var, count, body } => {
                    loops.push((var.clone(), *count));
                    self.walk(core, body, loops, xbar);
                    loops.pop();
                }
                Instr::Load { local, shared, n, .. } => {
                    self.shared.push(span("LOAD reads shared", shared, *n));
                    self.local.push(span("LOAD writes local", local, *n));
                }
                Instr::Store { shared, local, n, .. } => {
                    self.shared.push(span("STORE writes shared", shared, *n));
                    self.local.push(span("STORE reads local", local, *n));
                }
                Instr::Mov { dst, src, n } => {
                    self.local.extend([span("MOV writes local", dst, *n), span("MOV reads local", src, *n)]);
                }
                Instr::Mvm { xbar: index, dst, src } => {
                    let (rows, cols) = xbar(*index);
                    self.local.extend([span("MVM writes local", dst, cols), span("MVM reads local", src, rows)]);
                }
                Instr::Binary { dst, a, b, n, .. } => self.local.extend([
                    span("a vector op writes local", dst, *n),
                    span("a vector op reads local", a, *n),
                    span("a vector op reads local", b, *n),
                ]),
                Instr::Unary { dst, a, n, .. } => self
                    .local
                    .extend([span("a vector op writes local", dst, *n), span("a vector op reads local", a, *n)]),
                Instr::Put { core: target, dst, src, n, .. } => {
                    self.local.push(span("PUT reads local", src, *n));
                    self.local.push(Access { remote: Some(*target), ..span("PUT writes local", dst, *n) });
                }
                Instr::Call { .. } | Instr::Wait { .. } | Instr::Barrier { .. } | Instr::Halt => {}
            }
        }
    }
}

/// The least and greatest value of `affine` over the loops' trips; a
/// counter no loop defines counts as 0 (the simulator rejects it).
fn range(affine: &Affine, loops: &[(String, u32)]) -> (i128, i128) {
    let mut lowest = i128::from(affine.constant);
    let mut highest = lowest;
    for (var, coefficient) in &affine.terms {
        let count = loops.iter().rev().find(|(name, _)| name == var).map_or(1, |(_, count)| *count);
        let reach = i128::from(*coefficient) * i128::from(count.saturating_sub(1));
        if reach < 0 {
            lowest += reach;
        } else {
            highest += reach;
        }
    }
    (lowest, highest)
}
