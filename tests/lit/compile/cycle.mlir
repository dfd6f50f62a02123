// RUN: rramc compile %s --summary
// EXPECT-ERROR: cycle.mlir:6:8: error: 'nn.add' op operand #0 does not dominate this use
// Two layers that feed each other: no order computes them.
func.func @net(%x: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
  %w = "nn.weight"() {name = "w"} : () -> tensor<4x4x1x1xf32>
  %a = "nn.add"(%b, %x) : (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %b = "nn.conv2d"(%a, %w) {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32>
  return %b : tensor<1x4x6x6xf32>
}
