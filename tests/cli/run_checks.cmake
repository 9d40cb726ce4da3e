# Checks shared by expect_error.cmake and expect_output.cmake (included by both).

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
