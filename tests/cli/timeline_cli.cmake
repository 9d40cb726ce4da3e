# timeline.json through the racksim binary (docs/timeline.md).
#
# This file has two roles:
#   - included from tests/cli/CMakeLists.txt, it registers the tests (label "cli"):
#       cli/timeline/<case>        racksim run twice: timeline.json is byte-identical, parses as
#                                  JSON, is well-formed trace-event JSON (every event has ph,
#                                  name, pid, tid, ts; X events a dur), its X events nest properly
#                                  on every (pid, tid) track, and its otherData names the scenario
#       cli/timeline/no-timeline   --no-timeline writes no timeline.json
#   - run as a script (cmake -DMODE=check|absent ... -P timeline_cli.cmake), it performs one check.
#
# Parsing uses string(JSON) (CMake >= 3.19), so the check needs nothing but CMake. string(JSON)
# parses the whole document on every call: keep the scenarios small.

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_minimum_required(VERSION 3.19)  # string(JSON)
  include(${CMAKE_CURRENT_LIST_DIR}/run_checks.cmake)

  function(timeline_run dir)
    set(ARGS run "${SCENARIO}" --out "${dir}" --quiet ${EXTRA})
    foreach(s IN LISTS SETS)
      list(APPEND ARGS --set "${s}")
    endforeach()
    racksim_run_expect(ignored 0 ${ARGS})
  endfunction()

  # A time of the file (microseconds with at most 3 decimals, "12.345") as whole nanoseconds,
  # rounded: string(JSON) hands numbers back through a double ("861.51" as "861.50999999999999").
  function(timeline_ns text out_var)
    if(NOT text MATCHES "^([0-9]+)(\\.([0-9]+))?$")
      message(FATAL_ERROR "time '${text}' is not a plain non-negative number")
    endif()
    set(whole "${CMAKE_MATCH_1}")
    set(frac "${CMAKE_MATCH_3}000000")
    string(SUBSTRING "${frac}" 0 6 frac)
    math(EXPR v "${whole} * 1000 + (1${frac} - 1000000 + 500) / 1000")  # "1" + 6 digits: no leading zero
    set(${out_var} "${v}" PARENT_SCOPE)
  endfunction()

  # Zero-padded to 20 digits, so that a plain string sort orders numbers.
  function(timeline_pad n out_var)
    string(LENGTH "${n}" len)
    math(EXPR zeros "20 - ${len}")
    string(REPEAT "0" ${zeros} pad)
    set(${out_var} "${pad}${n}" PARENT_SCOPE)
  endfunction()

  file(REMOVE_RECURSE "${OUT}")
  if(MODE STREQUAL "absent")
    timeline_run("${OUT}/run")
    if(EXISTS "${OUT}/run/timeline.json" OR NOT EXISTS "${OUT}/run/summary.json")
      message(FATAL_ERROR "with ${EXTRA}: timeline.json written or summary.json missing in ${OUT}/run")
    endif()
    message(STATUS "ok: no timeline.json with ${EXTRA}")
    return()
  endif()

  timeline_run("${OUT}/1")
  timeline_run("${OUT}/2")
  file(READ "${OUT}/1/timeline.json" json)
  file(READ "${OUT}/2/timeline.json" again)
  if(NOT json STREQUAL again)
    execute_process(COMMAND diff -u "${OUT}/1/timeline.json" "${OUT}/2/timeline.json" OUTPUT_VARIABLE d)
    message(FATAL_ERROR "two runs of ${SCENARIO} wrote different timeline.json files:\n${d}")
  endif()

  string(JSON unit ERROR_VARIABLE err GET "${json}" displayTimeUnit)
  if(err)
    message(FATAL_ERROR "timeline.json does not parse as JSON with a displayTimeUnit: ${err}")
  endif()
  file(READ "${OUT}/1/summary.json" summary)
  string(JSON want GET "${summary}" scenario name)
  string(JSON got GET "${json}" otherData scenario)
  if(NOT got STREQUAL want)
    message(FATAL_ERROR "otherData.scenario is '${got}', summary.json says '${want}'")
  endif()
  string(JSON collected GET "${json}" otherData spans_collected)
  string(JSON n LENGTH "${json}" traceEvents)
  if(n EQUAL 0)
    message(FATAL_ERROR "timeline.json has no events")
  endif()

  # Each event on its own. The file has one event per line (docs/timeline.md): parse each line
  # alone (string(JSON) parses its whole input on every call), after checking that the lines
  # are all the events.
  file(STRINGS "${OUT}/1/timeline.json" lines REGEX "^{\"ph\":")
  list(LENGTH lines nlines)
  if(NOT nlines EQUAL n)
    message(FATAL_ERROR "${n} events in traceEvents but ${nlines} event lines: not one event per line")
  endif()
  set(spans "")
  set(nx 0)
  set(nc 0)
  set(i 0)
  foreach(ev IN LISTS lines)
    string(REGEX REPLACE ",$" "" ev "${ev}")
    foreach(k ph name pid tid ts)
      string(JSON v ERROR_VARIABLE err GET "${ev}" ${k})
      if(err)
        message(FATAL_ERROR "event ${i} has no '${k}': ${ev}")
      endif()
    endforeach()
    string(JSON ph GET "${ev}" ph)
    if(ph STREQUAL "C")
      math(EXPR nc "${nc} + 1")
    elseif(ph STREQUAL "X")
      math(EXPR nx "${nx} + 1")
      string(JSON dur ERROR_VARIABLE err GET "${ev}" dur)
      if(err)
        message(FATAL_ERROR "X event ${i} has no 'dur': ${ev}")
      endif()
      string(JSON ts GET "${ev}" ts)
      string(JSON pid GET "${ev}" pid)
      string(JSON tid GET "${ev}" tid)
      timeline_ns("${ts}" a)
      timeline_ns("${dur}" d)
      math(EXPR b "${a} + ${d}")
      math(EXPR neg "100000000000000000 - ${b}")  # longer spans first among equal starts
      timeline_pad(${pid} p)
      timeline_pad(${tid} t)
      timeline_pad(${a} pa)
      timeline_pad(${neg} pb)
      list(APPEND spans "${p}:${t}:${pa}:${pb}:${a}:${b}")
    elseif(NOT ph STREQUAL "M")
      message(FATAL_ERROR "event ${i} has phase '${ph}' (expected X, C or M): ${ev}")
    endif()
    math(EXPR i "${i} + 1")
  endforeach()

  # Nesting: per track, by start, each span inside the innermost open one or after its end.
  list(SORT spans)
  set(track "")
  set(stack "")
  foreach(s IN LISTS spans)
    string(REPLACE ":" ";" f "${s}")
    list(GET f 0 p)
    list(GET f 1 t)
    list(GET f 4 a)
    list(GET f 5 b)
    if(NOT "${p}:${t}" STREQUAL track)
      set(track "${p}:${t}")
      set(stack "")
    endif()
    list(LENGTH stack depth)
    while(depth GREATER 0)
      list(GET stack -1 top)
      if(top GREATER a)
        break()
      endif()
      list(POP_BACK stack)
      list(LENGTH stack depth)
    endwhile()
    if(depth GREATER 0 AND b GREATER top)
      message(FATAL_ERROR "track pid:tid ${track}: the span ${a}-${b} ns overlaps one that ends at ${top} ns")
    endif()
    list(APPEND stack ${b})
  endforeach()

  if(collected AND nx EQUAL 0)
    message(FATAL_ERROR "otherData says the spans were collected, but there is no X event")
  endif()
  if(DEFINED MIN_SPANS AND collected AND nx LESS MIN_SPANS)
    message(FATAL_ERROR "${nx} X events, expected at least ${MIN_SPANS}")
  endif()
  message(STATUS "ok: ${n} events (${nx} spans, ${nc} counter points), spans collected: ${collected}")
  return()
