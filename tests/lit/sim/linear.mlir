// RUN: rram-sim lit/sim/linear --functional --dump 100:8
// Two cores accumulate 4 output vectors with linear hand-offs. By hand:
// relu(W^T x + b) = 50.5 0 | 114.5 40 | 0 0 | 8.5 0.
