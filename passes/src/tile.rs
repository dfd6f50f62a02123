//! `rram-tile{rows=R cols=C slices=S}` (nn -> xbar): replaces every
//! `nn.conv2d` and `nn.dense` by the crossbar tiles of its kernel matrix,
//! cut as [`crate::tiling::plan`] says, and the dataflow between them:
//!
//! ```text
//! %g  = xbar.grid(%weight)                  the layer's matrix, h x v tiles
//! %t  = xbar.tile(%g) {h, v, rows, cols, core, crossbar}   one per tile
//! %p  = xbar.mvm(%t, %input)                one tile's partial sums
//! %a  = xbar.accumulate(%p_h0, %p_h1, ...)  one column block's horizontal group
//! %y  = nn.concat(%a_v0, %a_v1) ...         the column blocks, along channels
//! %yb = xbar.bias(%y, %bias)                if the layer had a bias
//! ```
//!
//! A dense layer (`y = W x + b`, weight `[M, K]`) is tiled as the 1x1 conv
//! it is: a `K` x `M*S` matrix, a grid with the window of a 1x1 conv
//! ([`rram_dialects::xbar::DENSE_WINDOW`]), and `[N, K] -> [N, channels]`
//! partial sums, so both kinds of layer share every step after reading
//! them. Each tile gets its own core (one crossbar per core, numbered in
//! program order over all layers); `rram-place` is where tiles meet the
//! chip's budget, unless the pass is told the chip ([`TileLayers::fit_on`]):
//! then it checks the fit from the layers' sizes before building a tile.
//! Invariants: the tiles of a grid hold every weight of the
//! layer exactly once, none holds more than `R x C` cells, and a weight's
//! `S` slices stay on one crossbar (property-tested in `tests/tiling.rs`);
//! the result keeps the layer's type.

use crate::tiling::{plan, plan_size, Chip, KernelMatrix};
use crate::{Pass, PassOptions};
use rram_dialects::nn::{fmt_shape, result_shape, static_shape, NnOp, Window};
use rram_dialects::xbar::DENSE_WINDOW;
use rram_dialects::{tensor_type_text, AttributeValue, Error, Location, Module, Op, OpId, Value};

pub struct TileLayers {
    pub rows: i64,
    pub cols: i64,
    pub slices: i64,
    /// The chip the tiles must fit on, checked from the layers' plan sizes
    /// before any tile is built, so that a network far too large fails
    /// at once instead of after building millions of ops; `None` leaves
    /// the check to `rram-place`.
    pub fit_on: Option<Chip>,
}

impl TileLayers {
    pub fn from_options(options: &PassOptions) -> Result<Self, Error> {
        let pass = "rram-tile";
        Ok(TileLayers {
            rows: options.positive(pass, "rows", 128)?,
            cols: options.positive(pass, "cols", 128)?,
            slices: options.positive(pass, "slices", 4)?,
            fit_on: match (options.0.contains_key("cores"), options.0.contains_key("crossbars")) {
                (false, false) => None,
                _ => Some(Chip {
                    cores: options.positive(pass, "cores", 1)?,
                    crossbars: options.positive(pass, "crossbars", 1)?,
                }),
            },
        })
    }
}

impl Pass for TileLayers {
    fn run(&self, module: &mut Module) -> Result<(), Error> {
        if let Some(chip) = self.fit_on {
            self.check_fit(module, chip)?;
        }
        let mut replaced: Vec<OpId> = Vec::new();
        let mut next_core = 0;
        for op in module.operations() {
            // Read as it is tiled: a layer's input may be a tiled layer's result.
            if let Some(layer) = self.read_layer(op)? {
                self.tile(module, op, &layer, &mut next_core)?;
                replaced.push(op.id());
            }
        }
        module.erase_if_unused(&replaced);
        Ok(())
    }
}

