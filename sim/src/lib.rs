//! `rram-sim`'s engine: an event-driven, cycle-approximate simulation of a
//! [`Program`] on an [`Architecture`], optionally computing every value.
//!
//! Timing (docs/isa.md has the full model): cores issue in order, one
//! instruction at a time; MVM takes the crossbar latency, vector-unit ops
//! the vector unit's; LOAD, STORE, CALL and barrier arrivals are bus
//! transactions of `overhead + ceil(bytes / width)` cycles, granted
//! round-robin among the cores waiting when the bus frees, so contention is
//! real. A core runs its local instructions in one go (they touch nothing
//! another core sees); the event queue orders what does: bus grants, the
//! delivery of a CALL to a sequence register, barrier releases.
//!
//! Functional mode computes values (f32, or int8 weights and inputs with
//! int32 accumulation) and checks the program: reading uninitialised memory,
//! and any two accesses to a shared word by different cores, one a write,
//! that no CALL/WAIT or barrier orders (vector clocks), are errors naming the
//! core, the instruction and the address; `memory` keeps the accesses and
//! clocks this needs small and quick for thousands of cores and millions of
//! words. Every run detects deadlock: all cores that have not finished
//! waiting, with nothing left to wake them.

pub mod bench;
mod code;
mod memory;
mod stats;
mod trace;

pub use stats::{BarrierRelease, BusBytes, CoreStats, Stats};
use trace::Grant;
pub use trace::Trace;

use code::{lower, Code, Op};
use memory::{Access, AccessHistory, Conflict, VectorClock, Words};
use rram_arch::Architecture;
use rram_isa::{check_fit, BinaryOp, Class, Misfit, Program, UnaryOp};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// How values are computed in functional mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumericMode {
    /// Every result rounded to f32.
    F32,
    /// Weights and MVM inputs are int8, sums int32 (an overflow is an error).
    Int8,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SimOptions {
    /// Compute values and check for races; `None` simulates timing only.
    pub functional: Option<NumericMode>,
    /// Record a Chrome trace.
    pub trace: bool,
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct SimResult {
    pub stats: Stats,
    /// Shared memory at the end, in functional mode.
    pub shared: Option<SharedMemory>,
    pub trace: Option<Trace>,
}

/// Shared memory after a functional run.
#[derive(Debug, Clone)]
pub struct SharedMemory(Words);

impl SharedMemory {
    /// `n` words from `address`; `None` where a word was never written.
    pub fn read(&self, address: usize, n: usize) -> Vec<Option<f64>> {
        (address..address + n).map(|a| self.0.get(a)).collect()
    }
}

/// Where in a program something happened: core, instruction, loop counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub core: u32,
    /// Index of the instruction in the core's program (pre-order, from 0).
    pub instruction: u32,
    /// `(loop variable, value)` of the enclosing loops.
    pub counters: Vec<(String, i64)>,
}

