// RUN: rram-translate %s --emit-isa lit/translate/never-written --preset xbar32-bus16
// EXPECT-ERROR: rram-translate: 'lit/translate/emit-isa-put-without-remote-writes.mlir': the programs do not fit chip 'xbar32-bus16': the programs PUT partial sums into other cores' local memory, the chip has no core.remote_writes
// Programs that forward partial sums (rram-sync{exchange=forward}) need a
// chip whose cores write each other's local memory; the published presets'
// cores do not, and nothing is written.
module {
  func.func @core_0() attributes {msg.core = 0 : i64} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    "msg.put"(%c1, %c0, %c0, %c1) {class = "partial", n = 2 : i64} : (index, index, index, index) -> ()
    return
  }
  func.func @core_1() attributes {msg.core = 1 : i64} {
    %c1 = arith.constant 1 : index
    "msg.wait"(%c1) : (index) -> ()
    return
  }
}
