// The `msg` dialect: per-core programs that exchange messages.
//
// A program is a `func.func` carrying a `msg.core = N : i64` attribute; pixel
// loops are `scf.for`, so IR size does not grow with the pixel count. Cores
// that run the same code at other addresses share it: a `func.func` with
// `msg.role` takes those addresses (and the cores it signals) as `index`
// arguments, and each core's program calls it (`func.call`). Each op is one
// instruction of the instruction set (docs/isa.md), one op per mnemonic.
// Every address (local or shared), every sequence value and every core an
// op signals is an `index` operand, computed with `arith` from loop counters
// and role arguments; word counts, crossbar numbers, traffic classes and
// constants of the vector unit are attributes. Memories count 32-bit words.
irdl.dialect @msg {
  // Declares crossbar `crossbar` of this core, holding a `rows` x `cols`
  // weight matrix (the `.xbar K RxC` line of a core's program).
  irdl.operation @crossbar {
    %crossbar = irdl.base "#builtin.integer"
    %rows = irdl.base "#builtin.integer"
    %cols = irdl.base "#builtin.integer"
    irdl.attributes {"crossbar" = %crossbar, "rows" = %rows, "cols" = %cols}
  }

  // LOAD: local[local..local+n] = shared[shared..shared+n] over the bus.
  // `class` tells what the traffic is for: "input", "partial", "output" or
  // "sync"; it fixes the bytes per word on the bus.
  irdl.operation @load {
    %local = irdl.is index
    %shared = irdl.is index
    %n = irdl.base "#builtin.integer"
    %class = irdl.base "#builtin.string"
    irdl.operands(local: %local, shared: %shared)
    irdl.attributes {"n" = %n, "class" = %class}
  }

  // STORE: shared[shared..shared+n] = local[local..local+n] over the bus.
  irdl.operation @store {
    %shared = irdl.is index
    %local = irdl.is index
    %n = irdl.base "#builtin.integer"
    %class = irdl.base "#builtin.string"
    irdl.operands(shared: %shared, local: %local)
    irdl.attributes {"n" = %n, "class" = %class}
  }

  // MOV: local[dst..dst+n] = local[src..src+n].
  irdl.operation @mov {
    %dst = irdl.is index
    %src = irdl.is index
    %n = irdl.base "#builtin.integer"
    irdl.operands(dst: %dst, src: %src)
    irdl.attributes {"n" = %n}
  }

  // MVM: local[dst..] = W^T local[src..] with this core's crossbar `crossbar`.
  irdl.operation @mvm {
    %dst = irdl.is index
    %src = irdl.is index
    %crossbar = irdl.base "#builtin.integer"
    irdl.operands(dst: %dst, src: %src)
    irdl.attributes {"crossbar" = %crossbar}
  }

  // ADD: local[dst+i] = local[a+i] + local[b+i] for i < n.
  irdl.operation @add {
    %dst = irdl.is index
    %a = irdl.is index
    %b = irdl.is index
    %n = irdl.base "#builtin.integer"
    irdl.operands(dst: %dst, a: %a, b: %b)
    irdl.attributes {"n" = %n}
  }

  // BIAS: as ADD, `b` being a bias vector.
  irdl.operation @bias {
    %dst = irdl.is index
    %a = irdl.is index
    %b = irdl.is index
    %n = irdl.base "#builtin.integer"
    irdl.operands(dst: %dst, a: %a, b: %b)
    irdl.attributes {"n" = %n}
  }

  // MAX: local[dst+i] = max(local[a+i], local[b+i]).
  irdl.operation @max {
    %dst = irdl.is index
    %a = irdl.is index
    %b = irdl.is index
    %n = irdl.base "#builtin.integer"
    irdl.operands(dst: %dst, a: %a, b: %b)
    irdl.attributes {"n" = %n}
  }

  // RELU: local[dst+i] = max(local[a+i], 0).
  irdl.operation @relu {
    %dst = irdl.is index
    %a = irdl.is index
    %n = irdl.base "#builtin.integer"
    irdl.operands(dst: %dst, a: %a)
    irdl.attributes {"n" = %n}
  }

  // CLIP: local[dst+i] = min(max(local[a+i], lo), hi).
  irdl.operation @clip {
    %dst = irdl.is index
    %a = irdl.is index
    %n = irdl.base "#builtin.integer"
    %lo = irdl.base "#builtin.float"
    %hi = irdl.base "#builtin.float"
    irdl.operands(dst: %dst, a: %a)
    irdl.attributes {"n" = %n, "lo" = %lo, "hi" = %hi}
  }

  // AVG: local[dst+i] = local[a+i] / count (the last step of average pooling).
  irdl.operation @avg {
    %dst = irdl.is index
    %a = irdl.is index
    %n = irdl.base "#builtin.integer"
    %count = irdl.base "#builtin.integer"
    irdl.operands(dst: %dst, a: %a)
    irdl.attributes {"n" = %n, "count" = %count}
  }

  // REQUANT: local[dst+i] = local[a+i] / 2^shift, rounded (halves up) and
  // saturated to int8: an int8 network's layer output made int8 again.
  irdl.operation @requant {
    %dst = irdl.is index
    %a = irdl.is index
    %n = irdl.base "#builtin.integer"
    %shift = irdl.base "#builtin.integer"
    irdl.operands(dst: %dst, a: %a)
    irdl.attributes {"n" = %n, "shift" = %shift}
  }

  // PUT: core `core`'s local[dst..dst+n] = local[src..src+n], then its
  // sequence register raised to `signal`: one bus transaction (a remote
  // write with a signal; architectures with core.remote_writes).
  // The core is an operand, so that one program of a role (msg.role) can
  // name the cores of each instance it runs as.
  irdl.operation @put {
    %core = irdl.is index
    %dst = irdl.is index
    %src = irdl.is index
    %signal = irdl.is index
    %n = irdl.base "#builtin.integer"
    %class = irdl.base "#builtin.string"
    irdl.operands(core: %core, dst: %dst, src: %src, signal: %signal)
    irdl.attributes {"n" = %n, "class" = %class}
  }

  // CALL: raises core `core`'s sequence register `register` (a constant;
  // register 0 when absent) to `value`, over the bus.
  irdl.operation @call {
    %core = irdl.is index
    %value = irdl.is index
    %register = irdl.is index
    irdl.operands(core: %core, value: %value, register: optional %register)
  }

  // WAIT: blocks until this core's sequence register `register` (register 0
  // when absent) reaches `value`.
  irdl.operation @wait {
    %value = irdl.is index
    %register = irdl.is index
    irdl.operands(value: %value, register: optional %register)
  }

  // BARRIER: all cores that have not halted meet here.
  irdl.operation @barrier {
    %id = irdl.base "#builtin.integer"
    irdl.attributes {"id" = %id}
  }

  // HALT: the core stops.
  irdl.operation @halt {
  }
}
