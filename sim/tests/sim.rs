//! The simulator against hand-computed timings, and programs that race or
//! deadlock. (A convolution computed through crossbar tiles is in the
//! compiler's tests/tiled_conv.rs: its data comes from the compiler.)

use rram_arch::Architecture;
use rram_isa::{Class, CoreProgram, Instr, MemoryInit, Program};
use rram_sim::{simulate, NumericMode, SimOptions, Stats};
use support::{arch, c, core, xbar};

mod support;

fn load_mvm_store(id: u32) -> CoreProgram {
    core(
        id,
        vec![xbar(16, 16, None)],
        vec![
            Instr::Load { local: c(0), shared: c(0), n: 16, class: Class::Input },
            Instr::Mvm { xbar: 0, dst: c(16), src: c(0) },
            Instr::Store { shared: c(1024 + 16 * i64::from(id)), local: c(16), n: 16, class: Class::Partial },
        ],
    )
}

fn timing(arch: &Architecture, program: &Program) -> Stats {
    let stats = simulate(arch, program, &SimOptions::default()).unwrap().stats;
    for core in &stats.cores {
        assert_eq!(core.busy + core.wait_sync + core.wait_bus + core.idle, stats.cycles, "core {}", core.core);
    }
    stats
}

#[test]
fn one_core_adds_up_its_instructions() {
    // LOAD 16 B: 2 + 4 = 6; MVM: 10; STORE 64 B: 2 + 16 = 18.
    let stats = timing(&arch(1), &Program { cores: vec![load_mvm_store(0)], memory: vec![] });
    assert_eq!(stats.cycles, 34);
    assert_eq!((stats.cores[0].busy, stats.cores[0].wait_bus), (34, 0));
    assert_eq!((stats.bus_bytes.input, stats.bus_bytes.partial, stats.bus_bytes.sync), (16, 64, 0));
    assert_eq!(stats.bus_busy_cycles, 24);
    assert_eq!(stats.instructions, 3);
}

#[test]
fn two_cores_contend_for_the_bus() {
    // Core 0 loads 0..6, core 1 waits and loads 6..12; MVMs end at 16 and 22;
    // core 0 stores 16..34, core 1 waits 22..34 and stores 34..52.
    let stats = timing(&arch(2), &Program { cores: vec![load_mvm_store(0), load_mvm_store(1)], memory: vec![] });
    assert_eq!(stats.cycles, 52);
    let [a, b] = [&stats.cores[0], &stats.cores[1]];
    assert_eq!((a.busy, a.wait_bus, a.idle), (34, 0, 18));
    assert_eq!((b.busy, b.wait_bus, b.idle), (34, 18, 0));
    assert_eq!(stats.bus_busy_cycles, 48);
}

#[test]
fn a_pipelined_bus_is_held_only_for_data_beats() {
    // Loads hold the bus 4 cycles (16 B in 4-byte beats), stores 16 (64 B);
    // each ends 2 cycles of overhead later. Core 0 loads 0..6 (bus 0..4),
    // core 1 is granted at 4 and loads 4..10; MVMs end at 16 and 20; core 0
    // stores 16..34 (bus 16..32), core 1 waits 20..32 and stores 32..50.
    let mut chip = arch(2);
    chip.bus.pipelined = true;
    let stats = timing(&chip, &Program { cores: vec![load_mvm_store(0), load_mvm_store(1)], memory: vec![] });
    assert_eq!(stats.cycles, 50);
    let [a, b] = [&stats.cores[0], &stats.cores[1]];
    assert_eq!((a.busy, a.wait_bus, a.idle), (34, 0, 16));
    assert_eq!((b.busy, b.wait_bus, b.idle), (34, 16, 0));
    assert_eq!(stats.bus_busy_cycles, 40);
}

#[test]
fn pipelined_calls_overlap_and_land_in_grant_order() {
    // Cores 0 and 1 CALL core 2 at once: grants at 0 and 1 (one beat each),
    // values land at 3 and 4; core 2 waits for both.
    let program = Program {
        cores: vec![
            core(0, vec![], vec![Instr::Call { core: 2, register: 0, value: c(1) }]),
            core(1, vec![], vec![Instr::Call { core: 2, register: 0, value: c(2) }]),
            core(2, vec![], vec![Instr::Wait { register: 0, value: c(2) }]),
        ],
        memory: vec![],
    };
    let mut chip = arch(3);
    chip.bus.pipelined = true;
    let stats = timing(&chip, &program);
    assert_eq!(stats.cycles, 4);
    assert_eq!(stats.cores[2].wait_sync, 4);
    assert_eq!(stats.cores[1].wait_bus, 1);
}

