# report.html through the racksim binary (sim/output/report.cpp, docs/report.md): `racksim run` writes a
# self-contained page with its plots, the same bytes on every run, none with --no-report; and the
# page renders in headless Chromium with every plot drawn and nothing on the console.
#
# This file has two roles:
#   - included from tests/cli/CMakeLists.txt, it registers the tests (label "cli"):
#       cli/report/<case>          racksim run twice: report.html exists, is under 2 MB, has the
#                                  case's plot ids, references nothing outside itself (no src=,
#                                  <link, url(, http:// or https://) and is byte-identical across
#                                  the runs; with --no-report it is not written
#       cli/report/<case>/browser  the page rendered by headless Chromium (--dump-dom): each plot
#                                  id is in the DOM with drawn shapes (<path or <rect) inside its
#                                  <svg>, and Chromium logged no console message or uncaught
#                                  exception. Skipped (SKIP_REGULAR_EXPRESSION) when Chromium is
#                                  absent, unless the environment sets RACKSIM_REQUIRE_CHROMIUM=1
#                                  (CI), which makes its absence a failure.
#   - run as a script (cmake -DMODE=static|browser ... -P report_cli.cmake), it performs one check.
#
# How console errors are detected. With --enable-logging=stderr --v=0, Chromium 156 (Debian 12)
# writes every console message and every uncaught exception to stderr as
#   [21003:21003:1122/085319.813198:INFO:CONSOLE:2] "deliberate-error-xyz", source: file:///... (2)
#   [...:INFO:CONSOLE:2] "Uncaught ReferenceError: undefinedFn is not defined", source: ...
# with the same INFO level for console.log and console.error (older versions write CONSOLE(2)).
# The report logs nothing, so any line with CONSOLE or "Uncaught" fails the test. The browser
# test first renders a canary page that calls console.error and an undefined function, and fails
# unless both are caught: a Chromium whose log format changed cannot make the check pass
# silently. Each render gets its own --user-data-dir under the test's output folder (tests run in
# parallel) and a 60 s timeout.
#
# The cases are the shipped helios.yaml (72 ranks, a traced step: ranks drawn in groups, with the
# histogram) and tests/data/chakra/transformer-small.yaml (16 ranks, a generated training step:
# the per-dimension bars); each simulates in well under a second.

