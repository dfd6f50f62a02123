// RUN: rram-opt %s
// EXPECT-ERROR: groups-overflow.mlir:7:8: error: 'nn.conv2d' op weight [6, 4, 3, 3] with groups = 9223372036854775807 expects 4 x 9223372036854775807 input channels, more than fit in 64 bits
// The channels the weight expects are computed with checked arithmetic: a
// wrapped product said "expects -4".
func.func @main(%x: tensor<1x8x8x8xf32>) -> tensor<1x6x6x6xf32> {
  %w = "nn.weight"() {name = "w"} : () -> tensor<6x4x3x3xf32>
  %c = "nn.conv2d"(%x, %w) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 9223372036854775807 : i64} : (tensor<1x8x8x8xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x6x6xf32>
  return %c : tensor<1x6x6x6xf32>
}
