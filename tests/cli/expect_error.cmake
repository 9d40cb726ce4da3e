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

# The command as one could paste it into a shell (arguments with spaces quoted).
set(command_line "${RACKSIM}")
foreach(arg IN LISTS ARGS)
  if(arg MATCHES "[ \t'\"]" OR arg STREQUAL "")
    string(APPEND command_line " '${arg}'")
  else()
    string(APPEND command_line " ${arg}")
  endif()
endforeach()

set(problems)
# RESULT_VARIABLE holds a number, or a text such as "Segmentation fault" for a signal.
if(NOT rc MATCHES "^[0-9]+$")
  list(APPEND problems "racksim did not exit normally: ${rc}")
elseif(NOT rc EQUAL EXPECT_RC)
  list(APPEND problems "exit code ${rc}, expected ${EXPECT_RC}")
endif()

foreach(marker "Segmentation fault" "AddressSanitizer" "runtime error:" "terminate called")
  string(FIND "${output}" "${marker}" at)
  if(NOT at EQUAL -1)
    list(APPEND problems "the output contains '${marker}' (a crash or undefined behaviour)")
  endif()
endforeach()

foreach(regex IN LISTS EXPECT_REGEX)
  if(NOT output MATCHES "${regex}")
    list(APPEND problems "no match for regex: ${regex}")
  endif()
endforeach()

if(problems)
  set(report "")
  foreach(p IN LISTS problems)
    string(APPEND report "  - ${p}\n")
  endforeach()
  if(DEFINED WORKDIR AND NOT "${WORKDIR}" STREQUAL "")
    set(where "\nin:      ${WORKDIR}")
  else()
    set(where "")
  endif()
  message(FATAL_ERROR
    "racksim did not fail as expected\n"
    "command: ${command_line}${where}\n"
    "exit:    ${rc} (expected ${EXPECT_RC})\n"
    "problems:\n${report}"
    "----- output (stdout + stderr) -----\n${output}"
    "----- end of output -----")
endif()

list(LENGTH EXPECT_REGEX n_regex)
message(STATUS "ok: exit ${rc}, ${n_regex} regex(es) matched: ${command_line}")
