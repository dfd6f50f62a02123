// RUN: rram-opt %s
// Two cores of one horizontal group accumulating 64 output vectors of 16
// channels (64 B) with the linear scheme: core 0 stores its partial sum and
// hands vector p to core 1, which adds its own, applies bias and relu.
func.func @core_0() attributes {msg.core = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %in_stride = arith.constant 128 : index
  %out_stride = arith.constant 64 : index
  %out_base = arith.constant 8192 : index
  scf.for %p = %c0 to %c64 step %c1 {
    %in = arith.muli %p, %in_stride : index
    "msg.load"(%in) {bytes = 128 : i64, local = 0 : i64, class = "input"} : (index) -> ()
    "msg.mvm"() {crossbar = 0 : i64, src = 0 : i64, dst = 128 : i64} : () -> ()
    %o = arith.muli %p, %out_stride : index
    %out = arith.addi %out_base, %o : index
    "msg.store"(%out) {bytes = 64 : i64, local = 128 : i64, class = "partial"} : (index) -> ()
    %released = arith.addi %p, %c1 : index
    "msg.call"(%released) {core = 1 : i64} : (index) -> ()
  }
  return
}
func.func @core_1() attributes {msg.core = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %in_stride = arith.constant 128 : index
  %out_stride = arith.constant 64 : index
  %out_base = arith.constant 8192 : index
  scf.for %p = %c0 to %c64 step %c1 {
    %in = arith.muli %p, %in_stride : index
    "msg.load"(%in) {bytes = 128 : i64, local = 0 : i64, class = "input"} : (index) -> ()
    "msg.mvm"() {crossbar = 0 : i64, src = 0 : i64, dst = 128 : i64} : () -> ()
    %ready = arith.addi %p, %c1 : index
    "msg.wait"(%ready) : (index) -> ()
    %o = arith.muli %p, %out_stride : index
    %out = arith.addi %out_base, %o : index
    "msg.load"(%out) {bytes = 64 : i64, local = 192 : i64, class = "partial"} : (index) -> ()
    "msg.alu"() {op = "add", dst = 128 : i64, srcs = array<i64: 128, 192>, len = 16 : i64} : () -> ()
    "msg.alu"() {op = "bias", dst = 128 : i64, srcs = array<i64: 128, 256>, len = 16 : i64} : () -> ()
    "msg.alu"() {op = "relu", dst = 128 : i64, srcs = array<i64: 128>, len = 16 : i64} : () -> ()
    "msg.store"(%out) {bytes = 64 : i64, local = 128 : i64, class = "output"} : (index) -> ()
  }
  return
}
