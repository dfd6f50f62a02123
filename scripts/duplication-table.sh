#!/usr/bin/env bash
# The weight-duplication results of docs/duplication.md: each network of the
# zoo given (default: resnet18 mobilenet_v2 vgg16) compiled whole for the
# 'wholenet' chip with --cores auto (a duplication budget of twice the cores
# its weights need), with duplication none, greedy and exact, layer by layer
# and pipelined, N inputs streamed back to back (INFERENCES, default 4).
# Prints one line per compilation: latency of one inference, the
# steady-state interval and throughput of the stream, cores used, bus use.
# The compilations stay in out/duplication/<network>-<sync>-<mode>.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-mlir.sh
cargo build --quiet --release -p rram-tools
inferences=${INFERENCES:-4}
networks=("$@")
[ ${#networks[@]} -gt 0 ] || networks=(resnet18 mobilenet_v2 vgg16)
field() { grep -o "\"$1\": [0-9.e+-]*" "$2" | head -1 | sed 's/.*: //'; }
printf '%-13s %-15s %-6s %12s %14s %12s %6s %5s\n' network sync dup latency interval inf/s cores bus%
for network in "${networks[@]}"; do
  for sync in layer-by-layer pipelined; do
    for mode in none greedy exact; do
      out=out/duplication/$network-$sync-$mode
      target/release/rramc compile --zoo "$network" --preset wholenet --cores auto --network-sync "$sync" \
        --duplicate "$mode" --inferences "$inferences" -o "$out" > /dev/null
      report=$out/report.json
      printf '%-13s %-15s %-6s %12s %14.0f %12.1f %6s %5.1f\n' "$network" "$sync" "$mode" \
        "$(field latency_cycles "$report")" "$(field steady_state_interval_cycles "$report")" \
        "$(field throughput_inferences_per_s "$report")" "$(field cores_used "$report")" \
        "$(awk "BEGIN { print 100 * $(field bus_utilization "$report") }")"
    done
  done
done
