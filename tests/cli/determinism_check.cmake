# cmake -DRACKSIM=... -DSCENARIO=... -DOUT=... -P determinism_check.cmake
foreach(i 1 2)
  file(REMOVE_RECURSE "${OUT}/${i}")
  execute_process(COMMAND "${RACKSIM}" run "${SCENARIO}" --out "${OUT}/${i}" --quiet
                  INPUT_FILE /dev/null RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "run ${i} failed (${rc}): ${err}")
  endif()
endforeach()
# Every file a run writes, byte for byte.
foreach(f summary.json timeline.json timeseries.csv report.html)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${OUT}/1/${f}" "${OUT}/2/${f}" RESULT_VARIABLE differ)
  if(differ)
    execute_process(COMMAND diff -u "${OUT}/1/${f}" "${OUT}/2/${f}" OUTPUT_VARIABLE d)
    string(SUBSTRING "${d}" 0 4000 d)
    message(FATAL_ERROR "two runs of ${SCENARIO} wrote different ${f}:\n${d}")
  endif()
endforeach()
