# racksim plan (sim/cli/plan_verb.cpp, docs/plan.md): a small plan end to end, and bad plans and
# command lines.
#
# This file has two roles:
#   - included from tests/cli/CMakeLists.txt, it registers the tests (label "cli"):
#       cli/plan/small       tests/data/plan/plan.yaml (racks of 4 test GPUs, 20 points, 8
#                            evaluated, about a second each): exit 0; the Pareto table, a
#                            dominated point, and one point rejected for each reason (out of
#                            memory, over power, too slow, invalid layout by the grid and by the
#                            generator, over the rack limit); the --json file's content; the same
#                            JSON, byte for byte, with --jobs 1 and --jobs 2; the --out folder
#       cli/plan/serving     scenarios/plans/serving-llama3-70b.yaml (8 serving points, about a
#                            second): the per-rate Pareto sections, the tp 3 points refused for the
#                            heads, the JSON's structure, --jobs 1 and 2 alike, --out, and out of
#                            HBM with a small memory_fraction (no numbers copied from the program)
#       cli/plan/<case>      bad plans and command lines (expect_error.cmake): exit 3 naming the
#                            file, line and key, or exit 2
#   - run as a script (cmake -DMODE=small|serving ... -P plan_cli.cmake), it performs the first
#     or second check.
#
# Which point fails for which reason, and why, is derived in the comments of plan.yaml and
# base.yaml.

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_minimum_required(VERSION 3.19)  # string(JSON)
  include(${CMAKE_CURRENT_LIST_DIR}/run_checks.cmake)

  # Fails unless the JSON value at the path (ARGN) is `want`.
  function(json_is json want)
    if(want STREQUAL "null")
      string(JSON got ERROR_VARIABLE e TYPE "${json}" ${ARGN})
      if(e OR NOT got STREQUAL "NULL")
        message(FATAL_ERROR "plan.json: ${ARGN} is a ${got} (${e}), expected null")
      endif()
      return()
    endif()
    string(JSON got ERROR_VARIABLE e GET "${json}" ${ARGN})
    if(e OR NOT got STREQUAL want)
      message(FATAL_ERROR "plan.json: ${ARGN} is '${got}' (${e}), expected '${want}'")
    endif()
  endfunction()

  file(REMOVE_RECURSE "${OUT}")
  file(MAKE_DIRECTORY "${OUT}")
  unset(ENV{RACKSIM_DATA_DIR})

  if(MODE STREQUAL "serving")
    # The shipped serving plan: rates [20, 40] outermost, layouts [tp2, tp3, tp4, tp8] inside,
    # each filling one 8-GPU node, so #1-#4 are 20 req/s, #5-#8 40 req/s. Only the structure and
    # the points whose outcome follows from the model are checked (which layouts meet the SLO is
    # the simulation's to say): tp 3 does not divide Llama 3 70B's 64 heads, and fills the node
    # with 8 / 3 = 2 instances of 3 GPUs = 6 GPUs.
    set(plan "${SOURCE_DIR}/scenarios/plans/serving-llama3-70b.yaml")
    racksim_run_expect(out 0 plan "${plan}" --jobs 2 --json "${OUT}/s/plan.json")
    check_matches("serving plan" "${out}"
      "racksim plan: 8 points, [0-9]+ rejected by the plan or the scenario, [0-9]+ to evaluate \\(one serving run each\\)"
      "search +2 rates x 1 rack count x 4 layouts x fill = 8 points, 8 GPUs per rack"
      "\nAt 20 req/s: Pareto set: [1-9][0-9]* points?"
      "\nAt 40 req/s: Pareto set: [0-9]+ points?"
      "\n +#[0-9]+ +1 +8 +tp[248] pp1 x[124] +[0-9.]+ m?s +[0-9.]+ m?s +[0-9.e+]+ +[0-9.e+]+ +[0-9.]+ kW"
      "\nRejected: [0-9]+ points?\n"
      "\n +#2 +20 req/s +1 +6 +tp3 pp1 x2 +invalid layout +the run refuses it: .*tp \\(3\\) must divide the attention heads \\(64\\)"
      "\n +#6 +40 req/s +1 +6 +tp3 pp1 x2 +invalid layout"
      "How these numbers were obtained: each point is a racksim simulation of serving-llama3-70b-mi355x\\.yaml")
    file(READ "${OUT}/s/plan.json" json)
    json_is("${json}" serving kind)
    json_is("${json}" 8 counts points)
    json_is("${json}" 20 rates 0)
    json_is("${json}" 0.02 slo tpot_p99_s)
    json_is("${json}" invalid_layout points 1 rejected_for)
    json_is("${json}" null points 1 run)
    json_is("${json}" workload.requests.rate=20 points 0 overrides 5)
    json_is("${json}" workload.instances=4 points 0 overrides 4)
    # Every point is judged: a feasible one has its run and its peak power, a rejected one a reason.
    foreach(i RANGE 7)
      string(JSON st GET "${json}" points ${i} status)
      if(st STREQUAL "rejected")
        string(JSON r GET "${json}" points ${i} reasons 0)
      else()
        string(JSON r GET "${json}" points ${i} peak_site_w)
        if(NOT r GREATER 0)
          message(FATAL_ERROR "plan.json: points[${i}] is ${st} with peak_site_w ${r}")
        endif()
      endif()
    endforeach()
    # One process at a time: the same JSON, byte for byte; --out writes each simulated point's
    # summary.json (the tp 3 points are refused before simulating).
    racksim_run_expect(out1 0 plan "${plan}" --jobs 1 --json "${OUT}/s1/plan.json" --out "${OUT}/sdir")
    file(READ "${OUT}/s1/plan.json" json1)
    if(NOT json1 STREQUAL json)
      message(FATAL_ERROR "serving plan.json with --jobs 1 differs from --jobs 2")
    endif()
    if(NOT EXISTS "${OUT}/sdir/points/001/summary.json" OR EXISTS "${OUT}/sdir/points/002" OR NOT EXISTS "${OUT}/sdir/plan.txt")
      message(FATAL_ERROR "--out: expected points/001/summary.json (simulated), no points/002 (refused) and plan.txt")
    endif()
    # Out of HBM: with 10 % of the MI355X's 288 GB usable (28.8 GB), tp 2's FP8 weights alone,
    # 70.6e9 x 1 B / 2 = 35.3 GB per GPU, do not fit; the run refuses the point.
    racksim_run_expect(out2 0 plan "${plan}" --set "rates=[20]" --set "search.layouts=[{tp: 2}]"
                       --set "overrides=[workload.requests.count=50, workload.scheduler.memory_fraction=0.1]")
    check_matches("serving plan, out of HBM" "${out2}"
      "\n +#1 +20 req/s +1 +8 +tp2 pp1 x4 +out of memory +out of HBM, the run refuses it: .*does not fit"
      "no point meets every limit and the SLO")
    message(STATUS "ok: the serving plan's table and JSON; --jobs 1 and 2 agree; --out; out of HBM")
    return()
  endif()

  set(plan "${SOURCE_DIR}/tests/data/plan/plan.yaml")

  racksim_run_expect(out 0 plan "${plan}" --jobs 2 --json "${OUT}/a/plan.json" --out "${OUT}/dir")
  # Point ids are grid order: racks [1, 2, 4, 8] outermost, layouts [tp4, tp2 pp2, tp1, tp3,
  # tp4 mb3] inside (plan.yaml), so #1-#5 are 1 rack, #6-#10 2 racks, #11-#15 4, #16-#20 8.
  check_matches("plan" "${out}"
    "racksim plan: 20 points, 12 rejected by the plan or the generator, 8 to evaluate"
    "search +4 rack counts x 5 layouts x 1 global batch = 20 points, 4 GPUs per rack"
    "evaluated +6 simulated \\(one training step each\\), 14 rejected before simulating"
    # The two feasible 2-rack points: one is the Pareto set, the other dominated by it (or both
    # Pareto: the check below takes either, the JSON check counts them).
    "\nPareto set: [12] points?"
    "\n +#6 +2 +8 +tp4 pp1 dp2 +8 +[0-9.]+ m?s +[0-9.]+% .* d +[0-9.]+ [kMG]?Wh +[0-9.]+ kW +reduced 4x2"
    "\nRejected: 18 points\n"
    "\n +#1 +1 +4 +tp4 pp1 dp1 +8 +too slow +time to train [0-9.]+ d past the deadline of 9\\.00 d"
    "\n +#3 +1 +4 +tp1 pp1 dp4 +8 +out of memory +out of HBM before the step starts: rank 0 holds 103\\.1 GB of model state"
    "\n +#4 +1 +4 +tp3 pp1 dp- +8 +invalid layout +tp x pp x cp = 3 x 1 x 1 = 3 does not divide the 4 GPUs"
    "\n +#5 +1 +4 +tp4 pp1 dp1 mb3 +8 +invalid layout +the generator rejects it: workload\\.batch: expected a global batch \\(8\\) divisible by micro x dp \\(3 x 1\\)"
    "\n +#11 +4 +16 +tp4 pp1 dp4 +8 +over power +peak site power [0-9.]+ kW over the limit of 12 kW"
    "\n +#16 +8 +32 +tp4 pp1 dp8 +8 +over limit +8 racks, over the limit of 4"
    "How these numbers were obtained: each point's step is a racksim simulation of one training step of base\\.yaml"
    "wrote .*/a/plan\\.json, .*/dir/plan\\.json, .*/dir/plan\\.txt")

  file(READ "${OUT}/a/plan.json" json)
  json_is("${json}" 1 schema_version)
  json_is("${json}" plan-test plan)
  json_is("${json}" plan.yaml plan_file)
  json_is("${json}" base.yaml scenario_file)
  json_is("${json}" 777600 deadline_s)  # 9 d x 86400 s
  json_is("${json}" 12000 limits site_power_w)
  json_is("${json}" 4 limits racks)
  json_is("${json}" 20 counts points)
  json_is("${json}" 18 counts rejected)
  string(JSON pareto GET "${json}" counts pareto)
  string(JSON dominated GET "${json}" counts dominated)
  math(EXPR feasible "${pareto} + ${dominated}")
  if(NOT feasible EQUAL 2 OR pareto LESS 1)
    message(FATAL_ERROR "plan.json: ${pareto} Pareto and ${dominated} dominated points, expected 2 feasible, at least 1 Pareto")
  endif()
  # points[k] is point #k+1.
  json_is("${json}" 6 points 5 id)
  json_is("${json}" pareto points 5 status)
  json_is("${json}" reduced points 5 step simulation)
  json_is("${json}" 4 points 5 step simulated_ranks)
  json_is("${json}" 2 points 5 step replicas)
  json_is("${json}" 2 points 5 parallel dp)
  json_is("${json}" cluster.domains=2 points 5 overrides 0)
  json_is("${json}" simulation.out_of_memory=warn points 5 overrides 6)
  # 8.192e9 tokens / (8 x 1024 tokens per step) = 1e6 steps (plan.yaml).
  json_is("${json}" 8192 points 5 training tokens_per_step)
  json_is("${json}" 1000000 points 5 training steps)
  foreach(k IN ITEMS step_time_s tokens_per_s mfu site_energy_j rack_peak_w)
    string(JSON v GET "${json}" points 5 step ${k})
    if(NOT v GREATER 0)
      message(FATAL_ERROR "plan.json: points[5].step.${k} = ${v}, expected > 0")
    endif()
  endforeach()
  json_is("${json}" too_slow points 0 rejected_for)
  json_is("${json}" out_of_memory points 2 rejected_for)
  json_is("${json}" null points 2 step)  # not simulated: the model state alone overflows
  json_is("${json}" invalid_layout points 3 rejected_for)
  json_is("${json}" null points 3 parallel dp)
  json_is("${json}" invalid_layout points 4 rejected_for)
  json_is("${json}" over_power points 10 rejected_for)
  json_is("${json}" over_limit points 15 rejected_for)
  json_is("${json}" null points 15 step)
  if(NOT EXISTS "${OUT}/dir/points/006/summary.json" OR EXISTS "${OUT}/dir/points/003")
    message(FATAL_ERROR "--out: expected points/006/summary.json (simulated) and no points/003 (not simulated)")
  endif()
  file(READ "${OUT}/dir/plan.json" json_dir)
  if(NOT json_dir STREQUAL json)
    message(FATAL_ERROR "--out DIR/plan.json differs from --json FILE")
  endif()

  # One process at a time: the same results, byte for byte.
  racksim_run_expect(out1 0 plan "${plan}" --jobs 1 --json "${OUT}/b/plan.json")
  file(READ "${OUT}/b/plan.json" json1)
  if(NOT json1 STREQUAL json)
    message(FATAL_ERROR "plan.json with --jobs 1 differs from --jobs 2")
  endif()
  # Out of memory found by the simulation (the model state fits, the activations do not), and
  # --set on the plan's own keys: one point, 1 rack, tp 4, micro batches of 128 sequences. Per
  # layer the rank keeps (docs/transformer.md "Memory", T = 128 x 1024 = 131,072 tokens, h 8192,
  # a = g = 64, d 128, F 32768, tp 4, no sequence parallelism, GELU):
  #   attention 2Th + 2Th + 2T(a+2g)d/tp + 2Th/tp + 4Ta/tp = 2.147 + 2.147 + 1.611 + 0.537 + 0.008 GB
  #   MLP       2Th + 2Th + 2T F/tp + 2T F/tp             = 2.147 + 2.147 + 2.147 + 2.147 GB
  #   = 15.04 GB; 8 layers 120.3 GB + 25.8 GB of model state = 146.1 GB > 100 GB.
  racksim_run_expect(out2 0 plan "${plan}" --set "search.racks=[1]" --set "search.layouts=[{tp: 4, micro: 128}]"
                 --set "search.global_batch=[128]")
  check_matches("plan, activations out of HBM" "${out2}" "\n +#1 +1 +4 +tp4 pp1 dp1 mb128 +128 +out of memory +out of HBM: rank [0-9]+ allocates 15\\.04 GB for '[^']*' \\(activations\\) with [0-9.]+ GB free; the step would need 146\\.1 GB per GPU of 100 GB"
                 "no point meets every limit and the deadline")
  message(STATUS "ok: the plan's table, JSON and --out folder; --jobs 1 and 2 agree; activations out of HBM")
  return()
