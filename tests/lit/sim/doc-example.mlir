// RUN: rram-sim lit/sim/doc-example --functional --dump 16:8
// The worked example of docs/isa.md (its three code blocks, copied): the
// doc derives 4546 cycles, the per-core breakdown and 112 bus bytes by hand.
