// RUN: rramc graph %s
// A module written by hand: a folded batchnorm's weight arithmetic is no
// layer, a reshape is folded into the edge, a ReLU6 into the add, the two
// branches meet in a concat, and the final softmax is left to the host.
// An op without a named location is named after its kind and number (conv#2).
func.func @net(%x: tensor<1x4x6x6xf32> loc("image")) -> tensor<1x16xf32> {
  %w = "nn.weight"() {name = "conv.weight"} : () -> tensor<4x4x3x3xf32>
  %scale = "nn.weight"() {name = "bn.scale"} : () -> tensor<4xf32>
  %bias = "nn.weight"() {name = "bn.bias"} : () -> tensor<4xf32>
  %mean = "nn.weight"() {name = "bn.mean"} : () -> tensor<4xf32>
  %var = "nn.weight"() {name = "bn.var"} : () -> tensor<4xf32>
  %c = "nn.conv2d"(%x, %w) {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x6x6xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x6x6xf32> loc("conv")
  %b = "nn.batchnorm"(%c, %scale, %bias, %mean, %var) {epsilon = 1.0e-5 : f32} : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32> loc("bn")
  %dw = "nn.weight"() {name = "dw.weight"} : () -> tensor<4x1x3x3xf32>
  %d = "nn.conv2d"(%x, %dw) {dilations = array<i64: 1, 1>, groups = 4 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x6x6xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x6x6xf32>
  %s = "nn.add"(%b, %d) : (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> loc("sum")
  %r = "nn.clip"(%s) {max = 6.0 : f32, min = 0.0 : f32} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> loc("relu6")
  %j = "nn.concat"(%r, %d) {axis = 1 : i64} : (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x8x6x6xf32> loc("join")
  %g = "nn.global_avgpool"(%j) : (tensor<1x8x6x6xf32>) -> tensor<1x8x1x1xf32> loc("pool")
  %f = "nn.reshape"(%g) : (tensor<1x8x1x1xf32>) -> tensor<1x8xf32> loc("view")
  %fw = "nn.weight"() {name = "fc.weight"} : () -> tensor<16x8xf32>
  %y = "nn.dense"(%f, %fw) : (tensor<1x8xf32>, tensor<16x8xf32>) -> tensor<1x16xf32> loc("fc")
  %p = "nn.softmax"(%y) {axis = 1 : i64} : (tensor<1x16xf32>) -> tensor<1x16xf32> loc("probabilities")
  return %p : tensor<1x16xf32>
}