endif()

# ---- registration ------------------------------------------------------------------------------

add_test(NAME "cli/plan/small"
         COMMAND ${CMAKE_COMMAND} "-DRACKSIM=$<TARGET_FILE:racksim>" "-DMODE=small" "-DSOURCE_DIR=${PROJECT_SOURCE_DIR}"
                 "-DOUT=${CMAKE_CURRENT_BINARY_DIR}/out/plan/small" -P "${CMAKE_CURRENT_SOURCE_DIR}/plan_cli.cmake")
set_tests_properties("cli/plan/small" PROPERTIES LABELS "cli" TIMEOUT 300)

add_test(NAME "cli/plan/serving"
         COMMAND ${CMAKE_COMMAND} "-DRACKSIM=$<TARGET_FILE:racksim>" "-DMODE=serving" "-DSOURCE_DIR=${PROJECT_SOURCE_DIR}"
                 "-DOUT=${CMAKE_CURRENT_BINARY_DIR}/out/plan/serving" -P "${CMAKE_CURRENT_SOURCE_DIR}/plan_cli.cmake")
set_tests_properties("cli/plan/serving" PROPERTIES LABELS "cli" TIMEOUT 300)

# Bad plans, each a copy of tests/data/plan/plan.yaml with one defect, written beside it in the
# build folder with the base scenario's absolute path. Lines: the copies keep plan.yaml's lines.
set(plan_bad "${CMAKE_CURRENT_BINARY_DIR}/out/plan/inputs")
file(READ "${PROJECT_SOURCE_DIR}/tests/data/plan/plan.yaml" plan_good)
string(REPLACE "scenario: base.yaml" "scenario: ${PROJECT_SOURCE_DIR}/tests/data/plan/base.yaml" plan_good "${plan_good}")
# The line of a key in plan.yaml, so the messages' line numbers follow the file.
function(plan_line var key)
  string(FIND "${plan_good}" "\n${key}" at)
  string(SUBSTRING "${plan_good}" 0 ${at} before)
  string(REGEX MATCHALL "\n" nl "${before}")
  list(LENGTH nl n)
  math(EXPR n "${n} + 2")
  set(${var} ${n} PARENT_SCOPE)
