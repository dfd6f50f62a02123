// RUN: rram-translate --import-onnx %s
// EXPECT-ERROR: rram-translate: lit/translate/not-onnx.mlir:
// A text file is not an ONNX model.
