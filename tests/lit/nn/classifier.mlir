// RUN: rram-opt %s --nn-verify-shapes
// The head of a classifier: global pooling, flatten, dense with bias, softmax.
func.func @head(%x: tensor<1x512x7x7xf32>) -> tensor<1x1000xf32> {
  %pool = "nn.global_avgpool"(%x) : (tensor<1x512x7x7xf32>) -> tensor<1x512x1x1xf32>
  %flat = "nn.flatten"(%pool) {axis = 1 : i64} : (tensor<1x512x1x1xf32>) -> tensor<1x512xf32>
  %w = "nn.weight"() {name = "fc.weight"} : () -> tensor<1000x512xf32>
  %b = "nn.weight"() {name = "fc.bias"} : () -> tensor<1000xf32>
  %fc = "nn.dense"(%flat, %w, %b) : (tensor<1x512xf32>, tensor<1000x512xf32>, tensor<1000xf32>) -> tensor<1x1000xf32>
  %prob = "nn.softmax"(%fc) {axis = 1 : i64} : (tensor<1x1000xf32>) -> tensor<1x1000xf32>
  return %prob : tensor<1x1000xf32>
}
