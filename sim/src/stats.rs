//! What a simulation measured, as a table for people and JSON for scripts.

use rram_isa::Class;
use std::fmt;

/// Cycles of one core, which add up to the run's total.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CoreStats {
    pub core: u32,
    /// Executing: crossbar, vector unit, and its own bus transfers.
    pub busy: u64,
    /// Blocked in WAIT or at a barrier: waiting for another core.
    pub wait_sync: u64,
    /// Queued for the bus while another core held it.
    pub wait_bus: u64,
    /// Done, while other cores still run.
    pub idle: u64,
    pub instructions: u64,
    /// Highest local word touched + 1, in bytes.
    pub local_memory_peak_bytes: u64,
    /// When it began to produce: its first MVM, vector operation or STORE
    /// (`None` if it did none).
    pub started: Option<u64>,
}

/// Bus bytes by what they carried.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BusBytes {
    pub input: u64,
    pub partial: u64,
    pub output: u64,
    pub sync: u64,
}

impl BusBytes {
    pub fn add(&mut self, class: Class, bytes: u64) {
        match class {
            Class::Input => self.input += bytes,
            Class::Partial => self.partial += bytes,
            Class::Output => self.output += bytes,
            Class::Sync => self.sync += bytes,
        }
    }

    pub fn total(&self) -> u64 {
        self.input + self.partial + self.output + self.sync
    }
}

/// Everything a run measured.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Stats {
    pub cycles: u64,
    pub time_us: f64,
    pub instructions: u64,
    pub cores: Vec<CoreStats>,
    pub bus_bytes: BusBytes,
    pub bus_transactions: u64,
    pub bus_busy_cycles: u64,
    /// Busy bus cycles / all cycles.
    pub bus_utilization: f64,
    /// Highest shared word touched + 1, in bytes.
    pub shared_memory_peak_bytes: u64,
    /// Sequence registers of the cores that ran: 4 B each by default.
    pub sync_memory_bytes: u64,
    /// When each barrier released its cores, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub barriers: Vec<BarrierRelease>,
}

/// A barrier's release: the cycle at which the last core's arrival ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BarrierRelease {
    pub id: u32,
    pub cycle: u64,
}

impl Stats {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "cycles            {} ({:.3} us)", self.cycles, self.time_us)?;
        writeln!(f, "instructions      {}", self.instructions)?;
        writeln!(
            f,
            "bus               {} transactions, {} busy cycles, utilization {:.1}%",
            self.bus_transactions,
            self.bus_busy_cycles,
            100.0 * self.bus_utilization
        )?;
        let b = &self.bus_bytes;
        let share = |bytes: u64| if b.total() == 0 { 0.0 } else { 100.0 * bytes as f64 / b.total() as f64 };
        writeln!(
            f,
            "bus bytes         {} = input {} + partial {} + output {} + sync {} ({:.2}% sync)",
            b.total(),
            b.input,
            b.partial,
            b.output,
            b.sync,
            share(b.sync)
        )?;
        writeln!(f, "shared memory     {} B peak", self.shared_memory_peak_bytes)?;
        writeln!(f, "sync memory       {} B", self.sync_memory_bytes)?;
        writeln!(
            f,
            "{:>6} {:>12} {:>12} {:>12} {:>12} {:>12} {:>10}",
            "core", "busy", "wait sync", "wait bus", "idle", "instrs", "local B"
        )?;
        for c in &self.cores {
            writeln!(
                f,
                "{:>6} {:>12} {:>12} {:>12} {:>12} {:>12} {:>10}",
                c.core, c.busy, c.wait_sync, c.wait_bus, c.idle, c.instructions, c.local_memory_peak_bytes
            )?;
        }
        Ok(())
    }
}
