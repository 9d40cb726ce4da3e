#!/usr/bin/env bash
# Installs the Debian 12 packages racksim needs to build and test. Idempotent: apt is only
# called when a package is missing. Uses sudo when not run as root.
set -euo pipefail
packages=(cmake g++ make pkg-config diffutils
          time libsimgrid-dev libboost-graph-dev libyaml-cpp-dev libfmt-dev catch2
          libprotobuf-dev protobuf-compiler
          chromium   # report.html is rendered headless in the tests
          hipcc      # the HIP microbenchmarks are compiled for gfx90a in the tests (validation/hip)
          clang libclang-rt-14-dev)  # the libFuzzer harnesses of the readers (tests/fuzz, preset fuzz)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
