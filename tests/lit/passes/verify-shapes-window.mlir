// RUN: rram-opt %s --nn-verify-shapes
// EXPECT-ERROR: verify-shapes-window.mlir:5:8: error: 'nn.maxpool2d' op window of extent 5 does not fit the padded input of extent 4 (dimension 2)
// A pooling window larger than its (padded) input has no output at all.
func.func @main(%x: tensor<1x3x4x4xf32>) -> tensor<1x3x1x1xf32> {
  %p = "nn.maxpool2d"(%x) {kernel = array<i64: 5, 5>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x3x4x4xf32>) -> tensor<1x3x1x1xf32>
  return %p : tensor<1x3x1x1xf32>
}
