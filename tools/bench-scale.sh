#!/usr/bin/env bash
# Scale benchmark (numbers are printed, never asserted): one Llama 3 405B training step
# on 16, 128, 456 and 1,821 Helios racks (1,152 to 131,112 GPUs) and the 128-rack variants with a
# 2:1 oversubscribed leaf tier and with a spine switch down (scenarios/llama3-405b-16rack.yaml,
# bench/scale/*.yaml). For each it
# prints wall seconds, peak resident memory, the simulated step time, whether the run was
# reduced (sim/engine/reduction.hpp), the transfers SimGrid simulated and those the closed-form
# evaluation timed, and transfers per wall second (both kinds together). The last line gives the
# growth exponent of wall time between the smallest and the largest size.
# usage: tools/bench-scale.sh [--full] [SCENARIO...]
#   --full   also run the 1,152-GPU step with simulation.fidelity: full (every rank and flow)
#            and print reduced vs full
# needs ./build/racksim, GNU time and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./build/racksim
[ -x "$bin" ] || { echo "build racksim first: cmake --workflow --preset test" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 2; }
command -v python3 > /dev/null || { echo "needs python3: apt-get install python3" >&2; exit 2; }
full=0
if [ "${1:-}" = "--full" ]; then full=1; shift; fi
scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
  scenarios=(scenarios/llama3-405b-16rack.yaml bench/scale/llama3-405b-128rack.yaml
             bench/scale/llama3-405b-128rack-oversub2.yaml bench/scale/llama3-405b-128rack-spine-down.yaml
             bench/scale/llama3-405b-456rack.yaml bench/scale/llama3-405b-1821rack.yaml)
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
row() {  # scenario label extra-args...
  local f=$1 label=$2
  shift 2
  /usr/bin/time -f "%e %M" -o "$out/time" "$bin" run "$f" --quiet --out "$out/run" "$@"
  read -r wall rss_kb < "$out/time"
  python3 - "$out/run/summary.json" "$label" "$wall" "$rss_kb" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
label, wall, rss = sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
sim = d["simulation"]
sg = d["workload"]["transfers"]
ev = sim.get("evaluated_transfers", 0)
print(f"{label:<34} {d['gpus']:>8,} {wall:>8.1f} {rss / 1024:>9.0f} {d['simulated_time_s']:>10.4f} "
      f"{'yes' if sim['reduced'] else 'no':>7} {sg:>12,} {ev:>12,} {(sg + ev) / wall if wall > 0 else 0:>13,.0f}")
EOF
  rm -rf "$out/run"
}
printf "%-34s %8s %8s %9s %10s %7s %12s %12s %13s\n" scenario gpus wall_s rss_MiB step_s reduced sg_transfers evaluated transfers_per_s
for f in "${scenarios[@]}"; do
  row "$f" "$(basename "$f" .yaml)"
  echo "$(basename "$f" .yaml) $(cat "$out/time")" >> "$out/walls"
done
if [ $full -eq 1 ]; then
  row scenarios/llama3-405b-16rack.yaml "llama3-405b-16rack (fidelity full)" --set simulation.fidelity=full
fi
# Growth exponent of wall time, smallest to largest size: log(w2/w1) / log(n2/n1).
python3 - "$out/walls" <<'EOF'
import math, sys
rows = [l.split() for l in open(sys.argv[1])]
sizes = {"llama3-405b-16rack": 1152, "llama3-405b-128rack": 9216, "llama3-405b-456rack": 32832, "llama3-405b-1821rack": 131112}
pts = [(sizes[r[0]], float(r[1])) for r in rows if r[0] in sizes]
if len(pts) >= 2:
    (n1, w1), (n2, w2) = min(pts), max(pts)
    print(f"wall time grows as N^{math.log(w2 / w1) / math.log(n2 / n1):.3f} from {n1:,} to {n2:,} GPUs")
EOF
