// RUN: rram-opt %s
// EXPECT-ERROR: wrong-operand-count.mlir:5:8: error: 'nn.relu' op
// relu takes one operand.
func.func @main(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %r = "nn.relu"(%x, %x) : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %r : tensor<1x4x8x8xf32>
}
