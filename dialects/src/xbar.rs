//! Typed views of `xbar` ops and their invariants, op by op: a grid's
//! kernel matrix is its layer's and its tiles can hold it, each tile lies
//! within its grid, fits one crossbar and keeps a weight's slices together,
//! and each MVM reads its layer's input and yields its tile's channels. That
//! the tiles of a grid cover the matrix exactly once is a property of the
//! whole grid, checked by the tiling pass's tests.
//!
//! A grid is a conv's or a dense layer's, as its weight says: rank 4
//! (`[Cout, Cin/groups, Kh, Kw]`) or rank 2 (`[M, K]`). A dense layer's grid
//! carries the window of a 1x1 conv ([`DENSE_WINDOW`], `groups = 1`), so the
//! grid has one set of attributes for both and a dense layer is exactly a
//! 1x1 conv on a 1x1 feature map.

use crate::attrs::{self, array_attr, check_all, i64_attr, string_attr, AttrResult};
use crate::ir::{Op, Value};
use crate::nn::{element_count, fmt_shape, static_shape, Window};

/// The window attributes of a dense layer's grid: a 1x1 conv with unit
/// strides and dilations and no pads.
pub const DENSE_WINDOW: Window = Window { kernel: [1, 1], strides: [1, 1], pads: [0; 4], dilations: [1, 1] };

/// A layer's tile grid (`xbar.grid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    pub layer: String,
    /// The layer's weight shape (the grid's operand): `[Cout, Cin/groups,
    /// Kh, Kw]` for a conv, `[M, K]` for a dense layer.
    pub weight: Vec<i64>,
    /// Kernel matrix `[rows, cols]`.
    pub matrix: [i64; 2],
    /// Crossbar `[rows, cols]`.
    pub xbar: [i64; 2],
    pub window: Window,
    pub groups: i64,
    pub h: i64,
    pub v: i64,
    pub replicas: i64,
}

impl Grid {
    pub fn read(op: &Op) -> AttrResult<Self> {
        let positive = |name| i64_attr(op, name).and_then(|v| positive_scalar(name, v));
        let pair = |name| check_all(name, array_attr::<2>(op, name)?, "positive", attrs::positive);
        let layer = string_attr(op, "layer")?;
        if layer.is_empty() {
            return Err("attribute 'layer' must not be empty".into());
        }
        let grid = Grid {
            layer,
            weight: static_shape(&op.operand(0).ok_or("missing weight")?, "weight")?,
            matrix: pair("matrix")?,
            xbar: pair("xbar")?,
            window: Window {
                kernel: pair("kernel")?,
                strides: pair("strides")?,
                pads: check_all("pads", array_attr(op, "pads")?, "non-negative", attrs::non_negative)?,
                dilations: pair("dilations")?,
            },
            groups: positive("groups")?,
            h: positive("h")?,
            v: positive("v")?,
            replicas: positive("replicas")?,
        };
        // A grouped layer's matrix is block-diagonal: the grid must hold one
        // group's block (groups are cut alike, or packed several per tile).
        if grid.matrix[0] % grid.groups != 0 || grid.matrix[1] % grid.groups != 0 {
            return Err(format!("a {:?} kernel matrix does not split into {} groups", grid.matrix, grid.groups));
        }
        let block = [grid.matrix[0] / grid.groups, grid.matrix[1] / grid.groups];
        // Saturating: a capacity beyond i64 holds any block.
        if grid.h.saturating_mul(grid.xbar[0]) < block[0] || grid.v.saturating_mul(grid.xbar[1]) < block[1] {
            return Err(format!(
                "{} x {} tiles of {:?} cells cannot hold a {:?} kernel matrix",
                grid.h, grid.v, grid.xbar, grid.matrix
            ));
        }
        grid.check_layer()?;
        Ok(grid)
    }

    /// Whether the grid is a dense layer's (its weight is `[M, K]`).
    pub fn is_dense(&self) -> bool {
        self.weight.len() == 2
    }

    /// Cells per weight: the matrix has this many columns per output channel.
    pub fn slices(&self) -> i64 {
        self.matrix[1] / self.weight[0]
    }

    /// Channels of the layer's input: `Cin` of a conv, `K` of a dense layer.
    pub fn input_channels(&self) -> i64 {
        self.weight[1] * self.groups
    }

