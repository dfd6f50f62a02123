// RUN: rramc graph --import-onnx ../models/lenet5.struct.onnx --dot
// The imported LeNet-5 in Graphviz DOT, each edge labelled with the operand
// it feeds; layers named after their ONNX nodes.
