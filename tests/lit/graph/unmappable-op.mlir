// RUN: rramc graph %s
// EXPECT-ERROR: unmappable-op.mlir:8:8: error: 'arith.mulf' op reads a feature map but is no layer of the layer graph
// An op of another dialect on a feature map (a product of two maps) has no
// layer; weight arithmetic (the negation of the bias) is no layer either.
func.func @net(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %b = "nn.weight"() {name = "b"} : () -> tensor<1x4xf32>
  %n = arith.negf %b : tensor<1x4xf32>
  %y = arith.mulf %x, %n : tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
