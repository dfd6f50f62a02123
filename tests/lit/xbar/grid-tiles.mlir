// RUN: rram-opt %s
// A 3x3 conv from 8 to 16 channels: a 72x16 kernel matrix on 32x32 crossbars
// is a grid of H = 3 tiles stacked vertically (one horizontal group) and V = 1.
func.func @layer(%x: tensor<1x8x16x16xf32>) -> tensor<1x16x16x16xf32> {
  %w = "nn.weight"() {name = "conv.weight"} : () -> tensor<16x8x3x3xf32>
  %grid = "xbar.grid"(%w) {layer = "conv", matrix = array<i64: 72, 16>, xbar = array<i64: 32, 32>, kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64, h = 3 : i64, v = 1 : i64, replicas = 1 : i64} : (tensor<16x8x3x3xf32>) -> !xbar.grid_ref
  %t0 = "xbar.tile"(%grid) {h = 0 : i64, v = 0 : i64, replica = 0 : i64, core = 0 : i64, crossbar = 0 : i64, rows = array<i64: 0, 32>, cols = array<i64: 0, 16>} : (!xbar.grid_ref) -> !xbar.tile_ref
  %t1 = "xbar.tile"(%grid) {h = 1 : i64, v = 0 : i64, replica = 0 : i64, core = 1 : i64, crossbar = 0 : i64, rows = array<i64: 32, 64>, cols = array<i64: 0, 16>} : (!xbar.grid_ref) -> !xbar.tile_ref
  %t2 = "xbar.tile"(%grid) {h = 2 : i64, v = 0 : i64, replica = 0 : i64, core = 2 : i64, crossbar = 0 : i64, rows = array<i64: 64, 72>, cols = array<i64: 0, 16>} : (!xbar.grid_ref) -> !xbar.tile_ref
  %p0 = "xbar.mvm"(%t0, %x) : (!xbar.tile_ref, tensor<1x8x16x16xf32>) -> tensor<1x16x16x16xf32>
  %p1 = "xbar.mvm"(%t1, %x) : (!xbar.tile_ref, tensor<1x8x16x16xf32>) -> tensor<1x16x16x16xf32>
  %p2 = "xbar.mvm"(%t2, %x) : (!xbar.tile_ref, tensor<1x8x16x16xf32>) -> tensor<1x16x16x16xf32>
  %sum = "xbar.accumulate"(%p0, %p1, %p2) : (tensor<1x16x16x16xf32>, tensor<1x16x16x16xf32>, tensor<1x16x16x16xf32>) -> tensor<1x16x16x16xf32>
  return %sum : tensor<1x16x16x16xf32>
}
