// RUN: rram-opt %s --nn-verify-shapes
// ceil_mode counts the last partial window: a 3x3/2 pool maps 56 to 27, or to 28 with ceil_mode.
func.func @pools(%x: tensor<1x64x112x112xf32>, %y: tensor<1x96x56x56xf32>) -> (tensor<1x64x56x56xf32>, tensor<1x96x27x27xf32>, tensor<1x96x28x28xf32>, tensor<1x64x28x28xf32>) {
  %m = "nn.maxpool2d"(%x) {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32>
  %floor = "nn.maxpool2d"(%y) {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x96x56x56xf32>) -> tensor<1x96x27x27xf32>
  %ceil = "nn.maxpool2d"(%y) {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = true} : (tensor<1x96x56x56xf32>) -> tensor<1x96x28x28xf32>
  %a = "nn.avgpool2d"(%m) {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = true} : (tensor<1x64x56x56xf32>) -> tensor<1x64x28x28xf32>
  return %m, %floor, %ceil, %a : tensor<1x64x56x56xf32>, tensor<1x96x27x27xf32>, tensor<1x96x28x28xf32>, tensor<1x64x28x28xf32>
}
