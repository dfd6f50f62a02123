// RUN: rram-opt %s --pass-pipeline='builtin.module(nn-fold-batchnorm,nn-fold-everything)'
// EXPECT-ERROR: rram-opt: unknown pass 'nn-fold-everything' (did you mean 'nn-fold-batchnorm'?); rram-opt --list-passes lists them
func.func @main() { return }
