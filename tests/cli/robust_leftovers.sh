#!/bin/sh
# Leftovers and processes (issue 19), the cases that need more than one racksim command or a look
# at the files around them; registered one test per case by tests/cli/robust_leftovers.cmake.
#
# Usage: robust_leftovers.sh CASE RACKSIM SOURCE_DIR WORKDIR
#   processes  a sweep's folder lock and its children's lives (sim/cli/out_folder.hpp,
#              sim/cli/child_run.hpp): a sweep A runs in the background (two points at once, each a
#              ~10 s simulation of scenarios/mixtral-8x7b.yaml); a second sweep B into the same
#              folder exits 3 at once naming the folder and A's process id, and so does a merge;
#              A is killed with SIGKILL and its children must die with it (they kept simulating);
#              the lock died with A, so a merge now runs (exit 1: points missing)
#   calibrate_folder  calibrate --out DIR (with and without --force) with DIR a folder: exit 5
#              naming it, nothing written beside or in it (it wrote /.tmp.tmp for --out /tmp)
#   utf8       a scenario name and a sweep axis value with bytes that are not UTF-8: every file
#              written (summary.json, timeline.json, report.html, results.jsonl/csv) is valid UTF-8
#              (iconv, independent of racksim, checks it) and holds U+FFFD in their place
#   folders    run, sweep and plan refuse a folder holding another command's results (exit 3,
#              naming the folder and the files); a folder of their own kind is reused as before
# Nothing here times racksim: waits are bounded loops polling for a state; the one bound that
# decides a test is the 5 s given to children that outlive their killed parent.
set -u
case_name=$1
racksim=$2
src=$3
work=$4
rm -rf "$work"
mkdir -p "$work"
a_pid=
kids=
fail() {
  echo "FAIL: $*"
  [ -n "$a_pid" ] && kill -9 "$a_pid" 2>/dev/null
  for k in $kids; do kill -9 "$k" 2>/dev/null; done
  exit 1
}
# Whether process $1 still runs (a zombie left for its new parent to reap does not).
alive() {
  [ -r "/proc/$1/stat" ] || return 1
  state=$(sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f1)
  [ "$state" != Z ] && [ "$state" != X ]
}
# expect RC REGEX COMMAND...: runs racksim COMMAND, fails unless it exits RC and prints REGEX.
expect() {
  want=$1
  regex=$2
  shift 2
  "$racksim" "$@" >"$work/last.out" 2>&1
  got=$?
  cat "$work/last.out"
  [ "$got" -eq "$want" ] || fail "racksim $* exited $got, expected $want"
  [ -z "$regex" ] || grep -aEq -- "$regex" "$work/last.out" || fail "racksim $* did not print: $regex"
}
# valid_utf8 FILE: fails unless FILE is well-formed UTF-8.
valid_utf8() {
  iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1 || fail "$1 is not valid UTF-8"
}

case_processes() {
scenario=$src/scenarios/mixtral-8x7b.yaml
dir=$work/sweep
"$racksim" sweep "$scenario" --axis description=a,b --jobs 2 --out "$dir" --quiet >"$work/a.out" 2>&1 &
a_pid=$!
kids=
i=0
while [ $i -lt 1200 ]; do  # up to 2 minutes for A to lock the folder and start both children
  alive "$a_pid" || fail "sweep A ended before its children started: $(cat "$work/a.out")"
  kids=$(pgrep -P "$a_pid" | tr '\n' ' ')
  if [ "$(echo $kids | wc -w)" -ge 2 ] && [ "$(cat "$dir/.lock" 2>/dev/null)" = "$a_pid" ]; then break; fi
  sleep 0.1
  i=$((i + 1))
done
[ $i -lt 1200 ] || fail "sweep A did not start two children (children: '$kids')"
echo "sweep A: process $a_pid, children $kids"

"$racksim" sweep "$scenario" --axis description=a,b --jobs 2 --out "$dir" --quiet >"$work/b.out" 2>&1
rc=$?
cat "$work/b.out"
[ $rc -eq 3 ] || fail "a second sweep into the locked folder exited $rc, expected 3"
grep -aq "$dir: the folder is in use by another racksim sweep, merge or plan (process $a_pid holds .lock)" "$work/b.out" ||
  fail "the second sweep's message does not name the folder and process $a_pid"
"$racksim" merge "$dir" --quiet >"$work/m.out" 2>&1
rc=$?
cat "$work/m.out"
[ $rc -eq 3 ] || fail "a merge of the locked folder exited $rc, expected 3"
grep -aq "process $a_pid holds .lock" "$work/m.out" || fail "the merge's message does not name process $a_pid"

kill -9 "$a_pid"
wait "$a_pid" 2>/dev/null
i=0
while [ $i -lt 50 ]; do  # the kernel kills them at once; 5 s is far more than enough
  left=
  for k in $kids; do alive "$k" && left="$left $k"; done
  [ -z "$left" ] && break
  sleep 0.1
  i=$((i + 1))
done
[ -z "$left" ] || fail "children of the killed sweep still run:$left"
echo "sweep A killed; its children are gone"

"$racksim" merge "$dir" --quiet >"$work/m2.out" 2>&1
rc=$?
cat "$work/m2.out"
[ $rc -eq 1 ] || fail "a merge after the sweep was killed exited $rc, expected 1 (points missing): the lock outlived its holder?"
}

