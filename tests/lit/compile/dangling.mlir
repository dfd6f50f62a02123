// RUN: rramc compile %s --summary
// EXPECT-ERROR: dangling.mlir:5:21: error: use of undeclared SSA value name
// A layer reading a value nothing defines.
func.func @net(%x: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
  %a = "nn.add"(%x, %y) : (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  return %a : tensor<1x4x6x6xf32>
}
