# Chakra ET through the racksim binary (docs/chakra.md): every sample trace runs and takes the
# time its alpha-beta closed form says; export-chakra writes files that replay identically;
# malformed Chakra inputs fail with the right exit code and message.
#
# This file has two roles:
#   - included from tests/cli/CMakeLists.txt, it registers the tests (label "cli"):
#       cli/chakra/time/<case>       racksim run, then simulated_time_s within [LO, HI]
#       cli/chakra/roundtrip/<case>  export-chakra, then the exported files replay identically:
#                                    summary.json byte for byte but for the scenario's identity,
#                                    workload.kind and why the run was not reduced (a generated
#                                    step and a Chakra replay are refused for different reasons)
#       cli/chakra/export/<case>     export-chakra's command line and refusals
#       cli/bad_input/chakra_<case>  malformed Chakra inputs (tests/bad_inputs/chakra_*.yaml)
#   - run as a script (cmake -DMODE=time|roundtrip ... -P chakra_cli.cmake), it performs one of
#     the first two checks.
#
# Expected times are derived in the comments from the clusters' catalog values; never copied
# from racksim's output.

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_minimum_required(VERSION 3.19)  # string(JSON)
  include(${CMAKE_CURRENT_LIST_DIR}/run_checks.cmake)

  # Runs racksim with ARGN; fails the test unless it exits 0. Sets <out_var> to its output.
  function(chakra_run out_var)
    set(ARGS ${ARGN})
    execute_process(COMMAND "${RACKSIM}" ${ARGN} INPUT_FILE /dev/null RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    set(problems "")
    racksim_exit_problems("${rc}" 0 "${out}" problems)
    if(NOT problems STREQUAL "")
      racksim_command_line(line)
      message(FATAL_ERROR "command: ${line}\nproblems:\n${problems}----- output -----\n${out}")
    endif()
    set(${out_var} "${out}" PARENT_SCOPE)
  endfunction()

  # A summary.json as a round trip must reproduce it byte for byte: everything but the
  # scenario's identity (name, file, --set overrides), the workload's kind and the reason the
  # run was not reduced (sim/engine/reduction.hpp: neither is; the generated step and the replayed
  # files are refused for different reasons).
  function(chakra_comparable json out_var)
    string(REGEX REPLACE "\"scenario\": {[^}]*}" "\"scenario\": <differs>" json "${json}")
    string(REGEX REPLACE "\"not_reduced_because\": \"[^\"]*\"" "\"not_reduced_because\": <differs>" json "${json}")
    string(REGEX REPLACE "(\"workload\": {[ \n]*\"kind\": )\"[a-z_]+\"" "\\1<differs>" json "${json}")
    set(${out_var} "${json}" PARENT_SCOPE)
  endfunction()

  file(REMOVE_RECURSE "${OUT}")
  if(MODE STREQUAL "time")
    set(args run "${SCENARIO}" --out "${OUT}" --quiet)
    foreach(s IN LISTS SETS)
      list(APPEND args --set "${s}")
    endforeach()
    chakra_run(out ${args})
    file(READ "${OUT}/summary.json" json)
    string(JSON t GET "${json}" simulated_time_s)
    if(t LESS LO OR t GREATER HI)
      message(FATAL_ERROR "simulated_time_s = ${t} s is outside the expected [${LO}, ${HI}] s (${SCENARIO} ${SETS})")
    endif()
    message(STATUS "ok: simulated_time_s = ${t} s within [${LO}, ${HI}] s")
  elseif(MODE STREQUAL "roundtrip")
    # A stale rank file of an earlier, larger export: --force must remove it (else a reader
    # would count it as one more rank).
    file(MAKE_DIRECTORY "${OUT}/et")
    file(WRITE "${OUT}/et/${NAME}.9999.et" "stale")
    chakra_run(out export-chakra "${SCENARIO}" "${OUT}/et" --force)
    foreach(regex "wrote [0-9]+ Chakra ET files? of workload" "/et/${NAME}\\.(0|\\{0\\.\\.[0-9]+\\})\\.et"
                  "removed 1 stale file of an earlier export")
      if(NOT out MATCHES "${regex}")
        message(FATAL_ERROR "export-chakra printed no match for '${regex}':\n${out}")
      endif()
    endforeach()
    if(EXISTS "${OUT}/et/${NAME}.9999.et" OR NOT EXISTS "${OUT}/et/${NAME}.0.et")
      message(FATAL_ERROR "export-chakra left ${NAME}.9999.et or did not write ${NAME}.0.et in ${OUT}/et")
    endif()
    chakra_run(out run "${SCENARIO}" --out "${OUT}/original" --quiet)
    chakra_run(out run "${READER}" --set "workload.prefix=${OUT}/et/${NAME}" --out "${OUT}/replayed" --quiet)
    file(READ "${OUT}/original/summary.json" a)
    file(READ "${OUT}/replayed/summary.json" b)
    string(JSON kind GET "${b}" workload kind)
    if(NOT kind STREQUAL "chakra")
      message(FATAL_ERROR "the replayed run's workload.kind is '${kind}', expected 'chakra'")
    endif()
    chakra_comparable("${a}" fa)
    chakra_comparable("${b}" fb)
    if(NOT fa MATCHES "<differs>.*<differs>" OR NOT fb MATCHES "<differs>.*<differs>")
      message(FATAL_ERROR "summary.json no longer has the scenario and workload.kind fields this test sets aside")
    endif()
    if(NOT fa STREQUAL fb)
      file(WRITE "${OUT}/original.json" "${fa}")
      file(WRITE "${OUT}/replayed.json" "${fb}")
      execute_process(COMMAND diff -u "${OUT}/original.json" "${OUT}/replayed.json" OUTPUT_VARIABLE d)
      message(FATAL_ERROR "the Chakra round trip of ${SCENARIO} changed the results (- original, + replayed):\n${d}")
    endif()
    message(STATUS "ok: ${SCENARIO} and its Chakra export give identical timing fields")
  else()
    message(FATAL_ERROR "chakra_cli.cmake: MODE must be 'time' or 'roundtrip', got '${MODE}'")
  endif()
  return()
endif()

set(RACKSIM_CHAKRA_SCRIPT "${CMAKE_CURRENT_LIST_FILE}")
set(chakra_data "${PROJECT_SOURCE_DIR}/tests/data/chakra")
set(chakra_scenarios "${PROJECT_SOURCE_DIR}/scenarios")

# racksim_chakra_time(<case> SCENARIO <file> [SETS <key=value>...] LO <s> HI <s>)
function(racksim_chakra_time case)
  cmake_parse_arguments(PARSE_ARGV 1 X "" "SCENARIO;LO;HI" "SETS")
  add_test(NAME "cli/chakra/time/${case}"
           COMMAND ${CMAKE_COMMAND} -DMODE=time "-DRACKSIM=$<TARGET_FILE:racksim>" "-DSCENARIO=${X_SCENARIO}"
                   "-DSETS=${X_SETS}" "-DLO=${X_LO}" "-DHI=${X_HI}"
                   "-DOUT=${CMAKE_CURRENT_BINARY_DIR}/out/chakra/time/${case}" -P "${RACKSIM_CHAKRA_SCRIPT}")
  set_tests_properties("cli/chakra/time/${case}" PROPERTIES LABELS "cli" TIMEOUT 120)
endfunction()

# racksim_chakra_roundtrip(<case> SCENARIO <file> READER <chakra scenario> NAME <file name>)
function(racksim_chakra_roundtrip case)
  cmake_parse_arguments(PARSE_ARGV 1 X "" "SCENARIO;READER;NAME" "")
  add_test(NAME "cli/chakra/roundtrip/${case}"
           COMMAND ${CMAKE_COMMAND} -DMODE=roundtrip "-DRACKSIM=$<TARGET_FILE:racksim>" "-DSCENARIO=${X_SCENARIO}"
                   "-DREADER=${X_READER}" "-DNAME=${X_NAME}"
                   "-DOUT=${CMAKE_CURRENT_BINARY_DIR}/out/chakra/roundtrip/${case}" -P "${RACKSIM_CHAKRA_SCRIPT}")
  set_tests_properties("cli/chakra/roundtrip/${case}" PROPERTIES LABELS "cli" TIMEOUT 300)
endfunction()

# --- astra-sim's microbenchmarks on the oracle cluster ------------------------------------------
# tests/data/chakra/oracle-switched.yaml: one non-blocking switch, B = 50 GB/s per GPU per
# direction, alpha = 2 + 1 + 2 = 5 us per transfer, no launch overhead, HBM 10 TB/s (reductions
# of at most 3 x 262144 B / 10 TB/s = 79 ns, hidden under each step's transfer). S = comm_size
# = 1 MiB = 1048576 B. CM02 without TCP-gamma makes a transfer take exactly alpha + bytes / B.
#   all_reduce (ring, 2(n-1) steps of S/n):     2(n-1)(alpha + S/(nB))
#     n=4:  6 x (5 us + 262144 B / 50 GB/s = 5.24288 us) =  6 x 10.24288 =  61.45728 us
#     n=8: 14 x (5 us + 131072 B / 50 GB/s = 2.62144 us) = 14 x  7.62144 = 106.70016 us
#     n=16: 30 x (5 us + 65536 B / 50 GB/s = 1.31072 us) = 30 x  6.31072 = 189.32160 us
#   all_gather (racksim bytes = n x comm_size; ring, n-1 steps of one 1 MiB part):
#     (n-1)(alpha + S/B) = (n-1) x (5 + 20.97152) us: n=4: 77.91456, n=8: 181.80064, n=16: 389.57280 us
#   reduce_scatter (ring, n-1 steps of S/n):    (n-1)(alpha + S/(nB))
#     n=4: 3 x 10.24288 = 30.72864, n=8: 7 x 7.62144 = 53.35008, n=16: 15 x 6.31072 = 94.66080 us
#   all_to_all (direct, one step: n-1 parts of S/n share the GPU's link): alpha + (n-1)(S/n)/B
#     n=4: 5 + 15.72864 = 20.72864, n=8: 5 + 18.35008 = 23.35008, n=16: 5 + 19.66080 = 24.66080 us
# The bounds allow 1 ns per step below: SimGrid ends simultaneous activities with a time
# precision of 1e-9 s (surf/precision); and 1 ns above. As <kind>;<n>;<LO>;<HI>:
set(oracle "${chakra_data}/oracle-switched.yaml")
foreach(spec
  "all_reduce;4;61.45128e-6;61.45828e-6"
  "all_reduce;8;106.68616e-6;106.70116e-6"
  "all_reduce;16;189.29160e-6;189.32260e-6"
  "all_gather;4;77.91156e-6;77.91556e-6"
  "all_gather;8;181.79364e-6;181.80164e-6"
  "all_gather;16;389.55780e-6;389.57380e-6"
  "reduce_scatter;4;30.72564e-6;30.72964e-6"
  "reduce_scatter;8;53.34308e-6;53.35108e-6"
  "reduce_scatter;16;94.64580e-6;94.66180e-6"
  "all_to_all;4;20.72764e-6;20.72964e-6"
  "all_to_all;8;23.34908e-6;23.35108e-6"
  "all_to_all;16;24.65980e-6;24.66180e-6")
  list(GET spec 0 kind)
  list(GET spec 1 n)
  list(GET spec 2 lo)
  list(GET spec 3 hi)
  racksim_chakra_time(${kind}_${n}npus SCENARIO "${oracle}" LO "${lo}" HI "${hi}"
    SETS "cluster.scale_up.gpus=${n}" "workload.prefix=microbenchmarks/${kind}/${n}npus_1MB/${kind}")
endforeach()

# --- the scenarios on the MI300X node -----------------------------------------------------------
# xgmi_mi300x: 64 GB/s x 0.75 usable = 48 GB/s per link per direction, 100 ns; every pair of
# GPUs has its own link (full mesh), so ring neighbours never share one.
# chakra-allreduce-8: a ring all-reduce of 1 MiB over 8 ranks, 14 steps of
#   100 ns + 131072 B / 48 GB/s = 0.1 + 2.730667 = 2.830667 us -> 39.629333 us,
# the reductions (3 x 131072 B through 5.3 TB/s HBM, < 0.1 us) hidden; 1 ns per step below.
# (Forced to direct without library latencies; the scenario itself lets RCCL's model choose.)
# Direct all-reduce on the full mesh: a reduce-scatter step in which each rank sends its 7 other
# chunks of 131072 B to 7 peers at once, each over its own link (100 ns + 131072 B / 48 GB/s =
# 2.830667 us), then the all-gather step, the same: 5.661333 us; plus the MI300X kernel launch
# overhead every collective pays (5 us, gpus.yaml): 10.661333 us. The reduction of 7 x 131072 B
# (3 x 917504 B through 5.3 TB/s HBM = 0.52 us) is hidden. 1 ns per step below, 1 ns above.
racksim_chakra_time(allreduce_8_mi300x SCENARIO "${chakra_scenarios}/chakra-allreduce-8.yaml"
  SETS "collectives.library=none" "collectives.algorithm=direct" LO 10.659333e-6 HI 10.662333e-6)
# chakra-ring-8: per rank 14 sends of 131072 B (each 2.830667 us, as above), the receives posted
# in advance (eager), and 7 reductions of 7 us, each after a receive and before the next send:
# 14 x 2.830667 + 7 x 7 = 88.629333 us; 1 ns per transfer below.
racksim_chakra_time(ring_8_mi300x SCENARIO "${chakra_scenarios}/chakra-ring-8.yaml"
  LO 88.615333e-6 HI 88.630333e-6)
# chakra-real: the 1,209 kernels of GPU stream tid 7 run back to back, 292,828 us of recorded
# durations (the sum over the decoded trace, tests/data/chakra/README.md): a lower bound. The
# longest path through data_deps and the GPU streams with every recorded duration, NCCL kernels
# included, is 293,201 us (computed from the decoded trace); racksim's all-reduces over the xGMI
# mesh are shorter than the recorded NCCL kernels, and the reductions they run on the GPU
# delay the compute kernels by well under 0.1 ms: upper bound 293.3 ms.
racksim_chakra_time(real_mi300x SCENARIO "${chakra_scenarios}/chakra-real.yaml" LO 0.292828 HI 0.2933)

# --- round trips: racksim run of a scenario == racksim run of its exported Chakra files -------
# NAME is the file name export-chakra derives from the workload's name.
racksim_chakra_roundtrip(helios SCENARIO "${chakra_scenarios}/helios.yaml"
  READER "${chakra_data}/helios-chakra.yaml" NAME helios-fsdp-2layer-step)
racksim_chakra_roundtrip(mi300x_node SCENARIO "${chakra_scenarios}/mi300x-node.yaml"
  READER "${chakra_data}/mi300x-chakra.yaml" NAME mi300x-collectives)
racksim_chakra_roundtrip(real SCENARIO "${chakra_scenarios}/chakra-real.yaml"
  READER "${chakra_data}/mi300x-chakra.yaml" NAME chakra)
racksim_chakra_roundtrip(ring SCENARIO "${chakra_scenarios}/chakra-ring-8.yaml"
  READER "${chakra_data}/mi300x-chakra.yaml" NAME custom_allreduce)
# A generated training step (the transformer generator, docs/transformer.md): the replay must
# also give back its training metrics (MFU, bubble, exposed communication per dimension).
racksim_chakra_roundtrip(transformer SCENARIO "${chakra_data}/transformer-small.yaml"
  READER "${chakra_data}/helios-chakra.yaml" NAME mixtral-8x7b-train)

# --- export-chakra's command line --------------------------------------------------------------
# racksim_chakra_export(<case> RC <code> ARGS ... [EXPECT <regex>...] [PRESERVE <file>])
function(racksim_chakra_export case)
  cmake_parse_arguments(PARSE_ARGV 1 X "" "RC;PRESERVE" "ARGS;EXPECT")
  set(out "${CMAKE_CURRENT_BINARY_DIR}/out/chakra/export/${case}")
  if(X_PRESERVE)
    add_test(NAME "cli/chakra/export/${case}"
             COMMAND ${CMAKE_COMMAND} "-DRACKSIM=$<TARGET_FILE:racksim>" "-DARGS=${X_ARGS}" "-DEXPECT_RC=${X_RC}"
                     "-DEXPECT_REGEX=${X_EXPECT}" "-DPRESERVE=${X_PRESERVE}" "-DWORKDIR=${out}"
                     -P "${CMAKE_CURRENT_SOURCE_DIR}/expect_output.cmake")
  else()
    add_test(NAME "cli/chakra/export/${case}"
             COMMAND ${CMAKE_COMMAND} "-DRACKSIM=$<TARGET_FILE:racksim>" "-DARGS=${X_ARGS}" "-DEXPECT_RC=${X_RC}"
                     "-DEXPECT_REGEX=${X_EXPECT}" "-DWORKDIR=${out}" -P "${CMAKE_CURRENT_SOURCE_DIR}/expect_error.cmake")
  endif()
  set_tests_properties("cli/chakra/export/${case}" PROPERTIES LABELS "cli" TIMEOUT 120)
endfunction()

set(export_dir "${CMAKE_CURRENT_BINARY_DIR}/out/chakra/export")
# An earlier export of the same workload (here a sentinel file in its place) is never replaced
# without --force: exit 5, the file untouched.
racksim_chakra_export(refuses_existing RC 5
  ARGS     export-chakra ${chakra_scenarios}/mi300x-node.yaml ${export_dir}/refuses_existing/et
  EXPECT   [[cannot write results: .*/et/mi300x-collectives\.0\.et exists \(1 file .*/et/mi300x-collectives\.<rank>\.et\)]]
           [[never replaces Chakra files without --force]]
  PRESERVE ${export_dir}/refuses_existing/et/mi300x-collectives.0.et)
racksim_chakra_export(writes RC 0
  ARGS   export-chakra ${chakra_scenarios}/chakra-allreduce-8.yaml ${export_dir}/writes/et --force
  EXPECT [[wrote 8 Chakra ET files of workload 'all_reduce' \(8 ranks, 8 ops, [0-9]+ bytes\): .*/et/all_reduce\.\{0\.\.7\}\.et]]
         [[replay them with: workload: \{kind: chakra, prefix: .*/et/all_reduce\}]])
racksim_chakra_export(usage_missing_dir RC 2
  ARGS   export-chakra ${chakra_scenarios}/helios.yaml
  EXPECT [[usage: racksim export-chakra SCENARIO DIR]] [[racksim --help]])
racksim_chakra_export(usage_unknown_option RC 2
  ARGS   export-chakra ${chakra_scenarios}/helios.yaml ${export_dir}/x --frobnicate
  EXPECT [[unknown option '--frobnicate' for 'export-chakra']])
racksim_chakra_export(bad_scenario RC 3
  ARGS   export-chakra ${PROJECT_SOURCE_DIR}/tests/bad_inputs/unknown_gpu.yaml ${export_dir}/x
  EXPECT [[invalid input: .*unknown_gpu\.yaml:12:[0-9]+: key 'cluster\.scale_up\.gpu': unknown GPU 'mi999x']])
racksim_chakra_export(help RC 0
  ARGS   export-chakra --help
  EXPECT [=[racksim export-chakra SCENARIO DIR \[--set KEY=VALUE\]\.\.\. \[--force\]]=])

# --- malformed Chakra inputs (tests/bad_inputs/chakra_*.yaml; bad_inputs.cmake's function) -----
if(COMMAND racksim_bad_input)
  set(bad "${PROJECT_SOURCE_DIR}/tests/bad_inputs")
  racksim_bad_input(chakra_no_files RC 3
    ARGS   run ${bad}/chakra_no_files.yaml
    AT     chakra_no_files.yaml 15 workload.prefix
    EXPECT [[no Chakra ET file .*/no_such_trace\.0\.et: the trace of rank r is <prefix>\.<r>\.et]])
  racksim_bad_input(chakra_gap RC 3
    ARGS   run ${bad}/chakra_gap.yaml
    AT     chakra_gap.yaml 14 workload.prefix
    EXPECT [[/gap/all_reduce\.2\.et is missing: the rank files must be contiguous, but .*/gap/all_reduce\.3\.et exists]])
  racksim_bad_input(chakra_truncated RC 3
    ARGS   run ${bad}/chakra_truncated.yaml
    EXPECT [[/truncated/all_reduce\.2\.et: key 'node 0 \(byte offset 8\)': the length prefix announces a 74-byte Node message but only 31 bytes remain \(the file is truncated\)]])
  racksim_bad_input(chakra_real_ctrl_deps RC 3
    ARGS   run ${bad}/chakra_real_ctrl_deps.yaml
    EXPECT [[/real/chakra\.0\.et: key 'node 0 \(id 216, byte offset 95\)': 'aten::flatten_dense_tensors\(0\)': ctrl_deps names node id 3, which no node of this file has]]
           [[set 'ctrl_deps: ignore']])
  racksim_bad_input(chakra_real_broadcast RC 3
    ARGS   run ${bad}/chakra_real_broadcast.yaml
    EXPECT [[/real/chakra\.0\.et: key 'node 5 \(id 435, byte offset 19346\)': ]]
           [[comm_type BROADCAST \(5\): racksim has no broadcast\. Set 'broadcast_as: all_gather']])
  racksim_bad_input(chakra_unknown_gpu RC 3
    ARGS   run ${bad}/chakra_unknown_gpu.yaml
    AT     chakra_unknown_gpu.yaml 14 workload.recorded_on
    EXPECT [[unknown GPU 'a99'; catalog GPUs: .*mi300x]])
  racksim_bad_input(chakra_ring_rendezvous RC 4 SIMULATES
    ARGS   run ${bad}/chakra_ring_rendezvous.yaml
    EXPECT [[simulation failed: deadlock]] [[8 of 8 ranks cannot finish]]
           [[rank 0: in progress: COMM_SEND_NODE_tb0_step0#0; not started: COMM_RECV_NODE_tb0_step1#1]])
endif()
