// RUN: rram-opt %s --nn-fold-batchnorm --mlir-print-debuginfo
// Ops keep the names of the ONNX nodes they were imported from; the folded
// conv and the ops computing its weights take the locations of the conv and
// the batchnorm they replace.
module {
func.func @net(%x: tensor<1x2x4x4xf32> loc("input.1")) -> tensor<1x2x4x4xf32> {
  %w = "nn.weight"() {name = "c.weight"} : () -> tensor<2x2x1x1xf32> loc("c.weight")
  %g = "nn.weight"() {name = "bn.weight"} : () -> tensor<2xf32> loc("bn.weight")
  %b = "nn.weight"() {name = "bn.bias"} : () -> tensor<2xf32> loc("bn.bias")
  %m = "nn.weight"() {name = "bn.running_mean"} : () -> tensor<2xf32> loc("bn.running_mean")
  %v = "nn.weight"() {name = "bn.running_var"} : () -> tensor<2xf32> loc("bn.running_var")
  %c = "nn.conv2d"(%x, %w) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> loc("/features/0/Conv")
  %n = "nn.batchnorm"(%c, %g, %b, %m, %v) {epsilon = 1.0e-05 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32> loc("/features/1/BatchNormalization")
  %r = "nn.relu"(%n) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("/features/2/Relu")
  return %r : tensor<1x2x4x4xf32> loc("net")
} loc("net")
} loc("net")
