// RUN: rram-opt %s
// EXPECT-ERROR: msg-outside-program.mlir:12:3: error: 'msg.halt' op must be inside a func.func with a 'msg.core' or 'msg.role' attribute
// EXPECT-ERROR: msg-outside-program.mlir:19:5: error: 'msg.crossbar' op must be directly in the body of its program or role, not in a loop
// EXPECT-ERROR: msg-outside-program.mlir:20:5: error: 'scf.for' op attribute 'msg.var' must be a name ([A-Za-z_][A-Za-z0-9_]*), got "2p"
// EXPECT-ERROR: msg-outside-program.mlir:25:1: error: 'func.func' op core 0 already has a program
// EXPECT-ERROR: msg-outside-program.mlir:26:1: error: 'func.func' op is a core's program ('msg.core') or a role ('msg.role'), not both
// A function without msg.core or msg.role is neither a core program nor a
// role; crossbars are declared at the top of a program; loop variables are
// names; two programs for one core are rejected, and so is a role that
// claims a core.
func.func @helper() {
  "msg.halt"() : () -> ()
  return
}
func.func @core_0() attributes {msg.core = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %c1 step %c1 {
    "msg.crossbar"() {crossbar = 0 : i64, rows = 4 : i64, cols = 4 : i64} : () -> ()
    scf.for %j = %c0 to %c1 step %c1 {
    } {msg.var = "2p"}
  }
  return
}
func.func @core_0_again() attributes {msg.core = 0 : i64} { return }
func.func @role_0() attributes {msg.core = 1 : i64, msg.role} { return }
