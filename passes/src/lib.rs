//! Our passes, one file each, and the registry that names them.
//!
//! A pass transforms a [`Module`] in place and either leaves it valid or
//! returns an error located at the op it could not handle. Passes only use
//! the safe layer of `rram-dialects`.

mod duplicate;
pub mod duplication;
pub mod exchange;
mod fold_batchnorm;
pub mod network;
mod place;
pub mod roles;
pub mod schedule;
pub mod stream;
mod sync;
mod tile;
pub mod tiling;
mod verify_shapes;

use rram_arch::Architecture;
use rram_dialects::{Error, Module};
use std::collections::BTreeMap;

pub use duplicate::DuplicateLayers;
pub use fold_batchnorm::FoldBatchnorm;
pub use place::Place;
pub use sync::{write_msg_program, Synchronize};
pub use tile::TileLayers;
pub use verify_shapes::VerifyShapes;

/// A transformation or check over a whole module.
pub trait Pass {
    fn run(&self, module: &mut Module) -> Result<(), Error>;

    /// What the pass has to tell the user about the module it has run on
    /// (e.g. `rram-duplicate{explain=true}`'s table); `rram-opt` prints it
    /// on stderr.
    fn remarks(&self, _module: &Module) -> Vec<String> {
        Vec::new()
    }
}

/// `key=value` options given to a pass in a pipeline: `name{key=value ...}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassOptions(pub BTreeMap<String, String>);

impl PassOptions {
    /// A positive integer option, `default` when absent.
    pub fn positive(&self, pass: &str, name: &str, default: i64) -> Result<i64, Error> {
        match self.0.get(name) {
            None => Ok(default),
            Some(text) => text.parse::<i64>().ok().filter(|v| *v > 0).ok_or_else(|| {
                Error::Pipeline(format!("option '{name}' of pass '{pass}' must be a positive integer, got '{text}'"))
            }),
        }
    }

    /// A `true`/`false` option, false when absent.
    pub fn flag(&self, pass: &str, name: &str) -> Result<bool, Error> {
        match self.0.get(name).map(String::as_str) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => {
                Err(Error::Pipeline(format!("option '{name}' of pass '{pass}' must be true or false, got '{other}'")))
            }
        }
    }

    /// Parses the text between the braces of `name{...}`: options separated
    /// by spaces (as in mlir-opt) or commas.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let mut options = BTreeMap::new();
        for item in text.split(|c: char| c.is_whitespace() || c == ',').filter(|item| !item.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| Error::Pipeline(format!("pass option '{item}' is not of the form key=value")))?;
            options.insert(key.to_string(), value.to_string());
        }
        Ok(PassOptions(options))
    }
}

/// A quantity of the chip that a pass option stands for. The pipeline
/// gives the option the value of the chip the module carries (`rram.arch`)
/// when it is not set; a different value overrides the chip's, with a
/// warning, and the module then carries the changed chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChipField {
    /// `crossbar.rows`
    CrossbarRows,
    /// `crossbar.cols`, in cells
    CrossbarCols,
    /// Cells per weight, `ceil(crossbar.weight_bits / crossbar.cell_bits)`
    SlicesPerWeight,
    /// `core.count`
    Cores,
    /// `core.crossbars`
    CrossbarsPerCore,
}

/// A registered pass: its pipeline name, a one-line summary, the options it
/// takes and how to create it.
pub struct PassInfo {
    pub name: &'static str,
    pub summary: &'static str,
    /// `(option, description)` pairs.
    pub options: &'static [(&'static str, &'static str)],
    /// The options that stand for a quantity of the chip.
    pub chip: &'static [(&'static str, ChipField)],
    /// Whether the pass writes per-core programs (`msg`), which must fit
    /// the chip.
    pub writes_programs: bool,
    /// Whether the pass reads the chip's costs (given to `create`).
    pub reads_chip: bool,
    create: CreatePass,
}

/// Creates a pass from its options, for a chip.
type CreatePass = fn(&PassOptions, &Architecture) -> Result<Box<dyn Pass>, Error>;

impl PassInfo {
    /// Creates the pass for `chip`, rejecting options it does not know.
    pub fn create(&self, options: &PassOptions, chip: &Architecture) -> Result<Box<dyn Pass>, Error> {
        if let Some(unknown) = options.0.keys().find(|k| !self.options.iter().any(|(o, _)| o == k)) {
            let names: Vec<&str> = self.options.iter().map(|(option, _)| *option).collect();
            let known = match names.as_slice() {
                [] => "it takes none".to_string(),
                names => format!("it takes {}", names.join(", ")),
            };
            return Err(Error::Pipeline(format!(
                "pass '{}' has no option '{unknown}'{}; {known}",
                self.name,
                did_you_mean(unknown, names)
            )));
        }
        (self.create)(options, chip)
    }
}

/// `" (did you mean 'x'?)"` for the candidate closest to `name`, if one is
/// close; else nothing.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro(name, candidate), candidate))
        // clap's threshold for its flag suggestions.
        .filter(|(similarity, _)| *similarity > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map_or_else(String::new, |(_, candidate)| format!(" (did you mean '{candidate}'?)"))
}

/// Every pass of ours, in the order `--list-passes` shows them.
pub fn registry() -> &'static [PassInfo] {
    &REGISTRY
}

/// Looks a pass up by its pipeline name.
pub fn lookup(name: &str) -> Option<&'static PassInfo> {
    REGISTRY.iter().find(|p| p.name == name)
}

