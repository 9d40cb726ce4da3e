# racksim check (sim/cli/check_verb.cpp, docs/check.md): baselines written and checked, a catalog
# change caught and named, the JUnit report, tolerances, and bad command lines and inputs.
#
# This file has two roles:
#   - included from tests/cli/CMakeLists.txt, it registers the tests (label "cli"):
#       cli/check/baseline_roundtrip   --update into a fresh folder, the baseline files' fields,
#                                      then check against them: exit 0, ok for each scenario
#       cli/check/catalog_change       a baseline from the shipped catalog, then check with one
#                                      catalog value changed: exit 1, the moved metrics named,
#                                      the JUnit report; --tolerance 0.5 lets the change pass
#       cli/check/<case>               command-line and input errors (expect_error.cmake)
#   - run as a script (cmake -DMODE=roundtrip|catalog_change ... -P check_cli.cmake), it
#     performs one of the first two checks.
#
# The scenarios are the two small shipped ones: helios.yaml (72 x MI455X, a traced FSDP step)
# and mi300x-node.yaml (8 x MI300X collectives); each simulates in well under a second.

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_minimum_required(VERSION 3.19)  # string(JSON)
  include(${CMAKE_CURRENT_LIST_DIR}/run_checks.cmake)

  set(helios "${SOURCE_DIR}/scenarios/helios.yaml")
  set(mi300x "${SOURCE_DIR}/scenarios/mi300x-node.yaml")
  file(REMOVE_RECURSE "${OUT}")
  file(MAKE_DIRECTORY "${OUT}")
  unset(ENV{RACKSIM_DATA_DIR})  # the shipped catalog of the source tree racksim was built from

  # The baseline of both scenarios from the shipped catalog, into a folder that does not exist yet.
  racksim_run_expect(out 0 check "${helios}" "${mi300x}" --baseline "${OUT}/baseline" --update)
  check_matches("check --update" "${out}" "racksim check: 2 scenarios into baseline"
                "helios +written .*/baseline/helios\\.json \\([0-9]+ metrics\\)"
                "mi300x-node +written .*/baseline/mi300x-node\\.json" "summary: 2 baselines written")

  if(MODE STREQUAL "roundtrip")
    # The baseline file's documented fields (docs/check.md "Baseline files").
    file(READ "${OUT}/baseline/helios.json" json)
    string(JSON v GET "${json}" schema_version)
    string(JSON name GET "${json}" scenario)
    string(JSON version_type TYPE "${json}" racksim_version)
    if(NOT v EQUAL 1 OR NOT name STREQUAL "helios" OR NOT version_type STREQUAL "STRING")
      message(FATAL_ERROR "helios.json: schema_version ${v}, scenario '${name}', racksim_version a ${version_type}:\n${json}")
    endif()
    # helios.yaml runs a trace (no training metrics); power and thermal are modelled on every run.
    foreach(metric simulated_time_s power.energy_j power.it_avg_w power.gpu_peak_w power.clock_avg_mhz
                   thermal.max_junction_c thermal.max_coolant_c memory.hbm_peak_bytes collectives.model_time_s)
      string(JSON t ERROR_VARIABLE e TYPE "${json}" metrics "${metric}")
      if(e OR NOT t STREQUAL "NUMBER")
        message(FATAL_ERROR "helios.json: metrics.${metric} is missing or not a number (${e}${t}):\n${json}")
      endif()
    endforeach()
    string(JSON t GET "${json}" metrics simulated_time_s)
    if(NOT t GREATER 0)
      message(FATAL_ERROR "helios.json: metrics.simulated_time_s = ${t}, expected > 0")
    endif()
    check_not_matches("helios.json" "${json}" "workload\\.mfu")

    # Checked against itself: nothing moves, whatever the tolerance (the default 1e-9 here).
    racksim_run_expect(out 0 check "${helios}" "${mi300x}" --baseline "${OUT}/baseline" --junit "${OUT}/junit.xml")
    check_matches("check" "${out}" "racksim check: 2 scenarios against baseline" "\nhelios +ok +[0-9]+ metrics within tolerance"
                  "\nmi300x-node +ok +[0-9]+ metrics within tolerance"
                  "summary: 2 scenarios checked, [0-9]+ metrics compared, 0 moved past tolerance \\(0 scenarios MOVED, 0 failed\\)")
    check_not_matches("check" "${out}" "MOVED +[0-9]")
    file(READ "${OUT}/junit.xml" xml)
    check_matches("junit.xml" "${xml}" "<testsuite name=\"racksim check\" tests=\"2\" failures=\"0\""
                  "<testcase classname=\"racksim.check\" name=\"helios\"/>"
                  "<testcase classname=\"racksim.check\" name=\"mi300x-node\"/>")
    check_not_matches("junit.xml" "${xml}" "<failure")
    message(STATUS "ok: baselines written, their fields present, checked against themselves: nothing moved")

  elseif(MODE STREQUAL "catalog_change")
    # A copy of the shipped catalog with the MI455X's HBM bandwidth at 23.3 TB/s instead of 19.6
    # (the sensitivity run models/catalog/gpus.yaml suggests). The scenario files stay where they
    # are (their traces are found beside them); RACKSIM_DATA_DIR points the catalog there.
    file(COPY "${SOURCE_DIR}/models/catalog" DESTINATION "${OUT}/data/models")
    file(READ "${OUT}/data/models/catalog/gpus.yaml" gpus)
    string(FIND "${gpus}" "hbm_bandwidth: {value: 19.6 TB/s" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "models/catalog/gpus.yaml has no 'hbm_bandwidth: {value: 19.6 TB/s' (the MI455X) to change")
    endif()
    string(REPLACE "hbm_bandwidth: {value: 19.6 TB/s" "hbm_bandwidth: {value: 23.3 TB/s" gpus "${gpus}")
    file(WRITE "${OUT}/data/models/catalog/gpus.yaml" "${gpus}")
    set(ENV{RACKSIM_DATA_DIR} "${OUT}/data")

    # helios (MI455X) moves; mi300x-node does not use the MI455X and stays ok.
    racksim_run_expect(out 1 check "${helios}" "${mi300x}" --baseline "${OUT}/baseline" --junit "${OUT}/junit.xml")
    check_matches("check with a changed catalog" "${out}" "\nhelios +MOVED +[0-9]+ of [0-9]+ metrics past tolerance"
                  "\nmi300x-node +ok "
                  "\n  helios  simulated_time_s +baseline [0-9.e+-]+  now [0-9.e+-]+  change -[0-9.e+-]+%"
                  "\n  helios  power\\.energy_j +baseline [0-9.e+-]+  now [0-9.e+-]+  change [+-][0-9.e+-]+%"
                  "summary: 2 scenarios checked, [0-9]+ metrics compared, [1-9][0-9]* moved past tolerance \\(1 scenario MOVED, 0 failed\\)")
    check_not_matches("check with a changed catalog" "${out}" "\n  mi300x-node ")
    file(READ "${OUT}/junit.xml" xml)
    check_matches("junit.xml" "${xml}" "^<\\?xml version=\"1\\.0\" encoding=\"UTF-8\"\\?>"
                  "<testsuite name=\"racksim check\" tests=\"2\" failures=\"1\""
                  "<testcase classname=\"racksim.check\" name=\"helios\">[ \n]*<failure type=\"moved\" message=\"[0-9]+ of [0-9]+ metrics moved past tolerance: simulated_time_s, [^\"]*power\\.energy_j"
                  "simulated_time_s: baseline [0-9.e+-]+, now [0-9.e+-]+, change -[0-9.e+-]+%"
                  "</failure>[ \n]*</testcase>"
                  "<testcase classname=\"racksim.check\" name=\"mi300x-node\"/>" "</testsuite>[ \n]*</testsuites>")
    string(REGEX MATCHALL "<testcase " cases "${xml}")
    list(LENGTH cases n)
    if(NOT n EQUAL 2)
      message(FATAL_ERROR "junit.xml: ${n} <testcase> elements, expected 2:\n${xml}")
    endif()

    # How far the change can move things: a kernel's memory part takes 19.6/23.3 = 0.84 of its
    # time, so no time shrinks by more than 16%. Measured when this test was written: simulated
    # time -0.04%, energy -0.33%, IT power -0.29%, GPU peak power -2.3%, coolant -0.45% — all far
    # inside 50%, so --tolerance 0.5 lets every metric pass (exit 0), while a per-metric
    # tolerance of 1e-6 on simulated_time_s, given after it, catches that one alone (exit 1).
    racksim_run_expect(out 0 check "${helios}" "${mi300x}" --baseline "${OUT}/baseline" --tolerance 0.5)
    check_matches("check --tolerance 0.5" "${out}" "\nhelios +ok " "0 moved past tolerance")
    racksim_run_expect(out 1 check "${helios}" --baseline "${OUT}/baseline" --tolerance 0.5 --tolerance simulated_time_s=1e-6)
    check_matches("check --tolerance 0.5 --tolerance simulated_time_s=1e-6" "${out}" "\nhelios +MOVED +1 of "
                  "\n  helios  simulated_time_s +baseline .*\\(tolerance 1e-06\\)")
    message(STATUS "ok: the changed catalog value moved helios (named, JUnit failure), a 50% tolerance lets it pass")
  else()
    message(FATAL_ERROR "check_cli.cmake: MODE must be roundtrip or catalog_change, got '${MODE}'")
  endif()
  return()
