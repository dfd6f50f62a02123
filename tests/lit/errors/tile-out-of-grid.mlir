// RUN: rram-opt %s
// EXPECT-ERROR: tile-out-of-grid.mlir:8:8: error: 'xbar.tile' op h = 2 is outside the grid of 2
// EXPECT-ERROR: tile-out-of-grid.mlir:9:8: error: 'xbar.tile' op rows [0, 40) holds 40 lines, the crossbar only 32
// A grid of 2 x 1 tiles of 32x32 cells for a 64x16 matrix.
func.func @layer() {
  %w = "nn.weight"() {name = "w"} : () -> tensor<16x64x1x1xf32>
  %g = "xbar.grid"(%w) {layer = "l", matrix = array<i64: 64, 16>, xbar = array<i64: 32, 32>, kernel = array<i64: 1, 1>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, h = 2 : i64, v = 1 : i64, replicas = 1 : i64} : (tensor<16x64x1x1xf32>) -> !xbar.grid_ref
  %t = "xbar.tile"(%g) {h = 2 : i64, v = 0 : i64, replica = 0 : i64, core = 0 : i64, crossbar = 0 : i64, rows = array<i64: 0, 32>, cols = array<i64: 0, 16>} : (!xbar.grid_ref) -> !xbar.tile_ref
  %u = "xbar.tile"(%g) {h = 0 : i64, v = 0 : i64, replica = 0 : i64, core = 1 : i64, crossbar = 0 : i64, rows = array<i64: 0, 40>, cols = array<i64: 0, 16>} : (!xbar.grid_ref) -> !xbar.tile_ref
  return
}