impl std::fmt::Display for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "core {} instruction {}", self.core, self.instruction)?;
        if !self.counters.is_empty() {
            let counters: Vec<String> = self.counters.iter().map(|(v, i)| format!("{v}={i}")).collect();
            write!(f, " ({})", counters.join(", "))?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The program needs more than the chip has ([`check_fit`]).
    #[error(transparent)]
    Misfit(#[from] Misfit),
    /// The program is malformed.
    #[error("core {core}: {message}")]
    Program { core: u32, message: String },
    #[error("{site}: {memory} words [{address}, {end}) are outside its {size} words", end = *address + i64::from(*n))]
    OutOfRange { site: Site, memory: &'static str, address: i64, n: u32, size: usize },
    #[error("{site}: reads uninitialised {memory} word {address}")]
    Uninitialized { site: Site, memory: &'static str, address: usize },
    #[error("{site}: race on {memory} word {address}: it {action} it while the {earlier_action} by core {other_core} instruction {other_instruction} is not synchronized with it (no CALL/WAIT or barrier orders them)")]
    Race {
        site: Site,
        /// `shared`, or the local memory of a core that others `PUT` to.
        memory: String,
        address: usize,
        action: &'static str,
        earlier_action: &'static str,
        other_core: u32,
        other_instruction: u32,
    },
    /// An instruction that cannot execute: an int32 overflow, an input that
    /// is not int8, a barrier other cores do not wait at.
    #[error("{site}: {message}")]
    Fault { site: Site, message: String },
    /// A layer that cannot be made into a program, e.g. one whose kernel
    /// matrix exceeds 64 bits.
    #[error("layer '{layer}': {message}")]
    Layer { layer: String, message: String },
    #[error("deadlock: every unfinished core waits and nothing can wake it: {}", .waiting.join("; "))]
    Deadlock { waiting: Vec<String> },
}

/// Words of a memory a functional simulation holds: its memories are
/// dense up to the highest word used (21 bytes a shared word with the race
/// history), so an address far into a large chip's memory is an error, not
/// an allocation of terabytes. Far above what any layer's data needs.
pub const MAX_FUNCTIONAL_WORDS: usize = 1 << 26;

/// Runs `program` on `arch`.
pub fn simulate(arch: &Architecture, program: &Program, options: &SimOptions) -> Result<SimResult, SimError> {
    check_fit(program, arch)?;
    Engine::new(arch, program, options)?.run()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ready,
    WaitBus { since: u64 },
    WaitSync { since: u64, register: u32, value: u64 },
    Barrier { since: u64, id: u32 },
    Done { at: u64 },
}

/// The weights of one crossbar, in functional mode.
#[derive(Debug, Clone)]
struct Weights {
    rows: usize,
    cols: usize,
    values: Vec<f64>,
}

struct CoreState {
    id: u32,
    code: Code,
    pc: usize,
    counters: Vec<i64>,
    status: Status,
    /// The sequence registers (`sync.registers`).
    registers: Vec<u64>,
    stats: CoreStats,
    /// Crossbars by index: `(rows, cols)` and, in functional mode, weights.
    crossbars: Vec<Option<(usize, usize, Option<Weights>)>>,
    local: Option<Words>,
    /// Vector clock, in functional mode.
    clock: VectorClock,
    local_peak_words: u64,
}

impl CoreState {
    /// The access this core's current instruction makes, for the race
    /// checks; `index` is the core's index in the engine.
    fn access(&self, index: usize) -> Access {
        Access { core: index as u32, clock: self.clock.get(index), instruction: self.code.source_index[self.pc] }
    }
}

/// A bus transaction a core waits for.
#[derive(Debug, Clone, Copy)]
enum Transfer {
    Load { local: i64, shared: i64, n: u32, class: Class },
    Store { shared: i64, local: i64, n: u32, class: Class },
    Put { target: usize, dst: i64, src: i64, n: u32, class: Class, signal: u64 },
    Call { target: usize, register: u32, value: u64 },
    Arrive { id: u32 },
}

#[derive(Debug, Clone, Copy)]
struct Request {
    time: u64,
    transfer: Transfer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    Deliver { target: usize, register: u32, value: u64, from: usize },
    Run { core: usize },
    Arbitrate,
}

/// A core's run in the queue, ordered by time, then insertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct ScheduledRun {
    time: u64,
    sequence: u64,
    core: usize,
}

struct Engine<'a> {
    arch: &'a Architecture,
    cores: Vec<CoreState>,
    /// Core index by core id.
    index_of: Vec<Option<usize>>,
    /// Cores to run. At most one arbitration is ever due (a slot); CALL
    /// deliveries overlap only on a pipelined bus, and as every CALL takes
    /// the same time they are due in the order they were granted (a FIFO).
    queue: BinaryHeap<Reverse<ScheduledRun>>,
    sequence: u64,
    deliveries: VecDeque<(u64, Event)>,
    arbitration: Option<u64>,
    /// A core known to be the next event: it skips the queue.
    next_run: Option<(u64, usize)>,
    /// The bus request of each core, if it has one.
    pending: Vec<Option<Request>>,
    /// The cores with a pending request, so that round-robin finds the next
    /// one without scanning thousands of idle cores.
    requesters: CoreSet,
    bus_free_at: u64,
    last_granted: usize,
    /// Vector clocks released by CALLs in flight, by sending core (functional mode).
    released: Vec<Option<VectorClock>>,
    /// Vector clock of each core's registers: the join of every CALL delivered to it.
    register_clocks: Vec<Vec<VectorClock>>,
    /// The cores at a barrier, with when they arrived, and its id.
    barrier_arrivals: Vec<(usize, u64)>,
    barrier_id: Option<u32>,
    /// Cores that have halted: a barrier waits for all the others.
    halted: usize,
    mode: Option<NumericMode>,
    shared: Option<Words>,
    history: Option<AccessHistory>,
    /// The accesses to the local memory of every core that others `PUT`
    /// to, by core index (functional mode): its words are shared too.
    local_histories: Vec<Option<AccessHistory>>,
    shared_peak_words: u64,
    stats: Stats,
    trace: Option<Trace>,
}

impl<'a> Engine<'a> {
    fn new(arch: &'a Architecture, program: &Program, options: &SimOptions) -> Result<Self, SimError> {
        let mut programs: Vec<_> = program.cores.iter().collect();
        programs.sort_by_key(|p| p.core);
        let mut index_of = vec![None; arch.core.count as usize];
        let functional = options.functional.is_some();
        let count = programs.len();
        let mut cores = Vec::with_capacity(count);
        for (index, p) in programs.iter().enumerate() {
            let error = |message: String| SimError::Program { core: p.core, message };
            let slot = index_of
                .get_mut(p.core as usize)
                .ok_or_else(|| error(format!("the architecture has only {} cores", arch.core.count)))?;
            if slot.replace(index).is_some() {
                return Err(error("has two programs".into()));
            }
            let code = lower(p).map_err(|e| {
                error(format!(
                    "instruction {} uses loop variable '{}' that no enclosing loop defines",
                    e.instruction, e.variable
                ))
            })?;
            let mut crossbars = vec![None; arch.core.crossbars as usize];
            for xbar in &p.crossbars {
                let entry = crossbars.get_mut(xbar.index as usize).ok_or_else(|| {
                    error(format!("crossbar {} does not exist: cores have {}", xbar.index, arch.core.crossbars))
                })?;
                let weights = match (&xbar.weights, options.functional) {
                    (Some(values), Some(_)) => {
                        if values.len() != (xbar.rows * xbar.cols) as usize {
                            return Err(error(format!(
                                "crossbar {} has {} weights for {}x{}",
                                xbar.index,
                                values.len(),
                                xbar.rows,
                                xbar.cols
                            )));
                        }
                        if options.functional == Some(NumericMode::Int8) {
                            if let Some(w) = values.iter().find(|w| !is_int8(**w)) {
                                return Err(error(format!("crossbar {} holds {w}, not an int8 weight", xbar.index)));
                            }
                        }
                        let values = values.iter().map(|&w| as_f32_if(options.functional, w)).collect();
                        Some(Weights { rows: xbar.rows as usize, cols: xbar.cols as usize, values })
                    }
                    (None, Some(_)) => {
                        return Err(error(format!("crossbar {} has no weights to compute with", xbar.index)))
                    }
                    (_, None) => None,
                };
                *entry = Some((xbar.rows as usize, xbar.cols as usize, weights));
            }
            cores.push(CoreState {
                id: p.core,
                counters: vec![0; code.counter_names.len()],
                code,
                pc: 0,
                status: Status::Ready,
                registers: vec![0; arch.sync.registers as usize],
                stats: CoreStats { core: p.core, ..Default::default() },
                crossbars,
                local: functional.then(Words::default),
                clock: VectorClock::default(),
                local_peak_words: 0,
            });
            if functional {
                cores[index].clock.tick(index);
            }
        }
        let shared_words = (arch.shared_memory.size_bytes / 4) as usize;
        let mut shared = functional.then(Words::default);
        if let Some(shared) = &mut shared {
            for init in &program.memory {
                let start = init.address as usize;
                let end = start.checked_add(init.values.len());
                if end.is_none_or(|end| end > shared_words.min(MAX_FUNCTIONAL_WORDS)) {
                    let limit = if shared_words <= MAX_FUNCTIONAL_WORDS {
                        format!("is outside its {shared_words} words")
                    } else {
                        format!("lies past word {MAX_FUNCTIONAL_WORDS}, the end of what a functional simulation holds")
                    };
                    return Err(SimError::Program {
                        core: 0,
                        message: format!("initial shared memory [{start}, {}) {limit}", start + init.values.len()),
                    });
                }
                if options.functional == Some(NumericMode::Int8) {
                    if let Some((i, v)) = init.values.iter().enumerate().find(|(_, v)| !is_int32(**v)) {
                        return Err(SimError::Program {
                            core: 0,
                            message: format!("initial shared word {} holds {v}, not an int32 value", start + i),
                        });
                    }
                }
                let values: Vec<f64> = init.values.iter().map(|&v| as_f32_if(options.functional, v)).collect();
                shared.write(start, &values);
            }
        }
        let mut local_histories = vec![None; count];
        if functional {
            let targets = cores.iter().flat_map(|c| c.code.ops.iter()).filter_map(|op| match op {
                Op::Put { core, .. } => index_of.get(*core as usize).copied().flatten(),
                _ => None,
            });
            for target in targets {
                local_histories[target] = Some(AccessHistory::default());
            }
        }
        let mut engine = Engine {
            arch,
            index_of,
            queue: BinaryHeap::new(),
            sequence: 0,
            pending: vec![None; count],
            requesters: CoreSet::new(count),
            bus_free_at: 0,
            deliveries: VecDeque::new(),
            arbitration: None,
            next_run: None,
            last_granted: count.saturating_sub(1),
            released: vec![None; count],
            register_clocks: vec![vec![VectorClock::default(); arch.sync.registers as usize]; count],
            barrier_arrivals: Vec::new(),
            barrier_id: None,
            halted: 0,
            mode: options.functional,
            history: functional.then(AccessHistory::default),
            local_histories,
            shared,
            shared_peak_words: 0,
            stats: Stats::default(),
            trace: options.trace.then(|| Trace::new(arch, &programs)),
            cores,
        };
        for core in 0..count {
            engine.schedule(0, Event::Run { core });
        }
        Ok(engine)
    }

    fn schedule(&mut self, time: u64, event: Event) {
        match event {
            Event::Run { core } => {
                self.sequence += 1;
                self.queue.push(Reverse(ScheduledRun { time, sequence: self.sequence, core }));
            }
            Event::Deliver { .. } => {
                debug_assert!(self.deliveries.back().is_none_or(|(t, _)| *t <= time), "CALLs deliver in grant order");
                self.deliveries.push_back((time, event));
            }
            Event::Arbitrate => self.arbitration = Some(time),
        }
    }

    /// The next event: at one time, a delivery first (a WAIT then sees it),
    /// then cores in the order they were scheduled (their requests then
    /// compete), then the bus.
    fn next_event(&mut self) -> Option<(u64, Event)> {
        if let Some((time, core)) = self.next_run {
            match self.deliveries.front() {
                Some(&(delivery, event)) if delivery <= time => {
                    self.deliveries.pop_front();
                    return Some((delivery, event));
                }
                _ => {
                    self.next_run = None;
                    return Some((time, Event::Run { core }));
                }
            }
        }
        let run = self.queue.peek().map(|Reverse(r)| r.time);
        if let Some(&(time, event)) = self.deliveries.front() {
            if run.is_none_or(|t| time <= t) && self.arbitration.is_none_or(|t| time <= t) {
                self.deliveries.pop_front();
                return Some((time, event));
            }
        }
        if run.is_some_and(|t| self.arbitration.is_none_or(|a| t <= a)) {
            let Reverse(run) = self.queue.pop()?;
            return Some((run.time, Event::Run { core: run.core }));
        }
        self.arbitration.take().map(|time| (time, Event::Arbitrate))
    }

    fn run(mut self) -> Result<SimResult, SimError> {
        while let Some((time, event)) = self.next_event() {
            match event {
                Event::Run { core } => self.run_core(core, time)?,
                Event::Deliver { target, register, value, from } => self.deliver(target, register, value, from, time),
                Event::Arbitrate => self.arbitrate(time)?,
            }
        }
        let waiting: Vec<String> = self.cores.iter().filter_map(|c| self.describe_wait(c)).collect();
        if !waiting.is_empty() {
            return Err(SimError::Deadlock { waiting });
        }
        Ok(self.finish())
    }

    fn describe_wait(&self, core: &CoreState) -> Option<String> {
        let site = self.site(core);
        match core.status {
            Status::WaitSync { register, value, .. } => {
                let (operand, named) = if register == 0 {
                    (String::new(), String::new())
                } else {
                    (format!("r{register}, "), format!(" r{register}"))
                };
                Some(format!(
                    "{site} (WAIT {operand}{value}) waits for its sequence register{named} to reach {value}; it is {}",
                    core.registers[register as usize]
                ))
            }
            Status::Barrier { id, .. } => {
                let absent: Vec<String> = self
                    .cores
                    .iter()
                    .filter(|c| !matches!(c.status, Status::Barrier { .. } | Status::Done { .. }))
                    .map(|c| c.id.to_string())
                    .collect();
                Some(format!("{site} waits at barrier {id} for cores {}", absent.join(", ")))
            }
            Status::Ready | Status::WaitBus { .. } | Status::Done { .. } => None,
        }
    }

    fn site(&self, core: &CoreState) -> Site {
        let pc = core.pc.min(core.code.source_index.len().saturating_sub(1));
        Site {
            core: core.id,
            instruction: core.code.source_index.get(pc).copied().unwrap_or(0),
            counters: active_counters(core),
        }
    }

    /// Runs `core` from time `time` until it needs the bus, waits, or stops.
    /// Local instructions run ahead of the event queue (nobody else sees
    /// them); a WAIT is only evaluated once every earlier event, such as a
    /// CALL's delivery, has happened.
    fn run_core(&mut self, index: usize, mut time: u64) -> Result<(), SimError> {
        let now = time;
        self.cores[index].status = Status::Ready;
        loop {
            let core = &mut self.cores[index];
            let Some(op) = core.code.ops.get(core.pc) else {
                return self.halt(index, time);
            };
            let cycles;
            let name: &'static str;
            if core.stats.started.is_none()
                && matches!(op, Op::Mvm { .. } | Op::Binary { .. } | Op::Unary { .. } | Op::Store { .. })
            {
                core.stats.started = Some(time);
            }
            match op {
                Op::LoopStart { slot, count, end } => {
                    core.counters[*slot] = 0;
                    core.pc = if *count == 0 { end + 1 } else { core.pc + 1 };
                    continue;
                }
                Op::LoopEnd { slot, count, start } => {
                    core.counters[*slot] += 1;
                    core.pc = if core.counters[*slot] < i64::from(*count) { start + 1 } else { core.pc + 1 };
                    continue;
                }
                Op::Halt => return self.halt(index, time),
                // Registers only grow: a WAIT met now is met later too. One not
                // yet met is looked at again once every earlier delivery is in.
                Op::Wait { register, value }
                    if time > now
                        && core.registers[*register as usize]
                            < value.eval(&core.code.terms, &core.counters).max(0) as u64 =>
                {
                    self.schedule(time, Event::Run { core: index });
                    return Ok(());
                }
                Op::Wait { register, value } => {
                    let (register, value) = (*register, value.eval(&core.code.terms, &core.counters).max(0) as u64);
                    core.stats.instructions += 1;
                    if core.registers[register as usize] < value {
                        core.status = Status::WaitSync { since: time, register, value };
                        return Ok(());
                    }
                    core.pc += 1;
                    self.acquire(index, register);
                    continue;
                }
                Op::Load { local, shared, n, class } => {
                    let transfer = Transfer::Load {
                        local: local.eval(&core.code.terms, &core.counters),
                        shared: shared.eval(&core.code.terms, &core.counters),
                        n: *n,
                        class: *class,
                    };
                    return self.request(index, time, transfer);
                }
                Op::Store { shared, local, n, class } => {
                    let transfer = Transfer::Store {
                        shared: shared.eval(&core.code.terms, &core.counters),
                        local: local.eval(&core.code.terms, &core.counters),
                        n: *n,
                        class: *class,
                    };
                    return self.request(index, time, transfer);
                }
                Op::Put { core: target, dst, src, n, class, signal } => {
                    let (target, n, class) = (*target, *n, *class);
                    let (dst, src, signal) = (
                        dst.eval(&core.code.terms, &core.counters),
                        src.eval(&core.code.terms, &core.counters),
                        signal.eval(&core.code.terms, &core.counters).max(0) as u64,
                    );
                    let target = self.target_core(index, "PUT", target)?;
                    return self.request(index, time, Transfer::Put { target, dst, src, n, class, signal });
                }
                Op::Call { core: target, register, value } => {
                    let value = value.eval(&core.code.terms, &core.counters).max(0) as u64;
                    let (target, register) = (*target, *register);
                    let target = self.target_core(index, "CALL", target)?;
                    return self.request(index, time, Transfer::Call { target, register, value });
                }
                Op::Barrier { id } => {
                    let id = *id;
                    return self.request(index, time, Transfer::Arrive { id });
                }
                Op::Mvm { xbar, dst, src } => {
                    name = "MVM";
                    cycles = self.arch.mvm_latency_cycles();
                    let (dst, src, xbar) = (
                        dst.eval(&core.code.terms, &core.counters),
                        src.eval(&core.code.terms, &core.counters),
                        *xbar as usize,
                    );
                    self.mvm(index, xbar, dst, src)?;
                }
                Op::Mov { dst, src, n } => {
                    name = "MOV";
                    cycles = self.arch.vector_op_cycles(u64::from(*n));
                    let (dst, src, n) =
                        (dst.eval(&core.code.terms, &core.counters), src.eval(&core.code.terms, &core.counters), *n);
                    self.vector(index, dst, &[src], n, |v| Ok(v[0]))?;
                }
                Op::Binary { op, dst, a, b, n } => {
                    let (op, n) = (*op, *n);
                    name = match op {
                        BinaryOp::Add => "ADD",
                        BinaryOp::Bias => "BIAS",
                        BinaryOp::Max => "MAX",
                    };
                    cycles = self.arch.vector_op_cycles(u64::from(n));
                    let (dst, a, b) = (
                        dst.eval(&core.code.terms, &core.counters),
                        a.eval(&core.code.terms, &core.counters),
                        b.eval(&core.code.terms, &core.counters),
                    );
                    let mode = self.mode;
                    self.vector(index, dst, &[a, b], n, |v| match op {
                        BinaryOp::Add | BinaryOp::Bias => arithmetic(mode, v[0] + v[1]),
                        BinaryOp::Max => Ok(v[0].max(v[1])),
                    })?;
                }
                Op::Unary { op, dst, a, n } => {
                    let (op, n) = (*op, *n);
                    name = match op {
                        UnaryOp::Relu => "RELU",
                        UnaryOp::Clip { .. } => "CLIP",
                        UnaryOp::Avg { .. } => "AVG",
                        UnaryOp::Requant { .. } => "REQUANT",
                    };
                    cycles = self.arch.vector_op_cycles(u64::from(n));
                    let (dst, a) =
                        (dst.eval(&core.code.terms, &core.counters), a.eval(&core.code.terms, &core.counters));
                    let mode = self.mode;
                    self.vector(index, dst, &[a], n, |v| match op {
                        UnaryOp::Relu => Ok(v[0].max(0.0)),
                        UnaryOp::Clip { lo, hi } => clip(mode, v[0], f64::from(lo), f64::from(hi)),
                        UnaryOp::Avg { count } if mode == Some(NumericMode::Int8) => {
                            Ok((v[0] / f64::from(count)).trunc())
                        }
                        UnaryOp::Avg { count } => arithmetic(mode, v[0] / f64::from(count)),
                        UnaryOp::Requant { shift } => Ok(requantize(v[0], shift)),
                    })?;
                }
            }
            let core = &mut self.cores[index];
            core.stats.busy += cycles;
            core.stats.instructions += 1;
            core.pc += 1;
            if let Some(trace) = &mut self.trace {
                trace.slice(index, core.code.source_index[core.pc - 1], name, time, cycles);
            }
            time += cycles;
        }
    }

    /// The index of core `id`, the target of a `PUT` or `CALL` of core `index`.
    fn target_core(&self, index: usize, instruction: &str, id: u32) -> Result<usize, SimError> {
        self.index_of.get(id as usize).copied().flatten().ok_or_else(|| SimError::Program {
            core: self.cores[index].id,
            message: format!("{instruction} to core {id}, which has no program"),
        })
    }

    fn halt(&mut self, index: usize, time: u64) -> Result<(), SimError> {
        self.cores[index].status = Status::Done { at: time };
        self.halted += 1;
        self.release_barrier_if_complete(time);
        Ok(())
    }

    #[inline]
    fn request(&mut self, core: usize, time: u64, transfer: Transfer) -> Result<(), SimError> {
        self.cores[core].status = Status::WaitBus { since: time };
        self.pending[core] = Some(Request { time, transfer });
        self.requesters.insert(core);
        // A core that ran ahead may have asked for a later arbitration: the
        // bus decides at the earliest time anyone waits for it.
        let at = time.max(self.bus_free_at);
        if self.arbitration.is_none_or(|scheduled| at < scheduled) {
            self.schedule(at, Event::Arbitrate);
        }
        Ok(())
    }

    /// Grants the bus at `time` to the next waiting core in round-robin order.
    fn arbitrate(&mut self, time: u64) -> Result<(), SimError> {
        let eligible = |c: usize| self.pending[c].is_some_and(|r| r.time <= time);
        // Cores after the last one granted come first.
        let chosen = self.requesters.cyclic_from(self.last_granted + 1).find(|&c| eligible(c));
        let Some(core) = chosen else {
            // Only requests made later: come back when the first is made.
            let next = self.requesters.cyclic_from(0).filter_map(|c| self.pending[c]).map(|r| r.time).min();
            if let Some(next) = next {
                self.schedule(next, Event::Arbitrate);
            }
            return Ok(());
        };
        let request = self.pending[core].take().expect("chosen among pending requests");
        self.requesters.remove(core);
        self.last_granted = core;
        let (class, elements, signals) = match request.transfer {
            Transfer::Load { n, class, .. } | Transfer::Store { n, class, .. } => (class, u64::from(n), 0),
            Transfer::Put { n, class, .. } => (class, u64::from(n), 1),
            Transfer::Call { .. } | Transfer::Arrive { .. } => (Class::Sync, 1, 0),
        };
        let (data, signal) = (elements * self.element_bytes(class), signals * self.element_bytes(Class::Sync));
        let bytes = data + signal;
        let cycles = self.arch.bus_transfer_cycles(bytes);
        let held = self.arch.bus_occupancy_cycles(bytes);
        let done = time + cycles;
        self.stats.bus_bytes.add(class, data);
        self.stats.bus_bytes.add(Class::Sync, signal);
        self.stats.bus_transactions += 1;
        self.stats.bus_busy_cycles += held;
        self.bus_free_at = time + held;
        let state = &mut self.cores[core];
        state.stats.wait_bus += time - request.time;
        state.stats.busy += cycles;
        state.stats.instructions += 1;
        if let Some(trace) = &mut self.trace {
            let grant = Grant { start: time, cycles, held, bytes };
            trace.transfer(core, state.code.source_index[state.pc], &request, grant);
        }
        match request.transfer {
            Transfer::Load { local, shared, n, .. } => {
                self.transfer(core, shared, local, n, true)?;
                self.resume_after_bus(core, done);
            }
            Transfer::Store { shared, local, n, .. } => {
                self.transfer(core, shared, local, n, false)?;
                self.resume_after_bus(core, done);
            }
            Transfer::Put { target, dst, src, n, signal, .. } => {
                self.put(core, target, dst, src, n)?;
                self.release(core);
                self.schedule(done, Event::Deliver { target, register: 0, value: signal, from: core });
                self.resume_after_bus(core, done);
            }
            Transfer::Call { target, register, value } => {
                self.release(core);
                self.schedule(done, Event::Deliver { target, register, value, from: core });
                self.resume_after_bus(core, done);
            }
            Transfer::Arrive { id } => {
                let state = &mut self.cores[core];
                state.pc += 1;
                state.status = Status::Barrier { since: done, id };
                if let Some(other) = self.barrier_id.filter(|&other| other != id) {
                    let site = self.site(&self.cores[core]);
                    let waiting = self.cores[self.barrier_arrivals[0].0].id;
                    return Err(SimError::Fault {
                        site,
                        message: format!("arrives at barrier {id} while core {waiting} waits at barrier {other}"),
                    });
                }
                self.barrier_id = Some(id);
                self.barrier_arrivals.push((core, done));
                self.release_barrier_if_complete(done);
            }
        }
        if !self.requesters.is_empty() {
            self.schedule(self.bus_free_at, Event::Arbitrate);
        }
        Ok(())
    }

    /// A signal (CALL or PUT) on its way: its target will know everything
    /// this core did before it (functional mode).
    fn release(&mut self, core: usize) {
        if self.mode.is_some() {
            let clock = &mut self.cores[core].clock;
            self.released[core] = Some(clock.clone());
            clock.tick(core);
        }
    }

    fn resume_after_bus(&mut self, core: usize, done: u64) {
        self.cores[core].pc += 1;
        // Most of the time no other core runs before the transfer ends: this
        // one is then the next to run (after a CALL's delivery at the same
        // time) and need not go through the queue.
        if self.next_run.is_none() && self.queue.peek().is_none_or(|Reverse(r)| r.time > done) {
            self.next_run = Some((done, core));
        } else {
            self.schedule(done, Event::Run { core });
        }
    }

    /// Releases a barrier once every core that has not finished has arrived.
    fn release_barrier_if_complete(&mut self, time: u64) {
        if self.barrier_arrivals.is_empty() {
            return;
        }
        if self.barrier_arrivals.len() < self.cores.len() - self.halted {
            return;
        }
        let release = self.barrier_arrivals.iter().map(|&(_, t)| t).max().unwrap_or(time).max(time);
        let arrivals = std::mem::take(&mut self.barrier_arrivals);
        if let Some(id) = self.barrier_id.take() {
            self.stats.barriers.push(BarrierRelease { id, cycle: release });
        }
        if self.mode.is_some() {
            let mut joined = VectorClock::default();
            for &(core, _) in &arrivals {
                joined.join(&self.cores[core].clock);
            }
            for &(core, _) in &arrivals {
                let clock = &mut self.cores[core].clock;
                clock.clone_from(&joined);
                clock.tick(core);
            }
        }
        for (core, _) in arrivals {
            let state = &mut self.cores[core];
            if let Status::Barrier { since, .. } = state.status {
                state.stats.wait_sync += release - since;
                if let Some(trace) = &mut self.trace {
                    trace.slice(core, state.code.source_index[state.pc - 1], "wait sync", since, release - since);
                }
            }
            self.schedule(release, Event::Run { core });
        }
    }

    fn deliver(&mut self, target: usize, register: u32, value: u64, from: usize, time: u64) {
        if let Some(clock) = self.released[from].take() {
            self.register_clocks[target][register as usize].join(&clock);
        }
        let core = &mut self.cores[target];
        let held = &mut core.registers[register as usize];
        *held = (*held).max(value);
        if let Status::WaitSync { since, register: waited, value } = core.status {
            if waited == register && *held >= value {
                core.stats.wait_sync += time - since;
                core.pc += 1;
                if let Some(trace) = &mut self.trace {
                    trace.slice(target, core.code.source_index[core.pc - 1], "wait sync", since, time - since);
                }
                self.acquire(target, register);
                self.schedule(time, Event::Run { core: target });
            }
        }
    }

    /// A satisfied WAIT orders everything the CALLs delivered to its
    /// register so far released before the core's next accesses
    /// (functional mode).
    fn acquire(&mut self, core: usize, register: u32) {
        if self.mode.is_some() {
            self.cores[core].clock.join(&self.register_clocks[core][register as usize]);
        }
    }

    fn element_bytes(&self, class: Class) -> u64 {
        let crossbar = &self.arch.crossbar;
        match class {
            Class::Input | Class::Output => u64::from(crossbar.input_bits.div_ceil(8)),
            Class::Partial => u64::from(crossbar.output_bits.div_ceil(8)),
            Class::Sync => u64::from(self.arch.sync.register_bytes),
        }
    }

    fn check_range(
        &self,
        core: usize,
        memory: &'static str,
        address: i64,
        n: u32,
        size: usize,
    ) -> Result<usize, SimError> {
        match usize::try_from(address) {
            Ok(start) if start.checked_add(n as usize).is_some_and(|end| end <= size) => {
                if self.mode.is_some() && start + n as usize > MAX_FUNCTIONAL_WORDS {
                    let message = format!(
                        "{memory} words [{start}, {}) lie past word {MAX_FUNCTIONAL_WORDS}, the end of what a \
                         functional simulation holds of a memory (a timing-only one takes any address)",
                        start + n as usize
                    );
                    return Err(SimError::Fault { site: self.site(&self.cores[core]), message });
                }
                Ok(start)
            }
            _ => Err(SimError::OutOfRange { site: self.site(&self.cores[core]), memory, address, n, size }),
        }
    }

    fn local_range(&mut self, core: usize, address: i64, n: u32) -> Result<usize, SimError> {
        self.local_range_of(core, core, "local", address, n)
    }

    /// Words `[address, address+n)` of `owner`'s local memory (`memory` in
    /// errors, which name `core`'s instruction), counted in its peak.
    fn local_range_of(
        &mut self,
        core: usize,
        owner: usize,
        memory: &'static str,
        address: i64,
        n: u32,
    ) -> Result<usize, SimError> {
        let size = (self.arch.core.local_memory_bytes / 4) as usize;
        let start = self.check_range(core, memory, address, n, size)?;
        let state = &mut self.cores[owner];
        state.local_peak_words = state.local_peak_words.max((start + n as usize) as u64);
        Ok(start)
    }

    /// In functional mode, what an instruction of `core` that reads
    /// `read_n` words of its local memory at each of `reads` and writes
    /// `write = (owner, start, n)` must satisfy: no race on words that
    /// other cores PUT to (reads, then the write), and reads of written
    /// words only.
    fn check_local_access(
        &mut self,
        core: usize,
        reads: &[usize],
        read_n: usize,
        write: (usize, usize, usize),
    ) -> Result<(), SimError> {
        if self.mode.is_none() {
            return Ok(());
        }
        for &start in reads {
            self.track_local(core, core, start, read_n, false)?;
        }
        let (owner, start, n) = write;
        self.track_local(core, owner, start, n, true)?;
        let local = self.cores[core].local.as_ref().expect("functional mode");
        match reads.iter().find_map(|&start| local.first_uninitialized(start, read_n)) {
            Some(address) => {
                Err(SimError::Uninitialized { site: self.site(&self.cores[core]), memory: "local", address })
            }
            None => Ok(()),
        }
    }

    /// A bus transfer between shared and local memory (`load`: shared to local).
    fn transfer(&mut self, core: usize, shared: i64, local: i64, n: u32, load: bool) -> Result<(), SimError> {
        let shared_size = (self.arch.shared_memory.size_bytes / 4) as usize;
        let shared_start = self.check_range(core, "shared", shared, n, shared_size)?;
        let local_start = self.local_range(core, local, n)?;
        self.shared_peak_words = self.shared_peak_words.max((shared_start + n as usize) as u64);
        if self.mode.is_none() {
            return Ok(());
        }
        let n = n as usize;
        self.track_local(core, core, local_start, n, load)?;
        let state = &mut self.cores[core];
        let access = state.access(core);
        let (Some(shared_words), Some(history), Some(local_words)) =
            (&mut self.shared, &mut self.history, state.local.as_mut())
        else {
            return Ok(());
        };
        // Errors are rare: the failing check is recorded, the site computed after.
        let failure = if load {
            match shared_words.first_uninitialized(shared_start, n) {
                Some(address) => Some(Err(("shared", address))),
                None => match history.read(shared_start, n, access, &state.clock) {
                    Err(conflict) => Some(Ok((conflict, "reads"))),
                    Ok(()) => {
                        local_words.write(local_start, shared_words.read(shared_start, n));
                        None
                    }
                },
            }
        } else {
            match local_words.first_uninitialized(local_start, n) {
                Some(address) => Some(Err(("local", address))),
                None => match history.write(shared_start, n, access, &state.clock) {
                    Err(conflict) => Some(Ok((conflict, "writes"))),
                    Ok(()) => {
                        shared_words.write(shared_start, local_words.read(local_start, n));
                        None
                    }
                },
            }
        };
        let Some(failure) = failure else { return Ok(()) };
        let site = self.site(&self.cores[core]);
        Err(match failure {
            Err((memory, address)) => SimError::Uninitialized { site, memory, address },
            Ok((conflict, action)) => race(site, "shared".into(), conflict, action, &self.cores),
        })
    }

    /// Records an access by core `core` (its current instruction) to words
    /// `[start, start+n)` of the local memory of core `owner`, if other
    /// cores `PUT` to it (functional mode): such words are checked for
    /// races like shared ones.
    fn track_local(&mut self, core: usize, owner: usize, start: usize, n: usize, write: bool) -> Result<(), SimError> {
        let Some(history) = self.local_histories[owner].as_mut() else { return Ok(()) };
        let state = &self.cores[core];
        let access = state.access(core);
        let result = if write {
            history.write(start, n, access, &state.clock)
        } else {
            history.read(start, n, access, &state.clock)
        };
        result.map_err(|conflict| {
            let memory = format!("core {}'s local", self.cores[owner].id);
            race(self.site(&self.cores[core]), memory, conflict, if write { "writes" } else { "reads" }, &self.cores)
        })
    }

    /// A `PUT`'s data: `n` words from this core's local `src` to `target`'s local `dst`.
    fn put(&mut self, core: usize, target: usize, dst: i64, src: i64, n: u32) -> Result<(), SimError> {
        let src = self.local_range(core, src, n)?;
        let dst = self.local_range_of(core, target, "the target's local", dst, n)?;
        let n = n as usize;
        self.check_local_access(core, &[src], n, (target, dst, n))?;
        let Some(local) = self.cores[core].local.as_ref() else { return Ok(()) };
        let values = local.read(src, n).to_vec();
        self.cores[target].local.as_mut().expect("functional mode").write(dst, &values);
        Ok(())
    }

    /// A vector-unit op: `dst[i] = f(sources[..][i])` over `n` words
    /// (at most two sources).
    fn vector(
        &mut self,
        core: usize,
        dst: i64,
        sources: &[i64],
        n: u32,
        f: impl Fn(&[f64]) -> Result<f64, String>,
    ) -> Result<(), SimError> {
        let dst = self.local_range(core, dst, n)?;
        let mut starts = [0usize; 2];
        for (start, &source) in starts.iter_mut().zip(sources) {
            *start = self.local_range(core, source, n)?;
        }
        let starts = &starts[..sources.len()];
        self.check_local_access(core, starts, n as usize, (core, dst, n as usize))?;
        let Some(local) = self.cores[core].local.as_mut() else { return Ok(()) };
        let mut results = Vec::with_capacity(n as usize);
        let mut operands = [0.0; 2];
        for i in 0..n as usize {
            for (operand, &s) in operands.iter_mut().zip(starts) {
                *operand = local.read(s + i, 1)[0];
            }
            match f(&operands[..starts.len()]) {
                Ok(v) => results.push(v),
                Err(message) => return Err(SimError::Fault { site: self.site(&self.cores[core]), message }),
            }
        }
        local.write(dst, &results);
        Ok(())
    }

    fn mvm(&mut self, core: usize, xbar: usize, dst: i64, src: i64) -> Result<(), SimError> {
        let (rows, cols) = match self.cores[core].crossbars.get(xbar) {
            Some(Some((rows, cols, _))) => (*rows, *cols),
            _ => {
                return Err(SimError::Program {
                    core: self.cores[core].id,
                    message: format!("MVM on crossbar {xbar}, which holds no weights"),
                })
            }
        };
        let src = self.local_range(core, src, rows as u32)?;
        let dst = self.local_range(core, dst, cols as u32)?;
        let mode = self.mode;
        self.check_local_access(core, &[src], rows, (core, dst, cols))?;
        let state = &mut self.cores[core];
        let (Some(local), Some(Some((_, _, Some(weights))))) = (&state.local, state.crossbars.get(xbar)) else {
            return Ok(());
        };
        let input = local.read(src, rows);
        if mode == Some(NumericMode::Int8) {
            if let Some(x) = input.iter().find(|x| !is_int8(**x)) {
                let message = format!("MVM input {x} is not an int8 value");
                return Err(SimError::Fault { site: self.site(&self.cores[core]), message });
            }
        }
        debug_assert_eq!((weights.rows, weights.cols), (rows, cols));
        // Row after row, each row's terms added to all columns at once (a
        // loop the compiler vectorizes): every column still sums its terms
        // in row order.
        let mut output = vec![0.0; cols];
        for (x, row) in input.iter().zip(weights.values.chunks_exact(cols)) {
            for (out, w) in output.iter_mut().zip(row) {
                *out += w * x;
            }
        }
        let output: Vec<f64> = output
            .into_iter()
            .map(|v| arithmetic(mode, v))
            .collect::<Result<_, _>>()
            .map_err(|message| SimError::Fault { site: self.site(&self.cores[core]), message })?;
        self.cores[core].local.as_mut().expect("functional mode").write(dst, &output);
        Ok(())
    }

    fn finish(mut self) -> SimResult {
        let end = self.cores.iter().filter_map(|c| match c.status {
            Status::Done { at } => Some(at),
            _ => None,
        });
        let cycles = end.max().unwrap_or(0).max(self.bus_free_at);
        for core in &mut self.cores {
            if let Status::Done { at } = core.status {
                core.stats.idle = cycles - at;
            }
            core.stats.local_memory_peak_bytes = core.local_peak_words * 4;
        }
        let stats = Stats {
            cycles,
            time_us: self.arch.cycles_to_us(cycles),
            instructions: self.cores.iter().map(|c| c.stats.instructions).sum(),
            cores: self.cores.iter().map(|c| c.stats.clone()).collect(),
            bus_utilization: if cycles == 0 { 0.0 } else { self.stats.bus_busy_cycles as f64 / cycles as f64 },
            shared_memory_peak_bytes: self.shared_peak_words * 4,
            sync_memory_bytes: self.cores.len() as u64 * self.arch.sync_memory_bytes_per_core(),
            ..self.stats
        };
        SimResult { stats, shared: self.shared.map(SharedMemory), trace: self.trace }
    }
}

fn transfer_name(transfer: &Transfer) -> &'static str {
    match transfer {
        Transfer::Load { .. } => "LOAD",
        Transfer::Store { .. } => "STORE",
        Transfer::Put { .. } => "PUT",
        Transfer::Call { .. } => "CALL",
        Transfer::Arrive { .. } => "BARRIER",
    }
}

