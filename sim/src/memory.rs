//! Functional memories: word values with initialisation bits, and for shared
//! memory the accesses of every word that a later access must be ordered
//! after, checked against happens-before (vector clocks) to find races.
//!
//! Both are built for layers of thousands of cores and millions of shared
//! words:
//!
//! - [`AccessHistory`] stores each transfer's access once and, per word, the
//!   numbers of its last write and last read in one dense array. Reads
//!   concurrent with a later read (the input words that the cores of
//!   several column blocks read between two synchronizations) go into
//!   lists threaded through one node array, whose nodes a write recycles:
//!   no allocation or hashing per word.
//! - [`VectorClock`] stores its entries in chunks shared between clocks
//!   (copy on write). A chain of hand-offs gives every core the knowledge
//!   of all the cores before it, but that knowledge is the same for all of
//!   them: copying a clock for a CALL costs a pointer per chunk, and a join
//!   skips the chunks both clocks share.

use std::rc::Rc;

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

/// Cores per chunk of a [`VectorClock`].
const CHUNK: usize = 64;

/// For every core, the highest of its clock values known to the owner of
/// this clock (0: none). Chunks of [`CHUNK`] cores are shared between
/// clocks until one of them changes (`None`: all zero); a clock holds the
/// chunks up to the highest core it knows of.
#[derive(Debug, Clone, Default)]
pub struct VectorClock {
    chunks: Vec<Option<Rc<[u32; CHUNK]>>>,
}

impl VectorClock {
    /// The clock value of `core` known here.
    pub fn get(&self, core: usize) -> u32 {
        match self.chunks.get(core / CHUNK) {
            Some(Some(chunk)) => chunk[core % CHUNK],
            _ => 0,
        }
    }

    /// Advances the entry of `core`: its owner's accesses from now on are
    /// not known to anyone who only knows the clock before.
    pub fn tick(&mut self, core: usize) {
        if self.chunks.len() <= core / CHUNK {
            self.chunks.resize(core / CHUNK + 1, None);
        }
        let chunk = self.chunks[core / CHUNK].get_or_insert_with(|| Rc::new([0; CHUNK]));
        Rc::make_mut(chunk)[core % CHUNK] += 1;
    }

    /// Learns everything `other` knows: the entry-wise maximum. A chunk that
    /// `other` is ahead on everywhere is shared rather than copied.
    pub fn join(&mut self, other: &VectorClock) {
        if self.chunks.len() < other.chunks.len() {
            self.chunks.resize(other.chunks.len(), None);
        }
        for (mine, theirs) in self.chunks.iter_mut().zip(&other.chunks) {
            let Some(theirs) = theirs else { continue };
            let Some(chunk) = mine else {
                *mine = Some(Rc::clone(theirs));
                continue;
            };
            if Rc::ptr_eq(chunk, theirs) {
                continue;
            }
            let (mut ahead, mut behind) = (false, false);
            for (a, b) in chunk.iter().zip(theirs.iter()) {
                ahead |= a > b;
                behind |= a < b;
            }
            match (ahead, behind) {
                (_, false) => {}
                (false, true) => *chunk = Rc::clone(theirs),
                (true, true) => {
                    for (a, b) in Rc::make_mut(chunk).iter_mut().zip(theirs.iter()) {
                        *a = (*a).max(*b);
                    }
                }
            }
        }
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

/// No access, or the end of a list: an access number never given out.
const NIL: u32 = u32::MAX;

/// What an access to one shared word must be ordered after, as numbers of
/// [`AccessHistory::accesses`].
#[derive(Debug, Clone, Copy)]
struct WordHistory {
    write: u32,
    /// The last read since `write`.
    read: u32,
    /// The reads since `write` that the read after them, by another core,
    /// was not ordered after, so that it cannot stand in for them: the
    /// newest node of a list, or [`NIL`].
    concurrent: u32,
}

const UNTOUCHED: WordHistory = WordHistory { write: NIL, read: NIL, concurrent: NIL };

/// A read in a word's list of concurrent reads, and the node of the read
/// before it (or of the next free node).
#[derive(Debug, Clone, Copy)]
struct ReadNode {
    read: u32,
    next: u32,
}

/// The accesses to check a new access against, per shared word.
///
/// A write must be ordered after the last write and after every read
/// since. A read by the same core as the read before, or ordered after
/// it, stands in for it: whatever is ordered after the later read is
/// after the earlier one too. Other reads stay, in the word's list, until
/// the next write. A race names the last read if it is not ordered before
/// the write, else the earliest listed one that is not.
///
/// A transfer's words share its access: it is stored once, and words hold
/// its number (12 bytes a word in all). Accesses that no word refers to
/// any more are dropped from time to time ([`AccessHistory::compact`]).
#[derive(Debug, Clone)]
pub struct AccessHistory {
    /// The accesses of transfers, by number.
    accesses: Vec<Access>,
    /// When `accesses` reaches this length, it is compacted.
    compact_at: usize,
    words: Vec<WordHistory>,
    /// The lists of concurrent reads of all words; freed nodes form a list
    /// from `free`.
    nodes: Vec<ReadNode>,
    free: u32,
}

/// Accesses recorded at least between two compactions.
const MIN_COMPACTION_INTERVAL: usize = 1 << 16;

impl Default for AccessHistory {
    fn default() -> Self {
        AccessHistory {
            accesses: Vec::new(),
            compact_at: MIN_COMPACTION_INTERVAL,
            words: Vec::new(),
            nodes: Vec::new(),
            free: NIL,
        }
    }
}

/// An access that is not ordered after a conflicting one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conflict {
    pub address: usize,
    pub earlier: Access,
    pub earlier_was_write: bool,
}

impl AccessHistory {
    /// Numbers `access` and makes room for words up to `end` (the history
    /// grows like [`Words`]).
    fn record(&mut self, access: Access, end: usize) -> u32 {
        if self.words.len() < end {
            self.words.resize(end, UNTOUCHED);
        }
        if self.accesses.len() >= self.compact_at {
            self.compact();
        }
        self.accesses.push(access);
        index(self.accesses.len() - 1)
    }

