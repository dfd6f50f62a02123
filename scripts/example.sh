#!/usr/bin/env bash
# The main job on a built-in default: the zoo's ResNet-18 compiled whole for
# the 'wholenet' chip (4096 cores of two 128x128 crossbars, a 64-byte bus, 8
# sequence registers per core), every layer on the chip (convs and the dense
# layer on crossbars, pooling and residual adds on vector units), in both
# modes: layer by layer (a barrier after each layer) and pipelined (a core
# starts an output row once the input rows it reads are written), the slow
# layers replicated on the cores to spare (exact weight duplication, the
# default; --duplicate none keeps one copy of each). One inference of each
# is simulated. Prints each headline (latency, cores, bus,
# the speedup of pipelined over layer by layer, the layers that take longest)
# and the pipelined per-layer table. Everything stays in out/example/<mode>:
# nn.mlir, xbar.mlir, msg.mlir, the per-core programs, report.json,
# report.md, timeline.svg and trace.json (open it in ui.perfetto.dev).
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
for mode in layer-by-layer pipelined; do
  target/debug/rramc compile "${network[@]}" "${preset[@]}" "$@" --network-sync "$mode" -o "out/example/$mode"
  echo
done
sed -n '/^| layer /,$p' out/example/pipelined/report.md
echo
echo "Written to out/example/layer-by-layer and out/example/pipelined: $(cd out/example/pipelined && echo *)"
