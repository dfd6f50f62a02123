//! Where the tools' inputs come from, as command-line arguments shared by
//! every tool: a network (an ONNX file or a zoo model) and an architecture
//! (a file, a preset, or a fallback).

use clap::Args;
use rram_arch::Architecture;
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

/// `--arch FILE` or `--preset NAME`, and `--set KEY=VALUE` changes.
#[derive(Args, Debug)]
pub struct ArchArgs {
    /// Architecture file
    #[arg(long, value_name = "FILE", conflicts_with = "preset")]
    pub arch: Option<PathBuf>,
    /// A built-in architecture preset (rramc arch --list lists them)
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    #[command(flatten)]
    pub settings: ArchSettings,
}

impl ArchArgs {
    /// The architecture asked for, else `fallback`, else the default chip;
    /// with the `--set` changes.
    pub fn architecture(&self, fallback: Option<Architecture>) -> Result<Architecture, String> {
        let chosen = match (&self.arch, &self.preset) {
            (Some(path), _) => Architecture::load(path).map_err(|e| e.to_string())?,
            (None, Some(name)) => Architecture::preset(name).map_err(|e| e.to_string())?,
            (None, None) => fallback.unwrap_or_default(),
        };
        self.settings.apply(&chosen)
    }

    /// The architecture the options ask for, if any: a file or preset with
    /// the `--set` changes, or `base` with them.
    pub fn given(&self, base: Option<Architecture>) -> Result<Option<Architecture>, String> {
        if self.is_given() {
            self.architecture(base).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Whether any architecture option was given.
    pub fn is_given(&self) -> bool {
        self.arch.is_some() || self.preset.is_some() || !self.settings.set.is_empty()
    }
}

/// `--set KEY=VALUE`, repeatable: a field of the architecture changed.
#[derive(Args, Debug)]
pub struct ArchSettings {
    /// Change a field of the architecture, as in its TOML file (docs/arch.md), e.g.
    /// core.remote_writes=true; repeatable
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_setting)]
    pub set: Vec<(String, String)>,
}

impl ArchSettings {
    pub fn apply(&self, architecture: &Architecture) -> Result<Architecture, String> {
        architecture.with_settings(&self.set).map_err(|e| e.to_string())
    }
}

fn parse_setting(text: &str) -> Result<(String, String), String> {
    let (key, value) = text.split_once('=').ok_or("expected KEY=VALUE, e.g. core.remote_writes=true")?;
    Ok((key.trim().to_string(), value.trim().to_string()))
}
