// RUN: rram-opt %s --arch lit/chips/c32-s2.toml --pass-pipeline='builtin.module(rram-tile,nn-verify-shapes)'
// A dense layer 100 -> 24 with a bias, batch 2, 2 cells per weight: a
// K x M*S = 100 x 48 cell matrix on 32x32 crossbars is H = ceil(100/32) = 4
// tiles high (rows [0, 32), [32, 64), [64, 96), [96, 100)) and V = 2 blocks
// wide (cols [0, 32) = 16 outputs, [32, 48) = 8): two horizontal groups of
// 4 rank-2 MVMs [2, 100] -> [2, 16] and [2, 8], accumulated, concatenated
// along axis 1 into [2, 24], then the bias. The grid is a 1x1 conv's.
func.func @main(%x: tensor<2x100xf32>) -> tensor<2x24xf32> {
  %w = "nn.weight"() {name = "fc.weight"} : () -> tensor<24x100xf32>
  %b = "nn.weight"() {name = "fc.bias"} : () -> tensor<24xf32>
  %y = "nn.dense"(%x, %w, %b) : (tensor<2x100xf32>, tensor<24x100xf32>, tensor<24xf32>) -> tensor<2x24xf32> loc("fc")
  %r = "nn.relu"(%y) : (tensor<2x24xf32>) -> tensor<2x24xf32>
  return %r : tensor<2x24xf32>
}
