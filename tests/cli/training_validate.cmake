# racksim validate --training (sim/cli/training_validate_verb.cpp, docs/validation.md): a small
# file of training steps end to end, and bad inputs.
#
# This file has two roles:
#   - included from tests/cli/CMakeLists.txt, it registers the tests (label "cli"):
#       cli/training_validate/small   tests/data/training/two-steps.yaml (two 8-GPU MPT steps of
#                                     a few ms each, one case racksim cannot express): the table's
#                                     structure, exit 0 within --budget and 1 past it, the --json
#                                     document, and that each prediction is exactly what
#                                     `racksim run` of the scenario written by --scenarios gives
#       cli/training_validate/<case>  bad inputs and options (expect_error.cmake): exit 3 naming
#                                     the file, line, key and the valid values
#   - run as a script (cmake -DMODE=small ... -P training_validate.cmake), the first check.
# The fixture's measured values are made up: nothing here checks a predicted number itself.

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_minimum_required(VERSION 3.19)  # string(JSON)
  include(${CMAKE_CURRENT_LIST_DIR}/run_checks.cmake)

  function(json_is json want)
    string(JSON got ERROR_VARIABLE e GET "${json}" ${ARGN})
    if(e OR NOT got STREQUAL want)
      message(FATAL_ERROR "validate --training --json: ${ARGN} is '${got}' (${e}), expected '${want}'")
    endif()
  endfunction()

  file(REMOVE_RECURSE "${OUT}")
  file(MAKE_DIRECTORY "${OUT}")
  unset(ENV{RACKSIM_DATA_DIR})
  set(cases "${SOURCE_DIR}/tests/data/training/two-steps.yaml")
  set(num "[0-9]+(\\.[0-9]+)?")

  # Within a generous budget: exit 0, every section of the report.
  racksim_run_expect(out 0 validate "${cases}" --training --jobs 2 --budget 1000 --scenarios "${OUT}/scenarios")
  check_matches("validate --training" "${out}"
    "racksim validate --training: .*two-steps\\.yaml\n"
    "training steps: 3 cases, 2 simulated, 1 not expressible, 0 not simulated\n"
    "\n  case +GPUs +measured +predicted +error +step ms +compute +tp +pp +dp +cp +bubble +idle +HBM GB +sim\n"
    # id, GPUs, measured, predicted, signed error, step, compute, tp, pp, dp, cp, bubble, idle, HBM
    "\n  tiny_mpt760m_8gpu +8 +50000 +[0-9]+ +[-+]${num}% +${num} +${num} +${num} +${num} +${num} +${num} +${num}% +${num} +[0-9]+ +f\n"
    "\n  tiny_mpt1b_fp8_8gpu +8 +40000 +[0-9]+ +[-+]${num}% .* f ~\n"
    "\nmedian \\|error\\| per source:\n  fixture_a +2 cases +${num}%\n"
    "\n  all +2 cases +${num}% \\(budget 1000\\.0%\\): within budget\n"
    "\n  worst: tiny_mpt[0-9a-z_]+ [-+]${num}%\n"
    "\n  bias: [0-2] optimistic \\(predicted faster than measured\\), [0-2] pessimistic\n"
    "\napproximated by the mapping \\(cases\\):\n +1  FP8 linear layers \\(attention and the output layer BF16\\) with TransformerEngine's delayed-scaling"
    "\nnot expressible in racksim \\(not simulated\\):\n  tiny_llama8b_rowwise: FP8 with row-wise scaling")
  check_not_matches("validate --training" "${out}" "\n  tiny_llama8b_rowwise +8 ")
  check_not_matches("validate --training" "${out}" "fixture_b")  # no case of it was compared

  # Past a tiny budget: exit 1, the same report.
  racksim_run_expect(out 1 validate "${cases}" --training --jobs 1 --budget 0.001)
  check_matches("validate --training --budget 0.001" "${out}" "\\(budget 0\\.0%\\): PAST BUDGET\n")

  # --json: one object; the predictions are those of racksim run on the written scenarios.
  racksim_run_expect(json 0 validate "${cases}" --training --jobs 2 --budget 1000 --json)
  json_is("${json}" 2 compared)
  json_is("${json}" 1 not_expressible)
  json_is("${json}" simulated cases 0 status)
  json_is("${json}" simulated cases 1 status)
  json_is("${json}" not_expressible cases 2 status)
  json_is("${json}" 2 cases 1 overrides workload.parallel.zero)  # SHARD_GRAD_OP -> ZeRO 2
  foreach(i 0 1)
    string(JSON id GET "${json}" cases ${i} id)
    string(JSON predicted GET "${json}" cases ${i} predicted)
    if(NOT EXISTS "${OUT}/scenarios/${id}.yaml")
      message(FATAL_ERROR "--scenarios: ${OUT}/scenarios/${id}.yaml was not written")
    endif()
    racksim_run_expect(run_out 0 run "${OUT}/scenarios/${id}.yaml" --out "${OUT}/run-${id}" --summary-only --quiet)
    file(READ "${OUT}/run-${id}/summary.json" summary)
    string(JSON from_run GET "${summary}" workload tokens_per_s_per_gpu)
    if(NOT from_run STREQUAL predicted)
      message(FATAL_ERROR "${id}: validate predicted ${predicted} tokens/s/GPU, racksim run of its scenario ${from_run}")
    endif()
  endforeach()
  if(EXISTS "${OUT}/scenarios/tiny_llama8b_rowwise.yaml")
    message(FATAL_ERROR "--scenarios wrote a scenario for a case racksim cannot express")
  endif()
  return()
endif()

# ---- registration ------------------------------------------------------------------------------

add_test(NAME "cli/training_validate/small"
         COMMAND ${CMAKE_COMMAND} "-DRACKSIM=$<TARGET_FILE:racksim>" "-DMODE=small" "-DSOURCE_DIR=${PROJECT_SOURCE_DIR}"
                 "-DOUT=${CMAKE_CURRENT_BINARY_DIR}/out/training_validate/small"
                 -P "${CMAKE_CURRENT_SOURCE_DIR}/training_validate.cmake")
set_tests_properties("cli/training_validate/small" PROPERTIES LABELS "cli" TIMEOUT 300)

set(tv_data "${PROJECT_SOURCE_DIR}/tests/data/training")
racksim_error_test(training_validate unknown_model RC 3
  ARGS   validate ${tv_data}/unknown-model.yaml --training
  EXPECT "invalid input: .*/unknown-model\\.yaml:14:[0-9]+: key 'cases\\[0\\]\\.config\\.model': unknown value 'MPT-761m'; expected one of: MPT-760m, MPT-1b, .*Llama 3\\.1 405B")
racksim_error_test(training_validate bad_case_regex RC 3
  ARGS   validate ${tv_data}/two-steps.yaml --training --case "(tiny"
  EXPECT "invalid input: --case \\(tiny: expected a regular expression")
racksim_error_test(training_validate no_case_matches RC 3
  ARGS   validate ${tv_data}/two-steps.yaml --training --case "^nothing$"
  EXPECT "invalid input: --case \\^nothing\\$: no case id matches; the 3 case\\(s\\) start with 'tiny_mpt760m_8gpu'")
racksim_error_test(training_validate bad_budget RC 3
  ARGS   validate ${tv_data}/two-steps.yaml --training --budget 0
  EXPECT "--budget")
