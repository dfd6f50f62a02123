// RUN: rram-opt %s --nn-verify-shapes
// EXPECT-ERROR: verify-shapes-mismatch.mlir:9:8: error: 'nn.conv2d' op result shape [1, 16, 32, 32] does not match the inferred shape [1, 16, 16, 16]
// The first op with a wrong declared shape is reported (a stride-2 conv declared
// as if it kept the resolution); the relu after it is consistent with the
// wrong shape and is not reported.
func.func @main(%x: tensor<1x3x32x32xf32>) -> tensor<1x16x32x32xf32> {
  %w = "nn.weight"() {name = "conv1.weight"} : () -> tensor<16x3x3x3xf32>
  %r0 = "nn.relu"(%x) : (tensor<1x3x32x32xf32>) -> tensor<1x3x32x32xf32>
  %c = "nn.conv2d"(%r0, %w) {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>) -> tensor<1x16x32x32xf32>
  %r = "nn.relu"(%c) : (tensor<1x16x32x32xf32>) -> tensor<1x16x32x32xf32>
  return %r : tensor<1x16x32x32xf32>
}
