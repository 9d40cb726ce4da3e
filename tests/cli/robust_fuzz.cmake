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
    check_matches("sweep" "${out}" "2 of 2 points")
    racksim_run_expect(out 0 merge clocks --metric power.clock_avg_mhz)
    check_matches("merge" "${out}" "2 of 2 points, 0 failed" "report\\.html")
    message(STATUS "ok: the sweep with equal-but-for-rounding clocks and its merge finish")
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
