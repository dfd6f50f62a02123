// RUN: rram-sim lit/sim/weights-vs-cells --preset xbar32-bus16
// EXPECT-ERROR: rram-sim: the programs do not fit chip 'xbar32-bus16': crossbar 0 of core 0 holds 32 rows x 32 weights of 4 cells = 32 x 128 cells, the chip's crossbars have 32 x 32 (crossbar.rows x crossbar.cols)
// `.xbar K RxC` counts weights, the chip's crossbar.cols counts cells: 32
// weights of 4 cells do not fit a 32-cell crossbar row (8 weights do).
