# cmake -DRACKSIM=... -DSCENARIO=... -DGOLDEN=... -DOUT=... -P golden_check.cmake
file(REMOVE_RECURSE "${OUT}")
# Every output is written (the default path runs on every scenario); the timeline is capped at
# 20,000 events (~5 MB) to keep the suite's disk and time small.
execute_process(COMMAND "${RACKSIM}" run "${SCENARIO}" --out "${OUT}" --quiet --timeline-events 20000
                INPUT_FILE /dev/null RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "racksim run ${SCENARIO} failed with exit code ${rc}:\n${out}${err}")
endif()
if(NOT EXISTS "${GOLDEN}")
  message(FATAL_ERROR "no golden summary ${GOLDEN}; create it with: cmake --build <build> --target update-goldens")
endif()
foreach(f timeline.json timeseries.csv report.html)
  if(NOT EXISTS "${OUT}/${f}")
    message(FATAL_ERROR "racksim run ${SCENARIO} wrote no ${f}")
  endif()
endforeach()
file(READ "${OUT}/summary.json" new_text)
file(READ "${GOLDEN}" golden_text)
if(NOT new_text STREQUAL golden_text)
  execute_process(COMMAND diff -u "${GOLDEN}" "${OUT}/summary.json" OUTPUT_VARIABLE d)
  message(FATAL_ERROR "summary of ${SCENARIO} differs from its golden (- golden, + new):\n${d}\n"
                      "If the change is intended: cmake --build <build> --target update-goldens, then review git diff.")
endif()
