// RUN: rram-opt %s --split-input-file --nn-verify-shapes
// Each chunk is its own module, as with mlir-opt --split-input-file.
func.func @first(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %r = "nn.relu"(%x) : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %r : tensor<1x4x8x8xf32>
}

// -----

func.func @second(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> {
  %p = "nn.maxpool2d"(%x) {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return %p : tensor<1x4x4x4xf32>
}
