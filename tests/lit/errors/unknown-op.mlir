// RUN: rram-opt %s
// EXPECT-ERROR: unknown-op.mlir:5:8: error: unregistered operation 'nn.conv3d'
// nn has no 3-D convolution.
func.func @main(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %r = "nn.conv3d"(%x) : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %r : tensor<1x4x8x8xf32>
}
