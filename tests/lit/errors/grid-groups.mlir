// RUN: rram-opt %s
// EXPECT-ERROR: grid-groups.mlir:6:8: error: 'xbar.grid' op a [288, 128] kernel matrix does not split into 5 groups
// A block-diagonal matrix has as many equal blocks as the layer has groups.
func.func @layer() {
  %w = "nn.weight"() {name = "w"} : () -> tensor<32x1x3x3xf32>
  %g = "xbar.grid"(%w) {layer = "l", matrix = array<i64: 288, 128>, xbar = array<i64: 128, 128>, kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 5 : i64, h = 1 : i64, v = 3 : i64, replicas = 1 : i64} : (tensor<32x1x3x3xf32>) -> !xbar.grid_ref
  return
}
