# cmake -DRACKSIM=... -DSCENARIO=... -DGOLDEN=... -DOUT=... -P golden_check.cmake
file(REMOVE_RECURSE "${OUT}")
execute_process(COMMAND "${RACKSIM}" run "${SCENARIO}" --out "${OUT}" --quiet
                INPUT_FILE /dev/null RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "racksim run ${SCENARIO} failed with exit code ${rc}:\n${out}${err}")
endif()
if(NOT EXISTS "${GOLDEN}")
  message(FATAL_ERROR "no golden summary ${GOLDEN}; create it with: cmake --build <build> --target update-goldens")
endif()
file(READ "${OUT}/summary.json" new_text)
file(READ "${GOLDEN}" golden_text)
if(NOT new_text STREQUAL golden_text)
  execute_process(COMMAND diff -u "${GOLDEN}" "${OUT}/summary.json" OUTPUT_VARIABLE d)
  message(FATAL_ERROR "summary of ${SCENARIO} differs from its golden (- golden, + new):\n${d}\n"
                      "If the change is intended: cmake --build <build> --target update-goldens, then review git diff.")
endif()
