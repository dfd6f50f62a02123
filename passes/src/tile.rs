//! `rram-tile{rows=R cols=C slices=S}` (nn -> xbar): replaces every
//! `nn.conv2d` by the crossbar tiles of its kernel matrix, cut as
//! [`crate::tiling::plan`] says, and the dataflow between them:
//!
//! ```text
//! %g  = xbar.grid(%weight)                  the layer's matrix, h x v tiles
//! %t  = xbar.tile(%g) {h, v, rows, cols, core, crossbar}   one per tile
//! %p  = xbar.mvm(%t, %input)                one tile's partial sums
//! %a  = xbar.accumulate(%p_h0, %p_h1, ...)  one column block's horizontal group
//! %y  = nn.concat(%a_v0, %a_v1) ...         the column blocks, along channels
//! %yb = xbar.bias(%y, %bias)                if the conv had a bias
//! ```
//!
//! Each tile gets its own core (one crossbar per core, numbered in program
//! order); `rram-place` is where tiles meet the chip's budget. Invariants:
//! the tiles of a grid hold every weight of the layer exactly once, none
//! holds more than `R x C` cells, and a weight's `S` slices stay on one
//! crossbar (property-tested in `tests/tiling.rs`); the result keeps the
//! conv's type. Dense layers are not tiled yet.

use crate::tiling::{plan, KernelMatrix};
use crate::{Pass, PassOptions};
use rram_dialects::nn::{result_shape, static_shape, NnOp};
use rram_dialects::{tensor_type_text, AttributeValue, Error, Location, Module, Op, OpId, Value};

pub struct TileLayers {
    pub rows: i64,
    pub cols: i64,
    pub slices: i64,
}

impl TileLayers {
    pub fn from_options(options: &PassOptions) -> Result<Self, Error> {
        let pass = "rram-tile";
        Ok(TileLayers {
            rows: options.positive(pass, "rows", 128)?,
            cols: options.positive(pass, "cols", 128)?,
            slices: options.positive(pass, "slices", 4)?,
        })
    }
}

impl Pass for TileLayers {
    fn run(&self, module: &mut Module) -> Result<(), Error> {
        let mut replaced: Vec<OpId> = Vec::new();
        let mut next_core = 0;
        for conv in module.operations_named("nn.conv2d") {
            self.tile(module, conv, &mut next_core)?;
            replaced.push(conv.id());
        }
        module.erase_if_unused(&replaced);
        Ok(())
    }
}

fn i64s(values: &[i64]) -> AttributeValue {
    AttributeValue::I64Array(values.to_vec())
}

impl TileLayers {
    fn tile<'m>(&self, module: &'m Module, conv: Op<'m>, next_core: &mut i64) -> Result<(), Error> {
        let fail = |message: String| conv.error(format!("rram-tile: {message}"));
        let Ok(Some(NnOp::Conv2d(attrs))) = NnOp::read(&conv) else {
            return Err(fail("not a valid nn.conv2d".into()));
        };
        if self.cols < self.slices {
            return Err(fail(format!("a {}-column crossbar cannot hold a weight of {} cells", self.cols, self.slices)));
        }
        let operand = |i: usize| conv.operand(i).ok_or_else(|| fail(format!("missing operand #{i}")));
        let (input, weight) = (operand(0)?, operand(1)?);
        let weight_shape = static_shape(&weight, "weight").map_err(&fail)?;
        let output_shape = result_shape(&conv).map_err(&fail)?;
        let weight4 = [weight_shape[0], weight_shape[1], weight_shape[2], weight_shape[3]];
        let matrix = KernelMatrix::conv(weight4, attrs.groups, self.slices);
        let plan = plan(&matrix, self.rows, self.cols);

        let layer = match conv.location() {
            Location::Name { name, .. } => name,
            other => format!("conv2d at {other}"),
        };
        let grid = module
            .build("xbar.grid", &conv)
            .operand(weight)
            .result(module.parse_type("!xbar.grid_ref")?)
            .attribute("layer", AttributeValue::String(layer))
            .attribute("matrix", i64s(&[matrix.rows(), matrix.cols()]))
            .attribute("xbar", i64s(&[self.rows, self.cols]))
            .attribute("kernel", i64s(&weight_shape[2..4]))
            .attribute("strides", i64s(&attrs.strides))
            .attribute("pads", i64s(&attrs.pads))
            .attribute("dilations", i64s(&attrs.dilations))
            .attribute("groups", AttributeValue::I64(attrs.groups))
            .attribute("h", AttributeValue::I64(plan.h))
            .attribute("v", AttributeValue::I64(plan.v))
            .attribute("replicas", AttributeValue::I64(1))
            .insert_value_before(conv)?;

        // Partial sums of each column block, in h order (the plan lists them so).
        let mut blocks: Vec<Vec<Value<'m>>> = vec![Vec::new(); plan.v as usize];
        for t in &plan.tiles {
            let tile = module
                .build("xbar.tile", &conv)
                .operand(grid)
                .result(module.parse_type("!xbar.tile_ref")?)
                .attribute("h", AttributeValue::I64(t.h))
                .attribute("v", AttributeValue::I64(t.v))
                .attribute("replica", AttributeValue::I64(0))
                .attribute("core", AttributeValue::I64(*next_core))
                .attribute("crossbar", AttributeValue::I64(0))
                .attribute("rows", i64s(&t.rows))
                .attribute("cols", i64s(&t.cols))
                .insert_value_before(conv)?;
            *next_core += 1;
            let channels = (t.cols[1] - t.cols[0]) / self.slices;
            let partial = [output_shape[0], channels, output_shape[2], output_shape[3]];
            let mvm = module
                .build("xbar.mvm", &conv)
                .operand(tile)
                .operand(input)
                .result(module.parse_type(&tensor_type_text(&partial))?)
                .insert_value_before(conv)?;
            blocks[t.v as usize].push(mvm);
        }
        let mut output: Option<(Value<'m>, i64)> = None;
        for partials in blocks {
            let ty = partials[0].ty();
            let mut builder = module.build("xbar.accumulate", &conv).result(ty);
            for &p in &partials {
                builder = builder.operand(p);
            }
            let block = builder.insert_value_before(conv)?;
            let channels = static_shape(&block, "block").map_err(&fail)?[1];
            output = Some(match output {
                None => (block, channels),
                Some((so_far, total)) => {
                    let shape = [output_shape[0], total + channels, output_shape[2], output_shape[3]];
                    let joined = module
                        .build("nn.concat", &conv)
                        .operand(so_far)
                        .operand(block)
                        .attribute("axis", AttributeValue::I64(1))
                        .result(module.parse_type(&tensor_type_text(&shape))?)
                        .insert_value_before(conv)?;
                    (joined, total + channels)
                }
            });
        }
        let (mut result, _) = output.ok_or_else(|| fail("the plan has no tiles".into()))?;
        if let Some(bias) = conv.operand(2) {
            result = module
                .build("xbar.bias", &conv)
                .operand(result)
                .operand(bias)
                .result(result.ty())
                .insert_value_before(conv)?;
        }
        conv.result(0).ok_or_else(|| fail("missing result".into()))?.replace_all_uses_with(result);
        Ok(())
    }
}
