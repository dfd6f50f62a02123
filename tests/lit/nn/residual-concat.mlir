// RUN: rram-opt %s --nn-verify-shapes
// A residual add, and a three-way concat written as a chain of two-input concats.
func.func @merge(%a: tensor<1x64x56x56xf32>, %b: tensor<1x64x56x56xf32>, %e: tensor<1x16x56x56xf32>) -> tensor<1x144x56x56xf32> {
  %sum = "nn.add"(%a, %b) : (tensor<1x64x56x56xf32>, tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
  %ab = "nn.concat"(%sum, %b) {axis = 1 : i64} : (tensor<1x64x56x56xf32>, tensor<1x64x56x56xf32>) -> tensor<1x128x56x56xf32>
  %abe = "nn.concat"(%ab, %e) {axis = 1 : i64} : (tensor<1x128x56x56xf32>, tensor<1x16x56x56xf32>) -> tensor<1x144x56x56xf32>
  return %abe : tensor<1x144x56x56xf32>
}
