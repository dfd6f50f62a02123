// RUN: rram-sim lit/sim/racy --functional
// EXPECT-ERROR: rram-sim: core 0 instruction
// EXPECT-ERROR: race on shared word 100
