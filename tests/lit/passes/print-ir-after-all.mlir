// RUN: rram-opt %s --print-ir-after-all --nn-verify-shapes --nn-fold-batchnorm --canonicalize
// Pass flags run in command-line order; the IR after each is dumped to stderr.
func.func @main(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = "nn.weight"() {name = "c.weight"} : () -> tensor<2x2x1x1xf32>
  %g = "nn.weight"() {name = "bn.weight"} : () -> tensor<2xf32>
  %b = "nn.weight"() {name = "bn.bias"} : () -> tensor<2xf32>
  %m = "nn.weight"() {name = "bn.running_mean"} : () -> tensor<2xf32>
  %v = "nn.weight"() {name = "bn.running_var"} : () -> tensor<2xf32>
  %c = "nn.conv2d"(%x, %w) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %n = "nn.batchnorm"(%c, %g, %b, %m, %v) {epsilon = 1.0e-05 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %n : tensor<1x2x4x4xf32>
}
