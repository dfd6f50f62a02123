// RUN: rram-opt %s --arch lit/chips/c16x16-s1.toml --pass-pipeline='builtin.module(rram-tile,rram-place,rram-sync{mode=linear})'
// A 3x3 conv from 2 to 3 channels without a bias (18 rows on 16-row
// crossbars: H = 2), linear scheme: no core loads or adds a bias, and the
// module records no bias region.
func.func @main(%x: tensor<1x2x4x4xf32>) -> tensor<1x3x2x2xf32> {
  %w = "nn.weight"() {name = "w"} : () -> tensor<3x2x3x3xf32>
  %y = "nn.conv2d"(%x, %w) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x2x2xf32> loc("conv")
  return %y : tensor<1x3x2x2xf32>
}
