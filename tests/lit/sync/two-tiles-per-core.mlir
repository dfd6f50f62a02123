// RUN: rram-opt %s --arch lit/chips/c16x16-s1-two-crossbars.toml --pass-pipeline='builtin.module(rram-tile,rram-place,rram-sync{mode=linear})'
// Two crossbars per core: a 3x3 conv from 4 to 2 channels has a 36 x 2
// matrix, H = 3 tiles on 16-row crossbars. rram-place puts h = 0 and 1 on
// core 0 and h = 2 on core 1, so the group has two members. Core 0 loads
// its 32 rows of each window at once, runs crossbars 0 and 1 (rows 0..16
// and 16..32 of the slice) and adds the two partial sums locally before
// handing the vector to core 1, which adds its own, the bias and relu.
func.func @main(%x: tensor<1x4x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %w = "nn.weight"() {name = "w"} : () -> tensor<2x4x3x3xf32>
  %b = "nn.weight"() {name = "b"} : () -> tensor<2xf32>
  %y = "nn.conv2d"(%x, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x4x4xf32>, tensor<2x4x3x3xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %r = "nn.relu"(%y) : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %r : tensor<1x2x2x2xf32>
}
