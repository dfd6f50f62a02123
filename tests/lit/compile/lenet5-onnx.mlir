// RUN: rramc compile --import-onnx ../models/lenet5.struct.onnx --preset xbar64-bus16
// The imported LeNet-5 at the xbar level: every conv and dense layer a grid
// of tiles on cores, located at its ONNX node.
