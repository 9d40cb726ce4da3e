# A relocatable install: `cmake --install` into a prefix, the prefix moved to another folder, and
# the installed racksim run there with RACKSIM_DATA_DIR unset.
#
# This file has two roles:
#   - included from tests/cli/CMakeLists.txt, it registers cli/install/relocated (label "cli");
#   - run as a script (cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DOUT=... -P install_cli.cmake),
#     it performs the check:
#       1. `cmake --install BUILD_DIR --prefix OUT/staged` gives bin/racksim and, under
#          share/racksim/, a byte-identical copy of every file of models/catalog/, scenarios/ and
#          validation/reference/ (what data_dir() users read: catalog, calibration tables,
#          transformer presets, scenarios with their native and Chakra traces, the plan example,
#          published measurements);
#       2. the prefix is renamed to OUT/moved/prefix, so the path the install was made for is gone;
#       3. `racksim run` with no scenario runs the default scenario of the moved data directory
#          (scenarios/helios.yaml, a native trace) and a shipped Chakra scenario runs by its
#          installed path: each exits 0 and writes a summary.json equal to its golden (the same
#          inputs give the same bytes);
#       4. the data directory really is the moved one and not the source tree the binary was built
#          from (which holds the same files): a trace that does not exist is looked for, and named
#          in the error, beside the moved prefix's default scenario.

if(CMAKE_SCRIPT_MODE_FILE)
  file(REMOVE_RECURSE "${OUT}")
  file(MAKE_DIRECTORY "${OUT}")
  unset(ENV{RACKSIM_DATA_DIR})

  # 1. Install and compare.
  set(staged "${OUT}/staged")
  execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${staged}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cmake --install ${BUILD_DIR} --prefix ${staged} failed (${rc}):\n${out}${err}")
  endif()
  if(NOT EXISTS "${staged}/bin/racksim")
    message(FATAL_ERROR "cmake --install wrote no bin/racksim under ${staged}:\n${out}")
  endif()
  set(count 0)
  foreach(dir models/catalog scenarios validation/reference)
    file(GLOB_RECURSE files RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/${dir}/*")
    if(NOT files)
      message(FATAL_ERROR "no files under ${SOURCE_DIR}/${dir}")
    endif()
    foreach(f IN LISTS files)
      set(installed "${staged}/share/racksim/${f}")
      if(NOT EXISTS "${installed}")
        message(FATAL_ERROR "cmake --install did not install ${f} (expected ${installed})")
      endif()
      execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${SOURCE_DIR}/${f}" "${installed}"
                      RESULT_VARIABLE differ)
      if(differ)
        message(FATAL_ERROR "the installed ${installed} differs from ${SOURCE_DIR}/${f}")
      endif()
      math(EXPR count "${count} + 1")
    endforeach()
  endforeach()

  # 2. Move the prefix.
  file(MAKE_DIRECTORY "${OUT}/moved")
  set(prefix "${OUT}/moved/prefix")
  file(RENAME "${staged}" "${prefix}")
  if(EXISTS "${staged}")
    message(FATAL_ERROR "${staged} still exists after the move")
  endif()
  set(racksim "${prefix}/bin/racksim")

  # 3. Run the default scenario and a Chakra scenario from the moved prefix, from a folder of
  #    neither tree.
  file(MAKE_DIRECTORY "${OUT}/cwd")
  foreach(case default chakra-ring-8)
    if(case STREQUAL "default")
      set(args "")
      set(golden "${SOURCE_DIR}/tests/golden/helios.summary.json")
    else()
      set(args "${prefix}/share/racksim/scenarios/${case}.yaml")
      set(golden "${SOURCE_DIR}/tests/golden/${case}.summary.json")
    endif()
    execute_process(COMMAND "${racksim}" run ${args} --out "${OUT}/run-${case}" --summary-only --quiet
                    WORKING_DIRECTORY "${OUT}/cwd" INPUT_FILE /dev/null
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "the installed racksim, moved to ${prefix}, failed to run ${case} (${rc}):\n${out}${err}")
    endif()
    if(NOT EXISTS "${OUT}/run-${case}/summary.json")
      message(FATAL_ERROR "the installed racksim ran ${case} but wrote no ${OUT}/run-${case}/summary.json")
    endif()
    execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${golden}" "${OUT}/run-${case}/summary.json"
                    RESULT_VARIABLE differ)
    if(differ)
      execute_process(COMMAND diff -u "${golden}" "${OUT}/run-${case}/summary.json" OUTPUT_VARIABLE d)
      string(SUBSTRING "${d}" 0 4000 d)
      message(FATAL_ERROR "the installed racksim's summary of ${case} differs from its golden:\n${d}")
    endif()
  endforeach()

  # 4. Which data directory: the default scenario's folder is the moved prefix's. /proc/self/exe
  #    resolves symbolic links, so the expected path does too.
  file(REAL_PATH "${prefix}" real_prefix)
  set(expected "${real_prefix}/share/racksim/scenarios/no-such-trace.yaml")
  execute_process(COMMAND "${racksim}" run --set workload.file=no-such-trace.yaml --out "${OUT}/run-missing"
                          --summary-only --quiet
                  WORKING_DIRECTORY "${OUT}/cwd" INPUT_FILE /dev/null
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(FIND "${err}" "${expected}" at)
  if(NOT rc EQUAL 3 OR at EQUAL -1)
    message(FATAL_ERROR "expected exit code 3 and an error naming ${expected} (the moved data directory), "
                        "got ${rc}:\n${out}${err}")
  endif()
  message(STATUS "installed ${count} data files; the moved install ran from ${real_prefix}")
  return()
endif()

add_test(NAME "cli/install/relocated"
         COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${PROJECT_BINARY_DIR} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
                 -DOUT=${CMAKE_CURRENT_BINARY_DIR}/out/install -P ${CMAKE_CURRENT_LIST_FILE})
set_tests_properties("cli/install/relocated" PROPERTIES LABELS "cli" TIMEOUT 300)
