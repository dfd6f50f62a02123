//! A Chrome / Perfetto trace of a run: one row per core and one for the
//! bus, each instruction and each wait a slice (open it in ui.perfetto.dev
//! or chrome://tracing). docs/sim.md describes the format.

use super::{transfer_name, Request, Transfer};
use rram_arch::Architecture;
use rram_isa::{instruction_lines, Class, CoreProgram};
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Debug, Clone, Serialize)]
struct Event {
    name: &'static str,
    ph: &'static str,
    pid: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    tid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dur: Option<f64>,
    args: Value,
}

/// One core's row.
#[derive(Debug, Clone)]
struct Row {
    core: u32,
    /// The core's instructions as written, by their index in the program.
    instructions: Vec<String>,
}

/// A bus transaction as the arbiter granted it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Grant {
    pub start: u64,
    /// Until the core goes on.
    pub cycles: u64,
    /// Until the bus is free again.
    pub held: u64,
    /// Data and signal.
    pub bytes: u64,
}

/// The slices of a run, in cycles; written out in microseconds.
#[derive(Debug, Clone)]
pub struct Trace {
    clock_mhz: f64,
    /// By core index (cores in increasing id order).
    rows: Vec<Row>,
    /// The bus's thread id: one past the chip's last core id, so it comes last.
    bus_row: u32,
    events: Vec<Event>,
}

impl Trace {
    /// `programs` in increasing core order: the engine's core indices.
    pub(super) fn new(arch: &Architecture, programs: &[&CoreProgram]) -> Self {
        let rows: Vec<Row> = programs
            .iter()
            .map(|program| Row { core: program.core, instructions: instruction_lines(&program.body) })
            .collect();
        let bus_row = arch.core.count;
        let metadata = |name: &'static str, tid: Option<u32>, value: String| Event {
            name,
            ph: "M",
            pid: 0,
            tid,
            ts: None,
            dur: None,
            args: json!({ "name": value }),
        };
        let mut events = vec![metadata("process_name", None, format!("rram-sim on {}", arch.name))];
        events.extend(rows.iter().map(|row| metadata("thread_name", Some(row.core), format!("core {}", row.core))));
        events.push(metadata("thread_name", Some(bus_row), "bus".into()));
        Trace { clock_mhz: arch.clock_mhz, rows, bus_row, events }
    }

    /// A slice of core `index`'s row while it runs (named by the mnemonic)
    /// or waits ("wait sync") at its instruction `instruction`.
    pub(super) fn slice(&mut self, index: usize, instruction: u32, name: &'static str, start: u64, cycles: u64) {
        let row = &self.rows[index];
        let args = json!({ "instruction": row.instructions[instruction as usize] });
        self.push(row.core, name, start, cycles, args);
    }

    /// A bus transaction of core `index`'s instruction `instruction`: the
    /// wait for the bus and the transfer on the core's row, the bus's
    /// occupancy on the bus's row.
    pub(super) fn transfer(&mut self, index: usize, instruction: u32, request: &Request, grant: Grant) {
        let Grant { start, cycles, held, bytes } = grant;
        let row = &self.rows[index];
        let core = row.core;
        let text = row.instructions[instruction as usize].clone();
        let name = transfer_name(&request.transfer);
        let mut args = match request.transfer {
            Transfer::Load { shared, local, n, class } | Transfer::Store { shared, local, n, class } => {
                json!({ "address": shared, "local": local, "words": n, "class": class.name() })
            }
            Transfer::Put { target, dst, src, n, class, signal } => json!({
                "to core": self.rows[target].core, "address": dst, "local": src, "words": n,
                "class": class.name(), "signal": signal
            }),
            Transfer::Call { target, register, value } => json!({
                "to core": self.rows[target].core, "register": register, "value": value, "class": Class::Sync.name()
            }),
            Transfer::Arrive { id } => json!({ "barrier": id, "class": Class::Sync.name() }),
        };
        args["instruction"] = json!(text);
        args["bytes"] = json!(bytes);
        self.push(core, "wait bus", request.time, start - request.time, json!({ "instruction": text }));
        self.push(core, name, start, cycles, args.clone());
        args["core"] = json!(core);
        self.push(self.bus_row, name, start, held, args);
    }

    fn push(&mut self, tid: u32, name: &'static str, start: u64, cycles: u64, mut args: Value) {
        if cycles == 0 {
            return;
        }
        args["cycle"] = json!(start);
        args["cycles"] = json!(cycles);
        self.events.push(Event {
            name,
            ph: "X",
            pid: 0,
            tid: Some(tid),
            ts: Some(self.microseconds(start)),
            dur: Some(self.microseconds(cycles)),
            args,
        });
    }

    /// `cycles` in microseconds, rounded to the picosecond: the trace format
    /// wants microseconds, and a rounded value prints without float noise
    /// (at most six decimals).
    fn microseconds(&self, cycles: u64) -> f64 {
        (cycles as f64 * 1e6 / self.clock_mhz).round() / 1e6
    }

    pub fn to_json(&self) -> String {
        json!({ "traceEvents": self.events, "displayTimeUnit": "ns" }).to_string()
    }
}
