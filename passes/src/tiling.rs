//! How `rram-tile` cuts a layer's kernel matrix into crossbar tiles: plain
//! data and arithmetic, so that the plan can be checked exhaustively (see
//! `tests/tiling.rs`) before a pass writes it into the IR.
//!
//! A conv with weights `[Cout, Cin/g, Kh, Kw]` has, per group, an im2col
//! matrix of `Kh*Kw*Cin/g` rows and `Cout/g` output channels; with bit
//! slicing each weight takes `slices` adjacent cells of a row, so a group's
//! matrix is `Kh*Kw*Cin/g` x `Cout/g*slices` cells. The whole layer's matrix
//! is block-diagonal: group `i` occupies rows and columns block `i`.
//!
//! - A group larger than a crossbar is cut into `H` tiles stacked vertically
//!   (a horizontal group: their partial sums add up to the same outputs)
//!   and `V` side by side (disjoint output channels). Cuts between columns
//!   fall on weight boundaries, so a weight's slices share a crossbar.
//! - Groups that fit in a crossbar (depthwise and small grouped convs) are
//!   packed block-diagonally, as many per crossbar as fit, so small matrices
//!   do not each waste a crossbar.

/// A layer's kernel matrix: `groups` blocks of `rows_per_group` x
/// `cols_per_group` cells on the diagonal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelMatrix {
    pub groups: i64,
    pub rows_per_group: i64,
    /// Cells: output channels of the group times slices per weight.
    pub cols_per_group: i64,
    pub slices: i64,
}

impl KernelMatrix {
    /// The matrix of a conv with weights `[Cout, Cin/groups, Kh, Kw]`.
    pub fn conv(weight: [i64; 4], groups: i64, slices: i64) -> Self {
        let [cout, cin_per_group, kh, kw] = weight;
        KernelMatrix { groups, rows_per_group: cin_per_group * kh * kw, cols_per_group: cout / groups * slices, slices }
    }

    /// The matrix of a dense layer with weights `[M, K]` (`y = W x`).
    pub fn dense(weight: [i64; 2], slices: i64) -> Self {
        KernelMatrix { groups: 1, rows_per_group: weight[1], cols_per_group: weight[0] * slices, slices }
    }

    pub fn rows(&self) -> i64 {
        self.groups * self.rows_per_group
    }

    pub fn cols(&self) -> i64 {
        self.groups * self.cols_per_group
    }
}

/// One tile: the half-open ranges of matrix rows and columns it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    pub h: i64,
    pub v: i64,
    pub rows: [i64; 2],
    pub cols: [i64; 2],
}

/// The tiles of one layer: `h` tiles per horizontal group, `v` column blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TilePlan {
    pub h: i64,
    pub v: i64,
    /// Groups packed on one crossbar (1 when groups are cut instead).
    pub groups_per_tile: i64,
    /// Ordered by column block, then by `h`: a horizontal group is adjacent.
    pub tiles: Vec<Tile>,
}

/// Cuts `matrix` into tiles of at most `xbar_rows` x `xbar_cols` cells.
/// Expects positive sizes and a crossbar at least one weight wide (`slices`
/// cells); `rram-tile` checks both before planning.
pub fn plan(matrix: &KernelMatrix, xbar_rows: i64, xbar_cols: i64) -> TilePlan {
    // Whole weights only: a crossbar's usable columns are a multiple of the slices.
    let usable_cols = xbar_cols / matrix.slices * matrix.slices;
    let (rows_g, cols_g) = (matrix.rows_per_group, matrix.cols_per_group);
    let fits = rows_g <= xbar_rows && cols_g <= usable_cols;
    if matrix.groups > 1 && fits {
        let per_tile = (xbar_rows / rows_g).min(usable_cols / cols_g);
        let count = (matrix.groups + per_tile - 1) / per_tile;
        let tiles = (0..count)
            .map(|v| {
                let (first, end) = (v * per_tile, ((v + 1) * per_tile).min(matrix.groups));
                Tile { h: 0, v, rows: [first * rows_g, end * rows_g], cols: [first * cols_g, end * cols_g] }
            })
            .collect();
        return TilePlan { h: 1, v: count, groups_per_tile: per_tile, tiles };
    }
    let h = (rows_g + xbar_rows - 1) / xbar_rows;
    let v_per_group = (cols_g + usable_cols - 1) / usable_cols;
    let mut tiles = Vec::new();
    for group in 0..matrix.groups {
        for block in 0..v_per_group {
            let cols = [block * usable_cols, ((block + 1) * usable_cols).min(cols_g)].map(|c| group * cols_g + c);
            for row_block in 0..h {
                let rows =
                    [row_block * xbar_rows, ((row_block + 1) * xbar_rows).min(rows_g)].map(|r| group * rows_g + r);
                tiles.push(Tile { h: row_block, v: group * v_per_group + block, rows, cols });
            }
        }
    }
    TilePlan { h, v: matrix.groups * v_per_group, groups_per_tile: 1, tiles }
}

/// Where tiles go on cores of `crossbars` crossbars each: `(core,
/// crossbar)` for every tile, given as `(h, tiles in its horizontal
/// group)` in program order. A group of several tiles fills cores of its
/// own, from crossbar 0, so that a core holds adjacent tiles of one group
/// (which add their partial sums up locally) or whole groups of one tile
/// (which need no synchronization); single-tile groups share cores. With
/// one crossbar per core, tile `i` goes on core `i`. `rram-place` places
/// this way and `rram-sync` schedules what it placed.
pub fn core_slots(tiles: impl IntoIterator<Item = (i64, i64)>, crossbars: i64) -> Vec<(i64, i64)> {
    let (mut core, mut crossbar) = (0, 0);
    let mut slots = Vec::new();
    for (h, group) in tiles {
        if group > 1 && h == 0 && crossbar > 0 {
            (core, crossbar) = (core + 1, 0);
        }
        slots.push((core, crossbar));
        crossbar += 1;
        if crossbar == crossbars || (group > 1 && h == group - 1) {
            (core, crossbar) = (core + 1, 0);
        }
    }
    slots
}
