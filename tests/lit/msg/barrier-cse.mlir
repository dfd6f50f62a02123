// RUN: rram-opt %s --pass-pipeline='builtin.module(canonicalize,cse)'
// Upstream passes work on the address arithmetic of msg programs: the
// repeated address computation is shared and constants are hoisted, while
// our ops, opaque to MLIR, all stay.
func.func @core_0() attributes {msg.core = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %p = %c0 to %c4 step %c1 {
    %s = arith.constant 64 : index
    %a = arith.muli %p, %s : index
    "msg.load"(%a) {bytes = 64 : i64, local = 0 : i64, class = "input"} : (index) -> ()
    "msg.mvm"() {crossbar = 0 : i64, src = 0 : i64, dst = 64 : i64} : () -> ()
    %b = arith.muli %p, %s : index
    "msg.store"(%b) {bytes = 64 : i64, local = 64 : i64, class = "output"} : (index) -> ()
  }
  "msg.barrier"() {id = 0 : i64} : () -> ()
  return
}
func.func @core_1() attributes {msg.core = 1 : i64} {
  "msg.barrier"() {id = 0 : i64} : () -> ()
  return
}
