#!/usr/bin/env bash
# The main job on a built-in default: rram-opt verifies the shapes of a shipped
# conv -> batchnorm -> relu block, folds the batchnorm into the conv and cleans
# up with upstream canonicalize and cse. Extra arguments go to rram-opt.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-mlir.sh
cargo run --quiet -p rram-tools --bin rram-opt -- examples/conv-bn-relu.mlir \
  --pass-pipeline='builtin.module(nn-verify-shapes,nn-fold-batchnorm,canonicalize,cse)' "$@"
