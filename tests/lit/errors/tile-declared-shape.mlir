// RUN: rram-opt %s --rram-tile
// EXPECT-ERROR: tile-declared-shape.mlir:8:8: error: rram-tile: result shape [1, 20] does not match the inferred shape [1, 24]
// The partial sums of a tiled layer take their shape from its declared
// result, so rram-tile checks it even where nn-verify-shapes has not run
// (the verifier checks operands, not the result shape).
func.func @main(%x: tensor<1x100xf32>) -> tensor<1x20xf32> {
  %w = "nn.weight"() {name = "fc.weight"} : () -> tensor<24x100xf32>
  %y = "nn.dense"(%x, %w) : (tensor<1x100xf32>, tensor<24x100xf32>) -> tensor<1x20xf32>
  return %y : tensor<1x20xf32>
}
