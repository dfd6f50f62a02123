// RUN: rramc compile --zoo lenet5 --preset xbar32-bus4 --summary
// LeNet-5's convs and dense layers on 32x32 crossbars with 4 cells per
// weight: the second conv's 150 x 64 matrix needs a horizontal group of 5
// (PV = 5), twice; the first dense layer's 400 x 480 one 13 x 15 tiles.
