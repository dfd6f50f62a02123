// RUN: rram-opt %s --pass-pipeline='builtin.module(rram-tile,nn-verify-shapes)'
// MobileNet's depthwise 3x3 over 32 channels and a grouped 1x1 conv (4
// groups of 8 -> 8 channels) on the default 128x128 crossbars with 4 cells
// per weight: 14 depthwise blocks of 9 x 4 cells per crossbar (3 tiles), the
// 4 grouped blocks of 8 x 32 cells on one. Packed tiles share no outputs: H = 1.
func.func @main(%x: tensor<1x32x16x16xf32>) -> tensor<1x32x16x16xf32> {
  %dw = "nn.weight"() {name = "dw.weight"} : () -> tensor<32x1x3x3xf32>
  %d = "nn.conv2d"(%x, %dw) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 32 : i64} : (tensor<1x32x16x16xf32>, tensor<32x1x3x3xf32>) -> tensor<1x32x16x16xf32> loc("dw")
  %gw = "nn.weight"() {name = "grouped.weight"} : () -> tensor<32x8x1x1xf32>
  %g = "nn.conv2d"(%d, %gw) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 4 : i64} : (tensor<1x32x16x16xf32>, tensor<32x8x1x1xf32>) -> tensor<1x32x16x16xf32> loc("grouped")
  return %g : tensor<1x32x16x16xf32>
}