endif()

# ---- registration ------------------------------------------------------------------------------

foreach(mode roundtrip catalog_change)
  set(name "cli/check/${mode}")
  if(mode STREQUAL "roundtrip")
    set(name "cli/check/baseline_roundtrip")
  endif()
  add_test(NAME "${name}"
           COMMAND ${CMAKE_COMMAND} "-DRACKSIM=$<TARGET_FILE:racksim>" "-DMODE=${mode}"
                   "-DSOURCE_DIR=${PROJECT_SOURCE_DIR}" "-DOUT=${CMAKE_CURRENT_BINARY_DIR}/out/check/${mode}"
                   -P "${CMAKE_CURRENT_SOURCE_DIR}/check_cli.cmake")
  set_tests_properties("${name}" PROPERTIES LABELS "cli" TIMEOUT 300)
endforeach()

set(check_out "${CMAKE_CURRENT_BINARY_DIR}/out/check")
set(check_mi300x "${PROJECT_SOURCE_DIR}/scenarios/mi300x-node.yaml")

# --- invalid input (exit 3): nothing is simulated ---
racksim_error_test(check missing_baseline RC 3
  ARGS   check ${check_mi300x} --baseline ${check_out}/missing_baseline/none
  EXPECT [[invalid input: .*/missing_baseline/none/mi300x-node\.json: no baseline for scenario 'mi300x-node']]
         [[run racksim check with --update to write it]])
