# racksim validate --inference (sim/cli/inference_validate_verb.cpp, docs/validation.md "Inference
# cases"): a small file of serving runs end to end, and bad inputs.
#
# This file has two roles:
#   - included from tests/cli/CMakeLists.txt, it registers the tests (label "cli"):
#       cli/inference_validate/small   tests/data/inference/two-runs.yaml (an offline run of 8
#                                      requests on 8 H200s, a static batch of 4 on 8 MI300Xs, one
#                                      case on unknown hardware): the table's structure, exit 0
#                                      within --budget and 1 past it, the --json document, and the
#                                      scenarios --scenarios writes
#       cli/inference_validate/<case>  bad inputs and options (expect_error.cmake): exit 3 naming
#                                      the file, line, key and the valid values
#   - run as a script (cmake -DMODE=small ... -P inference_validate.cmake), the first check.
# The fixture's measured values are made up: nothing here checks a predicted number itself.

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_minimum_required(VERSION 3.19)  # string(JSON)
  include(${CMAKE_CURRENT_LIST_DIR}/run_checks.cmake)

  function(json_is json want)
    string(JSON got ERROR_VARIABLE e GET "${json}" ${ARGN})
    if(e OR NOT got STREQUAL want)
      message(FATAL_ERROR "validate --inference --json: ${ARGN} is '${got}' (${e}), expected '${want}'")
    endif()
  endfunction()

  file(REMOVE_RECURSE "${OUT}")
  file(MAKE_DIRECTORY "${OUT}")
  unset(ENV{RACKSIM_DATA_DIR})
  set(cases "${SOURCE_DIR}/tests/data/inference/two-runs.yaml")
  set(num "[0-9]+(\\.[0-9]+)?(e[-+][0-9]+)?")

  # Within a generous budget: exit 0, every section of the report.
  racksim_run_expect(out 0 validate "${cases}" --inference --jobs 2 --budget 100000 --scenarios "${OUT}/scenarios")
  check_matches("validate --inference" "${out}"
    "racksim validate --inference: .*two-runs\\.yaml\n"
    "inference serving: 3 cases, 2 simulated, 1 not expressible, 0 not simulated\n"
    "\n  case +GPUs +metric +measured +predicted +error +run s +out tok/s +finished +decode +KV tokens +preempt\n"
    "\n  tiny_70b_h200_tp8_offline +8 out tok/s +1000 +${num} +[-+]${num}% +${num} +${num} +8/8 +"
    "\n  tiny_405b_mi300x_batch4 +8 batch s +1\\.000 +${num} +[-+]${num}% +${num} +${num} +4/4 +"
    "\nmedian \\|error\\| per source:\n  fixture_a +2 cases +${num}%\n"
    "\n  all +2 cases +${num}% \\(budget 100000\\.0%\\): within budget\n"
    "\n  worst: tiny_[0-9a-z_]+ [-+]${num}% \\((output_tokens_per_s|e2e_latency_s)\\)\n"
    "\n  bias: [0-2] optimistic \\(more throughput or less latency than measured\\), [0-2] pessimistic\n"
    "\napproximated or assumed by the mapping \\(cases\\):\n"
    "\nnot expressible in racksim \\(not simulated\\):\n  tiny_unknown_gpu: hardware '8x NVIDIA B300 288GB'")
  check_not_matches("validate --inference" "${out}" "\n  tiny_unknown_gpu +8 ")
  check_not_matches("validate --inference" "${out}" "fixture_b")  # no case of it was compared

  # Past a tiny budget: exit 1, the same report.
  racksim_run_expect(out 1 validate "${cases}" --inference --jobs 1 --budget 0.001)
  check_matches("validate --inference --budget 0.001" "${out}" "\\(budget 0\\.0%\\): PAST BUDGET\n")

  # --json: one object, each case's status, the mapping's overrides.
  racksim_run_expect(json 0 validate "${cases}" --inference --jobs 2 --budget 100000 --json)
  json_is("${json}" 2 compared)
  json_is("${json}" 1 not_expressible)
  json_is("${json}" simulated cases 0 status)
  json_is("${json}" simulated cases 1 status)
  json_is("${json}" not_expressible cases 2 status)
  json_is("${json}" 8 cases 0 requests)
  json_is("${json}" 8 cases 0 finished)
  json_is("${json}" 4 cases 1 overrides workload.requests.count)  # the static batch
  json_is("${json}" 4096 cases 1 overrides workload.scheduler.max_batch_tokens)  # --max-model-len 4096
  foreach(id tiny_70b_h200_tp8_offline tiny_405b_mi300x_batch4)
    if(NOT EXISTS "${OUT}/scenarios/${id}.yaml")
      message(FATAL_ERROR "--scenarios: ${OUT}/scenarios/${id}.yaml was not written")
    endif()
    racksim_run_expect(run_out 0 run "${OUT}/scenarios/${id}.yaml" --out "${OUT}/run-${id}" --summary-only --quiet)
  endforeach()
  if(EXISTS "${OUT}/scenarios/tiny_unknown_gpu.yaml")
    message(FATAL_ERROR "--scenarios wrote a scenario for a case racksim cannot express")
  endif()
  return()
endif()

# ---- registration ------------------------------------------------------------------------------

add_test(NAME "cli/inference_validate/small"
         COMMAND ${CMAKE_COMMAND} "-DRACKSIM=$<TARGET_FILE:racksim>" "-DMODE=small" "-DSOURCE_DIR=${PROJECT_SOURCE_DIR}"
                 "-DOUT=${CMAKE_CURRENT_BINARY_DIR}/out/inference_validate/small"
                 -P "${CMAKE_CURRENT_SOURCE_DIR}/inference_validate.cmake")
set_tests_properties("cli/inference_validate/small" PROPERTIES LABELS "cli" TIMEOUT 300)

set(iv_data "${PROJECT_SOURCE_DIR}/tests/data/inference")
racksim_error_test(inference_validate unknown_metric RC 3
  ARGS   validate ${iv_data}/unknown-metric.yaml --inference
  EXPECT "invalid input: .*/unknown-metric\\.yaml:25:[0-9]+: key 'cases\\[0\\]\\.metric': unknown value 'goodput'; expected one of: output_tokens_per_s, total_tokens_per_s, e2e_latency_s, tpot_mean_ms")
racksim_error_test(inference_validate bad_case_regex RC 3
  ARGS   validate ${iv_data}/two-runs.yaml --inference --case "(tiny"
  EXPECT "invalid input: --case \\(tiny: expected a regular expression")
racksim_error_test(inference_validate no_case_matches RC 3
  ARGS   validate ${iv_data}/two-runs.yaml --inference --case "^nothing$"
  EXPECT "invalid input: --case \\^nothing\\$: no case id matches; the 3 case\\(s\\) start with 'tiny_70b_h200_tp8_offline'")
racksim_error_test(inference_validate bad_budget RC 3
  ARGS   validate ${iv_data}/two-runs.yaml --inference --budget 0
  EXPECT "--budget")
