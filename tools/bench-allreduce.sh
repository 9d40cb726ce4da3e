#!/usr/bin/env bash
# Simulator-speed benchmark (numbers are printed, never asserted): a 1 GiB ring all-reduce on
# 72, 576 and 4,608 GPUs (1, 8 and 64 Helios racks). For each size it prints wall seconds,
# simulated seconds, peak resident memory and transfers simulated per wall second.
# usage: tools/bench-allreduce.sh [RACKS...]   (default: 1 8 64); needs ./build/racksim and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./build/racksim
[ -x "$bin" ] || { echo "build racksim first: cmake --preset default && cmake --build --preset default" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 2; }
racks=("$@")
[ ${#racks[@]} -gt 0 ] || racks=(1 8 64)
out=$(mktemp -d)
printf "%-8s %-8s %12s %14s %14s %12s %18s\n" racks gpus wall_s simulated_s transfers peak_rss_MiB transfers_per_s
for r in "${racks[@]}"; do
  gpus=$((r * 72))
  /usr/bin/time -f "%e %M" -o "$out/time.$r" "$bin" run bench/ring-allreduce.yaml --quiet --out "$out/$r" \
      --set cluster.domains="$r" --set workload.file="traces/ring-allreduce-$gpus.yaml"
  read -r wall rss_kb < "$out/time.$r"
  sim=$(grep -m1 '"simulated_time_s"' "$out/$r/summary.json" | sed 's/.*: //; s/,//')
  transfers=$(grep -m1 '"transfers": [0-9]' "$out/$r/summary.json" | sed 's/.*: //; s/,//')
  awk -v r="$r" -v g="$gpus" -v w="$wall" -v s="$sim" -v t="$transfers" -v m="$rss_kb" 'BEGIN {
        printf "%-8s %-8s %12.2f %14.6g %14d %12.1f %18.0f\n", r, g, w, s, t, m / 1024, (w > 0 ? t / w : 0) }'
done
rm -rf "$out"
