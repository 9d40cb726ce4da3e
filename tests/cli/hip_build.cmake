# The HIP microbenchmark suite (validation/hip/, tools/microbench.sh): it compiles with both GPU
# compilers, and on a machine with a GPU its quick grid passes every check.
#
# This file has two roles:
#   - included from tests/cli/CMakeLists.txt, it registers the tests (label "cli"):
#       cli/hip/build-nvcc-sm90    tools/microbench.sh --build-only --arch sm_90: nvcc -x cu of every
#                                  family and the link with cuBLAS; fails on any compiler warning
#       cli/hip/build-hipcc-gfx90a tools/microbench.sh --build-only --arch gfx90a with hipcc (Debian's
#                                  HIP 5.2 is enough); fails on any compiler warning
#       cli/hip/run                only where a GPU is present (nvidia-smi -L succeeds or /dev/kfd
#                                  exists): tools/microbench.sh --quick, then every case of the
#                                  measurements file must have "check": "ok"
#     A build test whose compiler is missing, and the run test without a GPU, print
#     RACKSIM_TEST_SKIPPED and the reason, which CTest reports as skipped. With the environment
#     variable RACKSIM_REQUIRE_GPU_COMPILERS=1 (CI sets it) a missing compiler fails instead.
#     Everything is built under the build tree (out/hip/), never in the source tree.
#   - run as a script (cmake -DMODE=nvcc|hipcc|run -DSOURCE_DIR=... -DOUT=... -P hip_build.cmake),
#     it performs one of them.

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_minimum_required(VERSION 3.19)  # string(JSON)

  find_program(BASH bash)
  if(NOT BASH)
    message(FATAL_ERROR "bash not found")
  endif()
  set(runner "${SOURCE_DIR}/tools/microbench.sh")

  # Prints the skip marker, or fails when RACKSIM_REQUIRE_GPU_COMPILERS=1.
  function(skip_missing_compiler what)
    if("$ENV{RACKSIM_REQUIRE_GPU_COMPILERS}" STREQUAL "1")
      message(FATAL_ERROR "${what} not found, and RACKSIM_REQUIRE_GPU_COMPILERS=1 requires it")
    endif()
    message("RACKSIM_TEST_SKIPPED: ${what} not found (set RACKSIM_REQUIRE_GPU_COMPILERS=1 to make this a failure)")
  endfunction()

  # Builds the suite with compiler <exe> for <arch> into OUT/<arch>; fails on an error or a warning.
  function(build_suite exe arch)
    get_filename_component(bindir "${exe}" DIRECTORY)
    set(dir "${OUT}/${arch}")
    file(REMOVE_RECURSE "${dir}")  # a full compile every time
    string(TIMESTAMP t0 "%s")
    execute_process(
      COMMAND ${CMAKE_COMMAND} -E env "PATH=${bindir}:$ENV{PATH}"
              "${BASH}" "${runner}" --build-only --arch ${arch} --build-dir "${dir}"
      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    string(TIMESTAMP t1 "%s")
    math(EXPR secs "${t1} - ${t0}")
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "building for ${arch} with ${exe} failed (exit ${rc}):\n${out}${err}")
    endif()
    if(NOT EXISTS "${dir}/racksim-hip")
      message(FATAL_ERROR "the build for ${arch} left no ${dir}/racksim-hip:\n${out}${err}")
    endif()
    if("${out}${err}" MATCHES "[Ww]arning")
      message(FATAL_ERROR "the build for ${arch} with ${exe} printed warnings:\n${out}${err}")
    endif()
    message("built ${dir}/racksim-hip with ${exe} in ${secs} s")
  endfunction()

  if(MODE STREQUAL "nvcc")
    find_program(NVCC nvcc PATHS "$ENV{CUDA_HOME}/bin" /usr/local/cuda/bin NO_CACHE)
    if(NOT NVCC)
      skip_missing_compiler("nvcc (CUDA toolkit)")
      return()
    endif()
    build_suite("${NVCC}" sm_90)
  elseif(MODE STREQUAL "hipcc")
    find_program(HIPCC hipcc PATHS "$ENV{ROCM_PATH}/bin" /opt/rocm/bin NO_CACHE)
    if(NOT HIPCC)
      skip_missing_compiler("hipcc (Debian: apt-get install hipcc)")
      return()
    endif()
    build_suite("${HIPCC}" gfx90a)
  elseif(MODE STREQUAL "run")
    set(gpu FALSE)
    find_program(SMI nvidia-smi NO_CACHE)
    if(SMI)
      execute_process(COMMAND "${SMI}" -L RESULT_VARIABLE smi_rc OUTPUT_QUIET ERROR_QUIET)
      if(smi_rc EQUAL 0)
        set(gpu TRUE)
      endif()
    endif()
    if(EXISTS /dev/kfd)
      set(gpu TRUE)
    endif()
    if(NOT gpu)
      message("RACKSIM_TEST_SKIPPED: no GPU on this machine (nvidia-smi -L fails and there is no /dev/kfd)")
      return()
    endif()
    set(json "${OUT}/measurements.json")
    file(REMOVE "${json}")
    file(MAKE_DIRECTORY "${OUT}")
    execute_process(
      COMMAND "${BASH}" "${runner}" --quick --out "${json}" --build-dir "${OUT}/build"
      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT EXISTS "${json}")
      message(FATAL_ERROR "tools/microbench.sh --quick wrote no ${json} (exit ${rc}):\n${out}${err}")
    endif()
    file(READ "${json}" doc)
    string(JSON format GET "${doc}" format)
    string(JSON version GET "${doc}" format_version)
    if(NOT format STREQUAL "racksim-measurements" OR NOT version EQUAL 1)
      message(FATAL_ERROR "${json}: format '${format}' version '${version}', expected racksim-measurements 1")
    endif()
    string(JSON ncases LENGTH "${doc}" cases)
    if(ncases EQUAL 0)
      message(FATAL_ERROR "${json} has no cases:\n${out}${err}")
    endif()
    set(bad "")
    math(EXPR last "${ncases} - 1")
    foreach(i RANGE ${last})
      string(JSON id GET "${doc}" cases ${i} id)
      string(JSON check GET "${doc}" cases ${i} check)
      if(NOT check STREQUAL "ok")
        string(APPEND bad "  ${id}: ${check}\n")
      endif()
    endforeach()
    if(NOT bad STREQUAL "" OR NOT rc EQUAL 0)
      message(FATAL_ERROR "racksim-hip --quick (exit ${rc}) has failed checks:\n${bad}\n${out}${err}")
    endif()
    message("${ncases} cases, all checks ok:\n${out}")
  else()
    message(FATAL_ERROR "hip_build.cmake: MODE must be nvcc, hipcc or run, got '${MODE}'")
  endif()
  return()
endif()

# ---- registration (included from tests/cli/CMakeLists.txt)

set(hip_out "${CMAKE_CURRENT_BINARY_DIR}/out/hip")
foreach(pair "build-nvcc-sm90;nvcc" "build-hipcc-gfx90a;hipcc" "run;run")
  list(GET pair 0 name)
  list(GET pair 1 mode)
  add_test(NAME "cli/hip/${name}"
           COMMAND ${CMAKE_COMMAND} "-DMODE=${mode}" "-DSOURCE_DIR=${PROJECT_SOURCE_DIR}" "-DOUT=${hip_out}/${mode}"
                   -P "${CMAKE_CURRENT_SOURCE_DIR}/hip_build.cmake")
  set(timeout 600)
  if(mode STREQUAL "run")
    set(timeout 1800)
  endif()
  set_tests_properties("cli/hip/${name}" PROPERTIES LABELS "cli" TIMEOUT ${timeout}
                       SKIP_REGULAR_EXPRESSION "RACKSIM_TEST_SKIPPED")
endforeach()
