// RUN: rramc compile --zoo lenet5 --preset xbar32-bus4 --summary
// LeNet-5's convs and dense layers on 32x32 crossbars with 4 cells per
// weight: the second conv's 150 x 64 matrix needs a horizontal group of 5
// (PV = 5), twice; the first dense layer's 400 x 480 one 13 x 15 tiles.
// Duplication (exact, by default) gives the first conv's 28 output rows a
// replica each and the second conv's 10 rows two; the dense layers, one
// output row each, stay at one.