endfunction()

string(REPLACE "deadline: 9 d" "deadline: 9" plan_text "${plan_good}")
file(WRITE "${plan_bad}/deadline_unit.yaml" "${plan_text}")
plan_line(l "deadline:")
racksim_error_test(plan deadline_unit RC 3
  ARGS   plan ${plan_bad}/deadline_unit.yaml
  EXPECT "invalid input: .*/deadline_unit\\.yaml:${l}:[0-9]+: key 'deadline': expected a deadline, a duration with a unit: d \\(days, 86400 s\\)")

string(REPLACE "  layouts:" "  layout:" plan_text "${plan_good}")
file(WRITE "${plan_bad}/misspelt.yaml" "${plan_text}")
racksim_error_test(plan misspelt_key RC 3
  ARGS   plan ${plan_bad}/misspelt.yaml
  EXPECT "/misspelt\\.yaml:[0-9]+:[0-9]+: key 'search': search is missing required key 'layouts' \\(found 'layout': misspelt\\?\\)")

string(REPLACE "{tp: 2, pp: 2}" "{tp: 2, pp: 2, dp: 4}" plan_text "${plan_good}")
file(WRITE "${plan_bad}/layout_dp.yaml" "${plan_text}")
racksim_error_test(plan layout_dp RC 3
  ARGS   plan ${plan_bad}/layout_dp.yaml
  EXPECT "/layout_dp\\.yaml:[0-9]+:[0-9]+: key 'search\\.layouts\\[1\\]\\.dp': dp is not set by a layout: it is derived")

