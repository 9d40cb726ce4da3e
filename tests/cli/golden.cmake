# Every scenario in scenarios/ runs and must reproduce its golden summary byte for byte.
#   refresh all goldens:  cmake --build build --target update-goldens   (then review git diff)
# A mismatch prints a unified diff of golden vs. new summary.
file(GLOB RACKSIM_SCENARIOS CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/scenarios/*.yaml")
set(RACKSIM_GOLDEN_DIR "${PROJECT_SOURCE_DIR}/tests/golden")
foreach(scenario IN LISTS RACKSIM_SCENARIOS)
  get_filename_component(name "${scenario}" NAME_WE)
  add_test(NAME "cli/golden/${name}"
           COMMAND ${CMAKE_COMMAND} -DRACKSIM=$<TARGET_FILE:racksim> -DSCENARIO=${scenario}
                   -DGOLDEN=${RACKSIM_GOLDEN_DIR}/${name}.summary.json
                   -DOUT=${CMAKE_CURRENT_BINARY_DIR}/golden/${name} -P ${CMAKE_CURRENT_SOURCE_DIR}/golden_check.cmake)
  # A scenario whose file has the line "# test-label: slow" (full-size training presets, 15-40 s
  # each in a release build) is labelled slow; the sanitizer workflow skips those.
  file(STRINGS "${scenario}" slow_marker REGEX "^# test-label: slow$")
  if(slow_marker)
    set_tests_properties("cli/golden/${name}" PROPERTIES LABELS "cli;golden;slow")
  else()
    set_tests_properties("cli/golden/${name}" PROPERTIES LABELS "cli;golden")
  endif()
endforeach()

add_custom_target(update-goldens
  COMMAND ${CMAKE_COMMAND} -DRACKSIM=$<TARGET_FILE:racksim> -DSCENARIOS_DIR=${PROJECT_SOURCE_DIR}/scenarios
          -DGOLDEN_DIR=${RACKSIM_GOLDEN_DIR} -DOUT=${CMAKE_CURRENT_BINARY_DIR}/golden-update
          -P ${CMAKE_CURRENT_SOURCE_DIR}/update_goldens.cmake
  COMMAND $<TARGET_FILE:racksim> check --update --baseline ${PROJECT_SOURCE_DIR}/tests/check-baseline
  DEPENDS racksim
  COMMENT "Re-running every scenario and rewriting tests/golden/*.summary.json and tests/check-baseline/*.json")

# The project's own cost-model regression check (docs/check.md): every shipped scenario against
# the committed baseline tests/check-baseline/ (refreshed by update-goldens), with a JUnit
# report. The goldens catch any byte that changes; this is the same suite as a user's CI runs it.
add_test(NAME "cli/check/scenarios"
         COMMAND $<TARGET_FILE:racksim> check --baseline ${PROJECT_SOURCE_DIR}/tests/check-baseline
                 --junit ${CMAKE_CURRENT_BINARY_DIR}/check/scenarios.xml)
set_tests_properties("cli/check/scenarios" PROPERTIES LABELS "cli;slow")

# Determinism: the default scenario twice, in two processes, gives byte-identical summaries.
add_test(NAME "cli/determinism/helios"
         COMMAND ${CMAKE_COMMAND} -DRACKSIM=$<TARGET_FILE:racksim> -DSCENARIO=${PROJECT_SOURCE_DIR}/scenarios/helios.yaml
                 -DOUT=${CMAKE_CURRENT_BINARY_DIR}/determinism -P ${CMAKE_CURRENT_SOURCE_DIR}/determinism_check.cmake)
set_tests_properties("cli/determinism/helios" PROPERTIES LABELS "cli")

# Determinism of a generated training step (mixture of experts: all-to-all, several streams).
add_test(NAME "cli/determinism/mixtral-8x7b"
         COMMAND ${CMAKE_COMMAND} -DRACKSIM=$<TARGET_FILE:racksim> -DSCENARIO=${PROJECT_SOURCE_DIR}/scenarios/mixtral-8x7b.yaml
                 -DOUT=${CMAKE_CURRENT_BINARY_DIR}/determinism-mixtral -P ${CMAKE_CURRENT_SOURCE_DIR}/determinism_check.cmake)
set_tests_properties("cli/determinism/mixtral-8x7b" PROPERTIES LABELS "cli")