#[test]
fn a_call_wait_chain_passes_the_token_along() {
    // Each CALL is a 4-byte sync transaction: 2 + 1 = 3 cycles.
    let call = |target| Instr::Call { core: target, register: 0, value: c(1) };
    let wait = Instr::Wait { register: 0, value: c(1) };
    let program = Program {
        cores: vec![
            core(0, vec![], vec![call(1)]),
            core(1, vec![], vec![wait.clone(), call(2)]),
            core(2, vec![], vec![wait, Instr::Halt]),
        ],
        memory: vec![],
    };
    let stats = timing(&arch(3), &program);
    assert_eq!(stats.cycles, 6);
    let wait_sync: Vec<u64> = stats.cores.iter().map(|c| c.wait_sync).collect();
    assert_eq!(wait_sync, [0, 3, 6]);
    assert_eq!(stats.bus_bytes.sync, 8);
    assert_eq!(stats.sync_memory_bytes, 12);
}

fn put(target: u32, dst: i64, src: i64, n: u32, signal: i64) -> Instr {
    Instr::Put { core: target, dst: c(dst), src: c(src), n, class: Class::Partial, signal: c(signal) }
}

/// Core 0 puts 4 words into core 1's local memory with signal 1, then
/// again with signal 2 once core 1 has credited the first (if
/// `credited`). Core 1 stores what it received: after waiting for the
/// signal if `signalled`, else after two loads, when the PUT has landed.
fn put_program(credited: bool, signalled: bool) -> Program {
    let ones = Instr::Load { local: c(0), shared: c(0), n: 4, class: Class::Partial };
    let mut sender = vec![ones, put(1, 8, 0, 4, 1)];
    if credited {
        sender.push(Instr::Wait { register: 0, value: c(1) });
    }
    sender.push(put(1, 8, 0, 4, 2));
    let mut receiver = Vec::new();
    if signalled {
        receiver.push(Instr::Wait { register: 0, value: c(1) });
    } else {
        receiver.extend([0, 1].map(|_| Instr::Load { local: c(100), shared: c(0), n: 4, class: Class::Partial }));
    }
    receiver.push(Instr::Store { shared: c(16), local: c(8), n: 4, class: Class::Partial });
    receiver.push(Instr::Call { core: 0, register: 0, value: c(1) });
    receiver.push(Instr::Wait { register: 0, value: c(2) });
    Program {
        cores: vec![core(0, vec![], sender), core(1, vec![], receiver)],
        memory: vec![MemoryInit { address: 0, values: vec![1.0, 2.0, 3.0, 4.0] }],
    }
}

fn remote_writes(cores: u32) -> Architecture {
    let mut chip = arch(cores);
    chip.core.remote_writes = true;
    chip
}

#[test]
fn a_put_writes_the_targets_local_memory_and_signals_it() {
    // LOAD 16 B: 0..6. PUT 16 B of partial sums and a 4-byte signal: 2 + 5
    // = 7 cycles, 6..13; core 1 stores 16 B 13..19 and credits core 0
    // 19..22; core 0's second PUT runs 22..29.
    let program = put_program(true, true);
    let stats = timing(&remote_writes(2), &program);
    assert_eq!(stats.cycles, 29);
    assert_eq!((stats.bus_bytes.partial, stats.bus_bytes.sync), (16 + 16 + 32, 4 + 4 + 4));
    assert_eq!(stats.cores[1].local_memory_peak_bytes, 48);
    let options = SimOptions { functional: Some(NumericMode::F32), trace: false };
    let shared = simulate(&remote_writes(2), &program, &options).unwrap().shared.unwrap();
    assert_eq!(shared.read(16, 4), [1.0, 2.0, 3.0, 4.0].map(Some));
    let error = simulate(&arch(2), &program, &SimOptions::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the programs do not fit chip 'test': the programs PUT partial sums into other cores' local memory, the \
         chip has no core.remote_writes"
    );
}

#[test]
fn reading_a_put_before_its_signal_or_overwriting_it_unread_is_a_race() {
    let chip = remote_writes(2);
    // Core 1 stores the words without waiting: they are core 0's (PUT, instruction 1).
    assert_eq!(
        functional_error(&chip, &put_program(true, false)),
        "core 1 instruction 2: race on core 1's local word 8: it reads it while the write by core 0 \
         instruction 1 is not synchronized with it (no CALL/WAIT or barrier orders them)"
    );
    // Core 0 puts again without the credit that says core 1 has read the first.
    assert_eq!(
        functional_error(&chip, &put_program(false, true)),
        "core 0 instruction 2: race on core 1's local word 8: it writes it while the read by core 1 \
         instruction 1 is not synchronized with it (no CALL/WAIT or barrier orders them)"
    );
}

/// A functional run's error; the program must fail.
fn functional_error(arch: &Architecture, program: &Program) -> String {
    let options = SimOptions { functional: Some(NumericMode::F32), trace: false };
    simulate(arch, program, &options).unwrap_err().to_string()
}

