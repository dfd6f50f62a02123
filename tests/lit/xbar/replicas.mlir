// RUN: rram-opt %s
// A dense layer with 40 outputs on 32x32 crossbars: V = 2 column blocks, duplicated twice.
func.func @layer(%x: tensor<1x32x1x1xf32>) -> (tensor<1x32x1x1xf32>, tensor<1x8x1x1xf32>) {
  %w = "nn.weight"() {name = "fc.weight"} : () -> tensor<40x32xf32>
  %grid = "xbar.grid"(%w) {layer = "fc", matrix = array<i64: 32, 40>, xbar = array<i64: 32, 32>, kernel = array<i64: 1, 1>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, h = 1 : i64, v = 2 : i64, replicas = 2 : i64} : (tensor<40x32xf32>) -> !xbar.grid_ref
  %a0 = "xbar.tile"(%grid) {h = 0 : i64, v = 0 : i64, replica = 0 : i64, core = 0 : i64, crossbar = 0 : i64, rows = array<i64: 0, 32>, cols = array<i64: 0, 32>} : (!xbar.grid_ref) -> !xbar.tile_ref
  %a1 = "xbar.tile"(%grid) {h = 0 : i64, v = 1 : i64, replica = 0 : i64, core = 0 : i64, crossbar = 1 : i64, rows = array<i64: 0, 32>, cols = array<i64: 32, 40>} : (!xbar.grid_ref) -> !xbar.tile_ref
  %b0 = "xbar.tile"(%grid) {h = 0 : i64, v = 0 : i64, replica = 1 : i64, core = 1 : i64, crossbar = 0 : i64, rows = array<i64: 0, 32>, cols = array<i64: 0, 32>} : (!xbar.grid_ref) -> !xbar.tile_ref
  %b1 = "xbar.tile"(%grid) {h = 0 : i64, v = 1 : i64, replica = 1 : i64, core = 1 : i64, crossbar = 1 : i64, rows = array<i64: 0, 32>, cols = array<i64: 32, 40>} : (!xbar.grid_ref) -> !xbar.tile_ref
  %p0 = "xbar.mvm"(%a0, %x) : (!xbar.tile_ref, tensor<1x32x1x1xf32>) -> tensor<1x32x1x1xf32>
  %p1 = "xbar.mvm"(%a1, %x) : (!xbar.tile_ref, tensor<1x32x1x1xf32>) -> tensor<1x8x1x1xf32>
  return %p0, %p1 : tensor<1x32x1x1xf32>, tensor<1x8x1x1xf32>
}