if(CMAKE_SCRIPT_MODE_FILE)
  include(${CMAKE_CURRENT_LIST_DIR}/run_checks.cmake)

  # Writes <dir>/report.html: racksim run SCENARIO, or, when AXIS is set, racksim sweep SCENARIO
  # --axis AXIS (a sweep's page); ARGN are extra options (--no-report).
  function(report_make dir)
    if(AXIS)
      racksim_run_expect(ignored 0 sweep "${SCENARIO}" --axis "${AXIS}" --out "${dir}" --quiet --jobs 2 ${ARGN})
    else()
      racksim_run_expect(ignored 0 run "${SCENARIO}" --out "${dir}" --quiet ${ARGN})
    endif()
  endfunction()

  # Fails unless every id in IDS names a <svg class="plot"> in <html> with data drawn in it: a
  # bar (<rect> with its <title> tooltip) or a line (a series' <path>), not only axes and grid.
  function(report_check_plots what html)
    foreach(id IN LISTS IDS)
      string(FIND "${html}" "<svg class=\"plot\" id=\"${id}\"" at)
      if(at EQUAL -1)
        message(FATAL_ERROR "${what}: no <svg class=\"plot\" id=\"${id}\">")
      endif()
      string(SUBSTRING "${html}" ${at} -1 rest)
      string(FIND "${rest}" "</svg>" end)
      if(end EQUAL -1)
        message(FATAL_ERROR "${what}: the element with id=\"${id}\" has no </svg>")
      endif()
      string(SUBSTRING "${rest}" 0 ${end} svg)
      if(NOT svg MATCHES "<rect[^>]*><title>|<g class=\"series\"><title>[^<]*</title><path")
        message(FATAL_ERROR "${what}: <svg id=\"${id}\"> draws no bar or line, only its frame:\n${svg}")
      endif()
    endforeach()
  endfunction()

  # Renders <html_file> in headless Chromium; sets <dom_var> to the DOM and <console_var> to the
  # console lines (empty when none).
  function(report_render html_file name dom_var console_var)
    execute_process(COMMAND "${CHROMIUM}" --headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking
                            --disable-component-update --disable-sync --disable-quic
                            "--user-data-dir=${OUT}/${name}-profile" --virtual-time-budget=2000
                            --enable-logging=stderr --v=0 --dump-dom "file://${html_file}"
                    INPUT_FILE /dev/null RESULT_VARIABLE rc OUTPUT_VARIABLE dom ERROR_VARIABLE log TIMEOUT 60)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "chromium exited with '${rc}' rendering ${html_file}:\n${log}")
    endif()
    string(REGEX MATCHALL "[^\n]*(CONSOLE|Uncaught)[^\n]*" console "${log}")
    set(${dom_var} "${dom}" PARENT_SCOPE)
    set(${console_var} "${console}" PARENT_SCOPE)
  endfunction()

  file(REMOVE_RECURSE "${OUT}")
  file(MAKE_DIRECTORY "${OUT}")
  if(MODE STREQUAL "static")
    report_make("${OUT}/a")
    report_make("${OUT}/b")
    report_make("${OUT}/none" --no-report)
    set(page "${OUT}/a/report.html")
    if(NOT EXISTS "${page}")
      message(FATAL_ERROR "racksim wrote no ${page}")
    endif()
    if(EXISTS "${OUT}/none/report.html")
      message(FATAL_ERROR "racksim with --no-report wrote ${OUT}/none/report.html")
    endif()
    file(SIZE "${page}" size)
    if(size GREATER 2097152)
      message(FATAL_ERROR "report.html is ${size} bytes, over the 2 MiB bound")
    endif()
    file(READ "${page}" html)
    if(NOT html MATCHES "^<!DOCTYPE html>")
      message(FATAL_ERROR "report.html does not start with <!DOCTYPE html>")
    endif()
    foreach(ref "src=" "<link" "url(" "http://" "https://" "@import" "<script")
      string(FIND "${html}" "${ref}" at)
      if(NOT at EQUAL -1)
        string(SUBSTRING "${html}" ${at} 120 context)
        message(FATAL_ERROR "report.html is not self-contained: it has '${ref}' at byte ${at}: ${context}")
      endif()
    endforeach()
    report_check_plots("report.html" "${html}")
    file(READ "${OUT}/b/report.html" again)
    if(NOT html STREQUAL again)
      execute_process(COMMAND diff "${OUT}/a/report.html" "${OUT}/b/report.html" OUTPUT_VARIABLE d)
      message(FATAL_ERROR "two runs of ${SCENARIO} wrote different report.html files:\n${d}")
    endif()
    message(STATUS "ok: report.html of ${SCENARIO}: ${size} bytes, plots ${IDS}, self-contained, deterministic")
  elseif(MODE STREQUAL "browser")
    if(NOT CHROMIUM OR NOT EXISTS "${CHROMIUM}")
      if("$ENV{RACKSIM_REQUIRE_CHROMIUM}" STREQUAL "1")
        message(FATAL_ERROR "RACKSIM_REQUIRE_CHROMIUM=1 but no Chromium was found when configuring (RACKSIM_CHROMIUM='${CHROMIUM}')")
      endif()
      message(STATUS "RACKSIM_TEST_SKIPPED: no Chromium found when configuring (set RACKSIM_CHROMIUM and reconfigure)")
      return()
    endif()
    # The canary: the detection must see a deliberate console.error and an uncaught exception.
    file(WRITE "${OUT}/canary.html"
         "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>canary</title></head><body><p id=\"canary\">x</p>"
         "<script>console.error('racksim-canary-error'); undefinedFunction();</script></body></html>\n")
    report_render("${OUT}/canary.html" canary dom console)
    if(NOT dom MATCHES "id=\"canary\"" OR NOT console MATCHES "racksim-canary-error" OR NOT console MATCHES "Uncaught ReferenceError")
      message(FATAL_ERROR "the console detection missed the canary page's console.error or uncaught exception "
                          "(Chromium's log format changed?); console lines found: '${console}'")
    endif()
    report_make("${OUT}/run")
    report_render("${OUT}/run/report.html" report dom console)
    if(NOT console STREQUAL "")
      string(REPLACE ";" "\n" console "${console}")
      message(FATAL_ERROR "Chromium logged console messages for report.html:\n${console}")
    endif()
    report_check_plots("report.html as Chromium parsed it" "${dom}")
    message(STATUS "ok: report.html of ${SCENARIO} renders in ${CHROMIUM} with plots ${IDS} and a silent console")
  else()
    message(FATAL_ERROR "report_cli.cmake: MODE must be 'static' or 'browser', got '${MODE}'")
  endif()
  return()
