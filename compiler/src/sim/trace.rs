//! A Chrome / Perfetto trace of a run: one row per core and one for the
//! bus, each instruction and each wait a slice (open it in ui.perfetto.dev
//! or chrome://tracing).

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
struct Event {
    name: &'static str,
    ph: &'static str,
    pid: u32,
    tid: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dur: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    args: Option<serde_json::Value>,
}

/// The slices of a run, in cycles; written out in microseconds.
#[derive(Debug, Clone)]
pub struct Trace {
    clock_mhz: f64,
    events: Vec<Event>,
}

/// The bus's row: after every core's.
const BUS_ROW: u32 = u32::MAX;

impl Trace {
    pub fn new(clock_mhz: f64, cores: &[u32]) -> Self {
        let mut events: Vec<Event> = cores
            .iter()
            .map(|&core| Event {
                name: "thread_name",
                ph: "M",
                pid: 0,
                tid: core,
                ts: None,
                dur: None,
                args: Some(serde_json::json!({ "name": format!("core {core}") })),
            })
            .collect();
        events.push(Event {
            name: "thread_name",
            ph: "M",
            pid: 0,
            tid: BUS_ROW,
            ts: None,
            dur: None,
            args: Some(serde_json::json!({ "name": "bus" })),
        });
        Trace { clock_mhz, events }
    }

    /// A slice of `core`'s row (a mnemonic, or "wait bus" / "wait sync").
    pub fn slice(&mut self, core: u32, name: &'static str, start: u64, cycles: u64) {
        self.push(core, name, start, cycles);
    }

    /// A bus transaction, on the bus's row.
    pub fn bus(&mut self, name: &'static str, start: u64, cycles: u64) {
        self.push(BUS_ROW, name, start, cycles);
    }

    fn push(&mut self, tid: u32, name: &'static str, start: u64, cycles: u64) {
        if cycles == 0 {
            return;
        }
        self.events.push(Event {
            name,
            ph: "X",
            pid: 0,
            tid,
            ts: Some(start as f64 / self.clock_mhz),
            dur: Some(cycles as f64 / self.clock_mhz),
            args: None,
        });
    }

    pub fn to_json(&self) -> String {
        serde_json::json!({ "traceEvents": self.events, "displayTimeUnit": "ns" }).to_string()
    }
}
