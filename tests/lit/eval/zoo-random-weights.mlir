// RUN: rramc eval --zoo lenet5 --random-weights --input ../models/lenet5.input.txt
// A zoo network has no weight data: --random-weights gives it deterministic
// pseudo-random weights, so the output is the same on every run.
