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
    /// The matrix of a conv with weights `[Cout, Cin/groups, Kh, Kw]`; an
    /// error where its rows or columns exceed i64.
    pub fn conv(weight: [i64; 4], groups: i64, slices: i64) -> Result<Self, String> {
        let [cout, cin_per_group, kh, kw] = weight;
        Self::checked(groups, [cin_per_group, kh, kw], cout / groups, slices).ok_or_else(|| {
            format!(
                "the kernel matrix of weight {weight:?} with groups = {groups} and {slices} cells per weight has \
                 more rows or columns than fit in 64 bits"
            )
        })
    }

    /// The matrix of a dense layer with weights `[M, K]` (`y = W x`); an
    /// error where its columns exceed i64.
    pub fn dense(weight: [i64; 2], slices: i64) -> Result<Self, String> {
        Self::checked(1, [weight[1], 1, 1], weight[0], slices).ok_or_else(|| {
            format!(
                "the kernel matrix of weight {weight:?} with {slices} cells per weight has more columns than fit \
                 in 64 bits"
            )
        })
    }

    /// `groups` blocks of `row_factors` multiplied rows and `channels` x
    /// `slices` columns; `None` unless the whole matrix's rows and columns
    /// fit in i64, so that no arithmetic on it can overflow.
    fn checked(groups: i64, row_factors: [i64; 3], channels: i64, slices: i64) -> Option<Self> {
        let rows_per_group = row_factors.iter().try_fold(1i64, |rows, &factor| rows.checked_mul(factor))?;
        let cols_per_group = channels.checked_mul(slices)?;
        groups.checked_mul(rows_per_group)?;
        groups.checked_mul(cols_per_group)?;
        Some(KernelMatrix { groups, rows_per_group, cols_per_group, slices })
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

/// How many tiles a layer's plan has, known without listing them: `h`
/// tiles per horizontal group, `v` column blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanSize {
    pub h: i64,
    pub v: i64,
    /// Groups packed on one crossbar (1 when groups are cut instead).
    pub groups_per_tile: i64,
}

impl PlanSize {
    /// `h * v`; `None` past i64.
    pub fn tiles(&self) -> Option<i64> {
        self.h.checked_mul(self.v)
    }
}

/// The size of the plan [`plan`] cuts, with the same expectations.
pub fn plan_size(matrix: &KernelMatrix, xbar_rows: i64, xbar_cols: i64) -> PlanSize {
    let usable_cols = usable_cols(matrix, xbar_cols);
    let (rows_g, cols_g) = (matrix.rows_per_group, matrix.cols_per_group);
    // Grouped layers whose groups fit in a crossbar (depthwise and small
    // grouped convs) get as many groups per crossbar as fit.
    if matrix.groups > 1 && rows_g <= xbar_rows && cols_g <= usable_cols {
        let per_tile = (xbar_rows / rows_g).min(usable_cols / cols_g);
        return PlanSize { h: 1, v: ceil_div(matrix.groups, per_tile), groups_per_tile: per_tile };
    }
    let h = ceil_div(matrix.rows_per_group, xbar_rows);
    // At most the matrix's columns, which fit in i64.
    let v = matrix.groups * ceil_div(matrix.cols_per_group, usable_cols);
    PlanSize { h, v, groups_per_tile: 1 }
}

/// Cuts `matrix` into tiles of at most `xbar_rows` x `xbar_cols` cells.
/// Expects positive sizes and a crossbar at least one weight wide (`slices`
/// cells); `rram-tile` checks both before planning. Lists every tile: look
/// at [`plan_size`] first where the layer may be huge.
pub fn plan(matrix: &KernelMatrix, xbar_rows: i64, xbar_cols: i64) -> TilePlan {
    let PlanSize { h, v, groups_per_tile } = plan_size(matrix, xbar_rows, xbar_cols);
    let (rows_g, cols_g) = (matrix.rows_per_group, matrix.cols_per_group);
    // With one group per crossbar the loop below cuts the same tiles.
    if groups_per_tile > 1 {
        let tiles = (0..v)
            .map(|v| {
                let first = v * groups_per_tile;
                // Saturating: the last tile's end is clamped to the groups anyway.
                let end = (v + 1).saturating_mul(groups_per_tile).min(matrix.groups);
                Tile { h: 0, v, rows: [first * rows_g, end * rows_g], cols: [first * cols_g, end * cols_g] }
            })
            .collect();
        return TilePlan { h, v, groups_per_tile, tiles };
    }
    let usable_cols = usable_cols(matrix, xbar_cols);
    let v_per_group = v / matrix.groups;
    let mut tiles = Vec::new();
    for group in 0..matrix.groups {
        for block in 0..v_per_group {
            let cols =
                [block * usable_cols, (block + 1).saturating_mul(usable_cols).min(cols_g)].map(|c| group * cols_g + c);
            for row_block in 0..h {
                let rows = [row_block * xbar_rows, (row_block + 1).saturating_mul(xbar_rows).min(rows_g)]
                    .map(|r| group * rows_g + r);
                tiles.push(Tile { h: row_block, v: group * v_per_group + block, rows, cols });
            }
        }
    }
    TilePlan { h, v, groups_per_tile: 1, tiles }
}

