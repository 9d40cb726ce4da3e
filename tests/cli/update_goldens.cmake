# cmake -DRACKSIM=... -DSCENARIOS_DIR=... -DGOLDEN_DIR=... -DOUT=... -P update_goldens.cmake
file(GLOB scenarios "${SCENARIOS_DIR}/*.yaml")
file(MAKE_DIRECTORY "${GOLDEN_DIR}")
foreach(scenario IN LISTS scenarios)
  get_filename_component(name "${scenario}" NAME_WE)
  file(REMOVE_RECURSE "${OUT}/${name}")
  execute_process(COMMAND "${RACKSIM}" run "${scenario}" --out "${OUT}/${name}" --quiet
                  INPUT_FILE /dev/null RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "racksim run ${scenario} failed (${rc}): ${err}")
  endif()
  file(COPY_FILE "${OUT}/${name}/summary.json" "${GOLDEN_DIR}/${name}.summary.json")
  message(STATUS "updated ${GOLDEN_DIR}/${name}.summary.json")
endforeach()
