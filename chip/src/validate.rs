//! Allowed ranges of every field. The bounds keep all derived quantities
//! far from `u64` overflow and reject values no real chip has; docs/arch.md
//! lists them. The first field out of range is reported.

use std::fmt;

use super::{ArchError, Architecture};

/// 1 kHz: a slower clock is no chip's, and turns cycle counts into times
/// beyond f64 (a clock of 5e-324 MHz made every time infinite).
const MIN_CLOCK_MHZ: f64 = 0.001;
const MAX_CLOCK_MHZ: f64 = 100_000.0;
/// The most cores a chip description may have.
pub const MAX_CORES: u64 = 65_536;
const MAX_CROSSBARS_PER_CORE: u64 = 1024;
const MAX_CROSSBAR_SIDE: u64 = 4096;
const MAX_VALUE_BITS: u64 = 32;
const MAX_CELL_OR_DAC_BITS: u64 = 8;
const MAX_OUTPUT_BITS: u64 = 64;
const MAX_LATENCY_CYCLES: u64 = 65_536;
const MAX_MVM_LATENCY_CYCLES: u64 = 1_000_000_000;
const MAX_LOCAL_MEMORY_BYTES: u64 = 1 << 30;
const MAX_SHARED_MEMORY_BYTES: u64 = 1 << 40;
const MAX_WIDTH: u64 = 4096;
const MAX_SYNC_REGISTER_BYTES: u64 = 16;
/// Sequence registers per core: a handful of event streams, not a memory.
pub const MAX_SYNC_REGISTERS: u64 = 64;
const MAX_NOC_SIDE: u64 = 256;

/// A bound of a range, with the field or reason it comes from when it is
/// not a constant, so the message explains itself.
struct Bound {
    value: u64,
    from: Option<&'static str>,
}

impl Bound {
    fn fixed(value: u64) -> Bound {
        Bound { value, from: None }
    }

    /// The tighter of a constant and another field's value.
    fn at_most(limit: u64, field_value: u64, field: &'static str) -> Bound {
        if field_value < limit {
            Bound { value: field_value, from: Some(field) }
        } else {
            Bound::fixed(limit)
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.from {
            Some(from) => write!(f, "{} ({from})", self.value),
            None => write!(f, "{}", self.value),
        }
    }
}

struct Checker<'a> {
    source_name: &'a str,
}

impl Checker<'_> {
    fn error(&self, field: &str, requirement: String, got: String) -> ArchError {
        ArchError::Invalid { source_name: self.source_name.to_string(), field: field.to_string(), requirement, got }
    }

    fn between(&self, field: &str, got: impl Into<u64>, min: Bound, max: Bound) -> Result<(), ArchError> {
        let got = got.into();
        if got < min.value || got > max.value {
            return Err(self.error(field, format!("between {min} and {max}"), got.to_string()));
        }
        Ok(())
    }

    fn in_range(&self, field: &str, got: impl Into<u64>, min: u64, max: u64) -> Result<(), ArchError> {
        self.between(field, got, Bound::fixed(min), Bound::fixed(max))
    }
}

