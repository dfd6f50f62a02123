// The `msg` dialect: per-core programs that exchange messages.
//
// A program is a `func.func` carrying a `msg.core = N : i64` attribute; pixel
// loops are `scf.for`, so IR size does not grow with the pixel count.
// Addresses into shared memory are `index` operands (computed with `arith`
// from loop indices); local-memory addresses and sizes are attributes. Each
// op maps to one instruction of the instruction set.
irdl.dialect @msg {
  // Shared memory -> local memory, `bytes` long, over the bus. `class` tells
  // what the traffic is for: "input", "partial", "output" or "sync".
  irdl.operation @load {
    %addr = irdl.is index
    %bytes = irdl.base "#builtin.integer"
    %local = irdl.base "#builtin.integer"
    %class = irdl.base "#builtin.string"
    irdl.operands(address: %addr)
    irdl.attributes {"bytes" = %bytes, "local" = %local, "class" = %class}
  }

  // Local memory -> shared memory.
  irdl.operation @store {
    %addr = irdl.is index
    %bytes = irdl.base "#builtin.integer"
    %local = irdl.base "#builtin.integer"
    %class = irdl.base "#builtin.string"
    irdl.operands(address: %addr)
    irdl.attributes {"bytes" = %bytes, "local" = %local, "class" = %class}
  }

  // Crossbar `crossbar` of this core: local[dst..] = W^T local[src..].
  irdl.operation @mvm {
    %crossbar = irdl.base "#builtin.integer"
    %src = irdl.base "#builtin.integer"
    %dst = irdl.base "#builtin.integer"
    irdl.attributes {"crossbar" = %crossbar, "src" = %src, "dst" = %dst}
  }

  // Vector unit: local[dst..dst+len] = op(local[srcs[0]..], local[srcs[1]..]).
  // op is one of add, bias, relu, clip, max, avg.
  irdl.operation @alu {
    %op = irdl.base "#builtin.string"
    %dst = irdl.base "#builtin.integer"
    %srcs = irdl.base "#builtin.dense_array"
    %len = irdl.base "#builtin.integer"
    irdl.attributes {"op" = %op, "dst" = %dst, "srcs" = %srcs, "len" = %len}
  }

  // Writes `value` into core `core`'s sequence register over the bus.
  irdl.operation @call {
    %value = irdl.is index
    %core = irdl.base "#builtin.integer"
    irdl.operands(value: %value)
    irdl.attributes {"core" = %core}
  }

  // Blocks until this core's sequence register reaches `value`.
  irdl.operation @wait {
    %value = irdl.is index
    irdl.operands(value: %value)
  }

  // All cores meet here (baseline synchronization).
  irdl.operation @barrier {
    %id = irdl.base "#builtin.integer"
    irdl.attributes {"id" = %id}
  }
}
