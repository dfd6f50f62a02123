// RUN: rram-opt %s --nn-verify-shapes
// EXPECT-ERROR: concat-overflow.mlir:4:8: error: 'nn.concat' op concatenating [1, 4611686018427387904] and [1, 4611686018427387904] along axis 1 gives more than fit in 64 bits
func.func @main(%x: tensor<1x4611686018427387904xf32>) -> tensor<1x9223372036854775807xf32> {
  %c = "nn.concat"(%x, %x) {axis = 1 : i64} : (tensor<1x4611686018427387904xf32>, tensor<1x4611686018427387904xf32>) -> tensor<1x9223372036854775807xf32>
  return %c : tensor<1x9223372036854775807xf32>
}
