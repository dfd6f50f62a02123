// RUN: rram-opt %s
// EXPECT-ERROR: grid-too-small.mlir:6:8: error: 'xbar.grid' op 1 x 1 tiles of [32, 32] cells cannot hold a [64, 16] kernel matrix
// A 64-row kernel matrix needs two 32-row crossbars.
func.func @layer() {
  %w = "nn.weight"() {name = "w"} : () -> tensor<16x64x1x1xf32>
  %g = "xbar.grid"(%w) {layer = "l", matrix = array<i64: 64, 16>, xbar = array<i64: 32, 32>, kernel = array<i64: 1, 1>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, h = 1 : i64, v = 1 : i64, replicas = 1 : i64} : (tensor<16x64x1x1xf32>) -> !xbar.grid_ref
  return
}
