// RUN: rram-opt %s --arch lit/chips/c16x16-s1.toml --pass-pipeline='builtin.module(rram-tile,rram-duplicate{explain=true},rram-place)'
// Weight duplication on a chip of 8 one-crossbar cores: conv1 (one tile,
// 8 output rows) is the slow layer; the exact solution gives it 4 replicas
// (a copy of its tile each, on cores 1-3 after placement) and leaves
// conv2 (3 tiles, 4 rows) at one, which the 8 cores allow no more of.
// The remark compares the modes and names the bottleneck.
func.func @main(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x4x4xf32> {
  %w1 = "nn.weight"() {name = "conv1.weight"} : () -> tensor<4x4x1x1xf32>
  %y1 = "nn.conv2d"(%x, %w1) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32> loc("conv1")
  %w2 = "nn.weight"() {name = "conv2.weight"} : () -> tensor<8x4x3x3xf32>
  %y2 = "nn.conv2d"(%y1, %w2) {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x4x4xf32> loc("conv2")
  return %y2 : tensor<1x8x4x4xf32>
}
