// RUN: rram-opt %s --rram-place
// EXPECT-ERROR: error: lit/chip/bad-arch-attribute.mlir: attribute 'rram.arch': crossbar.rows must be between 1 and 4096, got 0
// The chip a module carries is checked like an architecture file.
module attributes {rram.arch = {crossbar = {rows = 0 : i64}, name = "edited"}} {
}
