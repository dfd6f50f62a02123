// RUN: rram-opt %s
// EXPECT-ERROR: syntax.mlir:5:20: error: expected ')' to end operand list
// A missing closing parenthesis in the operand list.
func.func @main(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %r = "nn.relu"(%x : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %r : tensor<1x4x8x8xf32>
}
