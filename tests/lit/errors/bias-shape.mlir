// RUN: rram-opt %s
// EXPECT-ERROR: bias-shape.mlir:7:8: error: 'nn.dense' op bias must be [10], got [12]
// A dense layer's bias has one entry per output.
func.func @main(%x: tensor<1x64xf32>) -> tensor<1x10xf32> {
  %w = "nn.weight"() {name = "fc.weight"} : () -> tensor<10x64xf32>
  %b = "nn.weight"() {name = "fc.bias"} : () -> tensor<12xf32>
  %y = "nn.dense"(%x, %w, %b) : (tensor<1x64xf32>, tensor<10x64xf32>, tensor<12xf32>) -> tensor<1x10xf32>
  return %y : tensor<1x10xf32>
}
