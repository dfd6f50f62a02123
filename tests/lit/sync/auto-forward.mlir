// RUN: rram-opt %s --arch lit/chips/c16x8-s2-remote.toml --pass-pipeline='builtin.module(rram-tile,rram-place,rram-sync{mode=auto explain=true})'
// On a chip with remote writes, forwarding is a candidate too: the conv of
// conv-linear-forward.mlir (H = 3, 36 pixels). Forwarding moves the fewest
// bus bytes (bus 1105 predicted against cyclic's 1485), but the cores bound
// the layer and cyclic's are predicted 5 cycles faster, so cyclic is used.
// Here the model errs: simulated, forwarding takes 5,979 cycles and cyclic
// 6,174 (cyclic's three cores queue for the bus more than the model counts,
// see docs/reproducing.md).
func.func @main(%x: tensor<1x4x8x8xf32>) -> tensor<1x2x6x6xf32> {
  %w = "nn.weight"() {name = "conv.weight"} : () -> tensor<2x4x3x3xf32>
  %b = "nn.weight"() {name = "conv.bias"} : () -> tensor<2xf32>
  %y = "nn.conv2d"(%x, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<2x4x3x3xf32>, tensor<2xf32>) -> tensor<1x2x6x6xf32> loc("conv")
  %r = "nn.relu"(%y) : (tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xf32>
  return %r : tensor<1x2x6x6xf32>
}