    /// The grid agrees with its layer: a dense layer's has the 1x1 window
    /// of [`DENSE_WINDOW`] and one group, a conv's the weight's kernel; the
    /// matrix has `groups * Cin/groups * Kh * Kw` rows (`K` for a dense
    /// layer) and a whole number of cells per weight, i.e. a multiple of
    /// the output channels as columns.
    fn check_layer(&self) -> AttrResult<()> {
        let weight = &self.weight;
        match weight.as_slice() {
            [_, _] if self.window != DENSE_WINDOW || self.groups != 1 => {
                return Err(format!(
                    "a dense layer's grid (weight {}) must have the window of a 1x1 conv (kernel, strides and \
                     dilations [1, 1], pads 0) and groups = 1",
                    fmt_shape(weight)
                ))
            }
            [_, _, kh, kw] if self.window.kernel != [*kh, *kw] => {
                return Err(format!(
                    "attribute 'kernel' {:?} differs from the kernel [{kh}, {kw}] of weight {}",
                    self.window.kernel,
                    fmt_shape(weight)
                ))
            }
            [_, _] | [_, _, _, _] => {}
            _ => {
                return Err(format!(
                    "weight must be [Cout, Cin/groups, Kh, Kw] (conv) or [M, K] (dense), got {}",
                    fmt_shape(weight)
                ))
            }
        }
        if weight[0] % self.groups != 0 {
            return Err(format!("groups = {} does not divide the {} output channels", self.groups, weight[0]));
        }
        let rows = element_count(&[&weight[1..], &[self.groups]].concat())?;
        if rows != self.matrix[0] || self.matrix[1] % weight[0] != 0 {
            return Err(format!(
                "a {:?} kernel matrix does not hold weight {} with groups = {}: expected {} rows and a \
                 multiple of {} columns (slices per weight times output channels)",
                self.matrix,
                fmt_shape(weight),
                self.groups,
                rows,
                weight[0]
            ));
        }
        Ok(())
    }

    /// The shape of `tile`'s partial sums over `input`: the layer's output
    /// with the tile's channels, `(cols end - cols begin) / slices`. A
    /// conv's grid takes `[N, Cin, H, W]` to `[N, channels, OH, OW]` (the
    /// grid's window); a dense layer's takes `[N, K]` to `[N, channels]`,
    /// or, as the 1x1 conv it is, `[N, K, H, W]` to `[N, channels, H, W]`.
    pub fn partial_shape(&self, tile: &Tile, input: &[i64]) -> AttrResult<Vec<i64>> {
        let layer = if self.is_dense() { "dense" } else { "conv" };
        let accepted = if self.is_dense() { "[N, K] or [N, C, H, W]" } else { "[N, C, H, W]" };
        if !(input.len() == 4 || input.len() == 2 && self.is_dense()) {
            return Err(format!(
                "input must be {accepted} for the {layer} layer '{}', got {}",
                self.layer,
                fmt_shape(input)
            ));
        }
        if input[1] != self.input_channels() {
            return Err(format!(
                "input {} has {} channels, the {layer} layer '{}' takes {}",
                fmt_shape(input),
                input[1],
                self.layer,
                self.input_channels()
            ));
        }
        let mut shape = vec![input[0], tile.channels(self)];
        if let [_, _, h, w] = *input {
            shape.extend(self.window.output_size([h, w], false)?);
        }
        Ok(shape)
    }
}

/// One tile of a grid (`xbar.tile`): its slice `[begin, end)` of the kernel
/// matrix and where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tile {
    pub h: i64,
    pub v: i64,
    pub replica: i64,
    pub core: i64,
    pub crossbar: i64,
    pub rows: [i64; 2],
    pub cols: [i64; 2],
}

impl Tile {
    pub fn read(op: &Op) -> AttrResult<Self> {
        let index = |name| {
            let value = i64_attr(op, name)?;
            if value < 0 {
                return Err(format!("attribute '{name}' must be non-negative, got {value}"));
            }
            Ok(value)
        };
        Ok(Tile {
            h: index("h")?,
            v: index("v")?,
            replica: index("replica")?,
            core: index("core")?,
            crossbar: index("crossbar")?,
            rows: array_attr(op, "rows")?,
            cols: array_attr(op, "cols")?,
        })
    }

    /// Output channels the tile computes: its columns over the grid's
    /// cells per weight.
    pub fn channels(&self, grid: &Grid) -> i64 {
        (self.cols[1] - self.cols[0]) / grid.slices()
    }