case_calibrate_folder() {
mkdir -p "$work/out"
# Refused before the fit, with or without --force.
expect 5 "cannot write .*/out: it is a folder, not a file; name the calibration file" calibrate \
  "$src/validation/reference/published-measurements.yaml" --gpu mi300x --out "$work/out"
expect 5 "cannot write .*/out: it is a folder, not a file" calibrate "$src/validation/reference/published-measurements.yaml" \
  --gpu mi300x --out "$work/out" --force
[ "$(ls -A "$work" | grep -v '^last.out$')" = out ] || fail "calibrate left files beside the folder: $(ls -A "$work")"
[ -z "$(ls -A "$work/out")" ] || fail "calibrate wrote into the folder: $(ls -A "$work/out")"
}

case_utf8() {
bad=$(printf 'bad\377\300name')
fffd=$(printf '\357\277\275')
expect 0 "" run "$src/tests/bad_inputs/valid_scenario.yaml" --set "name=$bad" --out "$work/run" --quiet
for f in summary.json timeline.json report.html timeseries.csv; do valid_utf8 "$work/run/$f"; done
grep -aq "\"name\": \"bad$fffd${fffd}name\"" "$work/run/summary.json" || fail "summary.json does not name the scenario bad<U+FFFD><U+FFFD>name"
grep -aq "bad$fffd${fffd}name" "$work/run/report.html" || fail "report.html does not name the scenario bad<U+FFFD><U+FFFD>name"
expect 0 "" sweep "$src/tests/bad_inputs/valid_scenario.yaml" --axis "description=ok,$bad" --out "$work/sweep" --quiet
for f in results.jsonl results.csv report.html sweep.json; do valid_utf8 "$work/sweep/$f"; done
grep -aq "bad$fffd${fffd}name" "$work/sweep/results.csv" || fail "results.csv does not hold the axis value bad<U+FFFD><U+FFFD>name"
}

case_folders() {
valid=$src/tests/bad_inputs/valid_scenario.yaml
expect 0 "" sweep "$valid" --axis power.gpu_cap=400W --out "$work/sweep" --quiet
expect 0 "" run "$valid" --out "$work/run" --summary-only --quiet
mkdir -p "$work/plan" && : >"$work/plan/plan.json" && : >"$work/plan/plan.txt"
expect 3 "invalid input: --out .*/sweep: the folder .*/sweep holds a sweep's results \(results.jsonl, sweep.json\); a run writes" \
  run "$valid" --out "$work/sweep" --quiet
[ ! -e "$work/sweep/summary.json" ] || fail "the refused run wrote into the sweep's folder"
expect 3 "the folder .*/plan holds a plan's results \(plan.json, plan.txt\)" run "$valid" --out "$work/plan" --quiet
expect 3 "invalid input: --out .*/run: the folder .*/run holds a run's results \(summary.json\); a sweep writes" \
  sweep "$valid" --axis power.gpu_cap=400W --out "$work/run" --quiet
[ ! -e "$work/run/sweep.json" ] || fail "the refused sweep wrote into the run's folder"
expect 3 "the folder .*/plan holds a plan's results" sweep "$valid" --axis power.gpu_cap=400W --out "$work/plan" --quiet
expect 3 "invalid input: --out .*/run: the folder .*/run holds a run's results \(summary.json\); a plan writes" \
  plan "$src/scenarios/plans/llama3-405b.yaml" --out "$work/run"
expect 3 "the folder .*/sweep holds a sweep's results" plan "$src/scenarios/plans/llama3-405b.yaml" --out "$work/sweep"
# Their own kind: reused (a run over a run, a sweep resumed).
expect 0 "" run "$valid" --out "$work/run" --summary-only --quiet
expect 0 "" sweep "$valid" --axis power.gpu_cap=400W --out "$work/sweep" --quiet
}

"case_$case_name"
echo "ok: $case_name"
