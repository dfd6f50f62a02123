// A ResNet-style conv -> batchnorm -> relu block: 3x3, 32 -> 32 channels on
// a 16x16 feature map. Its 288-row kernel matrix is 9 crossbars of 32 rows
// high: 9 cores accumulate into every output vector.
func.func @main(%input: tensor<1x32x16x16xf32>) -> tensor<1x32x16x16xf32> {
  %w = "nn.weight"() {name = "conv.weight"} : () -> tensor<32x32x3x3xf32>
  %gamma = "nn.weight"() {name = "bn.weight"} : () -> tensor<32xf32>
  %beta = "nn.weight"() {name = "bn.bias"} : () -> tensor<32xf32>
  %mean = "nn.weight"() {name = "bn.running_mean"} : () -> tensor<32xf32>
  %var = "nn.weight"() {name = "bn.running_var"} : () -> tensor<32xf32>
  %conv = "nn.conv2d"(%input, %w) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x32x16x16xf32>, tensor<32x32x3x3xf32>) -> tensor<1x32x16x16xf32>
  %bn = "nn.batchnorm"(%conv, %gamma, %beta, %mean, %var) {epsilon = 1.0e-05 : f32} : (tensor<1x32x16x16xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<1x32x16x16xf32>
  %relu = "nn.relu"(%bn) : (tensor<1x32x16x16xf32>) -> tensor<1x32x16x16xf32>
  return %relu : tensor<1x32x16x16xf32>
}