string(REPLACE "scenario: ${PROJECT_SOURCE_DIR}/tests/data/plan/base.yaml" "scenario: ${PROJECT_SOURCE_DIR}/scenarios/helios.yaml"
       plan_text "${plan_good}")
file(WRITE "${plan_bad}/trace_base.yaml" "${plan_text}")
plan_line(l "scenario:")
racksim_error_test(plan trace_base RC 3
  ARGS   plan ${plan_bad}/trace_base.yaml
  EXPECT "/trace_base\\.yaml:${l}:[0-9]+: key 'scenario': expected a base scenario whose workload is a generated training step .* kind 'trace'")

string(REPLACE "scenario: ${PROJECT_SOURCE_DIR}/tests/data/plan/base.yaml" "scenario: no-such-base.yaml" plan_text "${plan_good}")
file(WRITE "${plan_bad}/missing_base.yaml" "${plan_text}")
racksim_error_test(plan missing_base RC 3
  ARGS   plan ${plan_bad}/missing_base.yaml
  EXPECT "/missing_base\\.yaml:${l}:[0-9]+: key 'scenario': the base scenario is not valid: .*/no-such-base\\.yaml: cannot open file")

string(REPLACE "deadline: 9 d" "deadline: 9 d\noverrides: [power.pue=high]" plan_text "${plan_good}")
file(WRITE "${plan_bad}/bad_override.yaml" "${plan_text}")
plan_line(l "deadline:")
math(EXPR l "${l} + 1")  # the line added after the deadline
racksim_error_test(plan bad_override RC 3
  ARGS   plan ${plan_bad}/bad_override.yaml
  EXPECT "/bad_override\\.yaml:${l}:[0-9]+: key 'overrides': the base scenario is not valid: --set power\\.pue=high: key 'power\\.pue'")

