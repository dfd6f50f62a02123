// RUN: rram-opt %s --pass-pipeline='builtin.module(rram-sync{mode=auto exchange=forward})'
// EXPECT-ERROR: option 'exchange' of pass 'rram-sync': mode=auto chooses the exchange too
func.func @main() {
  return
}
