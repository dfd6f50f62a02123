// RUN: rram-opt %s
// EXPECT-ERROR: msg-bad-values.mlir:8:3: error: 'msg.load' op attribute 'class' must be one of ["input", "partial", "output", "sync"], got "weights"
// EXPECT-ERROR: msg-bad-values.mlir:9:3: error: 'msg.alu' op 'relu' reads 1 non-negative local addresses, got srcs = [0, 16]
// EXPECT-ERROR: msg-bad-values.mlir:10:3: error: 'msg.alu' op attribute 'op' must be one of ["add", "bias", "relu", "clip", "max", "avg"], got "mul"
// EXPECT-ERROR: msg-bad-values.mlir:11:3: error: 'msg.store' op attribute 'bytes' must be positive, got 0
func.func @core_0() attributes {msg.core = 0 : i64} {
  %a = arith.constant 0 : index
  "msg.load"(%a) {bytes = 64 : i64, local = 0 : i64, class = "weights"} : (index) -> ()
  "msg.alu"() {op = "relu", dst = 0 : i64, srcs = array<i64: 0, 16>, len = 16 : i64} : () -> ()
  "msg.alu"() {op = "mul", dst = 0 : i64, srcs = array<i64: 0, 16>, len = 16 : i64} : () -> ()
  "msg.store"(%a) {bytes = 0 : i64, local = 0 : i64, class = "output"} : (index) -> ()
  return
}
