// RUN: rram-opt %s --pass-pipeline='builtin.module(rram-tile{rows=32 cols=32 slices=2},rram-place{cores=2 crossbars=2})'
// EXPECT-ERROR: place-does-not-fit.mlir:10:8: error: rram-tile: the network needs 4 cores of 2 crossbars for its 6 tiles (a layer, and a horizontal group of several tiles, does not share a core with another), 2 available
// The layer's two horizontal groups of three tiles take two cores each
// (a group does not share a core with another); the chip has two. Nothing
// is silently dropped: the error names both numbers, at the layer that does
// not fit. The pipeline compiles for one chip, rram-place's cores included,
// so rram-tile finds the misfit from the plan's size before building a tile.
func.func @main(%x: tensor<1x8x8x8xf32>) -> tensor<1x24x8x8xf32> {
  %w = "nn.weight"() {name = "conv.weight"} : () -> tensor<24x8x3x3xf32>
  %y = "nn.conv2d"(%x, %w) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<24x8x3x3xf32>) -> tensor<1x24x8x8xf32>
  return %y : tensor<1x24x8x8xf32>
}
