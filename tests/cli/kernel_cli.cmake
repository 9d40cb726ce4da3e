# The kernel-model verbs of the racksim binary: predict, calibrate, validate (sim/cli/kernel_verbs.cpp).
# One test per case, "cli/kernel/<case>", label "cli":
#
#   racksim_kernel_cli(<case> RC <exit code>
#     ARGS   <racksim arguments>...
#     [EXPECT <regex>...]               # each must match stdout + stderr
#     [JSON_POSITIVE <key>...]          # stdout is a JSON object; these fields are numbers > 0
#     [JSON_EQUALS <key=value>...]      # ... and these fields are these strings
#     [PRESERVE <file>])                # the file exists before the run and is unchanged after
#
# A case with JSON_* or PRESERVE runs expect_output.cmake, every other one expect_error.cmake.
# Exit codes (core/error.hpp, sim/cli/README.md): 0 success, 2 bad command line, 3 invalid input, 5 cannot write.
# Every case runs in ${CMAKE_CURRENT_BINARY_DIR}/out/kernel/<case>.
# Regexes are CMake regexes, written as [[bracket arguments]] so backslashes are literal.

function(racksim_kernel_cli case)
  cmake_parse_arguments(PARSE_ARGV 1 X "" "RC;PRESERVE" "ARGS;EXPECT;JSON_POSITIVE;JSON_EQUALS")
  if(X_UNPARSED_ARGUMENTS OR NOT DEFINED X_RC)
    message(FATAL_ERROR "racksim_kernel_cli(${case}): expected RC <code> ARGS ... [EXPECT ...] [JSON_* ...], "
                        "got unparsed '${X_UNPARSED_ARGUMENTS}'")
  endif()
  set(out "${CMAKE_CURRENT_BINARY_DIR}/out/kernel/${case}")
  # The lists go to the scripts ;-separated, each as one quoted argument.
  if(X_JSON_POSITIVE OR X_JSON_EQUALS OR X_PRESERVE)
    add_test(NAME "cli/kernel/${case}"
             COMMAND ${CMAKE_COMMAND}
                     "-DRACKSIM=$<TARGET_FILE:racksim>" "-DARGS=${X_ARGS}" "-DEXPECT_RC=${X_RC}"
                     "-DEXPECT_REGEX=${X_EXPECT}" "-DJSON_POSITIVE=${X_JSON_POSITIVE}"
                     "-DJSON_EQUALS=${X_JSON_EQUALS}" "-DPRESERVE=${X_PRESERVE}" "-DWORKDIR=${out}"
                     -P "${CMAKE_CURRENT_SOURCE_DIR}/expect_output.cmake")
  else()
    add_test(NAME "cli/kernel/${case}"
             COMMAND ${CMAKE_COMMAND}
                     "-DRACKSIM=$<TARGET_FILE:racksim>" "-DARGS=${X_ARGS}" "-DEXPECT_RC=${X_RC}"
                     "-DEXPECT_REGEX=${X_EXPECT}" "-DWORKDIR=${out}"
                     -P "${CMAKE_CURRENT_SOURCE_DIR}/expect_error.cmake")
  endif()
  set_tests_properties("cli/kernel/${case}" PROPERTIES LABELS "cli" TIMEOUT 120)
endfunction()

set(published "${PROJECT_SOURCE_DIR}/validation/reference/published-measurements.yaml")
set(supplementary "${PROJECT_SOURCE_DIR}/validation/reference/supplementary-measurements.yaml")

# --- predict: successful estimates (exit 0); stdout is the JSON result alone ---
# FP8 GEMM 8192^3 on H100: intensity 2^40 FLOP / 2.7e8 B = 4096 FLOP/B, far above the ridge
# 1978.9e12 * 0.65 / (3.35e12 * 0.89) = 431 FLOP/B: compute-bound.
racksim_kernel_cli(predict_gemm_fp8_h100 RC 0
  ARGS          predict kernel --gpu h100 --gemm 8192x8192x8192 --dtype fp8 --json
  JSON_POSITIVE time_s flops_per_s bytes_per_s launch_overhead_s flops bytes eta_compute eta_memory
  JSON_EQUALS   bound=compute class=gemm dtype=fp8 gpu=h100)