    /// Keeps only the accesses that words and nodes (free ones too) refer
    /// to, renumbered. It runs again after at least as many new accesses as
    /// there are words and nodes to scan, so that it costs a constant time
    /// per access, and the table stays within a few times their number.
    fn compact(&mut self) {
        let Self { accesses, words, nodes, .. } = self;
        let mut renumbered = vec![NIL; accesses.len()];
        let mut kept = Vec::new();
        let numbers = words.iter_mut().flat_map(|word| [&mut word.write, &mut word.read]);
        for number in numbers.chain(nodes.iter_mut().map(|node| &mut node.read)) {
            if let Some(&access) = accesses.get(*number as usize) {
                let new = &mut renumbered[*number as usize];
                if *new == NIL {
                    *new = index(kept.len());
                    kept.push(access);
                }
                *number = *new;
            }
        }
        *accesses = kept;
        self.compact_at = self.accesses.len() + self.words.len() + self.nodes.len() + MIN_COMPACTION_INTERVAL;
    }

    /// Whether access number `earlier` (or none) happened before the
    /// current access of `core`, whose vector clock is `vc`: same core, or
    /// synchronized since.
    fn ordered(&self, earlier: u32, core: u32, vc: &VectorClock) -> bool {
        let Some(earlier) = self.accesses.get(earlier as usize) else { return true };
        earlier.core == core || vc.get(earlier.core as usize) >= earlier.clock
    }

    fn conflict(&self, address: usize, earlier: u32, earlier_was_write: bool) -> Conflict {
        Conflict { address, earlier: self.accesses[earlier as usize], earlier_was_write }
    }

    /// Records reads of `[start, start+n)` by `access`, whose core knows the
    /// clock `vc`; a read must come after the last write.
    pub fn read(&mut self, start: usize, n: usize, access: Access, vc: &VectorClock) -> Result<(), Conflict> {
        let id = self.record(access, start + n);
        for address in start..start + n {
            let word = self.words[address];
            if !self.ordered(word.write, access.core, vc) {
                return Err(self.conflict(address, word.write, true));
            }
            let concurrent = if self.ordered(word.read, access.core, vc) {
                word.concurrent
            } else {
                self.push(word.read, word.concurrent)
            };
            self.words[address] = WordHistory { read: id, concurrent, ..word };
        }
        Ok(())
    }

