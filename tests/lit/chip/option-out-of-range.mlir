// RUN: rram-opt %s --pass-pipeline='builtin.module(rram-tile{rows=100000})'
// EXPECT-ERROR: error: option 'rows' of pass 'rram-tile': chip 'default': crossbar.rows must be between 1 and 4096, got 100000
// An option that overrides the chip must leave a chip the architecture
// allows.
func.func @main(%x: tensor<1x4x6x6xf32>) -> tensor<1x4x4x4xf32> {
  %w = "nn.weight"() {name = "conv.weight"} : () -> tensor<4x4x3x3xf32>
  %y = "nn.conv2d"(%x, %w) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x6x6xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x4x4xf32> loc("conv")
  return %y : tensor<1x4x4x4xf32>
}
