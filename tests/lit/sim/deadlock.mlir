// RUN: rram-sim lit/sim/deadlock
// EXPECT-ERROR: rram-sim: deadlock: every unfinished core waits and nothing can wake it: core 1 instruction 4 (p=3) (WAIT 5) waits for its sequence register to reach 5; it is 4
