// RUN: rramc eval --import-onnx ../models/lenet5.struct.onnx --input ../models/lenet5.input.txt
// EXPECT-ERROR: rramc: weight 'features.0.weight' has no values: only networks with every weight can be evaluated (--random-weights gives it pseudo-random values)
// A structure-only export has shapes but no weight values to compute with.
