// RUN: rram-opt %s --pass-pipeline='builtin.module(rram-tile{cores=4},rram-place{cores=8})'
// EXPECT-ERROR: error: option cores=8 of pass 'rram-place' contradicts cores=4 of pass 'rram-tile': both are the chip's core.count
// A pipeline compiles for one chip: pass options that set one quantity of
// it to two values are an error.
func.func @main(%x: tensor<1x4x6x6xf32>) -> tensor<1x4x4x4xf32> {
  %w = "nn.weight"() {name = "conv.weight"} : () -> tensor<4x4x3x3xf32>
  %y = "nn.conv2d"(%x, %w) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x6x6xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x4x4xf32> loc("conv")
  return %y : tensor<1x4x4x4xf32>
}
