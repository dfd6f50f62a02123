// RUN: rram-opt %s --arch lit/chips/c16x16-s2.toml --pass-pipeline='builtin.module(rram-tile,rram-place,rram-sync{mode=cyclic})'
// A 3x3 conv from 4 to 4 channels with a bias and relu: its 36 x 8 cell
// matrix on 16x16 crossbars is one horizontal group of H = 3 tiles (rows
// 0-16, 16-32, 32-36) on cores 0, 1, 2. Cyclic synchronization of its 16
// output pixels: core h walks the segments h, h+1, h+2 (mod 3) of 5, 5
// and 6 pixels, hands vectors to core h-1 five at a time (a CALL per batch
// of 5 = 16 / 3, a last CALL for the one left), waits until core h+1
// has handed a vector over (WAIT) before adding to it, and finishes
// segment h-1 (bias, relu, output). Cores start in the chain 2, 1, 0: each
// waits for a start token (register value 1, on top of which its hand-offs
// count) that the previous one sends after its first input load. The
// module records where the input windows, the output vectors and the bias
// live in shared memory.
func.func @main(%x: tensor<1x4x6x6xf32>) -> tensor<1x4x4x4xf32> {
  %w = "nn.weight"() {name = "conv.weight"} : () -> tensor<4x4x3x3xf32>
  %b = "nn.weight"() {name = "conv.bias"} : () -> tensor<4xf32>
  %y = "nn.conv2d"(%x, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x6x6xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32> loc("conv")
  %r = "nn.relu"(%y) : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  return %r : tensor<1x4x4x4xf32>
}
