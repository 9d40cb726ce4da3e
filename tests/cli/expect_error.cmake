# Runs racksim once and checks how it fails: its exit code and what it says.
#
#   cmake -DRACKSIM=<racksim binary>
#         -DARGS=<arguments, ;-separated>
#         -DEXPECT_RC=<exit code>
#         -DEXPECT_REGEX=<regexes, ;-separated; each must match stdout+stderr>
#         [-DWORKDIR=<folder to run in; created if missing>]
#         -P expect_error.cmake
#
# Fails (FATAL_ERROR, so the test fails) with the command, the exit code, the whole output and
# the regexes that did not match, unless the exit code is EXPECT_RC and every regex matches.
# A crash fails the test whatever was expected: a signal instead of an exit code, or any of
# the crash markers below in the output. stdin is /dev/null, so nothing can wait for input.

cmake_minimum_required(VERSION 3.16)
include(${CMAKE_CURRENT_LIST_DIR}/run_checks.cmake)

foreach(var RACKSIM EXPECT_RC)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "expect_error.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT EXPECT_RC MATCHES "^[0-9]+$")
  message(FATAL_ERROR "expect_error.cmake: EXPECT_RC must be an exit code, got '${EXPECT_RC}'")
endif()

set(workdir_opt)
if(DEFINED WORKDIR AND NOT "${WORKDIR}" STREQUAL "")
  file(MAKE_DIRECTORY "${WORKDIR}")
  set(workdir_opt WORKING_DIRECTORY "${WORKDIR}")
endif()

# The same variable for both streams: CMake merges them in the order they were written.
execute_process(
  COMMAND "${RACKSIM}" ${ARGS}
  ${workdir_opt}
  INPUT_FILE /dev/null
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)

racksim_command_line(command_line)

# Each problem is one line of the report (a string, not a list: regexes may hold brackets).
set(problems "")
racksim_exit_problems("${rc}" "${EXPECT_RC}" "${output}" problems)

foreach(regex IN LISTS EXPECT_REGEX)
  if(NOT output MATCHES "${regex}")
    string(APPEND problems "  - no match for regex: ${regex}\n")
  endif()
endforeach()

if(NOT problems STREQUAL "")
  if(DEFINED WORKDIR AND NOT "${WORKDIR}" STREQUAL "")
    set(where "in:      ${WORKDIR}\n")
  else()
    set(where "")
  endif()
  # The report goes out verbatim (message(FATAL_ERROR) would re-wrap racksim's lines).
  message(
    "command: ${command_line}\n"
    "${where}"
    "exit:    ${rc} (expected ${EXPECT_RC})\n"
    "problems:\n${problems}"
    "----- output (stdout + stderr) -----\n${output}"
    "----- end of output -----")
  message(FATAL_ERROR "racksim did not exit as expected (see the report above)")
endif()

list(LENGTH EXPECT_REGEX n_regex)
message(STATUS "ok: exit ${rc}, ${n_regex} regex(es) matched: ${command_line}")
