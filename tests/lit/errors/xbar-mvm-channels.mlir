// RUN: rram-opt %s
// EXPECT-ERROR: xbar-mvm-channels.mlir:15:9: error: 'xbar.mvm' op result has 10 channels, but tile cols [0, 32) with 4 cells per weight compute 8
// EXPECT-ERROR: xbar-mvm-channels.mlir:16:9: error: 'xbar.mvm' op input [1, 16] has 16 channels, the dense layer 'fc' takes 32
// EXPECT-ERROR: xbar-mvm-channels.mlir:21:9: error: 'xbar.mvm' op result must be [1, 8, 8, 8] (the partial sums of layer 'conv' over input [1, 8, 8, 8]), got [1, 8, 4, 4]
// EXPECT-ERROR: xbar-mvm-channels.mlir:22:9: error: 'xbar.mvm' op input must be [N, C, H, W] for the conv layer 'conv', got [1, 72]
// A dense layer 32 -> 10 with 4 cells per weight ([32, 40] cells, tiles of
// cols [0, 32) = 8 outputs and [32, 40) = 2) and a 3x3 conv 8 -> 8 with
// pads 1 (72 x 8 cells, one cell per weight): each MVM below gets one
// number wrong, and the verifier names it.
func.func @layers(%x: tensor<1x32xf32>, %y: tensor<1x16xf32>, %z: tensor<1x8x8x8xf32>, %v: tensor<1x72xf32>) {
  %w = "nn.weight"() {name = "fc.weight"} : () -> tensor<10x32xf32>
  %g = "xbar.grid"(%w) {layer = "fc", matrix = array<i64: 32, 40>, xbar = array<i64: 32, 32>, kernel = array<i64: 1, 1>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, h = 1 : i64, v = 2 : i64, replicas = 1 : i64} : (tensor<10x32xf32>) -> !xbar.grid_ref
  %t0 = "xbar.tile"(%g) {h = 0 : i64, v = 0 : i64, replica = 0 : i64, core = 0 : i64, crossbar = 0 : i64, rows = array<i64: 0, 32>, cols = array<i64: 0, 32>} : (!xbar.grid_ref) -> !xbar.tile_ref
  %t1 = "xbar.tile"(%g) {h = 0 : i64, v = 1 : i64, replica = 0 : i64, core = 1 : i64, crossbar = 0 : i64, rows = array<i64: 0, 32>, cols = array<i64: 32, 40>} : (!xbar.grid_ref) -> !xbar.tile_ref
  %p0 = "xbar.mvm"(%t0, %x) : (!xbar.tile_ref, tensor<1x32xf32>) -> tensor<1x10xf32>
  %p1 = "xbar.mvm"(%t1, %y) : (!xbar.tile_ref, tensor<1x16xf32>) -> tensor<1x2xf32>
  %ok = "xbar.mvm"(%t1, %x) : (!xbar.tile_ref, tensor<1x32xf32>) -> tensor<1x2xf32>
  %cw = "nn.weight"() {name = "conv.weight"} : () -> tensor<8x8x3x3xf32>
  %c = "xbar.grid"(%cw) {layer = "conv", matrix = array<i64: 72, 8>, xbar = array<i64: 128, 128>, kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64, h = 1 : i64, v = 1 : i64, replicas = 1 : i64} : (tensor<8x8x3x3xf32>) -> !xbar.grid_ref
  %ct = "xbar.tile"(%c) {h = 0 : i64, v = 0 : i64, replica = 0 : i64, core = 2 : i64, crossbar = 0 : i64, rows = array<i64: 0, 72>, cols = array<i64: 0, 8>} : (!xbar.grid_ref) -> !xbar.tile_ref
  %p2 = "xbar.mvm"(%ct, %z) : (!xbar.tile_ref, tensor<1x8x8x8xf32>) -> tensor<1x8x4x4xf32>
  %p3 = "xbar.mvm"(%ct, %v) : (!xbar.tile_ref, tensor<1x72xf32>) -> tensor<1x8xf32>
  return
}
