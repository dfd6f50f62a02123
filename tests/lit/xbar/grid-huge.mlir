// RUN: rram-opt %s
// A grid of i64::MAX x i64::MAX tiles holds any matrix: its capacity is
// compared without overflowing.
func.func @layer() {
  %w = "nn.weight"() {name = "w"} : () -> tensor<16x64x1x1xf32>
  %g = "xbar.grid"(%w) {layer = "l", matrix = array<i64: 64, 16>, xbar = array<i64: 32, 32>, kernel = array<i64: 1, 1>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, h = 9223372036854775807 : i64, v = 9223372036854775807 : i64, replicas = 1 : i64} : (tensor<16x64x1x1xf32>) -> !xbar.grid_ref
  return
}
