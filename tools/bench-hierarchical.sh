#!/usr/bin/env bash
# Simulator-speed benchmark (numbers are printed, never asserted): a hierarchical all-reduce of
# 1 GiB across Helios racks (racksim predict collective): reduce-scatter in each rack over UALoE,
# all-reduce per rail across racks over the Vulcano 800G planes, all-gather in each rack. For
# each size it prints wall seconds, peak resident memory, simulated seconds, transfers and
# transfers per wall second.
# usage: tools/bench-hierarchical.sh [RACKS...]   (default: 16 128 = 1,152 and 9,216 GPUs);
# needs ./build/racksim and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./build/racksim
[ -x "$bin" ] || { echo "build racksim first: cmake --preset default && cmake --build --preset default" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 2; }
racks=("$@")
[ ${#racks[@]} -gt 0 ] || racks=(16 128)
out=$(mktemp -d)
printf "%-6s %-7s %10s %13s %14s %12s %16s\n" racks gpus wall_s peak_rss_MiB simulated_s transfers transfers_per_s
for r in "${racks[@]}"; do
  gpus=$((r * 72))
  /usr/bin/time -f "%e %M" -o "$out/time.$r" "$bin" predict collective --system helios --op all_reduce --bytes 1GiB \
      --gpus "$gpus" --nodes "$r" --algorithm hierarchical --json > "$out/$r.json"
  read -r wall rss_kb < "$out/time.$r"
  sim=$(grep -m1 '"time_s"' "$out/$r.json" | sed 's/.*: //; s/,//')
  transfers=$(grep -m1 '"transfers": [0-9]' "$out/$r.json" | sed 's/.*: //; s/,//')
  awk -v r="$r" -v g="$gpus" -v w="$wall" -v s="$sim" -v t="$transfers" -v m="$rss_kb" 'BEGIN {
        printf "%-6s %-7s %10.2f %13.1f %14.6g %12d %16.0f\n", r, g, w, m / 1024, s, t, (w > 0 ? t / w : 0) }'
done
rm -rf "$out"
