// RUN: rram-sim lit/sim/racy --preset xbar32-bus4
// Timing runs compute no values and check no races; another architecture
// may be given instead of the directory's.
