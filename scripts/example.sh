#!/usr/bin/env bash
# The main job on a built-in default: compile the conv -> batchnorm -> relu
# block of examples/conv-bn-relu-3x3.mlir for the published setup
# xbar32-bus16 in each synchronization scheme (rram-opt: fold the batchnorm,
# tile, place, synchronize; rram-translate: per-core instruction-set
# programs), simulate each (rram-sim) and compare them with the parallelism
# limit PV. The last scheme, linear forward, passes partial sums core to
# core (rram-sync{exchange=forward}); it runs on the same chip with
# core.remote_writes turned on. Extra arguments go to rram-sim (e.g. --functional is not useful
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
schemes=(sequential linear cyclic forward)
for scheme in "${schemes[@]}"; do
  case $scheme in
    forward) options="mode=linear exchange=forward"; chip=(--preset "$preset" --set core.remote_writes=true) ;;
    *) options="mode=$scheme"; chip=(--preset "$preset") ;;
  esac
  tool rram-opt -- "$work/tiled.mlir" -o "$work/$scheme.mlir" --pass-pipeline="builtin.module(rram-sync{$options})"
  tool rram-translate -- "$work/$scheme.mlir" --emit-isa "$work/$scheme" "${chip[@]}" > "$work/$scheme.layout"
  tool rram-sim -- "$work/$scheme" "$@" > "$work/$scheme.stats"
done
cat "$work/cyclic.layout"
echo
echo "cyclic schedule, simulated:"
cat "$work/cyclic.stats"
echo
# The simulated cycles, from the table or from --json's top-level field.
cycles_of() { awk '/^cycles / {print $2} /^  "cycles": / {print $2 + 0}' "$work/$1.stats"; }
# PV: the cores that accumulate into each output vector (the tile grid's h).
pv=$(grep -o 'h = [0-9]* : i64' "$work/tiled.mlir" | head -1 | grep -o '[0-9]*' | head -1)
seq=$(cycles_of sequential)
printf '%-15s %12s %10s %10s\n' scheme cycles speedup "% of PV"
printf '%-15s %12d %10s %10s\n' sequential "$seq" baseline -
for scheme in linear cyclic forward; do
  cycles=$(cycles_of "$scheme")
  name=$scheme; [ "$scheme" = forward ] && name="linear forward"
  awk -v m="$name" -v c="$cycles" -v s="$seq" -v pv="$pv" \
    'BEGIN { printf "%-15s %12d %9.2fx %9.1f%%\n", m, c, s / c, 100 * s / c / pv }'
done