endif()

set(RACKSIM_TIMELINE_SCRIPT "${CMAKE_CURRENT_LIST_FILE}")
set(RACKSIM_TIMELINE_DATA "${PROJECT_SOURCE_DIR}/tests/data/sim")

# racksim_timeline_test(<case> SCENARIO <file> [SETS <assignment>...] [MIN_SPANS <n>])
function(racksim_timeline_test case)
  cmake_parse_arguments(X "" "SCENARIO;MIN_SPANS" "SETS" ${ARGN})
  set(extra "")
  if(DEFINED X_MIN_SPANS)
    set(extra "-DMIN_SPANS=${X_MIN_SPANS}")
  endif()
  add_test(NAME "cli/timeline/${case}"
           COMMAND ${CMAKE_COMMAND} -DMODE=check "-DRACKSIM=$<TARGET_FILE:racksim>" "-DSCENARIO=${X_SCENARIO}"
                   "-DSETS=${X_SETS}" ${extra} "-DOUT=${CMAKE_CURRENT_BINARY_DIR}/out/timeline/${case}"
                   -P "${RACKSIM_TIMELINE_SCRIPT}")
  set_tests_properties("cli/timeline/${case}" PROPERTIES LABELS "cli" TIMEOUT 300)
endfunction()

# The overlap oracle (tests/sim/test_timeline_sim.cpp derives its spans): 8 ranks x 3 ops.
racksim_timeline_test(overlap SCENARIO "${RACKSIM_TIMELINE_DATA}/switched.yaml" SETS "workload.file=overlap.yaml"
                      MIN_SPANS 24)
# A transformer step, reduced to its replica: pipeline sends, TP and DP collectives, allocations.
racksim_timeline_test(transformer-pipeline SCENARIO "${RACKSIM_TIMELINE_DATA}/transformer-pipeline.yaml")

add_test(NAME "cli/timeline/no-timeline"
         COMMAND ${CMAKE_COMMAND} -DMODE=absent "-DRACKSIM=$<TARGET_FILE:racksim>"
                 "-DSCENARIO=${RACKSIM_TIMELINE_DATA}/switched.yaml" "-DSETS=workload.file=overlap.yaml"
                 "-DEXTRA=--no-timeline" "-DOUT=${CMAKE_CURRENT_BINARY_DIR}/out/timeline/no-timeline"
                 -P "${RACKSIM_TIMELINE_SCRIPT}")
set_tests_properties("cli/timeline/no-timeline" PROPERTIES LABELS "cli" TIMEOUT 120)
