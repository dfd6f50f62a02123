// RUN: rram-opt %s
// One op per instruction of the instruction set, operands in its order:
// LOAD l, s; STORE s, l; MOV dst, src; MVM dst, src; ADD/BIAS/MAX dst, a, b;
// RELU dst, a; CLIP dst, a with bounds (-inf prints as its f32 bit
// pattern); AVG dst, a with its divisor; REQUANT dst, a with its shift;
// PUT core, dst, src, signal and CALL core, value (the cores are operands,
// here core 0), then CALL and WAIT on register 1; WAIT, BARRIER, HALT.
func.func @core_3() attributes {msg.core = 3 : i64} {
  "msg.crossbar"() {crossbar = 1 : i64, rows = 8 : i64, cols = 4 : i64} : () -> ()
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c12 = arith.constant 12 : index
  %c100 = arith.constant 100 : index
  "msg.load"(%c0, %c100) {n = 8 : i64, class = "input"} : (index, index) -> ()
  "msg.mov"(%c12, %c0) {n = 4 : i64} : (index, index) -> ()
  "msg.mvm"(%c8, %c0) {crossbar = 1 : i64} : (index, index) -> ()
  "msg.add"(%c8, %c8, %c12) {n = 4 : i64} : (index, index, index) -> ()
  "msg.bias"(%c8, %c8, %c12) {n = 4 : i64} : (index, index, index) -> ()
  "msg.max"(%c8, %c8, %c12) {n = 4 : i64} : (index, index, index) -> ()
  "msg.relu"(%c8, %c8) {n = 4 : i64} : (index, index) -> ()
  "msg.clip"(%c8, %c8) {n = 4 : i64, lo = 0xFF800000 : f32, hi = 6.0 : f32} : (index, index) -> ()
  "msg.avg"(%c8, %c8) {n = 4 : i64, count = 9 : i64} : (index, index) -> ()
  "msg.requant"(%c8, %c8) {n = 4 : i64, shift = 7 : i64} : (index, index) -> ()
  "msg.store"(%c100, %c8) {n = 4 : i64, class = "output"} : (index, index) -> ()
  "msg.put"(%c0, %c0, %c8, %c12) {n = 4 : i64, class = "partial"} : (index, index, index, index) -> ()
  "msg.call"(%c0, %c8) : (index, index) -> ()
  %c1 = arith.constant 1 : index
  "msg.call"(%c0, %c8, %c1) : (index, index, index) -> ()
  "msg.wait"(%c12, %c1) : (index, index) -> ()
  "msg.wait"(%c12) : (index) -> ()
  "msg.barrier"() {id = 2 : i64} : () -> ()
  "msg.halt"() : () -> ()
  return
}
