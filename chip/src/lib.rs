//! The architecture description: the chip a network is compiled for, read
//! from a TOML file (docs/arch.md is the field-by-field reference).
//!
//! Tiling, placement, the e-graph cost model and the simulator all read the
//! same `Architecture`, so the derived quantities they need (MVM latency,
//! bus transfer time, ...) are computed here once, with one formula each.

mod error;
mod presets;
mod settings;
mod validate;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use error::{ArchError, LineColumn};
pub use presets::preset_names;
pub use validate::MAX_CORES;

/// A multi-core RRAM compute-in-memory chip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Architecture {
    /// Shown in reports; defaults to the file name without its extension.
    #[serde(default)]
    pub name: String,
    /// Clock of cores and bus, MHz; converts cycles to time.
    #[serde(default = "default_clock_mhz")]
    pub clock_mhz: f64,
    #[serde(default)]
    pub core: Core,
    #[serde(default)]
    pub crossbar: Crossbar,
    #[serde(default)]
    pub vector_unit: VectorUnit,
    #[serde(default)]
    pub bus: Bus,
    #[serde(default)]
    pub shared_memory: SharedMemory,
    #[serde(default)]
    pub sync: SyncRegister,
    /// A mesh network-on-chip; absent means the cores share only the bus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noc: Option<MeshNoc>,
}

fn default_clock_mhz() -> f64 {
    1000.0
}

/// The cores: how many, and what each one holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Core {
    /// Number of cores on the chip.
    pub count: u32,
    /// RRAM crossbars per core.
    pub crossbars: u32,
    /// Local memory per core (input and partial-sum buffers), bytes.
    pub local_memory_bytes: u64,
    /// Whether a core can write another core's local memory over the bus
    /// (`PUT`), so that partial sums can go core to core instead of
    /// through shared memory.
    pub remote_writes: bool,
}

impl Default for Core {
    fn default() -> Self {
        Core { count: 1024, crossbars: 2, local_memory_bytes: 16 * 1024, remote_writes: false }
    }
}

/// One RRAM crossbar and its converters; every crossbar of the chip is alike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Crossbar {
    /// Word lines: elements of the input vector.
    pub rows: u32,
    /// Bit lines: physical output columns (a weight takes `slices_per_weight` of them).
    pub cols: u32,
    /// Precision of a weight, bits.
    pub weight_bits: u32,
    /// Bits stored per RRAM cell; a weight is sliced over several cells.
    pub cell_bits: u32,
    /// Precision of an input element, bits.
    pub input_bits: u32,
    /// Bits the DAC applies per input cycle; inputs are streamed bit-serially.
    pub dac_bits: u32,
    /// Width of one partial-sum element after shift-and-add, bits.
    pub output_bits: u32,
    /// Analog read (settling, sample and hold) per input cycle, cycles.
    pub read_cycles: u32,
    /// ADCs per crossbar; the columns share them.
    pub adc_count: u32,
    /// One ADC conversion, cycles.
    pub adc_cycles: u32,
    /// Fixed MVM latency, cycles; when absent it is derived (see `Architecture::mvm_latency_cycles`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mvm_latency_cycles: Option<u32>,
}

impl Default for Crossbar {
    fn default() -> Self {
        Crossbar {
            rows: 128,
            cols: 128,
            weight_bits: 8,
            cell_bits: 2,
            input_bits: 8,
            dac_bits: 1,
            output_bits: 32,
            read_cycles: 10,
            adc_count: 1,
            adc_cycles: 1,
            mvm_latency_cycles: None,
        }
    }
}

/// The digital vector unit of a core (adds, bias, activation, pooling).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VectorUnit {
    /// Elements processed per cycle.
    pub elements_per_cycle: u32,
    /// Start-up latency of one vector operation, cycles.
    pub latency_cycles: u32,
}

impl Default for VectorUnit {
    fn default() -> Self {
        VectorUnit { elements_per_cycle: 32, latency_cycles: 4 }
    }
}

/// The shared bus between cores and shared memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Bus {
    /// Bytes moved per cycle.
    pub width_bytes: u32,
    /// Fixed cost of one transaction (address phase, response), cycles.
    pub overhead_cycles: u32,
    /// Whether the overhead of one transaction overlaps other transactions'
    /// data, as on an AXI interconnect with separate address and data
    /// channels: the bus is then held only for the data beats, and the
    /// overhead is latency seen by the requesting core alone.
    pub pipelined: bool,
    /// Who gets the bus when several cores want it.
    pub arbitration: Arbitration,
}

