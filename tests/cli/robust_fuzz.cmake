# Robustness of the readers (issue 19, the fuzz part; docs/limits.md): inputs that crashed,
# hung or exhausted memory before, each now a clean result or a clean error.
#
# This file has two roles:
#   - included from tests/cli/CMakeLists.txt, it registers the tests (label "cli"):
#       cli/robust_fuzz/sweep_equal_clocks  the two-point sweep whose clock averages are 1200 and
#                                           1199.9999999999998 MHz (nice_ticks never ended: the
#                                           sweep, then every merge, grew until bad_alloc) finishes,
#                                           and `merge --metric power.clock_avg_mhz` works
#       cli/robust_fuzz/<case>              files that are not regular files, a second YAML
#                                           document, over-limit trace values (expect_error.cmake)
#   - run as a script (cmake -DMODE=... -P robust_fuzz.cmake), it performs the first.

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_minimum_required(VERSION 3.19)
  include(${CMAKE_CURRENT_LIST_DIR}/run_checks.cmake)
  set(RACKSIM_WORKDIR "${OUT}")
  file(REMOVE_RECURSE "${OUT}")
  file(MAKE_DIRECTORY "${OUT}")
  if(MODE STREQUAL "sweep_equal_clocks")
    racksim_run_expect(out 0 sweep "${SOURCE_DIR}/tests/bad_inputs/valid_scenario.yaml" --axis cluster.scale_up.gpus=4,8
                       --out clocks)
    check_matches("sweep" "${out}" "2 of 2 done" "clocks/report\\.html")
    racksim_run_expect(out 0 merge clocks --metric power.clock_avg_mhz)
    check_matches("merge" "${out}" "2 of 2 points, 0 failed" "report\\.html")
    message(STATUS "ok: the sweep with equal-but-for-rounding clocks and its merge finish")
  elseif(MODE STREQUAL "fifo")
    # A FIFO with no writer as the trace: opening it to read blocked for ever.
    execute_process(COMMAND mkfifo "${OUT}/trace.fifo" RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "mkfifo failed: ${rc}")
    endif()
    execute_process(COMMAND "${RACKSIM}" run "${SOURCE_DIR}/tests/bad_inputs/valid_scenario.yaml" --set
                            "workload.file=${OUT}/trace.fifo" WORKING_DIRECTORY "${OUT}" INPUT_FILE /dev/null TIMEOUT 60
                    RESULT_VARIABLE got OUTPUT_VARIABLE out ERROR_VARIABLE err)
    set(problems "")
    racksim_exit_problems("${got}" 3 "${out}${err}" problems)
    if(problems OR NOT "${err}" MATCHES "trace\\.fifo: the YAML file is a FIFO \\(named pipe\\); racksim reads only regular files")
      message(FATAL_ERROR "racksim run with a FIFO as its trace:\n${problems}stdout:\n${out}\nstderr:\n${err}")
    endif()
    message(STATUS "ok: a FIFO as the trace is refused at once")
  else()
    message(FATAL_ERROR "robust_fuzz.cmake: unknown MODE '${MODE}'")
  endif()
  return()
endif()

# ---- registration ------------------------------------------------------------------------------

add_test(NAME "cli/robust_fuzz/sweep_equal_clocks"
         COMMAND ${CMAKE_COMMAND} "-DRACKSIM=$<TARGET_FILE:racksim>" "-DMODE=sweep_equal_clocks"
                 "-DSOURCE_DIR=${PROJECT_SOURCE_DIR}" "-DOUT=${CMAKE_CURRENT_BINARY_DIR}/out/robust_fuzz/sweep_equal_clocks"
                 -P "${CMAKE_CURRENT_SOURCE_DIR}/robust_fuzz.cmake")
set_tests_properties("cli/robust_fuzz/sweep_equal_clocks" PROPERTIES LABELS "cli" TIMEOUT 120)
add_test(NAME "cli/robust_fuzz/fifo"
         COMMAND ${CMAKE_COMMAND} "-DRACKSIM=$<TARGET_FILE:racksim>" "-DMODE=fifo" "-DSOURCE_DIR=${PROJECT_SOURCE_DIR}"
                 "-DOUT=${CMAKE_CURRENT_BINARY_DIR}/out/robust_fuzz/fifo" -P "${CMAKE_CURRENT_SOURCE_DIR}/robust_fuzz.cmake")
set_tests_properties("cli/robust_fuzz/fifo" PROPERTIES LABELS "cli" TIMEOUT 120)

# Errors: racksim_error_test (tests/cli/CMakeLists.txt), in out/robust_fuzz/<case>; inputs in tests/bad_inputs/.
set(robust_valid "${PROJECT_SOURCE_DIR}/tests/bad_inputs/valid_scenario.yaml")
racksim_error_test(robust_fuzz trace_dev_zero RC 3 ARGS run ${robust_valid} --set workload.file=/dev/zero
                   EXPECT [[/dev/zero: the YAML file is a character device; racksim reads only regular files]])
racksim_error_test(robust_fuzz trace_directory RC 3 ARGS run ${robust_valid} --set workload.file=/
                   EXPECT [[the YAML file is a directory; racksim reads only regular files]])
racksim_error_test(robust_fuzz scenario_dev_urandom RC 3 ARGS run /dev/urandom
                   EXPECT [[/dev/urandom: the YAML file is a character device]])
racksim_error_test(robust_fuzz second_document RC 3 ARGS run ${PROJECT_SOURCE_DIR}/tests/bad_inputs/second_document.yaml
                   EXPECT [[second_document\.yaml:15:1: a second YAML document starts here; racksim reads one document per file]])
racksim_error_test(robust_fuzz trace_delay_too_long RC 3
                   ARGS run ${robust_valid} --set workload.file=trace_delay_too_long.yaml
                   EXPECT [[trace_delay_too_long\.yaml:10:[0-9]+: key 'programs\[0\]\.ops\[0\]\.duration': 1e7 s is longer than one op may last; expected 0 s to 1e\+06 s]])
