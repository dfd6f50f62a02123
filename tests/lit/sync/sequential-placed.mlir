// RUN: rram-opt %s --pass-pipeline='builtin.module(rram-sync{mode=sequential})'
// A layer placed by hand: the horizontal group's tiles sit on core 5 (h = 0)
// and on crossbar 1 of core 2 (h = 1). The schedule's cores follow the
// tiles: core 5 computes every pixel's first partial sum, then hands all 4
// vectors to core 2 at once (sequential: CALL c2, 4 after its loop), which
// waits for them, adds its own partial sums and the bias with crossbar 1.
// Without an activation, the layer ends at the bias.
func.func @main(%arg0: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %0 = "nn.weight"() {name = "conv.weight"} : () -> tensor<2x2x3x3xf32>
  %1 = "nn.weight"() {name = "conv.bias"} : () -> tensor<2xf32>
  %2 = "xbar.grid"(%0) {dilations = array<i64: 1, 1>, groups = 1 : i64, h = 2 : i64, kernel = array<i64: 3, 3>, layer = "conv", matrix = array<i64: 18, 2>, pads = array<i64: 0, 0, 0, 0>, replicas = 1 : i64, strides = array<i64: 1, 1>, v = 1 : i64, xbar = array<i64: 10, 8>} : (tensor<2x2x3x3xf32>) -> !xbar.grid_ref
  %3 = "xbar.tile"(%2) {cols = array<i64: 0, 2>, core = 5 : i64, crossbar = 0 : i64, h = 0 : i64, replica = 0 : i64, rows = array<i64: 0, 10>, v = 0 : i64} : (!xbar.grid_ref) -> !xbar.tile_ref
  %4 = "xbar.mvm"(%3, %arg0) : (!xbar.tile_ref, tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %5 = "xbar.tile"(%2) {cols = array<i64: 0, 2>, core = 2 : i64, crossbar = 1 : i64, h = 1 : i64, replica = 0 : i64, rows = array<i64: 10, 18>, v = 0 : i64} : (!xbar.grid_ref) -> !xbar.tile_ref
  %6 = "xbar.mvm"(%5, %arg0) : (!xbar.tile_ref, tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %7 = "xbar.accumulate"(%4, %6) : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %8 = "xbar.bias"(%7, %1) : (tensor<1x2x2x2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %8 : tensor<1x2x2x2xf32>
}
