// RUN: rramc eval --import-onnx ../models/lenet5.full.onnx --input ../models/lenet5.input.txt
// LeNet-5 with its weights, run by the reference interpreter: the ten
// class scores, within 1e-6 of models/lenet5.output.txt (an ONNX runtime's).
