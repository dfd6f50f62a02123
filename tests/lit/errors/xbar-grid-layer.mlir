// RUN: rram-opt %s
// EXPECT-ERROR: xbar-grid-layer.mlir:13:9: error: 'xbar.grid' op a dense layer's grid (weight [10, 32]) must have the window of a 1x1 conv (kernel, strides and dilations [1, 1], pads 0) and groups = 1
// EXPECT-ERROR: xbar-grid-layer.mlir:15:9: error: 'xbar.grid' op a [72, 10] kernel matrix does not hold weight [8, 8, 3, 3] with groups = 1: expected 72 rows and a multiple of 8 columns (slices per weight times output channels)
// EXPECT-ERROR: xbar-grid-layer.mlir:16:9: error: 'xbar.grid' op attribute 'kernel' [5, 5] differs from the kernel [3, 3] of weight [8, 8, 3, 3]
// EXPECT-ERROR: xbar-grid-layer.mlir:18:8: error: 'xbar.tile' op cols [0, 14) cut through a weight: the grid has 4 cells per weight
// A grid must be its layer's: a dense layer's (weight [M, K]) has the
// window of a 1x1 conv; a conv's has its weight's kernel; the matrix has
// groups * Cin/groups * Kh * Kw rows and whole weights of equal slices per
// output channel in its columns (8 x 8 x 3 x 3: 72 rows, a multiple of 8
// columns); and tiles cut the columns between weights (4 cells each here).
func.func @grids() {
  %d = "nn.weight"() {name = "fc.weight"} : () -> tensor<10x32xf32>
  %g0 = "xbar.grid"(%d) {layer = "fc", matrix = array<i64: 32, 40>, xbar = array<i64: 128, 128>, kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64, h = 1 : i64, v = 1 : i64, replicas = 1 : i64} : (tensor<10x32xf32>) -> !xbar.grid_ref
  %w = "nn.weight"() {name = "conv.weight"} : () -> tensor<8x8x3x3xf32>
  %g1 = "xbar.grid"(%w) {layer = "conv", matrix = array<i64: 72, 10>, xbar = array<i64: 128, 128>, kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64, h = 1 : i64, v = 1 : i64, replicas = 1 : i64} : (tensor<8x8x3x3xf32>) -> !xbar.grid_ref
  %g2 = "xbar.grid"(%w) {layer = "conv", matrix = array<i64: 72, 32>, xbar = array<i64: 128, 128>, kernel = array<i64: 5, 5>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64, h = 1 : i64, v = 1 : i64, replicas = 1 : i64} : (tensor<8x8x3x3xf32>) -> !xbar.grid_ref
  %g3 = "xbar.grid"(%w) {layer = "conv", matrix = array<i64: 72, 32>, xbar = array<i64: 128, 16>, kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64, h = 1 : i64, v = 2 : i64, replicas = 1 : i64} : (tensor<8x8x3x3xf32>) -> !xbar.grid_ref
  %t = "xbar.tile"(%g3) {h = 0 : i64, v = 0 : i64, replica = 0 : i64, core = 0 : i64, crossbar = 0 : i64, rows = array<i64: 0, 72>, cols = array<i64: 0, 14>} : (!xbar.grid_ref) -> !xbar.tile_ref
  return
}