racksim_error_test(plan set_without_unit RC 3
  ARGS   plan ${PROJECT_SOURCE_DIR}/tests/data/plan/plan.yaml --set limits.site_power=12
  EXPECT "invalid input: --set limits\\.site_power=12: key 'limits\\.site_power': .*power")

racksim_error_test(plan no_plan RC 2
  ARGS   plan --jobs 2
  EXPECT "'plan' needs a plan file; usage: racksim plan PLAN")
racksim_error_test(plan bad_jobs RC 3
  ARGS   plan ${PROJECT_SOURCE_DIR}/tests/data/plan/plan.yaml --jobs 0
  EXPECT "--jobs 0: expected an integer from 1 to 1024")
racksim_error_test(plan unknown_option RC 2
  ARGS   plan ${PROJECT_SOURCE_DIR}/tests/data/plan/plan.yaml --fast
  EXPECT "unknown option '--fast' for 'plan'")

# issue 19: a point past simulation.memory_limit is refused by the size check before its replica is
# generated (it grew past 4 GB for minutes before); tests/data/plan/huge_layers.yaml derives the size.
racksim_error_test(plan huge_point_refused_by_size RC 0
  ARGS   plan ${PROJECT_SOURCE_DIR}/tests/data/plan/huge_layers.yaml --jobs 1
  EXPECT "#1 +1 +4 +tp4 pp1 dp1 +8 +cannot evaluate +the run refuses it: workload: generating this training step would build about 96 million ops .* more than simulation\\.memory_limit \\(16 GB\\)")

