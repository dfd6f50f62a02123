// RUN: rram-opt %s
// EXPECT-ERROR: missing-attribute.mlir:6:8: error: 'nn.conv2d' op attribute "dilations" is expected but not provided
// Every attribute is required, defaults included.
func.func @main(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %w = "nn.weight"() {name = "w"} : () -> tensor<4x4x1x1xf32>
  %c = "nn.conv2d"(%x, %w) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  return %c : tensor<1x4x8x8xf32>
}