racksim_error_test(check unknown_metric RC 3
  ARGS   check ${check_mi300x} --baseline ${check_out}/unknown_metric --tolerance power.energy=0.1
  EXPECT [[--tolerance power\.energy=0\.1: unknown metric 'power\.energy'; known metrics: simulated_time_s, ]]
         [[power\.energy_j, .*thermal\.max_junction_c, .*collectives\.model_time_s]])
racksim_error_test(check bad_tolerance RC 3
  ARGS   check ${check_mi300x} --baseline ${check_out}/bad_tolerance --tolerance=-1
  EXPECT [[--tolerance -1: expected a relative tolerance, a number >= 0 \(0\.01 = 1%\), got '-1']])
# A baseline whose metric is not a number: the file, line and key are named.
file(WRITE "${check_out}/bad_baseline_value/base/mi300x-node.json"
     "{\"schema_version\": 1, \"scenario\": \"mi300x-node\", \"racksim_version\": \"0\",\n"
     " \"metrics\": {\"simulated_time_s\": \"fast\"}}\n")
racksim_error_test(check bad_baseline_value RC 3
  ARGS   check ${check_mi300x} --baseline ${check_out}/bad_baseline_value/base
  EXPECT [[/base/mi300x-node\.json:2:[0-9]+: key 'metrics\.simulated_time_s': expected a plain number, got 'fast']])
# A trace racksim rejects when the run builds its workload (in the child): reported as FAILED
# with the message, and the exit status of invalid input.
file(READ "${PROJECT_SOURCE_DIR}/tests/bad_inputs/valid_scenario.yaml" check_valid)
string(REPLACE "file: valid_trace.yaml" "file: ${PROJECT_SOURCE_DIR}/tests/bad_inputs/trace_unknown_op_kind.yaml"
       check_bad_trace "${check_valid}")
file(WRITE "${check_out}/bad_trace/bad_trace.yaml" "${check_bad_trace}")
racksim_error_test(check bad_trace RC 3
  ARGS   check ${check_out}/bad_trace/bad_trace.yaml --baseline ${check_out}/bad_trace/base --update
  EXPECT [[small  FAILED +invalid input: .*trace_unknown_op_kind\.yaml:]] [[summary: 0 baselines written to .*, 1 scenario failed]])
# A simulation that deadlocks (exit 4, like racksim run): reported as FAILED, no baseline written.
string(REPLACE "file: valid_trace.yaml" "file: ${PROJECT_SOURCE_DIR}/tests/bad_inputs/deadlock.yaml"
       check_deadlock "${check_valid}")
file(WRITE "${check_out}/deadlock/deadlock.yaml" "${check_deadlock}")
racksim_error_test(check deadlock RC 4
  ARGS   check ${check_out}/deadlock/deadlock.yaml --baseline ${check_out}/deadlock/base --update
  EXPECT [[small  FAILED +simulation failed: scenario 'small': deadlock]] [[1 scenario failed]])

# --- bad command line (exit 2) ---
racksim_error_test(check no_baseline RC 2
  ARGS   check ${check_mi300x}
  EXPECT [['check' needs --baseline DIR; usage: racksim check \[SCENARIO\.\.\.\] --baseline DIR]])
racksim_error_test(check unknown_option RC 2
  ARGS   check ${check_mi300x} --baseline ${check_out}/unknown_option --frobnicate
  EXPECT [[unknown option '--frobnicate' for 'check']])