    /// Records writes of `[start, start+n)`; a write must come after the last
    /// write and after every read since.
    pub fn write(&mut self, start: usize, n: usize, access: Access, vc: &VectorClock) -> Result<(), Conflict> {
        let id = self.record(access, start + n);
        for address in start..start + n {
            let word = self.words[address];
            if !self.ordered(word.write, access.core, vc) {
                return Err(self.conflict(address, word.write, true));
            }
            if !self.ordered(word.read, access.core, vc) {
                return Err(self.conflict(address, word.read, false));
            }
            if word.concurrent != NIL {
                // The list runs from the newest read: the last one found is the earliest.
                let (mut node, mut last, mut unordered) = (word.concurrent, NIL, None);
                while node != NIL {
                    let ReadNode { read, next } = self.nodes[node as usize];
                    if !self.ordered(read, access.core, vc) {
                        unordered = Some(read);
                    }
                    (last, node) = (node, next);
                }
                if let Some(read) = unordered {
                    return Err(self.conflict(address, read, false));
                }
                self.nodes[last as usize].next = self.free;
                self.free = word.concurrent;
            }
            self.words[address] = WordHistory { write: id, ..UNTOUCHED };
        }
        Ok(())
    }

    /// Puts read number `read` in front of the list from `next`; returns
    /// its node.
    fn push(&mut self, read: u32, next: u32) -> u32 {
        let node = self.free;
        if node == NIL {
            self.nodes.push(ReadNode { read, next });
            index(self.nodes.len() - 1)
        } else {
            self.free = self.nodes[node as usize].next;
            self.nodes[node as usize] = ReadNode { read, next };
            node
        }
    }
}

/// `i` as a number of an access or node, below [`NIL`].
fn index(i: usize) -> u32 {
    u32::try_from(i).ok().filter(|&i| i != NIL).expect("fewer than 2^32 - 1 transfers and listed reads")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock at 1 for each of `cores`: it knows nothing of the others' accesses.
    fn own_clock(core: usize) -> VectorClock {
        let mut clock = VectorClock::default();
        clock.tick(core);
        clock
    }

    #[test]
    fn compaction_bounds_the_accesses_and_keeps_those_words_refer_to() {
        let mut history = AccessHistory::default();
        let clocks: Vec<VectorClock> = (0..3).map(own_clock).collect();
        let access = |core: u32, instruction: u32| Access { core, clock: 1, instruction };
        // Word 9: read by core 1, then core 2 (concurrent: listed), then core 0.
        for core in [1, 2, 0] {
            history.read(9, 1, access(core, 100 + core), &clocks[core as usize]).unwrap();
        }
        // Many transfers of core 0 over words 0..8.
        for instruction in 0..1_000_000 {
            history.write(instruction as usize % 8, 1, access(0, instruction), &clocks[0]).unwrap();
        }
        assert!(history.accesses.len() < 2 * MIN_COMPACTION_INTERVAL, "{} accesses", history.accesses.len());
        let conflict = history.read(3, 1, access(1, 7), &clocks[1]).unwrap_err();
        assert_eq!(conflict, Conflict { address: 3, earlier: access(0, 999_995), earlier_was_write: true });
        // Core 0's write finds its own read ordered, and names the earliest listed one.
        let conflict = history.write(9, 1, access(0, 8), &clocks[0]).unwrap_err();
        assert_eq!(conflict, Conflict { address: 9, earlier: access(1, 101), earlier_was_write: false });
    }

    #[test]
    fn a_join_learns_the_maximum_and_shares_chunks_it_does_not_change() {
        let (mut a, mut b) = (VectorClock::default(), VectorClock::default());
        for _ in 0..3 {
            a.tick(1);
        }
        b.tick(2);
        b.tick(200);
        a.join(&b);
        assert_eq!([a.get(1), a.get(2), a.get(3), a.get(200), a.get(10_000)], [3, 1, 0, 1, 0]);
        assert!(Rc::ptr_eq(a.chunks[200 / CHUNK].as_ref().unwrap(), b.chunks[200 / CHUNK].as_ref().unwrap()));
        let before = a.clone();
        b.join(&a);
        assert!((0..256).all(|core| a.get(core) == b.get(core)));
        assert!(before.chunks.iter().zip(&b.chunks).all(|(x, y)| match (x, y) {
            (Some(x), Some(y)) => Rc::ptr_eq(x, y),
            (x, y) => x.is_none() && y.is_none(),
        }));
    }
}
