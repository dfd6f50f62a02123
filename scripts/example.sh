#!/usr/bin/env bash
# The main job on a built-in default: the zoo's ResNet-18 compiled whole for
# the 'wholenet' chip (4096 cores of two 128x128 crossbars, a 64-byte bus),
# every layer on the chip (convs and the dense layer on crossbars, pooling
# and residual adds on vector units), synchronized layer by layer, and one
# inference simulated. Prints the headline (latency, cores, bus, the slowest
# layers) and the per-layer table. Everything stays in out/example: nn.mlir,
# xbar.mlir, msg.mlir, the per-core programs, report.json, report.md,
# timeline.svg and trace.json (open it in ui.perfetto.dev).
#
# Extra arguments go to rramc compile, e.g. --zoo mobilenet_v2, --import-onnx
# models/resnet50.struct.onnx, --preset NAME, --cores auto, --set KEY=VALUE.
# scripts/layer-example.sh compares the synchronization schemes on one layer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-mlir.sh
cargo build --quiet -p rram-tools
network=(--zoo resnet18)
preset=(--preset wholenet)
for arg in "$@"; do
  case $arg in
    --zoo|--zoo=*|--import-onnx|--import-onnx=*) network=() ;;
    --preset|--preset=*|--arch|--arch=*) preset=() ;;
  esac
done
out=out/example
target/debug/rramc compile "${network[@]}" "${preset[@]}" "$@" -o "$out"
echo
sed -n '/^| layer /,$p' "$out/report.md"
echo
echo "Written to $out: $(cd "$out" && echo *)"
