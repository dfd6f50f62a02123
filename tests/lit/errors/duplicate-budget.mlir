// RUN: rram-opt %s --arch lit/chips/c16x16-s1.toml --pass-pipeline='builtin.module(rram-tile,rram-duplicate{budget=3})'
// EXPECT-ERROR: the layers need 4 cores with one replica each, the budget is 3
func.func @main(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x4x4xf32> {
  %w1 = "nn.weight"() {name = "conv1.weight"} : () -> tensor<4x4x1x1xf32>
  %y1 = "nn.conv2d"(%x, %w1) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32> loc("conv1")
  %w2 = "nn.weight"() {name = "conv2.weight"} : () -> tensor<8x4x3x3xf32>
  %y2 = "nn.conv2d"(%y1, %w2) {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x4x4xf32> loc("conv2")
  return %y2 : tensor<1x8x4x4xf32>
}
