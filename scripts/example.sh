#!/usr/bin/env bash
# The main job on a built-in default: compile the conv -> batchnorm -> relu
# block of examples/conv-bn-relu-3x3.mlir for the published setup
# xbar32-bus16 in each synchronization scheme (rram-opt: fold the batchnorm,
# tile, place, synchronize; rram-translate: per-core instruction-set
# programs), simulate each (rram-sim) and compare them with the parallelism
# limit PV. Extra arguments go to rram-sim (e.g. --functional is not useful
# here: the example carries no weights; try --json).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-mlir.sh
cargo build --quiet -p rram-tools
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tool() { cargo run --quiet -p rram-tools --bin "$@"; }
preset=xbar32-bus16
tool rram-opt -- examples/conv-bn-relu-3x3.mlir -o "$work/tiled.mlir" --pass-pipeline="builtin.module(\
nn-verify-shapes,nn-fold-batchnorm,canonicalize,cse,rram-tile{rows=32 cols=32 slices=4},\
rram-place{cores=1024 crossbars=1})"
for mode in sequential linear cyclic; do
  tool rram-opt -- "$work/tiled.mlir" -o "$work/$mode.mlir" --pass-pipeline="builtin.module(rram-sync{mode=$mode})"
  tool rram-translate -- "$work/$mode.mlir" --emit-isa "$work/$mode" --preset "$preset" > "$work/$mode.layout"
  tool rram-sim -- "$work/$mode" "$@" > "$work/$mode.stats"
done
cat "$work/cyclic.layout"
echo
echo "cyclic schedule, simulated:"
cat "$work/cyclic.stats"
echo
# PV: the cores that accumulate into each output vector (the tile grid's h).
pv=$(grep -o 'h = [0-9]* : i64' "$work/tiled.mlir" | head -1 | grep -o '[0-9]*' | head -1)
seq=$(awk '/^cycles/ {print $2}' "$work/sequential.stats")
printf '%-12s %12s %10s %10s\n' scheme cycles speedup "% of PV"
printf '%-12s %12d %10s %10s\n' sequential "$seq" baseline -
for mode in linear cyclic; do
  cycles=$(awk '/^cycles/ {print $2}' "$work/$mode.stats")
  awk -v m="$mode" -v c="$cycles" -v s="$seq" -v pv="$pv" \
    'BEGIN { printf "%-12s %12d %9.2fx %9.1f%%\n", m, c, s / c, 100 * s / c / pv }'
done