impl Default for Bus {
    fn default() -> Self {
        Bus { width_bytes: 16, overhead_cycles: 4, pipelined: false, arbitration: Arbitration::RoundRobin }
    }
}

/// Bus arbitration policy; an enum so that the simulator matches every policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Arbitration {
    /// Requesters are served in turn, starting after the last one served.
    RoundRobin,
}

/// The memory every core reaches over the bus (feature maps, output vectors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SharedMemory {
    /// Capacity, bytes.
    pub size_bytes: u64,
}

impl Default for SharedMemory {
    fn default() -> Self {
        SharedMemory { size_bytes: 16 * 1024 * 1024 }
    }
}

/// The sequence-number registers of each core, written by other cores over the bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncRegister {
    /// Size of a register, bytes; also the payload of one CALL.
    pub register_bytes: u32,
    /// Registers per core: 1 in the published architecture; more let a core
    /// follow several streams of events at once (its group's hand-offs and
    /// the rows its producers have finished, in pipelined networks).
    pub registers: u32,
}

impl Default for SyncRegister {
    fn default() -> Self {
        SyncRegister { register_bytes: 4, registers: 1 }
    }
}

/// A 2-D mesh network-on-chip; cores are spread evenly over its routers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeshNoc {
    /// Router rows.
    pub rows: u32,
    /// Router columns.
    pub cols: u32,
    /// Bytes a link moves per cycle.
    #[serde(default = "default_noc_link_width_bytes")]
    pub link_width_bytes: u32,
    /// One router-to-router hop, cycles.
    #[serde(default = "default_noc_hop_latency_cycles")]
    pub hop_latency_cycles: u32,
}

fn default_noc_link_width_bytes() -> u32 {
    16
}

fn default_noc_hop_latency_cycles() -> u32 {
    2
}

impl Default for Architecture {
    /// The realistic default preset, `arch/default.toml`.
    fn default() -> Self {
        Architecture {
            name: "default".to_string(),
            clock_mhz: default_clock_mhz(),
            core: Core::default(),
            crossbar: Crossbar::default(),
            vector_unit: VectorUnit::default(),
            bus: Bus::default(),
            shared_memory: SharedMemory::default(),
            sync: SyncRegister::default(),
            noc: None,
        }
    }
}

/// The derived quantities assume a validated description: validation is
/// what rules out a division by zero or an overflow in them.
impl Architecture {
    /// Parses and validates a description; `source_name` (usually the path)
    /// prefixes every error message and gives the default `name`.
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Architecture, ArchError> {
        let mut architecture: Architecture =
            toml::from_str(text).map_err(|error| ArchError::from_toml(source_name, text, &error))?;
        if architecture.name.is_empty() {
            architecture.name = Path::new(source_name)
                .file_stem()
                .map_or_else(|| source_name.to_string(), |stem| stem.to_string_lossy().into_owned());
        }
        architecture.validate(source_name)?;
        Ok(architecture)
    }

