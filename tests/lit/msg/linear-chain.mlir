// RUN: rram-opt %s
// Two cores of one horizontal group accumulating 64 output vectors of 16
// channels with the linear scheme: core 0 stores its partial sum and hands
// vector p to core 1, which adds its own, applies bias and relu. Addresses
// and counts are in 32-bit words; shared memory holds the input windows
// (64 x 32 words: 16 rows per core), the output vectors from 2048, the bias
// at 3072.
func.func @core_0() attributes {msg.core = 0 : i64} {
  "msg.crossbar"() {crossbar = 0 : i64, rows = 16 : i64, cols = 16 : i64} : () -> ()
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %c2048 = arith.constant 2048 : index
  scf.for %p = %c0 to %c64 step %c1 {
    %in = arith.muli %p, %c32 : index
    "msg.load"(%c0, %in) {n = 16 : i64, class = "input"} : (index, index) -> ()
    "msg.mvm"(%c16, %c0) {crossbar = 0 : i64} : (index, index) -> ()
    %o = arith.muli %p, %c16 : index
    %out = arith.addi %o, %c2048 : index
    "msg.store"(%out, %c16) {n = 16 : i64, class = "partial"} : (index, index) -> ()
    %released = arith.addi %p, %c1 : index
    "msg.call"(%c1, %released) : (index, index) -> ()
  } {msg.var = "p"}
  "msg.halt"() : () -> ()
  return
}
func.func @core_1() attributes {msg.core = 1 : i64} {
  "msg.crossbar"() {crossbar = 0 : i64, rows = 16 : i64, cols = 16 : i64} : () -> ()
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %c48 = arith.constant 48 : index
  %c64 = arith.constant 64 : index
  %c2048 = arith.constant 2048 : index
  %c3072 = arith.constant 3072 : index
  "msg.load"(%c48, %c3072) {n = 16 : i64, class = "partial"} : (index, index) -> ()
  scf.for %p = %c0 to %c64 step %c1 {
    %i = arith.muli %p, %c32 : index
    %in = arith.addi %i, %c16 : index
    "msg.load"(%c0, %in) {n = 16 : i64, class = "input"} : (index, index) -> ()
    "msg.mvm"(%c16, %c0) {crossbar = 0 : i64} : (index, index) -> ()
    %ready = arith.addi %p, %c1 : index
    "msg.wait"(%ready) : (index) -> ()
    %o = arith.muli %p, %c16 : index
    %out = arith.addi %o, %c2048 : index
    "msg.load"(%c32, %out) {n = 16 : i64, class = "partial"} : (index, index) -> ()
    "msg.add"(%c16, %c16, %c32) {n = 16 : i64} : (index, index, index) -> ()
    "msg.bias"(%c16, %c16, %c48) {n = 16 : i64} : (index, index, index) -> ()
    "msg.relu"(%c16, %c16) {n = 16 : i64} : (index, index) -> ()
    "msg.store"(%out, %c16) {n = 16 : i64, class = "output"} : (index, index) -> ()
  } {msg.var = "p"}
  "msg.halt"() : () -> ()
  return
}
