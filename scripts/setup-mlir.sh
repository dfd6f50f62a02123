#!/usr/bin/env bash
# Installs Debian's MLIR 22 packages that melior 0.27 links against, if any are missing.
# Idempotent and quiet when everything is already there.
set -euo pipefail

packages=(libmlir-22-dev mlir-22-tools llvm-22-dev libpolly-22-dev libclang1-22
          libclang-common-22-dev libzstd-dev zlib1g-dev g++)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup-mlir: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
