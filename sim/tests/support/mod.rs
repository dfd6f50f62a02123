//! Programs and a chip small enough to compute by hand, for the
//! simulator's tests and the compiler's (`compiler/tests/tiled_conv.rs`
//! includes this file).

use rram_arch::Architecture;
use rram_isa::{Affine, CoreProgram, Crossbar, Instr};

/// Round numbers for hand computation: MVM 10 cycles; vector ops 1 + n/16;
/// bus transactions 2 + ceil(bytes / 4); inputs 1 byte, partial sums 4.
pub fn arch(cores: u32) -> Architecture {
    let text = format!(
        "[core]\ncount = {cores}\ncrossbars = 1\nlocal_memory_bytes = 4096\n\
         [crossbar]\nrows = 16\ncols = 16\ncell_bits = 8\nmvm_latency_cycles = 10\n\
         [vector_unit]\nelements_per_cycle = 16\nlatency_cycles = 1\n\
         [bus]\nwidth_bytes = 4\noverhead_cycles = 2\n\
         [shared_memory]\nsize_bytes = 65536\n"
    );
    Architecture::from_toml_str(&text, "test.toml").unwrap()
}

pub fn c(value: i64) -> Affine {
    Affine::constant(value)
}

pub fn xbar(rows: u32, cols: u32, weights: Option<Vec<f64>>) -> Crossbar {
    Crossbar { index: 0, rows, cols, weights }
}

pub fn core(id: u32, crossbars: Vec<Crossbar>, body: Vec<Instr>) -> CoreProgram {
    CoreProgram { core: id, crossbars, body }
}
