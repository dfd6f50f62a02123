// RUN: rram-opt %s --pass-pipeline='builtin.module(rram-tile{rows=0})'
// EXPECT-ERROR: rram-opt: option 'rows' of pass 'rram-tile' must be a positive integer, got '0'
func.func @main() { return }
