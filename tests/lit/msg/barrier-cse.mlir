// RUN: rram-opt %s --pass-pipeline='builtin.module(canonicalize,cse)'
// Upstream passes work on the address arithmetic of msg programs: the
// repeated address computation is shared and constants are hoisted, while
// our ops, opaque to MLIR, all stay, and so does the loop's msg.var.
func.func @core_0() attributes {msg.core = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  "msg.crossbar"() {crossbar = 0 : i64, rows = 16 : i64, cols = 16 : i64} : () -> ()
  scf.for %p = %c0 to %c4 step %c1 {
    %s = arith.constant 16 : index
    %a = arith.muli %p, %s : index
    "msg.load"(%c0, %a) {n = 16 : i64, class = "input"} : (index, index) -> ()
    "msg.mvm"(%s, %c0) {crossbar = 0 : i64} : (index, index) -> ()
    %b = arith.muli %p, %s : index
    "msg.store"(%b, %s) {n = 16 : i64, class = "output"} : (index, index) -> ()
  } {msg.var = "p"}
  "msg.barrier"() {id = 0 : i64} : () -> ()
  "msg.halt"() : () -> ()
  return
}
func.func @core_1() attributes {msg.core = 1 : i64} {
  "msg.barrier"() {id = 0 : i64} : () -> ()
  "msg.halt"() : () -> ()
  return
}
