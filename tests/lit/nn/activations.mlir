// RUN: rram-opt %s
// relu, and clip as MobileNet-V2's relu6.
func.func @act(%x: tensor<1x32x112x112xf32>) -> (tensor<1x32x112x112xf32>, tensor<1x32x112x112xf32>) {
  %r = "nn.relu"(%x) : (tensor<1x32x112x112xf32>) -> tensor<1x32x112x112xf32>
  %c = "nn.clip"(%x) {min = 0.0 : f32, max = 6.0 : f32} : (tensor<1x32x112x112xf32>) -> tensor<1x32x112x112xf32>
  return %r, %c : tensor<1x32x112x112xf32>, tensor<1x32x112x112xf32>
}
