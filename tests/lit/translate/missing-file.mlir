// RUN: rram-translate --import-onnx ../models/no-such-model.onnx
// EXPECT-ERROR: rram-translate: ../models/no-such-model.onnx:
