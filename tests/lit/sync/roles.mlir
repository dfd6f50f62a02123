// RUN: rram-opt %s --arch lit/chips/c16x16-s2.toml --set core.count=8 --pass-pipeline='builtin.module(rram-tile,rram-place,rram-sync{mode=linear})'
// Cores that run the same code at other addresses share it (SPMD): a 3x3
// conv from 4 to 16 channels is H = 3 tiles high and V = 2 column blocks
// wide (8 channels each) on 16x16 crossbars of 2-cell weights. The two
// blocks' cores at h = 1 and h = 2 differ only in the channels they write
// and the core they hand each vector to, so each pair runs one role
// (@role_0, @role_1, marked msg.role) that takes those as index arguments,
// and their programs (@core_1, @core_2, @core_4, @core_5) call it with
// their own. The first cores differ in their start tokens, so they keep
// programs of their own. Translated, every core's program is what it was
// without roles (tests/lower_msg.rs checks this for random layers).
func.func @main(%x: tensor<1x4x6x6xf32>) -> tensor<1x16x4x4xf32> {
  %w = "nn.weight"() {name = "conv.weight"} : () -> tensor<16x4x3x3xf32>
  %y = "nn.conv2d"(%x, %w) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x6x6xf32>, tensor<16x4x3x3xf32>) -> tensor<1x16x4x4xf32> loc("conv")
  return %y : tensor<1x16x4x4xf32>
}
