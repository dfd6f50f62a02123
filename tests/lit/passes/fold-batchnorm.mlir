// RUN: rram-opt %s --pass-pipeline='builtin.module(nn-fold-batchnorm)'
// A conv without bias followed by a batchnorm: the bias comes from the batchnorm alone.
func.func @main(%input: tensor<1x3x32x32xf32>) -> tensor<1x16x16x16xf32> {
  %w = "nn.weight"() {name = "conv1.weight"} : () -> tensor<16x3x3x3xf32>
  %gamma = "nn.weight"() {name = "bn1.weight"} : () -> tensor<16xf32>
  %beta = "nn.weight"() {name = "bn1.bias"} : () -> tensor<16xf32>
  %mean = "nn.weight"() {name = "bn1.running_mean"} : () -> tensor<16xf32>
  %var = "nn.weight"() {name = "bn1.running_var"} : () -> tensor<16xf32>
  %conv = "nn.conv2d"(%input, %w) {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>) -> tensor<1x16x16x16xf32>
  %bn = "nn.batchnorm"(%conv, %gamma, %beta, %mean, %var) {epsilon = 1.0e-05 : f32} : (tensor<1x16x16x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<1x16x16x16xf32>
  %relu = "nn.relu"(%bn) : (tensor<1x16x16x16xf32>) -> tensor<1x16x16x16xf32>
  return %relu : tensor<1x16x16x16xf32>
}