endif()

set(RACKSIM_REPORT_SCRIPT "${CMAKE_CURRENT_LIST_FILE}")
find_program(RACKSIM_CHROMIUM NAMES chromium chromium-browser google-chrome
             DOC "Chromium for the headless report.html tests (tests/cli/report_cli.cmake)")

# racksim_report_test(<case> SCENARIO <file> [AXIS <sweep axis>] IDS <plot id>...)
function(racksim_report_test case)
  cmake_parse_arguments(PARSE_ARGV 1 X "" "SCENARIO;AXIS" "IDS")
  foreach(mode static browser)
    set(name "cli/report/${case}")
    if(mode STREQUAL "browser")
      set(name "cli/report/${case}/browser")
    endif()
    add_test(NAME "${name}"
             COMMAND ${CMAKE_COMMAND} -DMODE=${mode} "-DRACKSIM=$<TARGET_FILE:racksim>" "-DSCENARIO=${X_SCENARIO}"
                     "-DAXIS=${X_AXIS}" "-DIDS=${X_IDS}" "-DCHROMIUM=${RACKSIM_CHROMIUM}"
                     "-DOUT=${CMAKE_CURRENT_BINARY_DIR}/out/report/${case}/${mode}" -P "${RACKSIM_REPORT_SCRIPT}")
    set_tests_properties("${name}" PROPERTIES LABELS "cli" TIMEOUT 180 SKIP_REGULAR_EXPRESSION "RACKSIM_TEST_SKIPPED")
  endforeach()
endfunction()

# helios.yaml: 72 ranks (> 64: drawn in 36 groups of 2, plus the histogram), one rack with its
# power and cooling loop (the temperature plot).
racksim_report_test(helios SCENARIO "${PROJECT_SOURCE_DIR}/scenarios/helios.yaml"
  IDS plot-step plot-ranks plot-rank-hist plot-power plot-gpu-power plot-clock plot-temp)
# transformer-small.yaml: 16 ranks (one bar each, no histogram), a generated training step (the
# per-dimension bar of plot-step).
racksim_report_test(training SCENARIO "${PROJECT_SOURCE_DIR}/tests/data/chakra/transformer-small.yaml"
  IDS plot-step plot-ranks plot-power plot-gpu-power plot-clock plot-temp)
# A sweep's page: mi300x-node.yaml over three GPU power caps (racksim sweep, docs/sweep.md), one
# plot per metric the points have (a trace: no training metrics).
racksim_report_test(sweep SCENARIO "${PROJECT_SOURCE_DIR}/scenarios/mi300x-node.yaml" AXIS "power.gpu_cap=400W,600W,750W"
  IDS plot-simulated_time_s plot-power-energy_j plot-power-it_avg_w plot-thermal-max_coolant_c)
