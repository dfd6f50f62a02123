// RUN: rram-opt %s
// EXPECT-ERROR: negative-pads.mlir:6:8: error: 'nn.conv2d' op attribute 'pads' must be non-negative, got [0, -1, 0, 0]
// EXPECT-ERROR: negative-pads.mlir:7:8: error: 'nn.maxpool2d' op attribute 'strides' must be positive, got [0, 1]
func.func @main(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %w = "nn.weight"() {name = "w"} : () -> tensor<4x4x1x1xf32>
  %c = "nn.conv2d"(%x, %w) {strides = array<i64: 1, 1>, pads = array<i64: 0, -1, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %p = "nn.maxpool2d"(%c) {kernel = array<i64: 1, 1>, strides = array<i64: 0, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %p : tensor<1x4x8x8xf32>
}
