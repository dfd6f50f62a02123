// RUN: rram-opt %s --split-input-file
// EXPECT-ERROR: named-location.mlir:7:8: 'relu1': error: 'nn.clip' op attribute 'min' (6) must not exceed 'max' (0)
// EXPECT-ERROR: named-location.mlir: 'clip2': error: 'nn.clip' op attribute 'min' (6) must not exceed 'max' (0)
// An op located at a name (as imported models' are) loses its position in
// the parser; the error finds its line again where the name is written once.
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %c = "nn.clip"(%x) {min = 6.0 : f32, max = 0.0 : f32} : (tensor<1x4xf32>) -> tensor<1x4xf32> loc("relu1")
  return %c : tensor<1x4xf32>
}

// -----

// Written twice, the name does not say which line: the error names the file.
func.func @twice(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %c = "nn.clip"(%x) {min = 6.0 : f32, max = 0.0 : f32} : (tensor<1x4xf32>) -> tensor<1x4xf32> loc("clip2")
  %d = "nn.relu"(%c) : (tensor<1x4xf32>) -> tensor<1x4xf32> loc("clip2")
  return %d : tensor<1x4xf32>
}