fn active_counters(core: &CoreState) -> Vec<(String, i64)> {
    // Counters of loops enclosing pc: those whose LoopStart is before pc and LoopEnd at or after it.
    let mut active = Vec::new();
    for (start, op) in core.code.ops.iter().enumerate() {
        if let Op::LoopStart { slot, end, .. } = op {
            if start < core.pc && core.pc <= *end {
                active.push((core.code.counter_names[*slot].clone(), core.counters[*slot]));
            }
        }
    }
    active
}

fn race(site: Site, memory: String, conflict: Conflict, action: &'static str, cores: &[CoreState]) -> SimError {
    SimError::Race {
        site,
        memory,
        address: conflict.address,
        action,
        earlier_action: if conflict.earlier_was_write { "write" } else { "read" },
        other_core: cores[conflict.earlier.core as usize].id,
        other_instruction: conflict.earlier.instruction,
    }
}

/// `min(max(value, lo), hi)`; in int mode the bounds are the integers
/// within `[lo, hi]`, of which there must be one.
fn clip(mode: Option<NumericMode>, value: f64, lo: f64, hi: f64) -> Result<f64, String> {
    let (lo, hi) = if mode == Some(NumericMode::Int8) { (lo.ceil(), hi.floor()) } else { (lo, hi) };
    if lo > hi || lo.is_nan() || hi.is_nan() {
        return Err(format!("CLIP bounds [{lo}, {hi}] hold no value"));
    }
    Ok(value.max(lo).min(hi))
}

