// RUN: rram-opt %s --pass-pipeline='builtin.module(nn-fold-batchnorm,canonicalize,cse)'
// A conv with its own bias: the folded bias is k * (b - mean) + beta. Two
// batchnorms, each after its own conv, are both folded; cse does not merge
// the two folds because their weights differ.
func.func @main(%x: tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %w0 = "nn.weight"() {name = "c0.weight"} : () -> tensor<8x8x3x3xf32>
  %b0 = "nn.weight"() {name = "c0.bias"} : () -> tensor<8xf32>
  %g0 = "nn.weight"() {name = "bn0.weight"} : () -> tensor<8xf32>
  %be0 = "nn.weight"() {name = "bn0.bias"} : () -> tensor<8xf32>
  %m0 = "nn.weight"() {name = "bn0.running_mean"} : () -> tensor<8xf32>
  %v0 = "nn.weight"() {name = "bn0.running_var"} : () -> tensor<8xf32>
  %c0 = "nn.conv2d"(%x, %w0, %b0) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
  %n0 = "nn.batchnorm"(%c0, %g0, %be0, %m0, %v0) {epsilon = 1.0e-05 : f32} : (tensor<1x8x8x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
  %w1 = "nn.weight"() {name = "dw.weight"} : () -> tensor<8x1x3x3xf32>
  %c1 = "nn.conv2d"(%n0, %w1) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 8 : i64} : (tensor<1x8x8x8xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x8x8xf32>
  %n1 = "nn.batchnorm"(%c1, %g0, %be0, %m0, %v0) {epsilon = 1.0e-03 : f32} : (tensor<1x8x8x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
  return %n1 : tensor<1x8x8x8xf32>
}
