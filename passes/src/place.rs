//! `rram-place{cores=N crossbars=K}`: puts every crossbar tile on a core of
//! a chip of `N` cores with `K` crossbars each, filling crossbars in program
//! order, so that the tiles of a horizontal group (adjacent in the IR, as
//! `rram-tile` writes them) sit on consecutive cores and crossbars.
//!
//! A network that needs more crossbars than the chip has is an error that
//! says how many it needs and how many there are, located at the first
//! tile that does not fit; nothing is dropped. Invariants: no crossbar
//! holds two tiles; every core and crossbar index is within the chip.

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
        let available = self.cores * self.crossbars_per_core;
        if let Some(first_too_many) = tiles.get(available as usize) {
            return Err(first_too_many.error(format!(
                "rram-place: the network needs {} crossbars, {available} available ({} cores x {} crossbars)",
                tiles.len(),
                self.cores,
                self.crossbars_per_core
            )));
        }
        for (slot, tile) in tiles.iter().enumerate() {
            let slot = slot as i64;
            tile.set_attribute("core", &AttributeValue::I64(slot / self.crossbars_per_core))?;
            tile.set_attribute("crossbar", &AttributeValue::I64(slot % self.crossbars_per_core))?;
        }
        Ok(())
    }
}
