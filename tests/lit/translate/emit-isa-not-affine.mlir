// RUN: rram-translate %s --emit-isa lit/translate/never-written
// EXPECT-ERROR: rram-translate: lit/translate/emit-isa-not-affine.mlir:12:13: error: 'arith.remui' op computes operand 'shared' of 'msg.load', which must be affine in the loop counters: only arith.constant, addi, subi and muli by a constant are
// The instruction set's addresses are affine in the loop counters: a
// ring buffer indexed modulo 4 cannot be translated, and nothing is written.
func.func @core_0() attributes {msg.core = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  "msg.crossbar"() {crossbar = 0 : i64, rows = 4 : i64, cols = 4 : i64} : () -> ()
  scf.for %p = %c0 to %c16 step %c1 {
    %slot = arith.remui %p, %c4 : index
    "msg.load"(%c0, %slot) {n = 4 : i64, class = "input"} : (index, index) -> ()
  } {msg.var = "p"}
  "msg.halt"() : () -> ()
  return
}
