// RUN: rram-opt %s --arch lit/chips/small-shared-memory.toml --pass-pipeline='builtin.module(rram-tile,rram-place,rram-sync)'
// EXPECT-ERROR: error: rram-sync: the programs do not fit chip 'small-shared-memory': shared memory: core 0 STORE writes shared words [576, 596), the chip has 256 words (1024 bytes, shared_memory.size_bytes); the programs reach word 640
// A layer whose data does not fit the chip's shared memory is a compile
// error that names the memory and the numbers: 16 input windows of 36
// words and 16 output vectors of 4 words (640 words) on a chip of 256.
func.func @main(%x: tensor<1x4x6x6xf32>) -> tensor<1x4x4x4xf32> {
  %w = "nn.weight"() {name = "conv.weight"} : () -> tensor<4x4x3x3xf32>
  %y = "nn.conv2d"(%x, %w) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x6x6xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x4x4xf32> loc("conv")
  return %y : tensor<1x4x4x4xf32>
}