fn load(local: i64, shared: i64) -> Instr {
    Instr::Load { local: c(local), shared: c(shared), n: 1, class: Class::Input }
}

fn store(shared: i64, local: i64) -> Instr {
    Instr::Store { shared: c(shared), local: c(local), n: 1, class: Class::Output }
}

#[test]
fn a_write_races_with_the_earliest_unsynchronized_read() {
    // Round-robin grants (3 cycles each): core 0 loads s[1], cores 1 and 2
    // read s[0], core 0 reads s[0] and writes it. Its own read is ordered
    // before the write, the two others are not: the earlier one is named.
    let program = Program {
        cores: vec![
            core(0, vec![], vec![load(0, 1), load(1, 0), store(0, 0)]),
            core(1, vec![], vec![load(0, 0)]),
            core(2, vec![], vec![load(0, 0)]),
        ],
        memory: vec![MemoryInit { address: 0, values: vec![1.0, 2.0] }],
    };
    assert_eq!(
        functional_error(&arch(3), &program),
        "core 0 instruction 2: race on shared word 0: it writes it while the read by core 1 instruction 0 \
         is not synchronized with it (no CALL/WAIT or barrier orders them)"
    );
}

/// Cores pass a token down a CALL/WAIT chain from the last core to core 0.
/// The last core writes s[0] before its CALL (`released`) or right after
/// it (it comes first in round-robin order after any other core, so long
/// before the token reaches core 0), and core 0 reads it at the end.
fn token_chain(cores: u32, released: bool) -> Program {
    let last = cores - 1;
    let programs = (0..cores)
        .map(|id| {
            let mut body = Vec::new();
            if id < last {
                body.push(Instr::Wait { register: 0, value: c(1) });
            }
            if id > 0 {
                body.push(Instr::Call { core: id - 1, register: 0, value: c(1) });
            }
            if id == last {
                let at = if released { 0 } else { body.len() };
                body.splice(at..at, [load(0, 1), store(0, 0)]);
            }
            if id == 0 {
                body.push(load(0, 0));
            }
            core(id, vec![], body)
        })
        .collect();
    Program { cores: programs, memory: vec![MemoryInit { address: 1, values: vec![1.0] }] }
}

#[test]
fn happens_before_is_transitive_along_a_chain_of_hundreds_of_cores() {
    let options = SimOptions { functional: Some(NumericMode::F32), trace: false };
    let result = simulate(&arch(300), &token_chain(300, true), &options).unwrap();
    assert_eq!(result.shared.unwrap().read(0, 1), [Some(1.0)]);
    assert_eq!(
        functional_error(&arch(300), &token_chain(300, false)),
        "core 0 instruction 1: race on shared word 0: it reads it while the write by core 299 instruction 2 \
         is not synchronized with it (no CALL/WAIT or barrier orders them)"
    );
}

#[test]
fn a_barrier_orders_every_core_before_every_other() {
    // Core k writes s[k], then reads its neighbour's word s[(k+1) % 100].
    let program = |barrier: bool| {
        let programs = (0..100)
            .map(|id| {
                let mut body = vec![load(0, 100 + i64::from(id)), store(i64::from(id), 0)];
                body.extend(barrier.then_some(Instr::Barrier { id: 0 }));
                body.push(load(1, i64::from((id + 1) % 100)));
                core(id, vec![], body)
            })
            .collect();
        Program {
            cores: programs,
            memory: vec![MemoryInit { address: 100, values: (0..100).map(f64::from).collect() }],
        }
    };
    let options = SimOptions { functional: Some(NumericMode::F32), trace: false };
    let result = simulate(&arch(100), &program(true), &options).unwrap();
    assert_eq!(result.shared.unwrap().read(99, 1), [Some(99.0)]);
    assert_eq!(
        functional_error(&arch(100), &program(false)),
        "core 0 instruction 2: race on shared word 1: it reads it while the write by core 1 instruction 1 \
         is not synchronized with it (no CALL/WAIT or barrier orders them)"
    );
}

#[test]
fn cores_waiting_for_each_other_deadlock() {
    let program = Program {
        cores: vec![
            core(
                0,
                vec![],
                vec![Instr::Wait { register: 0, value: c(1) }, Instr::Call { core: 1, register: 0, value: c(1) }],
            ),
            core(
                1,
                vec![],
                vec![Instr::Wait { register: 0, value: c(2) }, Instr::Call { core: 0, register: 0, value: c(1) }],
            ),
        ],
        memory: vec![],
    };
    let error = simulate(&arch(2), &program, &SimOptions::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "deadlock: every unfinished core waits and nothing can wake it: \
         core 0 instruction 0 (WAIT 1) waits for its sequence register to reach 1; it is 0; \
         core 1 instruction 0 (WAIT 2) waits for its sequence register to reach 2; it is 0"
    );
}