    /// Checks the tile against its grid: within it, no larger than a
    /// crossbar, and cut between weights, so that a weight's slices share a
    /// crossbar.
    pub fn check(&self, grid: &Grid) -> AttrResult<()> {
        for (what, value, bound) in
            [("h", self.h, grid.h), ("v", self.v, grid.v), ("replica", self.replica, grid.replicas)]
        {
            if value >= bound {
                return Err(format!("{what} = {value} is outside the grid of {bound}"));
            }
        }
        for (what, [begin, end], extent, capacity) in
            [("rows", self.rows, grid.matrix[0], grid.xbar[0]), ("cols", self.cols, grid.matrix[1], grid.xbar[1])]
        {
            if !(0 <= begin && begin < end && end <= extent) {
                return Err(format!("{what} [{begin}, {end}) is not a non-empty range within [0, {extent})"));
            }
            if end - begin > capacity {
                return Err(format!(
                    "{what} [{begin}, {end}) holds {} lines, the crossbar only {capacity}",
                    end - begin
                ));
            }
        }
        let slices = grid.slices();
        if self.cols[0] % slices != 0 || self.cols[1] % slices != 0 {
            return Err(format!(
                "cols [{}, {}) cut through a weight: the grid has {slices} cells per weight",
                self.cols[0], self.cols[1]
            ));
        }
        Ok(())
    }
}

fn positive_scalar(name: &str, value: i64) -> AttrResult<i64> {
    if value > 0 {
        Ok(value)
    } else {
        Err(format!("attribute '{name}' must be positive, got {value}"))
    }
}

/// The op producing `value`, if it is an `name` op; `what` names the
/// operand in the error.
fn producer<'m>(value: Option<Value<'m>>, name: &str, what: &str) -> AttrResult<Op<'m>> {
    value
        .and_then(|v| v.defining_op())
        .filter(|op| op.name() == name)
        .ok_or_else(|| format!("{what} must be produced by '{name}'"))
}

/// Reads an `xbar.tile` and its grid, and checks the one against the other.
fn tile_in_grid(op: &Op) -> AttrResult<(Tile, Grid)> {
    let tile = Tile::read(op)?;
    let grid_op = producer(op.operand(0), "xbar.grid", "operand")?;
    let grid = Grid::read(&grid_op).map_err(|e| format!("invalid grid: {e}"))?;
    tile.check(&grid)?;
    Ok((tile, grid))
}

/// The verifier of `xbar` ops.
pub fn verify(op: &Op) -> AttrResult<()> {
    let shape = |value: Option<Value>, what: &str| static_shape(&value.ok_or(format!("missing {what}"))?, what);
    match op.name().as_str() {
        "xbar.grid" => Grid::read(op).map(drop),
        "xbar.tile" => tile_in_grid(op).map(drop),
        "xbar.mvm" => {
            let tile_op = producer(op.operand(0), "xbar.tile", "operand #0")?;
            let (tile, grid) = tile_in_grid(&tile_op).map_err(|e| format!("invalid tile: {e}"))?;
            let (input, result) = (shape(op.operand(1), "input")?, shape(op.result(0), "result")?);
            let expected = grid.partial_shape(&tile, &input)?;
            if result.len() == expected.len() && result[1] != expected[1] {
                return Err(format!(
                    "result has {} channels, but tile cols [{}, {}) with {} cells per weight compute {}",
                    result[1],
                    tile.cols[0],
                    tile.cols[1],
                    grid.slices(),
                    expected[1]
                ));
            }
            if result != expected {
                return Err(format!(
                    "result must be {} (the partial sums of layer '{}' over input {}), got {}",
                    fmt_shape(&expected),
                    grid.layer,
                    fmt_shape(&input),
                    fmt_shape(&result)
                ));
            }
            Ok(())
        }
        "xbar.bias" => {
            let (input, bias, result) =
                (shape(op.operand(0), "input")?, shape(op.operand(1), "bias")?, shape(op.result(0), "result")?);
            if !matches!(input.len(), 2 | 4) || result != input || bias != [input[1]] {
                return Err(format!(
                    "adds a [C] bias to [N, C] or [N, C, H, W] of the same result shape, got {}, {} -> {}",
                    fmt_shape(&input),
                    fmt_shape(&bias),
                    fmt_shape(&result)
                ));
            }
            Ok(())
        }
        "xbar.accumulate" => {
            let result = op.result(0).ok_or("expected one result")?;
            match op.operand(0) {
                None => Err("needs at least one partial sum".into()),
                Some(first) if first.ty() != result.ty() => {
                    Err(format!("result type {} differs from the partial sums' {}", result.ty(), first.ty()))
                }
                Some(_) => Ok(()),
            }
        }
        _ => Ok(()),
    }
}
