# The dependency rules of docs/architecture.md, checked on the sources and the build's targets.
#
#   cmake -DSOURCE_DIR=<repo> -DLINKS_FILE=<build>/racksim_links.txt -P check_dependencies.cmake
#
# 1. Includes point one way. A file of folder F may include project headers only from the
#    folders F may depend on (the table below, which is the same as the CMake targets' links).
# 2. Only sim/engine/simgrid_adapter.cpp includes a SimGrid header, and only
#    sim/workload/chakra.cpp includes the generated protobuf header or protobuf itself.
# 3. In the link graph (LINKS_FILE, written at configure time from each target's
#    LINK_LIBRARIES), only racksim_engine names SimGrid and only racksim_workload names the
#    protobuf object library.
# Any breach is listed, with file and line, and fails the test.
cmake_minimum_required(VERSION 3.25)

set(allowed_core "core")
set(allowed_models "core;models")
set(allowed_topologies "core;topologies")
set(allowed_workload "core;models;sim/workload")
set(allowed_scenario "core;models;topologies;sim/workload;sim/scenario")
set(allowed_output "core;models;sim/workload;sim/output")
set(allowed_engine "core;models;topologies;sim/workload;sim/scenario;sim/output;sim/engine")
set(allowed_studies "core;models;sim/workload;sim/output;sim/studies")
set(allowed_cli "core;models;topologies;sim/workload;sim/scenario;sim/output;sim/engine;sim/studies;sim/cli")

set(problems "")
foreach(layer core models topologies workload scenario output engine studies cli)
  if(layer STREQUAL "core" OR layer STREQUAL "models" OR layer STREQUAL "topologies")
    set(dir "${layer}")
  else()
    set(dir "sim/${layer}")
  endif()
  file(GLOB_RECURSE files "${SOURCE_DIR}/${dir}/*.hpp" "${SOURCE_DIR}/${dir}/*.cpp")
  foreach(f IN LISTS files)
    file(RELATIVE_PATH rel "${SOURCE_DIR}" "${f}")
    file(STRINGS "${f}" lines REGEX "^#include")
    foreach(line IN LISTS lines)
      if(line MATCHES "^#include \"([a-z_]+(/[a-z_]+)?)/[a-z_0-9]+\\.hpp\"")
        set(folder "${CMAKE_MATCH_1}")
        # "sim/engine/run.hpp" -> sim/engine; "core/units.hpp" -> core
        if(NOT folder MATCHES "^sim/")
          string(REGEX REPLACE "/.*" "" folder "${folder}")
        endif()
        if(NOT folder IN_LIST allowed_${layer})
          string(APPEND problems "  ${rel}: ${line} (${dir} may include only: ${allowed_${layer}})\n")
        endif()
      endif()
      if(line MATCHES "<simgrid/" AND NOT rel STREQUAL "sim/engine/simgrid_adapter.cpp")
        string(APPEND problems "  ${rel}: ${line} (only sim/engine/simgrid_adapter.cpp calls SimGrid)\n")
      endif()
      if((line MATCHES "et_def\\.pb\\.h" OR line MATCHES "<google/protobuf") AND NOT rel STREQUAL "sim/workload/chakra.cpp")
        string(APPEND problems "  ${rel}: ${line} (only sim/workload/chakra.cpp uses protobuf)\n")
      endif()
    endforeach()
  endforeach()
endforeach()

if(LINKS_FILE)
  file(STRINGS "${LINKS_FILE}" links)
  foreach(entry IN LISTS links)
    if(entry MATCHES "^([a-z_]+): (.*)$")
      set(target "${CMAKE_MATCH_1}")
      set(deps "${CMAKE_MATCH_2}")
      if(deps MATCHES "SIMGRID" AND NOT target STREQUAL "racksim_engine")
        string(APPEND problems "  target ${target} links SimGrid (only racksim_engine may): ${deps}\n")
      endif()
      if(deps MATCHES "racksim_chakra_proto|protobuf" AND NOT target STREQUAL "racksim_workload")
        string(APPEND problems "  target ${target} links protobuf (only racksim_workload may): ${deps}\n")
      endif()
    endif()
  endforeach()
endif()

if(problems)
  message(FATAL_ERROR "dependency rules broken (docs/architecture.md):\n${problems}")
endif()
message(STATUS "dependency rules hold")
