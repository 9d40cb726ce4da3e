#!/usr/bin/env bash
# Runs racksim's libFuzzer harnesses (tests/fuzz, docs/fuzzing.md), each for a given time or
# number of executions, one after the other, on one core.
#
#   tools/fuzz.sh [--time SECONDS | --runs N] [HARNESS...]
#
# HARNESS: scenario units native_trace chakra measurements plan sweep_axis svg_ticks (default:
# all). Builds the 'fuzz' preset first (build-fuzz/, clang). New inputs go to
# build-fuzz/fuzz-corpus/<harness>/; crashes, timeouts and out-of-memory inputs to
# build-fuzz/fuzz-artifacts/<harness>/ (keep each one in tests/fuzz/regressions/<harness>/ once
# fixed). Prints each harness' execution count; exits non-zero when a harness found a problem.
set -euo pipefail
cd "$(dirname "$0")/.."

all=(scenario units native_trace chakra measurements plan sweep_axis svg_ticks requests)
limit=(-max_total_time=600)
harnesses=()
while (($#)); do
  case "$1" in
    --time) limit=(-max_total_time="$2"); shift 2 ;;
    --runs) limit=(-runs="$2"); shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) harnesses+=("$1"); shift ;;
  esac
done
((${#harnesses[@]})) || harnesses=("${all[@]}")

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
status=0
for h in "${harnesses[@]}"; do
  bin="build-fuzz/tests/fuzz/fuzz_$h"
  [[ -x "$bin" ]] || { echo "fuzz.sh: no harness '$h' (one of: ${all[*]})" >&2; exit 2; }
  corpus="build-fuzz/fuzz-corpus/$h"
  artifacts="build-fuzz/fuzz-artifacts/$h/"
  mkdir -p "$corpus" "$artifacts" "tests/fuzz/regressions/$h"
  dict=()
  [[ -f "tests/fuzz/dict/$h.dict" ]] && dict=(-dict="tests/fuzz/dict/$h.dict")
  log="build-fuzz/fuzz-$h.log"
  echo "== $h: ${limit[*]}, log in $log"
  if "$bin" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts" "${dict[@]}" \
      "$corpus" "tests/fuzz/corpus/$h" "tests/fuzz/regressions/$h" >"$log" 2>&1; then
    grep -E "stat::number_of_executed_units|^Done [0-9]+ runs|#[0-9]+ *DONE" "$log" || true
  else
    status=1
    echo "!! $h found a problem; the input is in $artifacts:" >&2
    grep -E "ERROR|SUMMARY|Test unit written" "$log" >&2 || tail -20 "$log" >&2
  fi
done
exit $status
