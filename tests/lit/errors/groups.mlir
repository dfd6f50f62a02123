// RUN: rram-opt %s
// EXPECT-ERROR: groups.mlir:6:8: error: 'nn.conv2d' op input has 8 channels but weight [6, 4, 3, 3] with groups = 3 expects 12
// EXPECT-ERROR: groups.mlir:8:8: error: 'nn.conv2d' op groups = 2 does not divide the 5 output channels
func.func @main(%x: tensor<1x8x8x8xf32>) -> tensor<1x5x6x6xf32> {
  %w = "nn.weight"() {name = "w"} : () -> tensor<6x4x3x3xf32>
  %c = "nn.conv2d"(%x, %w) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 3 : i64} : (tensor<1x8x8x8xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x6x6xf32>
  %w2 = "nn.weight"() {name = "w2"} : () -> tensor<5x4x3x3xf32>
  %d = "nn.conv2d"(%x, %w2) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 2 : i64} : (tensor<1x8x8x8xf32>, tensor<5x4x3x3xf32>) -> tensor<1x5x6x6xf32>
  return %d : tensor<1x5x6x6xf32>
}
