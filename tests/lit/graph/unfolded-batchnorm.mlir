// RUN: rramc graph %s
// EXPECT-ERROR: unfolded-batchnorm.mlir:11:8: 'bn': error: 'nn.batchnorm' op was not folded
// A batchnorm after a max pool: nn-fold-batchnorm folds only into a conv
// whose result nothing else uses, and the chip has no batchnorm layer.
func.func @net(%x: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
  %scale = "nn.weight"() {name = "bn.scale"} : () -> tensor<4xf32>
  %bias = "nn.weight"() {name = "bn.bias"} : () -> tensor<4xf32>
  %mean = "nn.weight"() {name = "bn.mean"} : () -> tensor<4xf32>
  %var = "nn.weight"() {name = "bn.var"} : () -> tensor<4xf32>
  %r = "nn.maxpool2d"(%x) {ceil_mode = false, dilations = array<i64: 1, 1>, kernel = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> loc("pool")
  %b = "nn.batchnorm"(%r, %scale, %bias, %mean, %var) {epsilon = 1.0e-5 : f32} : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32> loc("bn")
  return %b : tensor<1x4x6x6xf32>
}
