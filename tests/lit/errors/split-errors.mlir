// RUN: rram-opt %s --split-input-file
// EXPECT-ERROR: split-errors.mlir:7:8: error: 'nn.clip' op attribute 'min' (6) must not exceed 'max' (0)
// EXPECT-ERROR: split-errors.mlir:17:8: error: 'nn.add' op operands must have one shape, got [1, 4] and [1, 5]
// Errors in later chunks keep the line numbers of the whole file; the good
// chunk in between is still printed.
func.func @a(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %c = "nn.clip"(%x) {min = 6.0 : f32, max = 0.0 : f32} : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %c : tensor<1x4xf32>
}
// -----
func.func @b(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %r = "nn.relu"(%x) : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %r : tensor<1x4xf32>
}
// -----
func.func @c(%x: tensor<1x4xf32>, %y: tensor<1x5xf32>) -> tensor<1x4xf32> {
  %s = "nn.add"(%x, %y) : (tensor<1x4xf32>, tensor<1x5xf32>) -> tensor<1x4xf32>
  return %s : tensor<1x4xf32>
}
