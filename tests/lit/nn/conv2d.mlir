// RUN: rram-opt %s --nn-verify-shapes
// Plain, strided with asymmetric pads, dilated, grouped and depthwise convolutions.
func.func @convs(%x: tensor<1x8x16x16xf32>) -> tensor<1x8x8x9xf32> {
  %w0 = "nn.weight"() {name = "plain.weight"} : () -> tensor<16x8x3x3xf32>
  %b0 = "nn.weight"() {name = "plain.bias"} : () -> tensor<16xf32>
  %c0 = "nn.conv2d"(%x, %w0, %b0) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x8x16x16xf32>, tensor<16x8x3x3xf32>, tensor<16xf32>) -> tensor<1x16x16x16xf32>
  %w1 = "nn.weight"() {name = "strided.weight"} : () -> tensor<8x16x3x3xf32>
  %c1 = "nn.conv2d"(%c0, %w1) {strides = array<i64: 2, 2>, pads = array<i64: 0, 1, 1, 2>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x16x16x16xf32>, tensor<8x16x3x3xf32>) -> tensor<1x8x8x9xf32>
  %w2 = "nn.weight"() {name = "dilated.weight"} : () -> tensor<8x8x3x3xf32>
  %c2 = "nn.conv2d"(%c1, %w2) {strides = array<i64: 1, 1>, pads = array<i64: 2, 2, 2, 2>, dilations = array<i64: 2, 2>, groups = 1 : i64} : (tensor<1x8x8x9xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x8x9xf32>
  %w3 = "nn.weight"() {name = "grouped.weight"} : () -> tensor<8x2x1x1xf32>
  %c3 = "nn.conv2d"(%c2, %w3) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 4 : i64} : (tensor<1x8x8x9xf32>, tensor<8x2x1x1xf32>) -> tensor<1x8x8x9xf32>
  %w4 = "nn.weight"() {name = "depthwise.weight"} : () -> tensor<8x1x3x3xf32>
  %c4 = "nn.conv2d"(%c3, %w4) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 8 : i64} : (tensor<1x8x8x9xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x8x9xf32>
  return %c4 : tensor<1x8x8x9xf32>
}
