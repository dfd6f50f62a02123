// RUN: rram-opt %s --pass-pipeline='builtin.module(rram-sync{mode=cyclic exchange=forward})'
// EXPECT-ERROR: option 'exchange=forward' of pass 'rram-sync': the cyclic scheme cannot forward partial sums core to core: a vector's next owner takes it up to P/H steps later, so it would wait in local memory; forwarding needs the linear scheme
func.func @main() {
  return
}