/// `value / 2^shift` rounded to the nearest integer, halves up, and
/// saturated to int8 (`UnaryOp::Requant`).
pub fn requantize(value: f64, shift: u32) -> f64 {
    (value / 2f64.powi(shift as i32) + 0.5).floor().clamp(-128.0, 127.0)
}

/// Values given to an f32 run are f32s: rounded once when loaded.
fn as_f32_if(mode: Option<NumericMode>, value: f64) -> f64 {
    if mode == Some(NumericMode::F32) {
        f64::from(value as f32)
    } else {
        value
    }
}

fn is_int32(value: f64) -> bool {
    value.fract() == 0.0 && (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&value)
}

fn is_int8(value: f64) -> bool {
    value.fract() == 0.0 && (-128.0..=127.0).contains(&value)
}

/// Rounds a result to the mode's precision; in int mode it must fit an i32.
fn arithmetic(mode: Option<NumericMode>, value: f64) -> Result<f64, String> {
    match mode {
        Some(NumericMode::Int8) if !is_int32(value) => Err(format!("{value} overflows the int32 accumulator")),
        Some(NumericMode::F32) => Ok(f64::from(value as f32)),
        _ => Ok(value),
    }
}

/// A set of core indices as a bitmask: round-robin asks for the first member
/// at or after a position, cyclically, which takes a word per 64 cores.
#[derive(Debug, Clone)]
struct CoreSet {
    words: Vec<u64>,
    len: usize,
    count: usize,
}