pub fn validate(architecture: &Architecture, source_name: &str) -> Result<(), ArchError> {
    let check = Checker { source_name };
    let Architecture { clock_mhz, core, crossbar, vector_unit, bus, shared_memory, sync, noc, .. } = architecture;

    // NaN is in no range.
    if !(MIN_CLOCK_MHZ..=MAX_CLOCK_MHZ).contains(clock_mhz) {
        return Err(check.error(
            "clock_mhz",
            format!("between {MIN_CLOCK_MHZ} and {MAX_CLOCK_MHZ}"),
            format!("{clock_mhz:?}"),
        ));
    }

    check.in_range("core.count", core.count, 1, MAX_CORES)?;
    check.in_range("core.crossbars", core.crossbars, 1, MAX_CROSSBARS_PER_CORE)?;

    check.in_range("crossbar.rows", crossbar.rows, 1, MAX_CROSSBAR_SIDE)?;
    check.in_range("crossbar.cols", crossbar.cols, 1, MAX_CROSSBAR_SIDE)?;
    check.in_range("crossbar.weight_bits", crossbar.weight_bits, 1, MAX_VALUE_BITS)?;
    let max_cell_bits = Bound::at_most(MAX_CELL_OR_DAC_BITS, crossbar.weight_bits.into(), "crossbar.weight_bits");
    check.between("crossbar.cell_bits", crossbar.cell_bits, Bound::fixed(1), max_cell_bits)?;
    // A crossbar holds at least one weight: its cells side by side.
    let one_weight = Bound { value: architecture.slices_per_weight().into(), from: Some("one weight's cells") };
    check.between("crossbar.cols", crossbar.cols, one_weight, Bound::fixed(MAX_CROSSBAR_SIDE))?;
    check.in_range("crossbar.input_bits", crossbar.input_bits, 1, MAX_VALUE_BITS)?;
    let max_dac_bits = Bound::at_most(MAX_CELL_OR_DAC_BITS, crossbar.input_bits.into(), "crossbar.input_bits");
    check.between("crossbar.dac_bits", crossbar.dac_bits, Bound::fixed(1), max_dac_bits)?;
    check.in_range("crossbar.output_bits", crossbar.output_bits, 1, MAX_OUTPUT_BITS)?;
    check.in_range("crossbar.read_cycles", crossbar.read_cycles, 0, MAX_LATENCY_CYCLES)?;
    let max_adcs = Bound { value: crossbar.cols.into(), from: Some("crossbar.cols") };
    check.between("crossbar.adc_count", crossbar.adc_count, Bound::fixed(1), max_adcs)?;
    check.in_range("crossbar.adc_cycles", crossbar.adc_cycles, 1, MAX_LATENCY_CYCLES)?;
    if let Some(cycles) = crossbar.mvm_latency_cycles {
        check.in_range("crossbar.mvm_latency_cycles", cycles, 1, MAX_MVM_LATENCY_CYCLES)?;
    }

    // A core must at least hold what one MVM reads and writes.
    let min_local_memory = Bound {
        value: architecture.input_vector_bytes() + architecture.output_vector_bytes(),
        from: Some("one crossbar's input and output vector"),
    };
    check.between(
        "core.local_memory_bytes",
        core.local_memory_bytes,
        min_local_memory,
        Bound::fixed(MAX_LOCAL_MEMORY_BYTES),
    )?;

    check.in_range("vector_unit.elements_per_cycle", vector_unit.elements_per_cycle, 1, MAX_WIDTH)?;
    check.in_range("vector_unit.latency_cycles", vector_unit.latency_cycles, 0, MAX_LATENCY_CYCLES)?;

    check.in_range("bus.width_bytes", bus.width_bytes, 1, MAX_WIDTH)?;
    check.in_range("bus.overhead_cycles", bus.overhead_cycles, 0, MAX_LATENCY_CYCLES)?;

    check.in_range("shared_memory.size_bytes", shared_memory.size_bytes, 1, MAX_SHARED_MEMORY_BYTES)?;
    check.in_range("sync.register_bytes", sync.register_bytes, 1, MAX_SYNC_REGISTER_BYTES)?;
    check.in_range("sync.registers", sync.registers, 1, MAX_SYNC_REGISTERS)?;

    if let Some(noc) = noc {
        check.in_range("noc.rows", noc.rows, 1, MAX_NOC_SIDE)?;
        check.in_range("noc.cols", noc.cols, 1, MAX_NOC_SIDE)?;
        let routers = noc.rows * noc.cols;
        if core.count % routers != 0 {
            return Err(check.error(
                "noc.rows * noc.cols",
                format!("a divisor of core.count ({})", core.count),
                format!("{routers} ({} * {})", noc.rows, noc.cols),
            ));
        }
        check.in_range("noc.link_width_bytes", noc.link_width_bytes, 1, MAX_WIDTH)?;
        check.in_range("noc.hop_latency_cycles", noc.hop_latency_cycles, 1, MAX_LATENCY_CYCLES)?;
    }
    Ok(())
}
