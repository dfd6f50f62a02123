// RUN: rram-opt %s --pass-pipeline='builtin.module(rram-tile{rows=32,col=32})'
// EXPECT-ERROR: rram-opt: pass 'rram-tile' has no option 'col' (did you mean 'cols'?); it takes rows, cols, slices
func.func @main() { return }