# STREAM triad on 256 MiB fp64 arrays: 2 FLOP per 24 B, far below any ridge: memory-bound.
racksim_kernel_cli(predict_stream_triad_h100 RC 0
  ARGS          predict kernel --gpu h100 --stream triad --bytes 256MiB --json
  JSON_POSITIVE time_s flops_per_s bytes_per_s
  JSON_EQUALS   bound=memory class=stream dtype=fp64)
# Flash attention s=8192 d=128 bf16: intensity s / 2 B = 4096 FLOP/B: compute-bound.
racksim_kernel_cli(predict_attention_h100 RC 0
  ARGS          predict kernel --gpu h100 --attention 2x16x8192x128 --causal --dtype bf16 --json
  JSON_POSITIVE time_s flops_per_s
  JSON_EQUALS   bound=compute class=attention)
# A GEMM's tile and wave figures: H100 bf16 2048x1152x8192 is 16 x 9 = 144 tiles of 128x128 on
# 132 SMs, 2 waves, q = 2048 * 1152 / (2 * 132 * 128^2) = 0.5455 (models/kernel.hpp).
racksim_kernel_cli(predict_text_gemm_waves_h100 RC 0
  ARGS   predict kernel --gpu h100 --gemm 2048x1152x8192 --dtype bf16
  EXPECT [[tiles +144 of 128x128: ]] [[waves +2 on 132 compute units; useful fraction q 0\.5455]])
