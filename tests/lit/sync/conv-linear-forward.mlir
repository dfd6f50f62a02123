// RUN: rram-opt %s --arch lit/chips/c16x8-s2-remote.toml --pass-pipeline='builtin.module(rram-tile,rram-place,rram-sync{mode=linear exchange=forward})'
// Partial sums forwarded core to core: a 3x3 conv from 4 to 2 channels has
// a 36 x 4 cell matrix, H = 3 tiles high on 16x8 crossbars (cores 0-2).
// Each core multiplies its slice of a pixel's window; core 0 adds the
// bias, cores 1 and 2 wait for the sum core 0 (or 1) PUT into their
// receive slots (local words 22 + 2 * slot, 16 slots) and add it; cores 0
// and 1 PUT their sum into the next core's slot, the signal handing the
// pixel on. Core 2 applies relu and stores the output; every 8 pixels it
// returns a credit to core 0, which puts pixel p only once pixel p - 16 is
// done.
// Pixel 0 runs first (slot 15); the other 35 of the 6x6 output run in two
// rounds of 16 slots (two groups of 8 each), then 3 more. Cores 1 and 2
// start on a token from their predecessor (after its first input load), so
// the signals they wait for count from 2.
func.func @main(%x: tensor<1x4x8x8xf32>) -> tensor<1x2x6x6xf32> {
  %w = "nn.weight"() {name = "conv.weight"} : () -> tensor<2x4x3x3xf32>
  %b = "nn.weight"() {name = "conv.bias"} : () -> tensor<2xf32>
  %y = "nn.conv2d"(%x, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<2x4x3x3xf32>, tensor<2xf32>) -> tensor<1x2x6x6xf32> loc("conv")
  %r = "nn.relu"(%y) : (tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xf32>
  return %r : tensor<1x2x6x6xf32>
}
