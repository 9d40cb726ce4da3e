# Runs racksim once and checks what it prints on stdout: the exit code, and, for a JSON result,
# that stdout is one JSON object (nothing else mixed in) with the expected fields.
#
#   cmake -DRACKSIM=<racksim binary>
#         -DARGS=<arguments, ;-separated>
#         -DEXPECT_RC=<exit code>
#         [-DEXPECT_REGEX=<regexes, ;-separated; each must match stdout+stderr>]
#         [-DJSON_POSITIVE=<top-level keys whose values must be numbers greater than 0>]
#         [-DJSON_EQUALS=<key=value pairs: top-level keys whose values must be these strings>]
#         [-DPRESERVE=<file: written with a sentinel line before the run, must be unchanged after>]
#         [-DWORKDIR=<folder to run in; created if missing>]
#         -P expect_output.cmake
#
# Fails (FATAL_ERROR) with the command, the exit code, both outputs and every problem found.
# expect_error.cmake is the companion for failures; this script adds the JSON and file checks.

cmake_minimum_required(VERSION 3.19)  # string(JSON)
include(${CMAKE_CURRENT_LIST_DIR}/run_checks.cmake)

foreach(var RACKSIM EXPECT_RC)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "expect_output.cmake: -D${var}=... is required")
  endif()
endforeach()

set(workdir_opt)
if(DEFINED WORKDIR AND NOT "${WORKDIR}" STREQUAL "")
  file(MAKE_DIRECTORY "${WORKDIR}")
  set(workdir_opt WORKING_DIRECTORY "${WORKDIR}")
endif()

set(sentinel "racksim test sentinel: this file must not be overwritten\n")
if(DEFINED PRESERVE AND NOT "${PRESERVE}" STREQUAL "")
  file(WRITE "${PRESERVE}" "${sentinel}")
endif()

execute_process(
  COMMAND "${RACKSIM}" ${ARGS}
  ${workdir_opt}
  INPUT_FILE /dev/null
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE stdout
  ERROR_VARIABLE stderr)

racksim_command_line(command_line)

# Each problem is one line of the report (a string, not a list: regexes may hold brackets).
set(problems "")
racksim_exit_problems("${rc}" "${EXPECT_RC}" "${stdout}${stderr}" problems)

foreach(regex IN LISTS EXPECT_REGEX)
  if(NOT "${stdout}${stderr}" MATCHES "${regex}")
    string(APPEND problems "  - no match for regex: ${regex}\n")
  endif()
endforeach()

if(JSON_POSITIVE OR JSON_EQUALS)
  string(JSON type ERROR_VARIABLE json_error TYPE "${stdout}")
  if(json_error)
    string(APPEND problems "  - stdout is not JSON: ${json_error}\n")
  elseif(NOT type STREQUAL "OBJECT")
    string(APPEND problems "  - stdout is JSON of type ${type}, expected an object\n")
  else()
    foreach(key IN LISTS JSON_POSITIVE)
      string(JSON t ERROR_VARIABLE e TYPE "${stdout}" "${key}")
      if(e)
        string(APPEND problems "  - JSON has no field \"${key}\"\n")
      elseif(NOT t STREQUAL "NUMBER")
        string(APPEND problems "  - JSON field \"${key}\" is a ${t}, expected a number\n")
      else()
        string(JSON v GET "${stdout}" "${key}")
        if(NOT v GREATER 0)
          string(APPEND problems "  - JSON field \"${key}\" is ${v}, expected a number greater than 0\n")
        endif()
      endif()
    endforeach()
    foreach(pair IN LISTS JSON_EQUALS)
      string(FIND "${pair}" "=" eq)
      string(SUBSTRING "${pair}" 0 ${eq} key)
      math(EXPR from "${eq} + 1")
      string(SUBSTRING "${pair}" ${from} -1 want)
      string(JSON v ERROR_VARIABLE e GET "${stdout}" "${key}")
      if(e)
        string(APPEND problems "  - JSON has no field \"${key}\"\n")
      elseif(NOT v STREQUAL want)
        string(APPEND problems "  - JSON field \"${key}\" is \"${v}\", expected \"${want}\"\n")
      endif()
    endforeach()
  endif()
endif()

if(DEFINED PRESERVE AND NOT "${PRESERVE}" STREQUAL "")
  if(NOT EXISTS "${PRESERVE}")
    string(APPEND problems "  - ${PRESERVE} was removed\n")
  else()
    file(READ "${PRESERVE}" after)
    if(NOT after STREQUAL sentinel)
      string(APPEND problems "  - ${PRESERVE} was overwritten\n")
    endif()
  endif()
endif()

if(NOT problems STREQUAL "")
  message(
    "command: ${command_line}\n"
    "exit:    ${rc} (expected ${EXPECT_RC})\n"
    "problems:\n${problems}"
    "----- stdout -----\n${stdout}"
    "----- stderr -----\n${stderr}"
    "----- end of output -----")
  message(FATAL_ERROR "racksim did not produce the expected output (see the report above)")
endif()

message(STATUS "ok: exit ${rc}: ${command_line}")
