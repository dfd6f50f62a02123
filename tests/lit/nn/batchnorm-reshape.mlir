// RUN: rram-opt %s --nn-verify-shapes
// A batchnorm that does not follow a conv, a reshape and a channel scaling of weights.
func.func @misc(%x: tensor<1x16x4x4xf32>) -> (tensor<1x256xf32>, tensor<16x3x3x3xf32>) {
  %g = "nn.weight"() {name = "bn.weight"} : () -> tensor<16xf32>
  %b = "nn.weight"() {name = "bn.bias"} : () -> tensor<16xf32>
  %m = "nn.weight"() {name = "bn.running_mean"} : () -> tensor<16xf32>
  %v = "nn.weight"() {name = "bn.running_var"} : () -> tensor<16xf32>
  %bn = "nn.batchnorm"(%x, %g, %b, %m, %v) {epsilon = 1.0e-03 : f32} : (tensor<1x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<1x16x4x4xf32>
  %flat = "nn.reshape"(%bn) : (tensor<1x16x4x4xf32>) -> tensor<1x256xf32>
  %w = "nn.weight"() {name = "conv.weight"} : () -> tensor<16x3x3x3xf32>
  %scaled = "nn.scale_channels"(%w, %g) : (tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<16x3x3x3xf32>
  return %flat, %scaled : tensor<1x256xf32>, tensor<16x3x3x3xf32>
}
