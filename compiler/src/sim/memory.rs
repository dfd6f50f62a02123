//! Functional memories: word values with initialisation bits, and for shared
//! memory the last accesses of every word, checked against happens-before
//! (vector clocks) to find races.

use std::collections::HashMap;

/// A memory of 32-bit words holding values (f32 or integers, kept as f64).
/// It grows to the highest word written, so a large memory costs only what
/// a program touches; callers check addresses against the real size.
#[derive(Debug, Clone, Default)]
pub struct Words {
    values: Vec<f64>,
    init: Vec<bool>,
}

impl Words {
    /// The first uninitialised word of `[start, start+n)`, if any.
    pub fn first_uninitialized(&self, start: usize, n: usize) -> Option<usize> {
        (start..start + n).find(|&a| !self.init.get(a).copied().unwrap_or(false))
    }

    /// Words that `first_uninitialized` found all initialised.
    pub fn read(&self, start: usize, n: usize) -> &[f64] {
        &self.values[start..start + n]
    }

    pub fn write(&mut self, start: usize, values: &[f64]) {
        let end = start + values.len();
        if self.values.len() < end {
            self.values.resize(end, 0.0);
            self.init.resize(end, false);
        }
        self.values[start..end].copy_from_slice(values);
        self.init[start..end].fill(true);
    }

    /// The value of one word, if it was ever written.
    pub fn get(&self, address: usize) -> Option<f64> {
        (*self.init.get(address)?).then(|| self.values[address])
    }
}

/// One access to a shared word: by which core, at which of its clock
/// values, by which instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub core: u32,
    pub clock: u32,
    pub instruction: u32,
}

const NONE: Access = Access { core: u32::MAX, clock: 0, instruction: 0 };

/// The accesses to check a new access against, per shared word.
#[derive(Debug, Clone, Default)]
pub struct AccessHistory {
    last_write: Vec<Access>,
    last_read: Vec<Access>,
    /// Reads concurrent with `last_read` (rare: only words read by several
    /// cores between two synchronizations).
    other_reads: HashMap<usize, Vec<Access>>,
}

/// An access that is not ordered after a conflicting one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conflict {
    pub address: usize,
    pub earlier: Access,
    pub earlier_was_write: bool,
}

impl AccessHistory {
    /// Makes room for words up to `end` (the history grows like [`Words`]).
    fn reach(&mut self, end: usize) {
        if self.last_write.len() < end {
            self.last_write.resize(end, NONE);
            self.last_read.resize(end, NONE);
        }
    }

    /// Records reads of `[start, start+n)` by `access`, whose core knows the
    /// clocks `vc`; a read must come after the last write.
    pub fn read(&mut self, start: usize, n: usize, access: Access, vc: &[u32]) -> Result<(), Conflict> {
        self.reach(start + n);
        for address in start..start + n {
            let write = self.last_write[address];
            if !ordered(write, access.core, vc) {
                return Err(Conflict { address, earlier: write, earlier_was_write: true });
            }
            let previous = self.last_read[address];
            if previous.core != access.core && !ordered(previous, access.core, vc) {
                self.other_reads.entry(address).or_default().push(previous);
            }
            self.last_read[address] = access;
        }
        Ok(())
    }

    /// Records writes of `[start, start+n)`; a write must come after the last
    /// write and after every read since.
    pub fn write(&mut self, start: usize, n: usize, access: Access, vc: &[u32]) -> Result<(), Conflict> {
        self.reach(start + n);
        for address in start..start + n {
            let write = self.last_write[address];
            if !ordered(write, access.core, vc) {
                return Err(Conflict { address, earlier: write, earlier_was_write: true });
            }
            let reads = std::iter::once(self.last_read[address])
                .chain(self.other_reads.get(&address).into_iter().flatten().copied());
            for read in reads {
                if !ordered(read, access.core, vc) {
                    return Err(Conflict { address, earlier: read, earlier_was_write: false });
                }
            }
            self.other_reads.remove(&address);
            self.last_read[address] = NONE;
            self.last_write[address] = access;
        }
        Ok(())
    }
}

/// Whether `earlier` happened before the current access of `core`, whose
/// vector clock is `vc`: same core, or synchronized since.
fn ordered(earlier: Access, core: u32, vc: &[u32]) -> bool {
    earlier.core == u32::MAX || earlier.core == core || vc[earlier.core as usize] >= earlier.clock
}