static REGISTRY: [PassInfo; 6] = [
    PassInfo {
        name: "nn-fold-batchnorm",
        summary: "Fold each nn.batchnorm that follows an nn.conv2d into the conv's weights and bias",
        options: &[],
        chip: &[],
        writes_programs: false,
        reads_chip: false,
        create: |_, _| Ok(Box::new(FoldBatchnorm)),
    },
    PassInfo {
        name: "rram-tile",
        summary: "Cut each nn.conv2d's and nn.dense's kernel matrix into crossbar tiles (nn -> xbar)",
        options: &[
            ("rows", "crossbar rows (default: the chip's crossbar.rows)"),
            ("cols", "crossbar columns, in cells (default: the chip's crossbar.cols)"),
            ("slices", "cells per weight: weight bits / cell bits (default: the chip's)"),
            ("cores", "cores of the chip, whose fit is checked before any tile is built (default: the chip's)"),
            ("crossbars", "crossbars per core, for the same check (default: the chip's)"),
        ],
        chip: &[
            ("rows", ChipField::CrossbarRows),
            ("cols", ChipField::CrossbarCols),
            ("slices", ChipField::SlicesPerWeight),
            ("cores", ChipField::Cores),
            ("crossbars", ChipField::CrossbarsPerCore),
        ],
        writes_programs: false,
        reads_chip: false,
        create: |options, _| TileLayers::from_options(options).map(|pass| Box::new(pass) as Box<dyn Pass>),
    },
    PassInfo {
        name: "rram-duplicate",
        summary: "Replicate the slow layers' tile grids on the cores to spare, so that the slowest layer is as fast \
                  as the budget allows (xbar -> xbar, before rram-place)",
        options: &[
            (
                "mode",
                "exact (the best bottleneck for the cost model), greedy (duplicate the slowest layer while it \
                      helps) or none (default exact)",
            ),
            ("budget", "cores all replicas may take (default: the chip's core.count)"),
            ("explain", "true: print each layer's replicas, stage cycles and the bottleneck (default false)"),
        ],
        chip: &[],
        writes_programs: false,
        reads_chip: true,
        create: |options, chip| {
            DuplicateLayers::from_options(options, chip).map(|pass| Box::new(pass) as Box<dyn Pass>)
        },
    },
    PassInfo {
        name: "rram-place",
        summary: "Put each crossbar tile on a core of the chip; an error when the network does not fit",
        options: &[
            ("cores", "cores on the chip (default: the chip's core.count)"),
            ("crossbars", "crossbars per core (default: the chip's core.crossbars)"),
        ],
        chip: &[("cores", ChipField::Cores), ("crossbars", ChipField::CrossbarsPerCore)],
        writes_programs: false,
        reads_chip: false,
        create: |options, _| Place::from_options(options).map(|pass| Box::new(pass) as Box<dyn Pass>),
    },
    PassInfo {
        name: "rram-sync",
        summary: "Turn a module's tiled, placed conv layer into per-core programs that synchronize its partial sums \
                  (xbar -> msg)",
        options: &[
            (
                "mode",
                "sequential, linear, cyclic, or auto: the one the exchange cost model predicts fastest on the chip \
                 (default cyclic)",
            ),
            (
                "exchange",
                "shared-memory, or forward: partial sums core to core with PUT (linear only; the chip needs \
                 core.remote_writes) (default shared-memory)",
            ),
            ("explain", "true: print every scheme's predicted cycles, the one used marked (default false)"),
        ],
        chip: &[],
        writes_programs: true,
        reads_chip: true,
        create: |options, chip| Synchronize::from_options(options, chip).map(|pass| Box::new(pass) as Box<dyn Pass>),
    },
    PassInfo {
        name: "nn-verify-shapes",
        summary: "Check every nn op's result shape against the shape inferred from its operands",
        options: &[],
        chip: &[],
        writes_programs: false,
        reads_chip: false,
        create: |_, _| Ok(Box::new(VerifyShapes)),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_separated_by_spaces_or_commas() {
        let expected = PassOptions(BTreeMap::from([
            ("cols".to_string(), "16".to_string()),
            ("rows".to_string(), "32".to_string()),
            ("slices".to_string(), "2".to_string()),
        ]));
        for text in ["rows=32 cols=16 slices=2", "rows=32,cols=16,slices=2", " rows=32, cols=16\tslices=2 "] {
            assert_eq!(PassOptions::parse(text).unwrap(), expected, "{text}");
        }
    }

    #[test]
    fn a_flag_is_true_or_false() {
        let flag = |text: &str| PassOptions::parse(text).unwrap().flag("rram-sync", "explain");
        assert_eq!(
            (flag("").unwrap(), flag("explain=false").unwrap(), flag("explain=true").unwrap()),
            (false, false, true)
        );
        assert_eq!(
            flag("explain=yes").unwrap_err().to_string(),
            "option 'explain' of pass 'rram-sync' must be true or false, got 'yes'"
        );
    }

    #[test]
    fn an_unknown_option_names_the_ones_the_pass_takes() {
        let error = |pass: &str, text: &str| {
            let options = PassOptions::parse(text).unwrap();
            lookup(pass)
                .unwrap()
                .create(&options, &Architecture::default())
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert_eq!(
            error("rram-tile", "row=32"),
            "pass 'rram-tile' has no option 'row' (did you mean 'rows'?); it takes rows, cols, slices, cores, crossbars"
        );
        assert_eq!(error("rram-place", "size=3"), "pass 'rram-place' has no option 'size'; it takes cores, crossbars");
        assert_eq!(
            error("nn-verify-shapes", "strict=1"),
            "pass 'nn-verify-shapes' has no option 'strict'; it takes none"
        );
    }
}