    /// Reads, parses and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Architecture, ArchError> {
        let source_name = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|source| ArchError::Read { path: source_name.clone(), source })?;
        Architecture::from_toml_str(&text, &source_name)
    }

    /// One of the presets embedded from `arch/*.toml` (see `preset_names`).
    pub fn preset(name: &str) -> Result<Architecture, ArchError> {
        let text = presets::text(name).ok_or_else(|| ArchError::UnknownPreset { name: name.to_string() })?;
        Architecture::from_toml_str(text, &format!("arch/{name}.toml"))
    }

    /// Checks every field against its allowed range (docs/arch.md lists
    /// them); needed again after changing fields in code, e.g. in a sweep.
    pub fn validate(&self, source_name: &str) -> Result<(), ArchError> {
        validate::validate(self, source_name)
    }

    /// The description as TOML that `from_toml_str` reads back unchanged.
    pub fn to_toml(&self) -> Result<String, ArchError> {
        toml::to_string(self)
            .map_err(|error| ArchError::Serialize { name: self.name.clone(), message: error.to_string() })
    }

    /// Cells (and so physical columns) one weight is sliced over:
    /// `ceil(weight_bits / cell_bits)`.
    pub fn slices_per_weight(&self) -> u32 {
        self.crossbar.weight_bits.div_ceil(self.crossbar.cell_bits)
    }

    /// Bit-serial input cycles of one MVM: `ceil(input_bits / dac_bits)`.
    pub fn input_cycles(&self) -> u32 {
        self.crossbar.input_bits.div_ceil(self.crossbar.dac_bits)
    }

    /// Latency of one MVM, cycles: `mvm_latency_cycles` when given, else
    /// `input_cycles * (read_cycles + ceil(cols / adc_count) * adc_cycles)`:
    /// each input cycle reads the array once, then the shared ADCs convert
    /// every column in turn (shift-and-add overlaps with conversion).
    pub fn mvm_latency_cycles(&self) -> u64 {
        let crossbar = &self.crossbar;
        if let Some(cycles) = crossbar.mvm_latency_cycles {
            return u64::from(cycles);
        }
        let conversions = u64::from(crossbar.cols.div_ceil(crossbar.adc_count));
        let per_input_cycle = u64::from(crossbar.read_cycles) + conversions * u64::from(crossbar.adc_cycles);
        u64::from(self.input_cycles()) * per_input_cycle
    }

    /// Cycles from the grant of a transaction of `bytes` to its end, as the
    /// requesting core sees them: `overhead_cycles + ceil(bytes / width_bytes)`.
    pub fn bus_transfer_cycles(&self, bytes: u64) -> u64 {
        u64::from(self.bus.overhead_cycles).saturating_add(self.bus_beats(bytes))
    }

    /// Cycles a transaction of `bytes` keeps the bus from the others: its
    /// data beats `ceil(bytes / width_bytes)` on a pipelined bus, all of
    /// [`Self::bus_transfer_cycles`] otherwise.
    pub fn bus_occupancy_cycles(&self, bytes: u64) -> u64 {
        if self.bus.pipelined {
            self.bus_beats(bytes)
        } else {
            self.bus_transfer_cycles(bytes)
        }
    }

    fn bus_beats(&self, bytes: u64) -> u64 {
        bytes.div_ceil(u64::from(self.bus.width_bytes))
    }

    /// Cycles of one vector-unit operation on `elements`: `latency_cycles + ceil(elements / elements_per_cycle)`.
    pub fn vector_op_cycles(&self, elements: u64) -> u64 {
        let beats = elements.div_ceil(u64::from(self.vector_unit.elements_per_cycle));
        u64::from(self.vector_unit.latency_cycles).saturating_add(beats)
    }

    /// Crossbars on the chip: `core.count * core.crossbars`.
    pub fn total_crossbars(&self) -> u64 {
        u64::from(self.core.count) * u64::from(self.core.crossbars)
    }

    /// Bytes of one crossbar's input vector: `rows * ceil(input_bits / 8)`.
    pub fn input_vector_bytes(&self) -> u64 {
        u64::from(self.crossbar.rows) * u64::from(self.crossbar.input_bits.div_ceil(8))
    }

    /// Whole weights side by side in a crossbar row, `floor(cols /
    /// slices_per_weight)`: the columns of the weight matrix a crossbar
    /// holds, and the words one MVM writes.
    pub fn weights_per_row(&self) -> u32 {
        self.crossbar.cols / self.slices_per_weight()
    }

    /// Bytes of one crossbar's partial-sum vector, one element per weight
    /// column: `weights_per_row * ceil(output_bits / 8)`.
    pub fn output_vector_bytes(&self) -> u64 {
        u64::from(self.weights_per_row()) * u64::from(self.crossbar.output_bits.div_ceil(8))
    }

    /// Synchronization memory of the whole chip: its registers, bytes.
    pub fn sync_memory_bytes(&self) -> u64 {
        u64::from(self.core.count) * self.sync_memory_bytes_per_core()
    }

    /// Synchronization memory of one core: its registers, bytes.
    pub fn sync_memory_bytes_per_core(&self) -> u64 {
        u64::from(self.sync.registers) * u64::from(self.sync.register_bytes)
    }

    /// Wall-clock time of `cycles` at `clock_mhz`, microseconds.
    pub fn cycles_to_us(&self, cycles: u64) -> f64 {
        cycles as f64 / self.clock_mhz
    }
}
