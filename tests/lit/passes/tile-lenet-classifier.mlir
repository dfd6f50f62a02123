// RUN: rram-opt %s --pass-pipeline='builtin.module(rram-tile,nn-verify-shapes)'
// LeNet-5's classifier (400 -> 120 -> 84 -> 10, each with a bias) on the
// default 128x128 crossbars with 4 cells per weight; cores count on from one
// layer to the next.
// - classifier.1: 400 x 480 cells: H = 4 (rows [0, 128) ... [384, 400)),
//   V = 4 (cols [0, 128), [128, 256), [256, 384) = 32 outputs each, then
//   [384, 480) = 24): 16 tiles on cores 0-15, 3 concats to [1, 120].
// - classifier.3: 120 x 336 cells: H = 1, V = 3 (32, 32, then 20 outputs),
//   cores 16-18.
// - classifier.5: 84 x 40 cells fit one crossbar: H = V = 1, core 19, a
//   one-partial accumulate and no concat.
func.func @lenet5_classifier(%x: tensor<1x16x5x5xf32>) -> tensor<1x10xf32> {
  %f = "nn.flatten"(%x) {axis = 1 : i64} : (tensor<1x16x5x5xf32>) -> tensor<1x400xf32>
  %w1 = "nn.weight"() {name = "classifier.1.weight"} : () -> tensor<120x400xf32>
  %b1 = "nn.weight"() {name = "classifier.1.bias"} : () -> tensor<120xf32>
  %y1 = "nn.dense"(%f, %w1, %b1) : (tensor<1x400xf32>, tensor<120x400xf32>, tensor<120xf32>) -> tensor<1x120xf32> loc("classifier.1")
  %r1 = "nn.relu"(%y1) : (tensor<1x120xf32>) -> tensor<1x120xf32>
  %w3 = "nn.weight"() {name = "classifier.3.weight"} : () -> tensor<84x120xf32>
  %b3 = "nn.weight"() {name = "classifier.3.bias"} : () -> tensor<84xf32>
  %y3 = "nn.dense"(%r1, %w3, %b3) : (tensor<1x120xf32>, tensor<84x120xf32>, tensor<84xf32>) -> tensor<1x84xf32> loc("classifier.3")
  %r3 = "nn.relu"(%y3) : (tensor<1x84xf32>) -> tensor<1x84xf32>
  %w5 = "nn.weight"() {name = "classifier.5.weight"} : () -> tensor<10x84xf32>
  %b5 = "nn.weight"() {name = "classifier.5.bias"} : () -> tensor<10xf32>
  %y5 = "nn.dense"(%r3, %w5, %b5) : (tensor<1x84xf32>, tensor<10x84xf32>, tensor<10xf32>) -> tensor<1x10xf32> loc("classifier.5")
  return %y5 : tensor<1x10xf32>
}
