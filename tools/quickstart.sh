#!/usr/bin/env bash
# One command from a fresh clone: install packages, build, run the default scenario
# (scenarios/helios.yaml) and print its summary. Results go to racksim-out/helios-NNN/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake --preset default
cmake --build --preset default
./build/racksim run "$@"