/// What tiling needs to know about a conv or dense layer; everything after
/// reading it is shared by both.
struct Layer<'m> {
    input: Value<'m>,
    weight: Value<'m>,
    bias: Option<Value<'m>>,
    matrix: KernelMatrix,
    /// The grid's window: the conv's, or a dense layer's 1x1 one.
    window: Window,
    groups: i64,
    /// `[N, Cout, OH, OW]` for a conv, `[N, M]` for a dense layer: the
    /// partial sums have this shape with fewer channels.
    output: Vec<i64>,
}

fn i64s(values: &[i64]) -> AttributeValue {
    AttributeValue::I64Array(values.to_vec())
}

/// `shape` with `channels` in dimension 1: the shape of a column block's
/// partial sums, or of the blocks concatenated so far.
fn with_channels(shape: &[i64], channels: i64) -> Vec<i64> {
    let mut shape = shape.to_vec();
    shape[1] = channels;
    shape
}

/// An error of this pass, located at `op`.
fn fail(op: &Op, message: impl std::fmt::Display) -> Error {
    op.error(format!("rram-tile: {message}"))
}

impl TileLayers {
    /// The layer `op` is, if it is an `nn.conv2d` or `nn.dense`.
    fn read_layer<'m>(&self, op: Op<'m>) -> Result<Option<Layer<'m>>, Error> {
        let name = op.name();
        if name != "nn.conv2d" && name != "nn.dense" {
            return Ok(None);
        }
        let Some(nn) = NnOp::read(&op).map_err(|e| fail(&op, format!("not a valid {name}: {e}")))? else {
            return Ok(None);
        };
        if self.cols < self.slices {
            let message = format!("a {}-column crossbar cannot hold a weight of {} cells", self.cols, self.slices);
            return Err(fail(&op, message));
        }
        let operand = |i: usize| op.operand(i).ok_or_else(|| fail(&op, format!("missing operand #{i}")));
        let (input, weight) = (operand(0)?, operand(1)?);
        let shape = static_shape(&weight, "weight").map_err(|e| fail(&op, e))?;
        let (matrix, window, groups) = match (&nn, shape.as_slice()) {
            (NnOp::Conv2d(conv), &[cout, cin_per_group, kh, kw]) => {
                let window =
                    Window { kernel: [kh, kw], strides: conv.strides, pads: conv.pads, dilations: conv.dilations };
                let matrix = KernelMatrix::conv([cout, cin_per_group, kh, kw], conv.groups, self.slices);
                (matrix.map_err(|e| fail(&op, e))?, window, conv.groups)
            }
            (NnOp::Dense, &[m, k]) => {
                (KernelMatrix::dense([m, k], self.slices).map_err(|e| fail(&op, e))?, DENSE_WINDOW, 1)
            }
            _ => return Err(fail(&op, format!("{name} has a weight of unexpected shape {}", fmt_shape(&shape)))),
        };
        // The partial sums take their shape from the declared result, so it
        // must be right even where nn-verify-shapes has not run.
        let output = result_shape(&op).map_err(|e| fail(&op, e))?;
        let inferred = nn.infer_shape(&op).map_err(|e| fail(&op, e))?;
        if output != inferred {
            let message = format!(
                "result shape {} does not match the inferred shape {}",
                fmt_shape(&output),
                fmt_shape(&inferred)
            );
            return Err(fail(&op, message));
        }
        Ok(Some(Layer { input, weight, bias: op.operand(2), matrix, window, groups, output }))
    }

    /// Checks that the module's layers fit on `chip` from their plan sizes,
    /// before any tile is built; located at the first layer that does not.
    fn check_fit(&self, module: &Module, chip: Chip) -> Result<(), Error> {
        let mut layers = Vec::new();
        for op in module.operations() {
            if let Some(layer) = self.read_layer(op)? {
                layers.push((op, plan_size(&layer.matrix, self.rows, self.cols)));
            }
        }
        chip.check_fit(layers.iter().map(|&(_, plan)| plan)).map_err(|(index, message)| fail(&layers[index].0, message))
    }

    /// Replaces the uses of `op`'s result by the tiled `layer`.
    fn tile<'m>(&self, module: &'m Module, op: Op<'m>, layer: &Layer<'m>, next_core: &mut i64) -> Result<(), Error> {
        let plan = plan(&layer.matrix, self.rows, self.cols);
        let name = match op.location() {
            Location::Name { name, .. } => name,
            other => format!("{} at {other}", op.name().trim_start_matches("nn.")),
        };
        let window = &layer.window;
        let grid = module
            .build("xbar.grid", &op)
            .operand(layer.weight)
            .result(module.parse_type("!xbar.grid_ref")?)
            .attribute("layer", AttributeValue::String(name))
            .attribute("matrix", i64s(&[layer.matrix.rows(), layer.matrix.cols()]))
            .attribute("xbar", i64s(&[self.rows, self.cols]))
            .attribute("kernel", i64s(&window.kernel))
            .attribute("strides", i64s(&window.strides))
            .attribute("pads", i64s(&window.pads))
            .attribute("dilations", i64s(&window.dilations))
            .attribute("groups", AttributeValue::I64(layer.groups))
            .attribute("h", AttributeValue::I64(plan.h))
            .attribute("v", AttributeValue::I64(plan.v))
            .attribute("replicas", AttributeValue::I64(1))
            .insert_value_before(op)?;

        // Per column block: its channels and its partial sums in h order
        // (the plan lists them so).
        let mut blocks: Vec<(i64, Vec<Value<'m>>)> = vec![(0, Vec::new()); plan.v as usize];
        for t in &plan.tiles {
            let tile = module
                .build("xbar.tile", &op)
                .operand(grid)
                .result(module.parse_type("!xbar.tile_ref")?)
                .attribute("h", AttributeValue::I64(t.h))
                .attribute("v", AttributeValue::I64(t.v))
                .attribute("replica", AttributeValue::I64(0))
                .attribute("core", AttributeValue::I64(*next_core))
                .attribute("crossbar", AttributeValue::I64(0))
                .attribute("rows", i64s(&t.rows))
                .attribute("cols", i64s(&t.cols))
                .insert_value_before(op)?;
            *next_core += 1;
            let channels = (t.cols[1] - t.cols[0]) / self.slices;
            let mvm = module
                .build("xbar.mvm", &op)
                .operand(tile)
                .operand(layer.input)
                .result(module.parse_type(&tensor_type_text(&with_channels(&layer.output, channels)))?)
                .insert_value_before(op)?;
            let block = &mut blocks[t.v as usize];
            block.0 = channels;
            block.1.push(mvm);
        }
        let mut output: Option<(Value<'m>, i64)> = None;
        for (channels, partials) in blocks {
            let mut builder = module.build("xbar.accumulate", &op).result(partials[0].ty());
            for &p in &partials {
                builder = builder.operand(p);
            }
            let block = builder.insert_value_before(op)?;
            output = Some(match output {
                None => (block, channels),
                Some((so_far, total)) => {
                    let joined = module
                        .build("nn.concat", &op)
                        .operand(so_far)
                        .operand(block)
                        .attribute("axis", AttributeValue::I64(1))
                        .result(module.parse_type(&tensor_type_text(&with_channels(&layer.output, total + channels)))?)
                        .insert_value_before(op)?;
                    (joined, total + channels)
                }
            });
        }
        let (mut result, _) = output.ok_or_else(|| fail(&op, "the plan has no tiles"))?;
        if let Some(bias) = layer.bias {
            result = module
                .build("xbar.bias", &op)
                .operand(result)
                .operand(bias)
                .result(result.ty())
                .insert_value_before(op)?;
        }
        op.result(0).ok_or_else(|| fail(&op, "missing result"))?.replace_all_uses_with(result);
        Ok(())
    }
}