impl CoreSet {
    fn new(cores: usize) -> Self {
        CoreSet { words: vec![0; cores.div_ceil(64)], len: cores, count: 0 }
    }

    fn insert(&mut self, core: usize) {
        let (word, bit) = (core / 64, 1u64 << (core % 64));
        if self.words[word] & bit == 0 {
            self.words[word] |= bit;
            self.count += 1;
        }
    }

    fn remove(&mut self, core: usize) {
        let (word, bit) = (core / 64, 1u64 << (core % 64));
        if self.words[word] & bit != 0 {
            self.words[word] &= !bit;
            self.count -= 1;
        }
    }

    fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The members from `start` (taken modulo the core count) up, then
    /// from 0 up to `start`.
    fn cyclic_from(&self, start: usize) -> Cyclic<'_> {
        let start = if self.len == 0 { 0 } else { start % self.len };
        let word = start / 64;
        let bits = self.words.get(word).map_or(0, |w| w & (u64::MAX << (start % 64)));
        Cyclic { words: &self.words, start, word, bits, wrapped: false }
    }
}

/// The members of a [`CoreSet`] in cyclic order from `start`: the set
/// bits of one word at a time, lowest first, wrapping to word 0 once and
/// stopping before `start`.
struct Cyclic<'a> {
    words: &'a [u64],
    start: usize,
    word: usize,
    bits: u64,
    wrapped: bool,
}

