#!/usr/bin/env bash
# One layer in every scheme: compile the conv -> batchnorm -> relu
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
# The chip is recorded on the module (rram.arch): tiling, placement and
# synchronization read it, rram-translate writes it into the program
# directory, rram-sim runs on it.
fold="nn-verify-shapes,nn-fold-batchnorm,canonicalize,cse"
tool rram-opt -- examples/conv-bn-relu-3x3.mlir --preset "$preset" -o "$work/tiled.mlir" \
  --pass-pipeline="builtin.module($fold,rram-tile,rram-place)"
schemes=(sequential linear cyclic forward)
for scheme in "${schemes[@]}"; do
  case $scheme in
    # Forwarding needs a chip whose cores write each other's local memory.
    forward) tool rram-opt -- examples/conv-bn-relu-3x3.mlir --preset "$preset" --set core.remote_writes=true \
               -o "$work/$scheme.mlir" \
               --pass-pipeline="builtin.module($fold,rram-tile,rram-place,rram-sync{mode=linear exchange=forward})" ;;
    *) tool rram-opt -- "$work/tiled.mlir" -o "$work/$scheme.mlir" --pass-pipeline="builtin.module(rram-sync{mode=$scheme})" ;;
  esac
  tool rram-translate -- "$work/$scheme.mlir" --emit-isa "$work/$scheme" > "$work/$scheme.layout"
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
