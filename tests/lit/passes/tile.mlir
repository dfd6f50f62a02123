// RUN: rram-opt %s --arch lit/chips/c32-s2.toml --pass-pipeline='builtin.module(rram-tile,nn-verify-shapes)'
// A 3x3 conv from 8 to 24 channels with a bias: a 72 x 48 cell matrix on
// 32x32 crossbars is H = 3 tiles high and V = 2 blocks wide (16 channels,
// then 8): two horizontal groups of 3, concatenated, then the bias.
func.func @main(%x: tensor<1x8x8x8xf32>) -> tensor<1x24x8x8xf32> {
  %w = "nn.weight"() {name = "conv.weight"} : () -> tensor<24x8x3x3xf32>
  %b = "nn.weight"() {name = "conv.bias"} : () -> tensor<24xf32>
  %y = "nn.conv2d"(%x, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<24x8x3x3xf32>, tensor<24xf32>) -> tensor<1x24x8x8xf32> loc("conv")
  %r = "nn.relu"(%y) : (tensor<1x24x8x8xf32>) -> tensor<1x24x8x8xf32>
  return %r : tensor<1x24x8x8xf32>
}