impl Iterator for Cyclic<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        loop {
            if self.bits != 0 {
                let core = self.word * 64 + self.bits.trailing_zeros() as usize;
                self.bits &= self.bits - 1;
                return (!self.wrapped || core < self.start).then_some(core);
            }
            self.word += 1;
            if self.word >= self.words.len() {
                if self.wrapped {
                    return None;
                }
                (self.wrapped, self.word) = (true, 0);
            }
            if self.wrapped && self.word * 64 >= self.start {
                return None;
            }
            self.bits = self.words[self.word];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CoreSet;

    #[test]
    fn core_sets_list_members_cyclically_across_words() {
        let mut set = CoreSet::new(130);
        for core in [3, 63, 64, 129, 3] {
            set.insert(core);
        }
        assert_eq!(set.cyclic_from(64).collect::<Vec<_>>(), [64, 129, 3, 63]);
        assert_eq!(set.cyclic_from(130).collect::<Vec<_>>(), [3, 63, 64, 129], "past the end wraps to 0");
        set.remove(64);
        set.remove(64);
        assert_eq!(set.cyclic_from(65).collect::<Vec<_>>(), [129, 3, 63]);
        for core in [3, 63, 129] {
            set.remove(core);
        }
        assert!(set.is_empty());
        assert_eq!(set.cyclic_from(0).count(), 0);
    }
}
