#!/usr/bin/env bash
# Serving-speed benchmark (issue 18; numbers are printed, never asserted): one hour of Poisson
# arrivals at 50 requests/s, 1,024 in / 256 out tokens (180,175 requests with seed 1), on one
# 8-GPU instance (bench/serving/hour-50rps.yaml: Llama 3.1 70B FP8, TP 8, 8 x MI355X). Each
# variant is `racksim run` with the `--set`s given; it prints wall and CPU seconds, peak resident
# memory, the simulated time, the requests and iterations simulated, and iterations per CPU
# second. Variants: max_num_seqs 1024 (the scenario), and vLLM's default 256.
# usage: tools/bench-serving.sh; needs ./build/racksim and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./build/racksim
[ -x "$bin" ] || { echo "build racksim first: cmake --preset default && cmake --build --preset default" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf "%-18s %8s %8s %12s %12s %9s %11s %16s\n" variant wall_s cpu_s peak_rss_MiB simulated_s requests iterations iterations_per_cpu_s
run() {
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.$name" "$bin" run bench/serving/hour-50rps.yaml --quiet \
      --out "$work/out.$name" "$@"
  read -r wall user sys rss_kb < "$work/time.$name"
  python3 - "$work/out.$name/summary.json" "$name" "$wall" "$user" "$sys" "$rss_kb" <<'PY'
import json, sys
path, name, wall, user, sys_s, rss = sys.argv[1:]
d = json.load(open(path))
s = d["serving"]
cpu = float(user) + float(sys_s)
print("%-18s %8.2f %8.2f %12.1f %12.1f %9d %11d %16.0f" % (name, float(wall), cpu, int(rss) / 1024.0,
      d["simulated_time_s"], s["requests"], s["batch"]["iterations"], s["batch"]["iterations"] / cpu))
PY
}
run max_num_seqs=1024
run max_num_seqs=256 --set workload.scheduler.max_num_seqs=256
