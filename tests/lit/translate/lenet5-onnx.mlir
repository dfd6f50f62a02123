// RUN: rram-translate --import-onnx ../models/lenet5.struct.onnx
// LeNet-5 from the legacy torch exporter, each op located at its ONNX node.
