// RUN: rram-opt %s --pass-pipeline='builtin.module(rram-tile{rows=16 cols=16 slices=1},rram-place{cores=4 crossbars=2},rram-sync)'
// EXPECT-ERROR: two-tiles-per-core.mlir:9:8: error: rram-sync: core 0 holds two tiles of layer
// EXPECT-ERROR: (h = 0, v = 0 and h = 1, v = 0): rram-sync needs one tile per core (rram-place{crossbars=1})
// With two crossbars per core, rram-place puts both tiles of the group on
// core 0; the schedule gives every tile a core of its own.
func.func @main(%x: tensor<1x4x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %w = "nn.weight"() {name = "w"} : () -> tensor<2x4x3x3xf32>
  %b = "nn.weight"() {name = "b"} : () -> tensor<2xf32>
  %y = "nn.conv2d"(%x, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x4x4xf32>, tensor<2x4x3x3xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}
