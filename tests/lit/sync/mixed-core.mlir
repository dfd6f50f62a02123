// RUN: rram-opt %s --pass-pipeline='builtin.module(rram-sync{mode=linear})'
// EXPECT-ERROR: mixed-core.mlir:9:8: error: rram-sync: the tiles of layer 'conv' are not on cores as rram-place puts them with 2 crossbars per core (adjacent tiles of one horizontal group from h = 0, or single-tile groups): h = 0, v = 0 and h = 1, v = 0 should share a core of their own, but core 1 holds h = 0, v = 0, core 0 holds h = 1, v = 0 and h = 0, v = 1
// A placement by hand that puts the last tile of one horizontal group and
// the first of the next on core 0: a core would take part in two groups'
// hand-offs, which no schedule covers.
func.func @main(%arg0: tensor<1x2x4x4xf32>) -> tensor<1x4x2x2xf32> {
  %0 = "nn.weight"() {name = "conv.weight"} : () -> tensor<4x2x3x3xf32>
  %2 = "xbar.grid"(%0) {dilations = array<i64: 1, 1>, groups = 1 : i64, h = 2 : i64, kernel = array<i64: 3, 3>, layer = "conv", matrix = array<i64: 18, 4>, pads = array<i64: 0, 0, 0, 0>, replicas = 1 : i64, strides = array<i64: 1, 1>, v = 2 : i64, xbar = array<i64: 10, 2>} : (tensor<4x2x3x3xf32>) -> !xbar.grid_ref
  %3 = "xbar.tile"(%2) {cols = array<i64: 0, 2>, core = 1 : i64, crossbar = 0 : i64, h = 0 : i64, replica = 0 : i64, rows = array<i64: 0, 10>, v = 0 : i64} : (!xbar.grid_ref) -> !xbar.tile_ref
  %4 = "xbar.mvm"(%3, %arg0) : (!xbar.tile_ref, tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %5 = "xbar.tile"(%2) {cols = array<i64: 0, 2>, core = 0 : i64, crossbar = 0 : i64, h = 1 : i64, replica = 0 : i64, rows = array<i64: 10, 18>, v = 0 : i64} : (!xbar.grid_ref) -> !xbar.tile_ref
  %6 = "xbar.mvm"(%5, %arg0) : (!xbar.tile_ref, tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %7 = "xbar.accumulate"(%4, %6) : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %8 = "xbar.tile"(%2) {cols = array<i64: 2, 4>, core = 0 : i64, crossbar = 1 : i64, h = 0 : i64, replica = 0 : i64, rows = array<i64: 0, 10>, v = 1 : i64} : (!xbar.grid_ref) -> !xbar.tile_ref
  %9 = "xbar.mvm"(%8, %arg0) : (!xbar.tile_ref, tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %10 = "xbar.tile"(%2) {cols = array<i64: 2, 4>, core = 2 : i64, crossbar = 0 : i64, h = 1 : i64, replica = 0 : i64, rows = array<i64: 10, 18>, v = 1 : i64} : (!xbar.grid_ref) -> !xbar.tile_ref
  %11 = "xbar.mvm"(%10, %arg0) : (!xbar.tile_ref, tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %12 = "xbar.accumulate"(%9, %11) : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %13 = "nn.concat"(%7, %12) {axis = 1 : i64} : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x4x2x2xf32>
  return %13 : tensor<1x4x2x2xf32>
}
