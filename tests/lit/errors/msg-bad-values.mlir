// RUN: rram-opt %s
// EXPECT-ERROR: msg-bad-values.mlir:14:3: error: 'msg.load' op attribute 'class' must be one of ["input", "partial", "output", "sync"], got "weights"
// EXPECT-ERROR: msg-bad-values.mlir:15:3: error: 'msg.store' op attribute 'n' must be positive, got 0
// EXPECT-ERROR: msg-bad-values.mlir:16:3: error: 'msg.relu' op attribute 'n' must be at most 4294967295, got 4294967296
// EXPECT-ERROR: msg-bad-values.mlir:17:3: error: 'msg.clip' op bounds must satisfy lo <= hi, got lo = 6, hi = 0
// EXPECT-ERROR: msg-bad-values.mlir:18:3: error: 'msg.avg' op attribute 'count' must be positive, got 0
// EXPECT-ERROR: msg-bad-values.mlir:19:3: error: 'msg.barrier' op attribute 'id' must be non-negative, got -1
// EXPECT-ERROR: msg-bad-values.mlir:20:3: error: 'msg.mvm' op crossbar 1 is not declared (no msg.crossbar with crossbar = 1)
// EXPECT-ERROR: msg-bad-values.mlir:21:3: error: 'msg.crossbar' op crossbar 0 is already declared
// EXPECT-ERROR: msg-bad-values.mlir:22:3: error: 'msg.put' op attribute 'class' must be one of ["input", "partial", "output", "sync"], got "sum"
func.func @core_0() attributes {msg.core = 0 : i64} {
  "msg.crossbar"() {crossbar = 0 : i64, rows = 8 : i64, cols = 8 : i64} : () -> ()
  %a = arith.constant 0 : index
  "msg.load"(%a, %a) {n = 64 : i64, class = "weights"} : (index, index) -> ()
  "msg.store"(%a, %a) {n = 0 : i64, class = "output"} : (index, index) -> ()
  "msg.relu"(%a, %a) {n = 4294967296 : i64} : (index, index) -> ()
  "msg.clip"(%a, %a) {n = 4 : i64, lo = 6.0 : f32, hi = 0.0 : f32} : (index, index) -> ()
  "msg.avg"(%a, %a) {n = 4 : i64, count = 0 : i64} : (index, index) -> ()
  "msg.barrier"() {id = -1 : i64} : () -> ()
  "msg.mvm"(%a, %a) {crossbar = 1 : i64} : (index, index) -> ()
  "msg.crossbar"() {crossbar = 0 : i64, rows = 4 : i64, cols = 4 : i64} : () -> ()
  "msg.put"(%a, %a, %a, %a) {n = 2 : i64, class = "sum"} : (index, index, index, index) -> ()
  return
}
