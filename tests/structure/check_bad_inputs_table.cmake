# The table of malformed inputs tried (tests/bad_inputs/README.md) names every bad-input case the
# CLI tests run, so the table grows with each new case and never lists one that was removed.
#
#   cmake -DSOURCE_DIR=<repo> -P check_bad_inputs_table.cmake
#
# A case is the first argument of a racksim_bad_input(...) call in tests/cli/*.cmake (the
# function's own definition excluded); the README lists it as a table row starting "| `<case>` |".
cmake_minimum_required(VERSION 3.25)

file(GLOB cmake_files "${SOURCE_DIR}/tests/cli/*.cmake")
list(SORT cmake_files)
set(cases "")
foreach(f IN LISTS cmake_files)
  file(STRINGS "${f}" calls REGEX "^racksim_bad_input\\([A-Za-z0-9_.-]+ ")
  foreach(c IN LISTS calls)
    string(REGEX REPLACE "^racksim_bad_input\\(([A-Za-z0-9_.-]+) .*" "\\1" name "${c}")
    list(APPEND cases "${name}")
  endforeach()
endforeach()

set(readme "${SOURCE_DIR}/tests/bad_inputs/README.md")
file(STRINGS "${readme}" rows REGEX "^\\| `[A-Za-z0-9_.-]+` \\|")
set(listed "")
foreach(r IN LISTS rows)
  string(REGEX REPLACE "^\\| `([A-Za-z0-9_.-]+)` \\|.*" "\\1" name "${r}")
  list(APPEND listed "${name}")
endforeach()

set(problems "")
foreach(c IN LISTS cases)
  if(NOT c IN_LIST listed)
    string(APPEND problems "  case '${c}' (tests/cli) is missing from the table in tests/bad_inputs/README.md\n")
  endif()
endforeach()
foreach(c IN LISTS listed)
  if(NOT c IN_LIST cases)
    string(APPEND problems "  tests/bad_inputs/README.md lists '${c}', which no racksim_bad_input() call in tests/cli runs\n")
  endif()
endforeach()
list(LENGTH cases n)
if(problems)
  message(FATAL_ERROR "the bad-input table and the CLI tests disagree:\n${problems}")
endif()
message(STATUS "bad-input table: all ${n} cases listed")
