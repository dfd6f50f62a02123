#!/usr/bin/env bash
# The test command: installs what is missing (Debian's MLIR 22), then checks
# formatting and lints and runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-mlir.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace
