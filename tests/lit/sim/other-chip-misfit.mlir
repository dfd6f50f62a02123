// RUN: rram-sim lit/sim/racy --preset xbar32-bus4
// EXPECT-ERROR: rram-sim: lit/sim/racy: the programs are compiled for chip 'tiny', whose weights take 1 cells, chip 'xbar32-bus4' cuts them into 4: compile them again for that chip
// A program is not run on a chip that stores its weights otherwise: its
// crossbars hold 8-bit weights in one cell each, the preset's in four.
