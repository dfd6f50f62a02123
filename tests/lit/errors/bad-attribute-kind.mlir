// RUN: rram-opt %s
// EXPECT-ERROR: bad-attribute-kind.mlir:6:8: error: 'nn.conv2d' op expected base attribute 'builtin.dense_array' but got 'builtin.string'
// strides must be a dense array, not a string.
func.func @main(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %w = "nn.weight"() {name = "w"} : () -> tensor<4x4x1x1xf32>
  %c = "nn.conv2d"(%x, %w) {strides = "one", pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  return %c : tensor<1x4x8x8xf32>
}
