//! `rram-duplicate{mode=exact budget=N explain=true}` (xbar -> xbar, after
//! `rram-tile`, before `rram-place`): weight duplication. Gives each
//! layer's grid as many replicas as [`crate::duplication`] decides for
//! the chip the module carries, so that the slowest layer is as fast as
//! `N` cores allow (default: the chip's `core.count`); `mode=greedy` uses
//! the heuristic of PIMCOMP-NN and CLSA-CIM instead, `mode=none` keeps one
//! copy of each (and still checks the budget).
//!
//! A layer in `d` replicas gets `replicas = d` on its `xbar.grid` and `d -
//! 1` copies of each of its tiles (`replica = 1 .. d-1`), written after the
//! grid's last tile. The dataflow does not change: the `xbar.mvm` of a
//! replica-0 tile stands for the tile's partial sums over every output
//! pixel, which its replicas share, replica `r` computing output rows `r,
//! r + d, ...`. Tiles are numbered one per core again (as `rram-tile`
//! leaves them); `rram-place` then gives each replica cores of its own.
//!
//! A layer's stage (its output rows, the cycles per row of one replica,
//! the bus floor no replica lowers, and the cores one replica takes) comes
//! from its tiles and output shape ([`crate::duplication::stage`]), so a
//! bus-bound layer gets no copies that cannot help. With `explain=true`
//! the pass reports each layer's replicas, stage time and the bottleneck,
//! and what the other modes reach ([`crate::duplication::explain`]).
//!
//! Invariants: every grid's replicas hold the same tiles, each replica
//! exactly once; the replicas of all layers take at most the budget's
//! cores; a budget below one replica of each layer is an error with the
//! numbers. A grid already replicated is an error (duplication runs once).

use crate::duplication::{explain, stage, Mode, Stage};
use crate::tiling::{Tile, TilePlan};
use crate::{Pass, PassOptions};
use rram_arch::Architecture;
use rram_dialects::xbar::{Grid, Tile as TileView};
use rram_dialects::{AttributeValue, Error, Module, Op, OpId};
use std::collections::HashMap;

pub struct DuplicateLayers {
    pub mode: Mode,
    /// Cores the replicas of all layers may take.
    pub budget: i64,
    pub explain: bool,
    /// The chip whose costs decide.
    pub chip: Architecture,
}

impl DuplicateLayers {
    pub fn from_options(options: &PassOptions, chip: &Architecture) -> Result<Self, Error> {
        let pass = "rram-duplicate";
        let mode = match options.0.get("mode") {
            None => Mode::Exact,
            Some(name) => Mode::named(name).ok_or_else(|| {
                Error::Pipeline(format!("option 'mode' of pass '{pass}' must be none, greedy or exact, got '{name}'"))
            })?,
        };
        let explain = options.flag(pass, "explain")?;
        Ok(DuplicateLayers {
            mode,
            budget: options.positive(pass, "budget", i64::from(chip.core.count))?,
            explain,
            chip: chip.clone(),
        })
    }
}

/// One grid as duplication reads it.
struct Layer<'m> {
    grid: Op<'m>,
    name: String,
    /// The tiles of replica 0, in IR order.
    tiles: Vec<Op<'m>>,
    replicas: i64,
    stage: Stage,
}

impl Pass for DuplicateLayers {
    fn run(&self, module: &mut Module) -> Result<(), Error> {
        let layers = self.layers(module)?;
        if let Some(layer) = layers.iter().find(|l| l.replicas != 1) {
            let message =
                format!("layer '{}' is in {} replicas already: duplication runs once", layer.name, layer.replicas);
            return Err(fail(&layer.grid, message));
        }
        let replicas = self.solve(module, &layers)?;
        for (layer, &d) in layers.iter().zip(&replicas) {
            layer.grid.set_attribute("replicas", &AttributeValue::I64(d))?;
            let last = layer.tiles.last().expect("a layer has tiles");
            let anchor = last.next().ok_or_else(|| last.error("rram-duplicate: a tile ends its block"))?;
            for replica in 1..d {
                for tile in &layer.tiles {
                    copy_tile(module, tile, replica, anchor)?;
                }
            }
        }
        // One core per tile in program order, as rram-tile numbers them.
        for (core, tile) in module.operations_named("xbar.tile").iter().enumerate() {
            tile.set_attribute("core", &AttributeValue::I64(core as i64))?;
            tile.set_attribute("crossbar", &AttributeValue::I64(0))?;
        }
        Ok(())
    }

    fn remarks(&self, module: &Module) -> Vec<String> {
        if !self.explain {
            return Vec::new();
        }
        // After the run: the stages of replica 0, the replicas chosen.
        let explained = self.layers(module).map(|layers| {
            let replicas: Vec<i64> = layers.iter().map(|l| l.replicas).collect();
            let named: Vec<(String, Stage)> = layers.into_iter().map(|l| (l.name, l.stage)).collect();
            explain(&named, &replicas, self.mode, self.budget)
        });
        vec![format!("rram-duplicate: {}", explained.unwrap_or_else(|e| e.to_string()))]
    }
}

