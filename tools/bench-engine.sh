#!/usr/bin/env bash
# Engine-speed benchmark (issue 22; numbers are printed, never asserted): N ranks on one switch
# with equal links, each running 10 iterations of (100 us of compute, then a 64 MiB ring
# all-reduce over all ranks): the workload of the issue's side-by-side table with ASTRA-sim. For
# each N it writes the trace, runs `racksim run bench/engine/ring-switch.yaml` with
# cluster.scale_up.gpus=N, and prints wall and CPU seconds, peak resident memory, simulated time,
# transfers, transfers per CPU second, and the growth exponent of CPU time from the previous N
# (log(cpu ratio) / log(N ratio); a ring all-reduce has 2N(N-1) transfers, so 2 is the floor).
# usage: tools/bench-engine.sh [--set KEY=VALUE]... [N...]   (default: 64 256); needs ./build/racksim
# and GNU time. --set passes an override to every run: --set simulation.collective_timing=transfers
# times every transfer in SimGrid (the engine before closed-form calls; docs/scale.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./build/racksim
[ -x "$bin" ] || { echo "build racksim first: cmake --preset default && cmake --build --preset default" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 2; }
extra=()
sizes=()
while [ $# -gt 0 ]; do
  case "$1" in
    --set) extra+=(--set "$2"); shift 2 ;;
    *) sizes+=("$1"); shift ;;
  esac
done
[ ${#sizes[@]} -gt 0 ] || sizes=(64 256)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp bench/engine/ring-switch.yaml "$work/"
printf "%-6s %9s %9s %12s %14s %12s %16s %9s\n" N wall_s cpu_s peak_rss_MiB simulated_s transfers transfers_per_cpu_s exponent
prev_n="" prev_cpu=""
for n in "${sizes[@]}"; do
  {
    echo "racksim_trace: 1"
    echo "name: ring-iterations-$n"
    echo "ranks: $n"
    echo "programs:"
    echo "  - ranks: all"
    echo "    ops:"
    dep=""
    for i in 0 1 2 3 4 5 6 7 8 9; do
      echo "      - {id: c$i, kind: delay, duration: 100 us$dep}"
      echo "      - {id: ar$i, kind: all_reduce, group: world, bytes: 64 MiB, algorithm: ring, deps: [c$i]}"
      dep=", deps: [ar$i]"
    done
  } > "$work/ring-iterations-$n.yaml"
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.$n" "$bin" run "$work/ring-switch.yaml" --quiet --out "$work/out.$n" \
      --set cluster.scale_up.gpus="$n" --set workload.file="ring-iterations-$n.yaml" ${extra[@]+"${extra[@]}"}
  read -r wall user sys rss_kb < "$work/time.$n"
  sim=$(grep -m1 '"simulated_time_s"' "$work/out.$n/summary.json" | sed 's/.*: //; s/,//')
  transfers=$(grep -m1 '"transfers": [0-9]' "$work/out.$n/summary.json" | sed 's/.*: //; s/,//')
  awk -v n="$n" -v w="$wall" -v u="$user" -v s="$sys" -v m="$rss_kb" -v sim="$sim" -v t="$transfers" \
      -v pn="$prev_n" -v pc="$prev_cpu" 'BEGIN {
        cpu = u + s
        e = (pn != "" && pc > 0 && cpu > 0) ? sprintf("%.2f", log(cpu / pc) / log(n / pn)) : "-"
        printf "%-6s %9.2f %9.2f %12.1f %14.6g %12d %16.0f %9s\n", n, w, cpu, m / 1024, sim, t, (cpu > 0 ? t / cpu : 0), e }'
  prev_n=$n
  prev_cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
done
