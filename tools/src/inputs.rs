//! Where the tools' inputs come from, as command-line arguments shared by
//! every tool: a network (an ONNX file or a zoo model) and an architecture
//! (a file, a preset, or a fallback).

use clap::Args;
use rram_compiler::arch::Architecture;
use rram_compiler::frontend::{onnx, zoo, Network};
use std::path::PathBuf;

/// `--import-onnx FILE` or `--zoo NAME`.
#[derive(Args, Debug)]
pub struct NetworkArgs {
    /// Import an ONNX model (with or without its weight data)
    #[arg(long, value_name = "FILE", conflicts_with = "zoo")]
    pub import_onnx: Option<PathBuf>,
    /// A network of the built-in zoo (rram-translate --list-zoo lists them)
    #[arg(long, value_name = "NAME")]
    pub zoo: Option<String>,
}

impl NetworkArgs {
    pub fn network(&self) -> Result<Network, String> {
        match (&self.import_onnx, &self.zoo) {
            (Some(path), _) => onnx::import_file(path).map_err(|e| e.to_string()),
            (None, Some(name)) => zoo::build(name).map_err(|e| e.to_string()),
            (None, None) => Err("give --import-onnx FILE or --zoo NAME".into()),
        }
    }
}

/// `--arch FILE` or `--preset NAME`.
#[derive(Args, Debug)]
pub struct ArchArgs {
    /// Architecture file
    #[arg(long, value_name = "FILE", conflicts_with = "preset")]
    pub arch: Option<PathBuf>,
    /// A built-in architecture preset (rramc arch --list lists them)
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
}

impl ArchArgs {
    /// The architecture asked for, else `fallback`, else the default chip.
    pub fn architecture(&self, fallback: Option<Architecture>) -> Result<Architecture, String> {
        Ok(self.given()?.or(fallback).unwrap_or_default())
    }

    /// The architecture asked for, if any.
    pub fn given(&self) -> Result<Option<Architecture>, String> {
        let chip = match (&self.arch, &self.preset) {
            (Some(path), _) => Architecture::load(path),
            (None, Some(name)) => Architecture::preset(name),
            (None, None) => return Ok(None),
        };
        chip.map(Some).map_err(|e| e.to_string())
    }
}