#[test]
fn the_benchmark_program_runs_the_instructions_it_promises() {
    use rram_sim::bench::{instructions_per_pass, synthetic_program};
    let arch = Architecture::default();
    let stats = timing(&arch, &synthetic_program(8, 2, arch.crossbar.rows, arch.weights_per_row()));
    assert_eq!(stats.instructions, 2 * instructions_per_pass(8));
    // Every hand-off of the linear chains is a 4-byte CALL: 3 per group per pixel.
    assert_eq!(stats.bus_bytes.sync, 2 * 256 * 2 * 3 * 4);
}

#[test]
fn the_trace_is_chrome_json_with_a_slice_per_instruction_and_wait() {
    let options = SimOptions { functional: None, trace: true };
    let program = Program { cores: vec![load_mvm_store(0), load_mvm_store(1)], memory: vec![] };
    let result = simulate(&arch(2), &program, &options).unwrap();
    let json: serde_json::Value = serde_json::from_str(&result.trace.unwrap().to_json()).unwrap();
    let events = json["traceEvents"].as_array().unwrap();
    let named = |name: &str| events.iter().filter(|e| e["name"] == name && e["ph"] == "X").count();
    // Per core LOAD, MVM, STORE; the bus row repeats the 4 transfers; core 1 waits twice.
    assert_eq!((named("LOAD"), named("MVM"), named("STORE"), named("wait bus")), (4, 2, 4, 2));
    assert_eq!(events.iter().filter(|e| e["ph"] == "M").count(), 4, "a name for the run, each core and the bus");
    let total: f64 =
        events.iter().filter(|e| e["ph"] == "X" && e["tid"] == 1).map(|e| e["dur"].as_f64().unwrap()).sum();
    assert!((total - 52.0 / 1000.0).abs() < 1e-9, "core 1 is busy or waiting for all 52 cycles: {total}");
}

#[test]
fn a_core_running_ahead_does_not_hold_back_the_bus() {
    // Core 0 computes 10 cycles before it asks for the bus; core 1 asks at
    // once and must get it at once: 0..6, core 0's load 10..16.
    let load = Instr::Load { local: c(0), shared: c(0), n: 16, class: Class::Input };
    let program = Program {
        cores: vec![
            core(0, vec![xbar(16, 16, None)], vec![Instr::Mvm { xbar: 0, dst: c(16), src: c(0) }, load.clone()]),
            core(1, vec![], vec![load]),
        ],
        memory: vec![],
    };
    let stats = timing(&arch(2), &program);
    assert_eq!(stats.cycles, 16);
    assert_eq!((stats.cores[1].wait_bus, stats.cores[1].idle), (0, 10));
}

/// Core 2 waits for core 0 on register 1 and for core 1 on register 0: two
/// streams a single register could not tell apart (it keeps the highest
/// value written). Core 1 writes the higher value first; on one register
/// core 2's first WAIT would pass before core 0 wrote s[0], a race.
#[test]
fn registers_keep_separate_streams_of_events() {
    let chip =
        |registers: u32| Architecture { sync: rram_arch::SyncRegister { registers, ..Default::default() }, ..arch(3) };
    let program = |register: u32| Program {
        cores: vec![
            core(
                0,
                vec![],
                vec![load(0, 1), load(0, 1), load(0, 1), store(0, 0), Instr::Call { core: 2, register, value: c(1) }],
            ),
            core(1, vec![], vec![Instr::Call { core: 2, register: 0, value: c(5) }]),
            core(
                2,
                vec![],
                vec![Instr::Wait { register: 0, value: c(5) }, Instr::Wait { register, value: c(1) }, load(0, 0)],
            ),
        ],
        memory: vec![MemoryInit { address: 0, values: vec![1.0, 2.0] }],
    };
    let options = SimOptions { functional: Some(NumericMode::F32), trace: false };
    let result = simulate(&chip(2), &program(1), &options).unwrap();
    assert_eq!(result.stats.sync_memory_bytes, 3 * 2 * 4);
    assert!(functional_error(&chip(2), &program(0)).contains("race on shared word 0"));
    assert_eq!(
        simulate(&chip(1), &program(1), &options).unwrap_err().to_string(),
        "the programs do not fit chip 'test': core 2 uses sequence register r1, a core has 1 (sync.registers)"
    );
}

#[test]
fn requant_rounds_halves_up_and_saturates_to_int8() {
    use rram_sim::requantize;
    assert_eq!([5.0, -5.0, 6.0, -7.0].map(|v| requantize(v, 1)), [3.0, -2.0, 3.0, -3.0]);
    assert_eq!([1000.0, -1000.0, 127.0, -128.0].map(|v| requantize(v, 0)), [127.0, -128.0, 127.0, -128.0]);
    assert_eq!(requantize(-129.0 * 256.0, 8), -128.0);
}
