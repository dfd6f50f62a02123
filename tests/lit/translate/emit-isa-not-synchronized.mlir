// RUN: rram-translate %s --emit-isa lit/translate/never-written
// EXPECT-ERROR: rram-translate: lit/translate/emit-isa-not-synchronized.mlir:5:1: error: this function is not a core program (no 'msg.core'): run rram-sync first
// --emit-isa translates per-core msg programs; a layer that rram-sync has
// not turned into programs yet is an error, not an empty program.
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %r = "nn.relu"(%x) : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %r : tensor<1x4xf32>
}
