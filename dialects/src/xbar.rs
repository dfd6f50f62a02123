//! Typed views of `xbar` ops and their invariants, op by op: a grid's tiles
//! can hold its kernel matrix, each tile lies within its grid and fits one
//! crossbar. That the tiles of a grid cover the matrix exactly once is a
//! property of the whole grid, checked by the tiling pass's tests.

use crate::attrs::{self, array_attr, check_all, i64_attr, string_attr, AttrResult};
use crate::ir::Op;
use crate::nn::{fmt_shape, static_shape, Window};

/// A layer's tile grid (`xbar.grid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    pub layer: String,
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
        if grid.h * grid.xbar[0] < block[0] || grid.v * grid.xbar[1] < block[1] {
            return Err(format!(
                "{} x {} tiles of {:?} cells cannot hold a {:?} kernel matrix",
                grid.h, grid.v, grid.xbar, grid.matrix
            ));
        }
        Ok(grid)
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

    /// Checks the tile against its grid.
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

/// The verifier of `xbar` ops.
pub fn verify(op: &Op) -> AttrResult<()> {
    match op.name().as_str() {
        "xbar.grid" => Grid::read(op).map(drop),
        "xbar.tile" => {
            let tile = Tile::read(op)?;
            let grid_op = op
                .operand(0)
                .and_then(|g| g.defining_op())
                .filter(|g| g.name() == "xbar.grid")
                .ok_or("operand must be produced by 'xbar.grid'")?;
            let grid = Grid::read(&grid_op).map_err(|e| format!("invalid grid: {e}"))?;
            tile.check(&grid)
        }
        "xbar.mvm" => {
            if op.operand(0).and_then(|t| t.defining_op()).is_none_or(|t| t.name() != "xbar.tile") {
                return Err("operand #0 must be produced by 'xbar.tile'".into());
            }
            for (what, value) in [("input", op.operand(1)), ("result", op.result(0))] {
                let shape = static_shape(&value.ok_or(format!("missing {what}"))?, what)?;
                if shape.len() != 4 {
                    return Err(format!("{what} must be [N, C, H, W], got {}", fmt_shape(&shape)));
                }
            }
            Ok(())
        }
        "xbar.bias" => {
            let shapes: Vec<Vec<i64>> = [op.operand(0), op.operand(1), op.result(0)]
                .iter()
                .zip(["input", "bias", "result"])
                .map(|(v, what)| static_shape(&v.ok_or(format!("missing {what}"))?, what))
                .collect::<AttrResult<_>>()?;
            let (input, bias, result) = (&shapes[0], &shapes[1], &shapes[2]);
            if input.len() != 4 || result != input || bias != &[input[1]] {
                return Err(format!(
                    "adds a [C] bias to [N, C, H, W] of the same result shape, got {}, {} -> {}",
                    fmt_shape(input),
                    fmt_shape(bias),
                    fmt_shape(result)
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