impl DuplicateLayers {
    /// Every grid of the module with its replica-0 tiles, replicas and stage.
    fn layers<'m>(&self, module: &'m Module) -> Result<Vec<Layer<'m>>, Error> {
        let mut layers: Vec<Layer> = Vec::new();
        let grids = module.operations_named("xbar.grid");
        let index_of: HashMap<OpId, usize> = grids.iter().enumerate().map(|(i, g)| (g.id(), i)).collect();
        let mut tiles_of: Vec<Vec<(Op, TileView)>> = vec![Vec::new(); grids.len()];
        for tile in module.operations_named("xbar.tile") {
            let view = TileView::read(&tile).map_err(|e| fail(&tile, e))?;
            let grid = tile.operand(0).and_then(|g| g.defining_op()).map(|g| g.id());
            let index = *grid
                .and_then(|grid| index_of.get(&grid))
                .ok_or_else(|| fail(&tile, "a tile must belong to an xbar.grid"))?;
            if view.replica == 0 {
                tiles_of[index].push((tile, view));
            }
        }
        for (grid, tiles) in grids.iter().zip(tiles_of) {
            let view = Grid::read(grid).map_err(|e| fail(grid, e))?;
            let shape = output_shape(grid, &view, &tiles)?;
            let plan = TilePlan {
                h: view.h,
                v: view.v,
                groups_per_tile: groups_per_tile(&view, tiles.first().map(|(_, t)| t)),
                tiles: tiles.iter().map(|(_, t)| Tile { h: t.h, v: t.v, rows: t.rows, cols: t.cols }).collect(),
            };
            layers.push(Layer {
                grid: *grid,
                name: view.layer.clone(),
                tiles: tiles.into_iter().map(|(op, _)| op).collect(),
                replicas: view.replicas,
                stage: stage(&plan, shape, &self.chip),
            });
        }
        Ok(layers)
    }

    /// The replicas of each layer, as the mode decides within the budget.
    fn solve(&self, module: &Module, layers: &[Layer]) -> Result<Vec<i64>, Error> {
        let stages: Vec<Stage> = layers.iter().map(|l| l.stage).collect();
        self.mode.solve(&stages, self.budget).map_err(|message| {
            let at = layers.first().map_or_else(|| module.operation(), |l| l.grid);
            fail(&at, format!("{message} (option 'budget', default the chip's core.count)"))
        })
    }
}

/// The layer's output `[channels, rows, width]` from the partial sums of
/// its tiles (`[N, c, OH, OW]`, or `[N, c]` for a dense layer on `[N, K]`):
/// the rows of all `N` images, which replicas take in turn.
fn output_shape(grid: &Op, view: &Grid, tiles: &[(Op, TileView)]) -> Result<[i64; 3], Error> {
    let (tile, _) = tiles.first().ok_or_else(|| fail(grid, format!("layer '{}' has no tiles", view.layer)))?;
    let mvm = tile.result(0).and_then(|t| t.users().into_iter().find(|user| user.name() == "xbar.mvm"));
    let shape = mvm.and_then(|mvm| mvm.result(0)).and_then(|partial| partial.ty().static_shape());
    match shape.as_deref() {
        Some(&[n, _, height, width]) => Ok([view.weight[0], n * height, width]),
        Some(&[n, _]) => Ok([view.weight[0], n, 1]),
        _ => Err(fail(tile, format!("layer '{}': its tiles need an xbar.mvm to size its output", view.layer))),
    }
}

/// Groups a tile of a grouped layer holds: its channels over a group's.
fn groups_per_tile(grid: &Grid, first: Option<&TileView>) -> i64 {
    let per_group = grid.weight[0] / grid.groups;
    match first {
        Some(tile) if grid.groups > 1 && per_group > 0 => (tile.channels(grid) / per_group).max(1),
        _ => 1,
    }
}

/// Inserts before `anchor` a copy of `tile` for `replica`.
fn copy_tile<'m>(module: &'m Module, tile: &Op<'m>, replica: i64, anchor: Op<'m>) -> Result<(), Error> {
    let grid = tile.operand(0).ok_or_else(|| fail(tile, "a tile needs its grid"))?;
    let mut builder = module.build("xbar.tile", tile).operand(grid).result(module.parse_type("!xbar.tile_ref")?);
    for name in ["h", "v", "core", "crossbar", "rows", "cols"] {
        let value =
            tile.attribute(name).and_then(|a| a.to_value()).ok_or_else(|| fail(tile, format!("no '{name}'")))?;
        builder = builder.attribute(name, value);
    }
    builder.attribute("replica", AttributeValue::I64(replica)).insert_before(anchor)?;
    Ok(())
}

/// An error of this pass, located at `op`.
fn fail(op: &Op, message: impl std::fmt::Display) -> Error {
    op.error(format!("rram-duplicate: {message}"))
}
