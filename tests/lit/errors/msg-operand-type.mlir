// RUN: rram-opt %s
// EXPECT-ERROR: msg-operand-type.mlir:6:3: error: 'msg.wait' op expected 'index' but got 'i32'
// Sequence numbers and addresses are index values, not i32.
func.func @core_0() attributes {msg.core = 0 : i64} {
  %v = arith.constant 1 : i32
  "msg.wait"(%v) : (i32) -> ()
  "msg.call"(%v, %v) : (i32, i32) -> ()
  return
}
