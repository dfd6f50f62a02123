// RUN: rram-opt %s --arch lit/chips/c16x16-s2.toml --pass-pipeline='builtin.module(rram-tile,rram-place,rram-sync{mode=auto explain=true})'
// The scheme chosen by the exchange cost model: the conv of conv-cyclic.mlir
// (H = 3 tiles on cores 0-2, 16 pixels). Cyclic is predicted fastest: the
// cores' steps, not the bus, bound all three schemes here, and cyclic's
// cores never wait for one another while linear's pipeline must fill and
// sequential runs one core at a time. The remark lists every scheme's
// prediction; the programs are cyclic's (as conv-cyclic.mlir's).
func.func @main(%x: tensor<1x4x6x6xf32>) -> tensor<1x4x4x4xf32> {
  %w = "nn.weight"() {name = "conv.weight"} : () -> tensor<4x4x3x3xf32>
  %b = "nn.weight"() {name = "conv.bias"} : () -> tensor<4xf32>
  %y = "nn.conv2d"(%x, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x6x6xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32> loc("conv")
  %r = "nn.relu"(%y) : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  return %r : tensor<1x4x4x4xf32>
}
