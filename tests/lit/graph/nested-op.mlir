// RUN: rramc graph %s
// EXPECT-ERROR: nested-op.mlir:6:8: error: 'scf.execute_region' op has a body
// An op with a body may read feature maps it does not take as operands:
// the graph would miss that dependency, so it is refused.
func.func @net(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %y = scf.execute_region -> tensor<1x4xf32> {
    %r = "nn.relu"(%x) : (tensor<1x4xf32>) -> tensor<1x4xf32>
    scf.yield %r : tensor<1x4xf32>
  }
  return %y : tensor<1x4xf32>
}
