// RUN: rram-opt %s
// EXPECT-ERROR: bad-attribute-length.mlir:6:8: error: 'nn.conv2d' op attribute 'pads' must have 4 elements, got 2
// Pads are [top, left, bottom, right].
func.func @main(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %w = "nn.weight"() {name = "w"} : () -> tensor<4x4x3x3xf32>
  %c = "nn.conv2d"(%x, %w) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  return %c : tensor<1x4x8x8xf32>
}
