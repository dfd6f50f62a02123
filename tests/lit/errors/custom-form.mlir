// RUN: rram-opt %s
// EXPECT-ERROR: custom-form.mlir:6:8: error: 'nn.relu' must be written in the generic form, "nn.relu"(...): the nn, xbar and msg dialects have no other
// MLIR rejects an op of an IRDL dialect in custom form without a word; the
// error says what is wrong and where.
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %r = nn.relu(%x) : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %r : tensor<1x4xf32>
}
