// RUN: rramc compile lit/graph/hand-written.mlir --preset xbar32-bus16 --summary
// The hand-written module of lit/graph/hand-written.mlir, mapped onto the
// crossbars of a published chip: the folded conv, the depthwise conv and the
// dense layer get tiles; the pooling, the add and the concat do not. The
// two convs get 6 replicas each (exact duplication, the default).
