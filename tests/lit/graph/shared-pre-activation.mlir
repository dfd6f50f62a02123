// RUN: rramc graph %s
// EXPECT-ERROR: shared-pre-activation.mlir:9:8: 'act': error: 'nn.relu' op cannot be fused into 'conv': 'nn.add' op 'sum' reads that layer's output before the activation
// Fusing the ReLU into the conv would lose the conv's output, which the add
// reads as it is.
func.func @net(%x: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
  %w = "nn.weight"() {name = "w"} : () -> tensor<4x4x1x1xf32>
  %c = "nn.conv2d"(%x, %w) {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> loc("conv")
  %s = "nn.add"(%c, %x) : (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> loc("sum")
  %r = "nn.relu"(%c) : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> loc("act")
  %y = "nn.add"(%s, %r) : (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> loc("out")
  return %y : tensor<1x4x6x6xf32>
}