# Serving plans: a base whose requests do not arrive at a rate (offline: a copy of the shipped
# base, beside its plan in the build folder), and a training base.
file(READ "${PROJECT_SOURCE_DIR}/scenarios/serving-llama3-70b-mi355x.yaml" serving_base)
string(REPLACE "arrival: poisson\n    rate: 40" "arrival: offline" serving_base "${serving_base}")
file(WRITE "${plan_bad}/serving_offline_base.yaml" "${serving_base}")
file(READ "${PROJECT_SOURCE_DIR}/scenarios/plans/serving-llama3-70b.yaml" serving_plan)
string(REPLACE "scenario: ../serving-llama3-70b-mi355x.yaml" "scenario: serving_offline_base.yaml" plan_text "${serving_plan}")
file(WRITE "${plan_bad}/serving_offline.yaml" "${plan_text}")
string(FIND "${plan_text}" "\nscenario:" at)
string(SUBSTRING "${plan_text}" 0 ${at} before)
string(REGEX MATCHALL "\n" nl "${before}")
list(LENGTH nl l)
math(EXPR l "${l} + 2")
racksim_error_test(plan serving_offline_base RC 3
  ARGS   plan ${plan_bad}/serving_offline.yaml
  EXPECT "/serving_offline\\.yaml:${l}:[0-9]+: key 'scenario': expected a base scenario whose requests arrive at a rate \\(workload\\.requests\\.arrival: poisson or fixed\\).* has offline requests")

racksim_error_test(plan serving_training_base RC 3
  ARGS   plan ${PROJECT_SOURCE_DIR}/scenarios/plans/serving-llama3-70b.yaml --set scenario=../llama3-8b.yaml --set overrides=[]
  EXPECT "key 'scenario': expected a base scenario whose workload serves requests \\(kind: inference_serving")
