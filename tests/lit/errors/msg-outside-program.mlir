// RUN: rram-opt %s
// EXPECT-ERROR: msg-outside-program.mlir:6:3: error: 'msg.mvm' op must be inside a func.func with a 'msg.core' attribute
// EXPECT-ERROR: msg-outside-program.mlir:10:1: error: 'func.func' op core 0 already has a program
// A function without msg.core is not a core program; two programs for one core are rejected.
func.func @helper() {
  "msg.mvm"() {crossbar = 0 : i64, src = 0 : i64, dst = 16 : i64} : () -> ()
  return
}
func.func @core_0() attributes {msg.core = 0 : i64} { return }
func.func @core_0_again() attributes {msg.core = 0 : i64} { return }
