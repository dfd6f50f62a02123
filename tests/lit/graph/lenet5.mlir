// RUN: rramc graph --zoo lenet5
// LeNet-5's layer graph: each ReLU fused into the conv or dense layer before
// it, the flatten folded into the edge from the last pool to the first dense
// layer (which reads the pool's 1x16x5x5 output as 1x400).