/// A crossbar's columns that hold whole weights: a multiple of the slices.
fn usable_cols(matrix: &KernelMatrix, xbar_cols: i64) -> i64 {
    xbar_cols / matrix.slices * matrix.slices
}

/// `ceil(a / b)` of a non-negative `a` and a positive `b`, without the
/// overflow of `(a + b - 1) / b`.
fn ceil_div(a: i64, b: i64) -> i64 {
    a / b + i64::from(a % b != 0)
}

/// Where tiles go on cores of `crossbars` crossbars each: `(core,
/// crossbar)` for every tile, given as `(layer, h, tiles in its horizontal
/// group)` in program order. Each layer starts on a core of its own, and
/// so does a group of several tiles, from crossbar 0, so that a core holds
/// adjacent tiles of one group (which add their partial sums up locally)
/// or whole groups of one tile of one layer (which need no
/// synchronization): a core's program serves one crossbar layer. With one
/// crossbar per core, tile `i` goes on core `i`. `rram-place` places this
/// way and `rram-sync` schedules what it placed.
pub fn core_slots(tiles: impl IntoIterator<Item = (usize, i64, i64)>, crossbars: i64) -> Vec<(i64, i64)> {
    let (mut core, mut crossbar) = (0, 0);
    let mut slots = Vec::new();
    let mut previous_layer = None;
    for (layer, h, group) in tiles {
        let new_layer = previous_layer.is_some_and(|previous| previous != layer);
        previous_layer = Some(layer);
        if (new_layer || (group > 1 && h == 0)) && crossbar > 0 {
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

/// The next free slot of [`core_slots`] after some layers, computed from
/// their plan sizes without listing their tiles, so that whether a network
/// fits on a chip is known before any tile exists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlotCursor {
    pub core: i64,
    pub crossbar: i64,
    /// Tiles placed so far.
    pub tiles: i64,
}

impl SlotCursor {
    /// Moves past a layer's tiles as [`core_slots`] places them on cores of
    /// `crossbars` crossbars; `None` past i64.
    pub fn advance(&mut self, plan: PlanSize, crossbars: i64) -> Option<()> {
        self.tiles = self.tiles.checked_add(plan.tiles()?)?;
        // Each layer starts on a core of its own.
        self.core = self.core.checked_add(i64::from(self.crossbar > 0))?;
        if plan.h > 1 {
            // Each horizontal group fills cores of its own.
            self.core = self.core.checked_add(plan.v.checked_mul(ceil_div(plan.h, crossbars))?)?;
            self.crossbar = 0;
        } else {
            self.core = self.core.checked_add(plan.v / crossbars)?;
            self.crossbar = plan.v % crossbars;
        }
        Some(())
    }

    /// Cores that hold at least one tile.
    pub fn cores_used(&self) -> i64 {
        self.core + i64::from(self.crossbar > 0)
    }
}

/// A chip's room for tiles: `cores` cores of `crossbars` crossbars each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chip {
    pub cores: i64,
    pub crossbars: i64,
}

impl Chip {
    /// What `rram-place` says of a network of `tiles` tiles that needs
    /// `needed` cores, more than the chip has.
    pub fn shortage(&self, tiles: i64, needed: i64) -> String {
        let Chip { cores, crossbars } = *self;
        if crossbars == 1 {
            format!("the network needs {tiles} crossbars, {cores} available ({cores} cores x 1 crossbars)")
        } else {
            format!(
                "the network needs {needed} cores of {crossbars} crossbars for its {tiles} tiles (a layer, and a \
                 horizontal group of several tiles, does not share a core with another), {cores} available"
            )
        }
    }

    /// Checks that layers of these plan sizes, in program order, fit on the
    /// chip; else the index of the first layer that does not and why.
    pub fn check_fit(&self, plans: impl IntoIterator<Item = PlanSize>) -> Result<(), (usize, String)> {
        let mut cursor = SlotCursor::default();
        let mut first_outside = None;
        for (index, plan) in plans.into_iter().enumerate() {
            if cursor.advance(plan, self.crossbars).is_none() {
                let message =
                    format!("the network needs more tiles than fit in 64 bits, {} cores available", self.cores);
                return Err((index, message));
            }
            if first_outside.is_none() && cursor.cores_used() > self.cores {
                first_outside = Some(index);
            }
        }
        match first_outside {
            Some(index) => Err((index, self.shortage(cursor.tiles, cursor.cores_used()))),
            None => Ok(()),
        }
    }
}
