// RUN: rram-opt %s --pass-pipeline='builtin.module(rram-sync{mode=pipelined})'
// EXPECT-ERROR: option 'mode' of pass 'rram-sync' must be sequential, linear, cyclic or auto, got 'pipelined'
func.func @main() {
  return
}