# MI300X bf16 4096x4864x32896 (AMD's max-achievable-FLOPs shape): 16 x 19 = 304 tiles of 256x256
# on 304 CUs, one full wave; the JSON carries them under gemm_waves.
racksim_kernel_cli(predict_json_gemm_waves_mi300x RC 0
  ARGS          predict kernel --gpu mi300x --gemm 4096x4864x32896 --dtype bf16 --json
  EXPECT        [["gemm_waves": {]] [["tile_m": 256,]] [["tile_n": 256,]] [["compute_units": 304,]] [["tiles": 304,]]
                [["waves": 1,]] [["useful_fraction": 1]]
  JSON_POSITIVE time_s eta_compute
  JSON_EQUALS   bound=compute class=gemm)
# The text form names the calibration points; a borrowed table says where it comes from.
racksim_kernel_cli(predict_text_h200_borrows RC 0
  ARGS   predict kernel --gpu h200 --gemm 4096x4096x4096 --dtype fp8
  EXPECT [[GEMM 4096x4096x4096 fp8 on h200]] [[bound +compute]]
         [[calibration points +.*azure_nd_h100_v5_gemm_fp8_4096x4096x4096]]
         [[efficiencies borrowed from h100 \(same family\)]])

# --- predict: invalid input (exit 3) ---
racksim_kernel_cli(predict_unknown_gpu RC 3
  ARGS   predict kernel --gpu h999 --gemm 8192x8192x8192 --dtype bf16
  EXPECT [[invalid input: --gpu: unknown GPU 'h999']] [[catalog GPUs: .*h100.*mi300x]])
racksim_kernel_cli(predict_unsupported_precision RC 3
  ARGS   predict kernel --gpu mi300x --gemm 8192x8192x8192 --dtype fp4
  EXPECT [[invalid input: ]] [[GPU 'mi300x' has no fp4 rate in the catalog \(unsupported precision\)]])
racksim_kernel_cli(predict_gemm_zero_dimension RC 3
  ARGS   predict kernel --gpu h100 --gemm 8192x0x8192 --dtype bf16
  EXPECT [[--gemm 8192x0x8192: expected positive integers joined by 'x', got '0']])
racksim_kernel_cli(predict_gemm_overflow RC 3
  ARGS   predict kernel --gpu h100 --gemm 99999999999999999999x1x1 --dtype bf16
  EXPECT [[expected positive integers joined by 'x', got '99999999999999999999']])
racksim_kernel_cli(predict_clock_above_max RC 3
  ARGS   predict kernel --gpu h100 --gemm 8192x8192x8192 --dtype fp8 --clock 5000
  EXPECT [[core clock 5000 MHz is above h100's maximum 1980 MHz]])
racksim_kernel_cli(predict_gemm_not_a_number RC 3
  ARGS   predict kernel --gpu h100 --gemm 8192xabc --dtype bf16
  EXPECT [[--gemm 8192xabc: expected positive integers joined by 'x', got 'abc']])
racksim_kernel_cli(predict_gemm_two_dimensions RC 3
  ARGS   predict kernel --gpu h100 --gemm 8192x8192 --dtype bf16
  EXPECT [[--gemm 8192x8192: expected 3 to 4 dimensions joined by 'x']])
# A bare number after --bytes is a count of bytes (as nccl-tests reads sizes): 268435456 B is the
# 256 MiB (2^28 B) of predict_stream_triad_h100, so the three arrays move 3 x 2^28 = 805306368 B.
racksim_kernel_cli(predict_bytes_bare_count RC 0
  ARGS          predict kernel --gpu h100 --stream triad --bytes 268435456 --json
  JSON_POSITIVE time_s bytes_per_s
  JSON_EQUALS   bytes=805306368 class=stream)
racksim_kernel_cli(predict_bytes_bad_unit RC 3
  ARGS   predict kernel --gpu h100 --stream triad --bytes 12XB
  EXPECT [[--bytes 12XB: unknown unit 'XB']] [[accepted: .*MiB]])
racksim_kernel_cli(predict_unknown_stream RC 3
  ARGS   predict kernel --gpu h100 --stream foo --bytes 1GiB
  EXPECT [[--stream foo: unknown stream kernel; valid: copy, scale, add, triad, dot]])
racksim_kernel_cli(predict_unknown_dtype RC 3
  ARGS   predict kernel --gpu h100 --gemm 1024x1024x1024 --dtype bf17
  EXPECT [[--dtype bf17: unknown dtype 'bf17'; valid: fp64, .*bf16]])

# --- predict: bad command line (exit 2) ---
racksim_kernel_cli(predict_no_kernel_kind RC 2
  ARGS   predict kernel --gpu h100
  EXPECT [['predict kernel' needs exactly one of --gemm, --stream, --attention]] [[racksim --help]])
racksim_kernel_cli(predict_two_kernel_kinds RC 2
  ARGS   predict kernel --gpu h100 --gemm 1024x1024x1024 --stream triad --bytes 1GiB --dtype bf16
  EXPECT [['predict kernel' needs exactly one of --gemm, --stream, --attention]])
racksim_kernel_cli(predict_unknown_option RC 2
  ARGS   predict kernel --gpu h100 --gemm 1024x1024x1024 --dtype bf16 --frobnicate
  EXPECT [[unknown option '--frobnicate' for 'predict kernel'; valid options: --gpu, --gemm, ]] [[racksim --help]])
racksim_kernel_cli(predict_without_kernel_word RC 2
  ARGS   predict --gpu h100 --gemm 1024x1024x1024 --dtype bf16
  EXPECT [[usage: racksim predict kernel --gpu ID]])
racksim_kernel_cli(predict_gemm_without_dtype RC 2
  ARGS   predict kernel --gpu h100 --gemm 1024x1024x1024
  EXPECT [['predict kernel --gemm' needs --dtype]])

# --- validate (exit 0 within the 5% budget) ---
racksim_kernel_cli(validate_h100 RC 0
  ARGS   validate ${published} ${supplementary} --gpu h100
  EXPECT [[azure_nd_h100_v5_gemm_fp8_8192x8192x8192]] [[skipped: a host or peer transfer]]
         [[median \|error\| [0-9.]+%]] [[budget: median \|error\| <= 5\.0%: within]])
racksim_kernel_cli(validate_mi300x_json RC 0
  ARGS          validate ${published} ${supplementary} --gpu mi300x --json
  JSON_POSITIVE budget
  JSON_EQUALS   gpu=mi300x)
racksim_kernel_cli(validate_unknown_gpu RC 3
  ARGS   validate ${published} --gpu h999
  EXPECT [[unknown GPU 'h999']])

# --- calibrate ---
# An existing --out file is never overwritten without --force (exit 5, file untouched).
racksim_kernel_cli(calibrate_refuses_existing_out RC 5
  ARGS     calibrate ${published} --gpu h100 --out ${CMAKE_CURRENT_BINARY_DIR}/out/kernel/calibrate_refuses_existing_out/existing.yaml
  EXPECT   [[cannot write results: .*existing\.yaml exists; racksim never overwrites a calibration without --force]]
  PRESERVE ${CMAKE_CURRENT_BINARY_DIR}/out/kernel/calibrate_refuses_existing_out/existing.yaml)
racksim_kernel_cli(calibrate_force_writes RC 0
  ARGS   calibrate ${published} ${supplementary} --gpu mi300x --force
         --out ${CMAKE_CURRENT_BINARY_DIR}/out/kernel/calibrate_force_writes/mi300x.yaml
  EXPECT [[before \(the current tables\):]] [[after \(the refitted tables\):]] [[leave-one-out]]
         [[wrote .*/mi300x\.yaml]])
racksim_kernel_cli(calibrate_no_usable_case RC 3
  ARGS   calibrate ${supplementary} --gpu h100 --out ${CMAKE_CURRENT_BINARY_DIR}/out/kernel/calibrate_no_usable_case/h100.yaml
  EXPECT [[no usable kernel case for GPU 'h100']])

# --- predict collective: one collective simulated on catalog systems ---------------------------
# 8 x MI300X, 1 GiB all-reduce: RCCL's ring with 7 channels (one ring per xGMI link). The time
# is positive and the JSON carries the fields nccl-tests users look for.
racksim_kernel_cli(predict_collective_mi300x_json RC 0
  ARGS          predict collective --system mi300x-platform --op all_reduce --bytes 1GiB --gpus 8 --json
  JSON_POSITIVE time_s algbw_bytes_per_s busbw_bytes_per_s model_time_s
  JSON_EQUALS   algorithm=ring protocol=simple system=mi300x-platform op=all_reduce)
# 8 x H100 at 8 GiB: NVLS (in-switch reduction) is NCCL's fastest choice for large messages.
racksim_kernel_cli(predict_collective_h100_nvls RC 0
  ARGS          predict collective --system hgx-h100 --op all_reduce --bytes 8GiB --gpus 8 --json
  JSON_POSITIVE time_s busbw_bytes_per_s
  JSON_EQUALS   algorithm=nvls)
# Two HGX nodes: 16 GPUs across a rail-optimized fabric, hierarchical named explicitly.
racksim_kernel_cli(predict_collective_two_nodes_hierarchical RC 0
  ARGS          predict collective --system hgx-h100 --op all_reduce --bytes 256MiB --gpus 16 --nodes 2
                --algorithm hierarchical --json
  JSON_POSITIVE time_s busbw_bytes_per_s
  JSON_EQUALS   algorithm=hierarchical nodes=2)
# The all_reduce_perf-like table: 24 sizes from 1 KiB to 8 GiB, each in its own process.
racksim_kernel_cli(predict_collective_table RC 0
  ARGS   predict collective --system mi300x-platform --op all_gather --gpus 8
  EXPECT [[# racksim predict collective: all_gather on 8 GPUs of mi300x-platform]] [[ +1024 ]]
         [[ +8589934592 ]])
racksim_kernel_cli(predict_collective_unknown_system RC 3
  ARGS   predict collective --system dgx-h999 --op all_reduce --gpus 8
  EXPECT [[unknown system; catalog systems: .*hgx-h100.*mi300x-platform]])
racksim_kernel_cli(predict_collective_bad_op RC 3
  ARGS   predict collective --system hgx-h100 --op allreduce --gpus 8
  EXPECT [[--op allreduce: unknown collective; valid: all_reduce, all_gather]])
racksim_kernel_cli(predict_collective_uneven_gpus RC 3
  ARGS   predict collective --system hgx-h100 --op all_reduce --gpus 12 --nodes 5 --bytes 1MiB
  EXPECT [[--gpus 12: .*cannot be spread evenly over 5 hgx-h100]])
racksim_kernel_cli(predict_collective_algorithm_not_for_kind RC 3
  ARGS   predict collective --system mi300x-platform --op all_reduce --gpus 8 --bytes 1MiB --algorithm nvls
  EXPECT [[nvls]] [[no algorithm can run this all_reduce|nvls_bandwidth|reduc]])

# --- validate --system: collective bus bandwidth against published measurements ---------------
# 8 x MI300X (rccl-tests all_reduce_perf, ROCm acceptance docs): median |error| over sizes of
# 1 MiB and more must be within 10%. Model inputs are independent of this curve: xGMI usable
# share from TransferBench, RCCL's tuning constants, the GPU's launch overhead.
racksim_kernel_cli(validate_collectives_mi300x RC 0
  ARGS   validate ${published} --system mi300x-platform --min-bytes 1MiB --budget 10
  EXPECT [[rocmdocs_mi300x_allreduce_g8_1048576B]] [[ring]]
         [[median \|error\| [0-9.]+% over 14 cases \(budget 10\.0%\): within budget]])
# 8 x H100 (Azure, nccl-tests, NCCL_ALGO=NVLS): the bandwidth regime (256 MiB and more) within
# 10%. Over all sizes of 1 MiB and more the median is past 10% (mid sizes over-predicted, see
# docs/collectives.md "Validation"); the full table is printed.
racksim_kernel_cli(validate_collectives_h100_large RC 0
  ARGS   validate ${published} --system hgx-h100 --min-bytes 256MiB --budget 10
  EXPECT [[azure_nd_h100_v5_allreduce_1048576B]] [[nvls]] [[within budget]])
racksim_kernel_cli(validate_collectives_json RC 0
  ARGS          validate ${published} --system mi300x-platform --min-bytes 1MiB --json
  JSON_POSITIVE budget median_abs_error
  JSON_EQUALS   system=mi300x-platform)
racksim_kernel_cli(validate_collectives_unknown_system RC 3
  ARGS   validate ${published} --system hgx-z9
  EXPECT [[unknown system; catalog systems:]])

# --- run with faults: what they cost, against the same run without them --------------------------
# tests/data/sim/fabric4.yaml sprayed, leaf0 -- spine0 down at 2 ms (the simulation test "a link
# down mid-transfer" derives both times): without the fault L + S/B = 4.6 us + 100 MB / (25 GB/s
# x 4096/4178) = 4.085 ms; with it 2S/B - t0 + 2L = 6.169 ms; cost 2.085 ms, +51.0%.
racksim_kernel_cli(run_fault_cost RC 0
  ARGS   run ${PROJECT_SOURCE_DIR}/tests/data/sim/fabric4.yaml --set cluster.scale_out.multipath=spray
         "--set" "faults=[{at: 2 ms, link: [leaf0, spine0], state: down}]"
  EXPECT [[fault +at 2 ms: link leaf0 -- spine0 down]] [[simulated time +6\.169 ms]]
         [[faults cost +2\.085 ms \(\+51\.0%\) against 4\.085 ms without them]])
