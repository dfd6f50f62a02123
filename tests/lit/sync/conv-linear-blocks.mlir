// RUN: rram-opt %s --arch lit/chips/c16x8-s2.toml --pass-pipeline='builtin.module(rram-tile,rram-place,rram-sync{mode=linear})'
// Two horizontal groups: a 3x3 conv from 2 to 6 channels has an 18 x 12
// cell matrix; on 16x8 crossbars it is H = 2 tiles high and V = 2 column
// blocks wide (4 channels, then 2), on cores 0-1 and 2-3. Each group runs
// its own linear pipeline over the 4 output pixels into its own channels
// of the output vectors; its last core adds the bias and applies the
// fused relu6 (nn.clip 0..6).
func.func @main(%x: tensor<1x2x4x4xf32>) -> tensor<1x6x2x2xf32> {
  %w = "nn.weight"() {name = "conv.weight"} : () -> tensor<6x2x3x3xf32>
  %b = "nn.weight"() {name = "conv.bias"} : () -> tensor<6xf32>
  %y = "nn.conv2d"(%x, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x2x2xf32> loc("conv")
  %r = "nn.clip"(%y) {min = 0.0 : f32, max = 6.0 : f32} : (tensor<1x6x2x2xf32>) -> tensor<1x6x2x2xf32>
  return %r : tensor<1x6x2x2xf32>
}
