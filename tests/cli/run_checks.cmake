# Checks shared by the CLI test scripts (expect_error.cmake, expect_output.cmake and the scripted
# tests of each verb; included by each).

# Sets <out_var> to ${RACKSIM} ${ARGS} as one could paste it into a shell (arguments with
# spaces or quotes quoted).
function(racksim_command_line out_var)
  set(line "${RACKSIM}")
  foreach(arg IN LISTS ARGS)
    if(arg MATCHES "[ \t'\"]" OR arg STREQUAL "")
      string(APPEND line " '${arg}'")
    else()
      string(APPEND line " ${arg}")
    endif()
  endforeach()
  set(${out_var} "${line}" PARENT_SCOPE)
endfunction()

# Appends to <problems_var> (one line per problem) what is wrong with how the run ended: not an
# exit code at all (a signal: RESULT_VARIABLE then holds text such as "Segmentation fault"), a
# different exit code than <expected_rc>, or a crash marker anywhere in <output>.
function(racksim_exit_problems rc expected_rc output problems_var)
  set(p "${${problems_var}}")
  if(NOT rc MATCHES "^[0-9]+$")
    string(APPEND p "  - racksim did not exit normally: ${rc}\n")
  elseif(NOT rc EQUAL expected_rc)
    string(APPEND p "  - exit code ${rc}, expected ${expected_rc}\n")
  endif()
  foreach(marker "Segmentation fault" "AddressSanitizer" "runtime error:" "terminate called")
    string(FIND "${output}" "${marker}" at)
    if(NOT at EQUAL -1)
      string(APPEND p "  - the output contains '${marker}' (a crash or undefined behaviour)\n")
    endif()
  endforeach()
  set(${problems_var} "${p}" PARENT_SCOPE)
endfunction()

# The scripted CLI tests (check_cli, sweep_cli, plan_cli, report_cli, timeline_cli) share these.

# Runs ${RACKSIM} with ARGN (in ${RACKSIM_WORKDIR} when that is set, stdin /dev/null); fails the
# test with the command and its whole output unless it exits <rc> without a crash marker. Sets
# <out_var> to its stdout.
function(racksim_run_expect out_var rc)
  set(ARGS ${ARGN})
  set(wd)
  if(RACKSIM_WORKDIR)
    set(wd WORKING_DIRECTORY "${RACKSIM_WORKDIR}")
  endif()
  execute_process(COMMAND "${RACKSIM}" ${ARGN} ${wd} INPUT_FILE /dev/null RESULT_VARIABLE got OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  set(problems "")
  racksim_exit_problems("${got}" "${rc}" "${out}${err}" problems)
  if(NOT problems STREQUAL "")
    racksim_command_line(line)
    message(FATAL_ERROR "command: ${line}\nRACKSIM_DATA_DIR=$ENV{RACKSIM_DATA_DIR}\nproblems:\n${problems}"
                        "----- stdout -----\n${out}----- stderr -----\n${err}----- end -----")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

# Fails unless <text> matches every regex in ARGN.
function(check_matches what text)
  foreach(regex IN LISTS ARGN)
    if(NOT text MATCHES "${regex}")
      message(FATAL_ERROR "${what}: no match for regex '${regex}' in:\n${text}")
    endif()
  endforeach()
endfunction()

# Fails when <text> matches <regex>.
function(check_not_matches what text regex)
  if(text MATCHES "${regex}")
    message(FATAL_ERROR "${what}: unexpected match for regex '${regex}' in:\n${text}")
  endif()
endfunction()
