// RUN: rram-sim lit/sim/racy --arch lit/chips/tiny-wide-bus.toml
// Timing runs compute no values and check no races; another chip that the
// programs fit may be given instead of the directory's (the chip they were
// compiled for), and the first line names both.
