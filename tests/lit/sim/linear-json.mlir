// RUN: rram-sim lit/sim/linear --json
// The statistics as JSON, for scripts.
