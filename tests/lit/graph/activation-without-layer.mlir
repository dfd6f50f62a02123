// RUN: rramc graph %s
// EXPECT-ERROR: activation-without-layer.mlir:7:8: 'act': error: 'nn.relu' op follows concat 'join', which cannot absorb an activation
// A concat only places its operands side by side: no vector op writes its
// output, so the ReLU after it has no layer to be fused into.
func.func @net(%a: tensor<1x4x6x6xf32>, %b: tensor<1x4x6x6xf32>) -> tensor<1x8x6x6xf32> {
  %j = "nn.concat"(%a, %b) {axis = 1 : i64} : (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x8x6x6xf32> loc("join")
  %r = "nn.relu"(%j) : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32> loc("act")
  return %r : tensor<1x8x6x6xf32>
}
