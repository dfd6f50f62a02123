// RUN: rram-opt %s --arch lit/chips/c32-s2.toml --pass-pipeline='builtin.module(rram-tile,rram-place)'
// Six tiles (H = 3, V = 2) on cores of two crossbars each: each horizontal
// group of three takes cores of its own, from crossbar 0 (cores 0, 0, 1 and
// 2, 2, 3), so that no core holds tiles of two groups.
func.func @main(%x: tensor<1x8x8x8xf32>) -> tensor<1x24x8x8xf32> {
  %w = "nn.weight"() {name = "conv.weight"} : () -> tensor<24x8x3x3xf32>
  %y = "nn.conv2d"(%x, %w) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<24x8x3x3xf32>) -> tensor<1x24x8x8xf32>
  return %y : tensor<1x24x8x8xf32>
}
