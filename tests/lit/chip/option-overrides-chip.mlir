// RUN: rram-opt %s --preset xbar32-bus16 --pass-pipeline='builtin.module(rram-tile{rows=16},rram-place)'
// A pass option that contradicts the chip overrides it, with a warning:
// the module then carries the changed chip (rows = 16, named so).
func.func @main(%x: tensor<1x4x6x6xf32>) -> tensor<1x4x4x4xf32> {
  %w = "nn.weight"() {name = "conv.weight"} : () -> tensor<4x4x3x3xf32>
  %y = "nn.conv2d"(%x, %w) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x6x6xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x4x4xf32> loc("conv")
  return %y : tensor<1x4x4x4xf32>
}
