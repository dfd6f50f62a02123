// RUN: rramc graph %s
// EXPECT-ERROR: softmax-not-last.mlir:6:8: 'probabilities': error: 'nn.softmax' op is left to the host, so only the network's last op, but 'nn.relu' op 'act' uses its result
// The host computes the softmax, after the chip: nothing on the chip may
// read it.
func.func @net(%x: tensor<1x10xf32>) -> tensor<1x10xf32> {
  %p = "nn.softmax"(%x) {axis = 1 : i64} : (tensor<1x10xf32>) -> tensor<1x10xf32> loc("probabilities")
  %r = "nn.relu"(%p) : (tensor<1x10xf32>) -> tensor<1x10xf32> loc("act")
  return %r : tensor<1x10xf32>
}
