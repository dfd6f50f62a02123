//! The instruction set of `rram-isa`, and program directories: a program
//! with the architecture it was compiled for, as files `rram-sim` reads.

mod dir;
mod fit;

pub use dir::{is_program_file, read_program, write_program, ProgramDirError};
pub use fit::{check_fit, Misfit, WORD_BYTES};
pub use rram_isa::*;
