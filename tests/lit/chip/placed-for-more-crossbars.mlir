// RUN: rram-opt %s --preset xbar32-bus16 --pass-pipeline='builtin.module(rram-sync{mode=sequential})'
// EXPECT-ERROR: error: rram-sync: the programs do not fit chip 'xbar32-bus16': core 2 declares crossbar 1, a core holds 1 (core.crossbars)
// A layer placed for cores of two crossbars (a tile on crossbar 1 of core
// 2) is not synchronized for a chip whose cores have one: the programs
// would only fail in the simulator.
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
