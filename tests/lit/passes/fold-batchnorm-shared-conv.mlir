// RUN: rram-opt %s --nn-fold-batchnorm
// The conv result is also used by the residual add, so folding the
// batchnorm would change that add: nothing is folded.
func.func @main(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %w = "nn.weight"() {name = "c.weight"} : () -> tensor<4x4x1x1xf32>
  %g = "nn.weight"() {name = "bn.weight"} : () -> tensor<4xf32>
  %b = "nn.weight"() {name = "bn.bias"} : () -> tensor<4xf32>
  %m = "nn.weight"() {name = "bn.running_mean"} : () -> tensor<4xf32>
  %v = "nn.weight"() {name = "bn.running_var"} : () -> tensor<4xf32>
  %c = "nn.conv2d"(%x, %w) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %n = "nn.batchnorm"(%c, %g, %b, %m, %v) {epsilon = 1.0e-05 : f32} : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %s = "nn.add"(%n, %c) : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %s : tensor<1x4x8x8xf32>
}
