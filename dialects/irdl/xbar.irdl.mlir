// The `xbar` dialect: layers cut into crossbar tiles.
//
// A layer's weights form an im2col kernel matrix of `matrix = [rows, cols]`
// (rows = Kh*Kw*Cin, cols = Cout times the cell slices per weight; a
// grouped conv's is block-diagonal, Kh*Kw*Cin/groups rows per block). A
// dense layer (weight [M, K]) is a 1x1 conv: rows = K, cols = M times the
// slices, and its grid has kernel, strides and dilations [1, 1], pads 0
// and groups 1.
// `xbar.grid` cuts it into h x v tiles of at most `xbar = [rows, cols]`
// cells, `replicas` times; `xbar.tile` names one tile, its slice of the
// kernel matrix and where it lives (core, crossbar). The h tiles of one
// column block form a horizontal group: their partial sums accumulate into
// the same output vectors.
irdl.dialect @xbar {
  irdl.type @grid_ref
  irdl.type @tile_ref

  irdl.operation @grid {
    %w = irdl.base "!builtin.tensor"
    %grid = irdl.base @xbar::@grid_ref
    %layer = irdl.base "#builtin.string"
    %matrix = irdl.base "#builtin.dense_array"
    %xbar = irdl.base "#builtin.dense_array"
    %kernel = irdl.base "#builtin.dense_array"
    %strides = irdl.base "#builtin.dense_array"
    %pads = irdl.base "#builtin.dense_array"
    %dilations = irdl.base "#builtin.dense_array"
    %groups = irdl.base "#builtin.integer"
    %h = irdl.base "#builtin.integer"
    %v = irdl.base "#builtin.integer"
    %replicas = irdl.base "#builtin.integer"
    irdl.operands(weight: %w)
    irdl.attributes {"layer" = %layer, "matrix" = %matrix, "xbar" = %xbar,
                     "kernel" = %kernel, "strides" = %strides, "pads" = %pads,
                     "dilations" = %dilations, "groups" = %groups,
                     "h" = %h, "v" = %v, "replicas" = %replicas}
    irdl.results(grid: %grid)
  }

  // rows/cols: half-open ranges [begin, end) of the kernel matrix.
  irdl.operation @tile {
    %grid = irdl.base @xbar::@grid_ref
    %tile = irdl.base @xbar::@tile_ref
    %h = irdl.base "#builtin.integer"
    %v = irdl.base "#builtin.integer"
    %replica = irdl.base "#builtin.integer"
    %core = irdl.base "#builtin.integer"
    %crossbar = irdl.base "#builtin.integer"
    %rows = irdl.base "#builtin.dense_array"
    %cols = irdl.base "#builtin.dense_array"
    irdl.operands(grid: %grid)
    irdl.attributes {"h" = %h, "v" = %v, "replica" = %replica, "core" = %core,
                     "crossbar" = %crossbar, "rows" = %rows, "cols" = %cols}
    irdl.results(tile: %tile)
  }

  // One tile's partial sums for every output pixel of its layer, with
  // channels = (cols_end - cols_begin) / slices per weight:
  // input [N, Cin, H, W] -> partial [N, channels, OH, OW]; for a dense
  // layer also input [N, K] -> partial [N, channels].
  irdl.operation @mvm {
    %tile = irdl.base @xbar::@tile_ref
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(tile: %tile, input: %in)
    irdl.results(partial: %out)
  }

  // Adds a per-channel bias to the accumulated output: the work of the
  // last owner of each output vector. output [N, C, H, W] or [N, C],
  // bias [C].
  irdl.operation @bias {
    %in = irdl.base "!builtin.tensor"
    %b = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(input: %in, bias: %b)
    irdl.results(output: %out)
  }

  // Sum of the partial sums of one horizontal group (all of one type).
  irdl.operation @accumulate {
    %p = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(partials: variadic %p)
    irdl.results(output: %out)
  }
}
