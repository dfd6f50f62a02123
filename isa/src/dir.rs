//! A program on disk: a directory with one `core<N>.isa` per core, an
//! optional `memory.txt` (initial shared memory) and an optional
//! `arch.toml` (the architecture it was compiled for).

use crate::{parse_core, parse_memory, print_core, print_memory, Program};
use rram_arch::{ArchError, Architecture};
use std::path::Path;

/// Why a program directory cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ProgramDirError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error(transparent)]
    Parse(#[from] crate::ParseError),
    #[error(transparent)]
    Arch(#[from] ArchError),
    #[error("{path}: declares .core {declared}, but its name says core {named}")]
    CoreMismatch { path: String, declared: u32, named: u32 },
    #[error("{0}: holds no core<N>.isa file")]
    Empty(String),
}

const MEMORY_FILE: &str = "memory.txt";
const ARCH_FILE: &str = "arch.toml";

/// The core a file named `core<N>.isa` holds the program of.
fn core_file(name: &str) -> Option<u32> {
    name.strip_prefix("core")?.strip_suffix(".isa")?.parse().ok()
}

/// Whether a file named `name` is part of a program directory.
pub fn is_program_file(name: &str) -> bool {
    name == MEMORY_FILE || name == ARCH_FILE || core_file(name).is_some()
}

fn io_error(path: &Path, error: std::io::Error) -> ProgramDirError {
    ProgramDirError::Io { path: path.display().to_string(), message: error.to_string() }
}

/// Reads the program in `dir`, and its `arch.toml` when there is one.
pub fn read_program(dir: &Path) -> Result<(Program, Option<Architecture>), ProgramDirError> {
    let mut program = Program::default();
    let mut files: Vec<(u32, std::path::PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io_error(dir, e))? {
        let path = entry.map_err(|e| io_error(dir, e))?.path();
        if let Some(number) = path.file_name().and_then(|n| n.to_str()).and_then(core_file) {
            files.push((number, path));
        }
    }
    if files.is_empty() {
        return Err(ProgramDirError::Empty(dir.display().to_string()));
    }
    files.sort();
    for (number, path) in files {
        let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, e))?;
        let core = parse_core(&text, &path.display().to_string())?;
        if core.core != number {
            return Err(ProgramDirError::CoreMismatch {
                path: path.display().to_string(),
                declared: core.core,
                named: number,
            });
        }
        program.cores.push(core);
    }
    let memory = dir.join(MEMORY_FILE);
    if memory.exists() {
        let text = std::fs::read_to_string(&memory).map_err(|e| io_error(&memory, e))?;
        program.memory = parse_memory(&text, &memory.display().to_string())?;
    }
    let arch = dir.join(ARCH_FILE);
    let arch = if arch.exists() { Some(Architecture::load(&arch)?) } else { None };
    Ok((program, arch))
}

/// Writes `program` (and `arch`, if given) into `dir`, creating it.
pub fn write_program(dir: &Path, program: &Program, arch: Option<&Architecture>) -> Result<(), ProgramDirError> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let write = |name: String, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| io_error(&path, e))
    };
    for core in &program.cores {
        write(format!("core{}.isa", core.core), print_core(core))?;
    }
    if !program.memory.is_empty() {
        write(MEMORY_FILE.into(), print_memory(&program.memory))?;
    }
    if let Some(arch) = arch {
        write(ARCH_FILE.into(), arch.to_toml()?)?;
    }
    Ok(())
}
