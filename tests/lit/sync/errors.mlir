// RUN: rram-opt %s --arch lit/chips/c16x16-s1.toml --split-input-file --pass-pipeline='builtin.module(rram-tile,rram-place,rram-sync)'
// EXPECT-ERROR: errors.mlir:14:8: error: rram-sync: a second tiled layer: rram-sync handles a module of one function holding one conv layer
// EXPECT-ERROR: errors.mlir:22:8: error: rram-sync: 'nn.maxpool2d' op is not part of the tiled layer
// EXPECT-ERROR: errors.mlir:26:1: error: rram-sync: this op is a core program already
// EXPECT-ERROR: errors.mlir:34:8: error: rram-sync: the tiles of layer 'conv' are not rram-tile's cut of its [9, 2] matrix on [16, 16] crossbars
// EXPECT-ERROR: errors.mlir:44:1: error: rram-sync: no tiled layer (xbar.grid): run rram-tile and rram-place first
// EXPECT-ERROR: errors.mlir:52:8: error: rram-sync: the output pixels of [1, 1, 100000, 100000] partial sums: more than the instruction set can count
// What rram-sync does not handle is an error at the op, never a program
// that computes something else.
func.func @two_layers(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %w = "nn.weight"() {name = "w"} : () -> tensor<2x2x2x2xf32>
  %b = "nn.weight"() {name = "b"} : () -> tensor<2xf32>
  %y = "nn.conv2d"(%x, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x2x2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  %z = "nn.conv2d"(%y, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x3x3xf32>, tensor<2x2x2x2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %z : tensor<1x2x2x2xf32>
}
// -----
func.func @pooled(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x1x1xf32> {
  %w = "nn.weight"() {name = "w"} : () -> tensor<2x2x3x3xf32>
  %b = "nn.weight"() {name = "b"} : () -> tensor<2xf32>
  %y = "nn.conv2d"(%x, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %p = "nn.maxpool2d"(%y) {ceil_mode = false, dilations = array<i64: 1, 1>, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x1x1xf32>
  return %p : tensor<1x2x1x1xf32>
}
// -----
func.func @core_0() attributes {msg.core = 0 : i64} {
  "msg.halt"() : () -> ()
  return
}
// -----
func.func @cut_by_hand(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %w = "nn.weight"() {name = "w"} : () -> tensor<2x1x3x3xf32>
  %b = "nn.weight"() {name = "b"} : () -> tensor<2xf32>
  %g = "xbar.grid"(%w) {dilations = array<i64: 1, 1>, groups = 1 : i64, h = 2 : i64, kernel = array<i64: 3, 3>, layer = "conv", matrix = array<i64: 9, 2>, pads = array<i64: 0, 0, 0, 0>, replicas = 1 : i64, strides = array<i64: 1, 1>, v = 1 : i64, xbar = array<i64: 16, 16>} : (tensor<2x1x3x3xf32>) -> !xbar.grid_ref
  %t0 = "xbar.tile"(%g) {cols = array<i64: 0, 2>, core = 0 : i64, crossbar = 0 : i64, h = 0 : i64, replica = 0 : i64, rows = array<i64: 0, 5>, v = 0 : i64} : (!xbar.grid_ref) -> !xbar.tile_ref
  %m0 = "xbar.mvm"(%t0, %x) : (!xbar.tile_ref, tensor<1x1x4x4xf32>) -> tensor<1x2x2x2xf32>
  %t1 = "xbar.tile"(%g) {cols = array<i64: 0, 2>, core = 1 : i64, crossbar = 0 : i64, h = 1 : i64, replica = 0 : i64, rows = array<i64: 5, 9>, v = 0 : i64} : (!xbar.grid_ref) -> !xbar.tile_ref
  %m1 = "xbar.mvm"(%t1, %x) : (!xbar.tile_ref, tensor<1x1x4x4xf32>) -> tensor<1x2x2x2xf32>
  %a = "xbar.accumulate"(%m0, %m1) : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %y = "xbar.bias"(%a, %b) : (tensor<1x2x2x2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}
// -----
func.func @nothing_tiled(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %r = "nn.relu"(%x) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %r : tensor<1x2x4x4xf32>
}
// -----
func.func @too_many_pixels(%x: tensor<1x1x100000x100000xf32>) -> tensor<1x1x100000x100000xf32> {
  %w = "nn.weight"() {name = "w"} : () -> tensor<1x1x1x1xf32>
  %b = "nn.weight"() {name = "b"} : () -> tensor<1xf32>
  %y = "nn.conv2d"(%x, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x1x100000x100000xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>) -> tensor<1x1x100000x100000xf32>
  return %y : tensor<1x1x100000x100000xf32>
}
// -----
// EXPECT-ERROR: errors.mlir:62:8: error: rram-sync: the tiles of layer 'conv' are not rram-tile's cut of its [1073741824, 16] matrix on [16, 16] crossbars
// A grid that claims a 2^30-row matrix (2^26 tiles high) but holds one
// tile: rejected from the plan's size, without listing 2^26 tiles.
func.func @one_tile_of_many(%x: tensor<1x1073741824x4x4xf32>) -> tensor<1x16x4x4xf32> {
  %w = "nn.weight"() {name = "w"} : () -> tensor<16x1073741824x1x1xf32>
  %b = "nn.weight"() {name = "b"} : () -> tensor<16xf32>
  %g = "xbar.grid"(%w) {dilations = array<i64: 1, 1>, groups = 1 : i64, h = 67108864 : i64, kernel = array<i64: 1, 1>, layer = "conv", matrix = array<i64: 1073741824, 16>, pads = array<i64: 0, 0, 0, 0>, replicas = 1 : i64, strides = array<i64: 1, 1>, v = 1 : i64, xbar = array<i64: 16, 16>} : (tensor<16x1073741824x1x1xf32>) -> !xbar.grid_ref
  %t0 = "xbar.tile"(%g) {cols = array<i64: 0, 16>, core = 0 : i64, crossbar = 0 : i64, h = 0 : i64, replica = 0 : i64, rows = array<i64: 0, 16>, v = 0 : i64} : (!xbar.grid_ref) -> !xbar.tile_ref
  %m0 = "xbar.mvm"(%t0, %x) : (!xbar.tile_ref, tensor<1x1073741824x4x4xf32>) -> tensor<1x16x4x4xf32>
  %a = "xbar.accumulate"(%m0) : (tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  %y = "xbar.bias"(%a, %b) : (tensor<1x16x4x4xf32>, tensor<16xf32>) -> tensor<1x16x4x4xf32>
  return %y : tensor<1x16x4x4xf32>
}
