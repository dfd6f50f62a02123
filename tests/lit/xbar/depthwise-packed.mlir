// RUN: rram-opt %s
// MobileNet's 3x3 depthwise conv over 32 channels, 4 cells per weight: 32
// diagonal blocks of 9 x 4 cells, packed 14 to a 128x128 crossbar (the plan
// of rram_passes::tiling). The grid holds one block; the tiles are disjoint
// diagonal stretches of the [288, 128] matrix.
func.func @layer() {
  %w = "nn.weight"() {name = "features.1.0.0.weight"} : () -> tensor<32x1x3x3xf32>
  %g = "xbar.grid"(%w) {layer = "features.1.0.0", matrix = array<i64: 288, 128>, xbar = array<i64: 128, 128>, kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 32 : i64, h = 1 : i64, v = 3 : i64, replicas = 1 : i64} : (tensor<32x1x3x3xf32>) -> !xbar.grid_ref
  %t0 = "xbar.tile"(%g) {h = 0 : i64, v = 0 : i64, replica = 0 : i64, core = 0 : i64, crossbar = 0 : i64, rows = array<i64: 0, 126>, cols = array<i64: 0, 56>} : (!xbar.grid_ref) -> !xbar.tile_ref
  %t1 = "xbar.tile"(%g) {h = 0 : i64, v = 1 : i64, replica = 0 : i64, core = 1 : i64, crossbar = 0 : i64, rows = array<i64: 126, 252>, cols = array<i64: 56, 112>} : (!xbar.grid_ref) -> !xbar.tile_ref
  %t2 = "xbar.tile"(%g) {h = 0 : i64, v = 2 : i64, replica = 0 : i64, core = 2 : i64, crossbar = 0 : i64, rows = array<i64: 252, 288>, cols = array<i64: 112, 128>} : (!xbar.grid_ref) -> !xbar.tile_ref
  return
}
