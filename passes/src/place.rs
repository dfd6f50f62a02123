//! `rram-place{cores=N crossbars=K}`: puts every crossbar tile on a core of
//! a chip of `N` cores with `K` crossbars each, in program order, so that
//! the tiles of a horizontal group (adjacent in the IR, as `rram-tile`
//! writes them) sit on consecutive cores and crossbars. Each layer (each
//! replica of a duplicated layer, whose tiles `rram-duplicate` writes
//! together), and each group of several tiles, fills cores of its own ([`core_slots`]): a
//! core holds adjacent tiles of one group, which `rram-sync` adds up
//! locally, or single-tile groups of one layer, which need no
//! synchronization.
//!
//! A network that needs more cores than the chip has is an error that says
//! how many it needs and how many there are, located at the first tile
//! that does not fit; nothing is dropped. Invariants: no
//! crossbar holds two tiles; every core and crossbar index is within the
//! chip; a core's tiles belong to one group or are all single-tile groups.

use crate::tiling::{core_slots, Chip};
use crate::{Pass, PassOptions};
use rram_dialects::{AttributeValue, Error, Module};

pub struct Place {
    pub cores: i64,
    pub crossbars_per_core: i64,
}

impl Place {
    pub fn from_options(options: &PassOptions) -> Result<Self, Error> {
        Ok(Place {
            cores: options.positive("rram-place", "cores", 1024)?,
            crossbars_per_core: options.positive("rram-place", "crossbars", 1)?,
        })
    }
}

impl Pass for Place {
    fn run(&self, module: &mut Module) -> Result<(), Error> {
        let tiles = module.operations_named("xbar.tile");
        let mut groups = Vec::with_capacity(tiles.len());
        let mut grids = Vec::new();
        for tile in &tiles {
            let attribute = |op: &rram_dialects::Op, name| op.attribute(name).and_then(|a| a.as_i64());
            let grid = tile.operand(0).and_then(|grid| grid.defining_op());
            match (attribute(tile, "h"), attribute(tile, "replica"), grid.as_ref().and_then(|g| attribute(g, "h"))) {
                (Some(h), Some(replica), Some(group)) => {
                    // Each replica of a layer is a layer of its own.
                    let layer = (grid.expect("a grid has an 'h'").id(), replica);
                    if grids.last() != Some(&layer) {
                        grids.push(layer);
                    }
                    groups.push((grids.len(), h, group))
                }
                _ => {
                    return Err(tile.error("rram-place: a tile needs its 'h', its 'replica' and the grid it belongs to"))
                }
            }
        }
        let slots = core_slots(groups, self.crossbars_per_core);
        if let Some(index) = slots.iter().position(|&(core, _)| core >= self.cores) {
            let chip = Chip { cores: self.cores, crossbars: self.crossbars_per_core };
            let needed = slots.last().map_or(0, |&(core, _)| core + 1);
            let message = chip.shortage(tiles.len() as i64, needed);
            return Err(tiles[index].error(format!("rram-place: {message}")));
        }
        for (tile, (core, crossbar)) in tiles.iter().zip(slots) {
            tile.set_attribute("core", &AttributeValue::I64(core))?;
            tile.set_attribute("crossbar", &AttributeValue::I64(crossbar))?;
        }
        Ok(())
    }
}
