// RUN: rram-opt %s
// EXPECT-ERROR: dynamic-shape.mlir:5:8: error: 'nn.relu' op operand #0 must be a tensor of f32 with a static, non-empty shape, got tensor<?x4xf32>
// The mapper needs every shape.
func.func @main(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = "nn.relu"(%x) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}
