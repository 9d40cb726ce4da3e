# Issue 19, "silent wrong results and leftovers" and the command line: each case failed before its
# fix (a wrong answer with exit 0, a file left behind, a process left running, an internal error).
#
#   cli/leftovers/<case>        one racksim command, its exit code and message (expect_error.cmake)
#   cli/leftovers/sh/<case>     several commands and a look at the files and processes around them
#                               (robust_leftovers.sh, which describes each case)

set(published "${PROJECT_SOURCE_DIR}/validation/reference/published-measurements.yaml")

# --- validate: zero cases compared is an error, never "0.00%, within budget" (exit 3) ---
racksim_error_test(leftovers validate_gpu_without_cases RC 3
  ARGS   validate ${published} --gpu mi455x
  EXPECT [[invalid input: --gpu mi455x: no kernel case of this GPU to compare in .*published-measurements.yaml; they hold kernel cases for: h100, mi300x]])
racksim_error_test(leftovers validate_system_without_cases RC 3
  ARGS   validate ${published} --system helios
  EXPECT [[invalid input: --system helios: no collective bus-bandwidth case for its GPU 'mi455x' on at most 72 GPUs in .*published-measurements.yaml; they hold cases for the systems: hgx-h100, mi300x-platform]])
# The largest hgx-h100 case is 8 GiB = 8589934592 B: 16 GiB leaves none in the median.
racksim_error_test(leftovers validate_min_bytes_above_every_case RC 3
  ARGS   validate ${published} --system hgx-h100 --min-bytes 16GiB
  EXPECT [[invalid input: --min-bytes 17179869184: no case of system 'hgx-h100' in .*published-measurements.yaml is that large \(the largest is 8589934592 B\)]])

# --- issue item 7, the three commands as filed: documented exit codes, clear messages ---
# 5 B counts all 24 hgx-h100 all-reduce cases (1 KiB .. 8 GiB); their median |error| is past the
# 10 % budget: exit 1, the documented "past the error budget" (it was an internal error).
racksim_error_test(leftovers item7_validate_min_bytes_5 RC 1
  ARGS   validate ${published} --system hgx-h100 --min-bytes 5
  EXPECT [[median over sizes >= 5 B]] [[over 24 cases \(budget 10.0%\): PAST BUDGET]])
racksim_error_test(leftovers item7_predict_kernel_zero_bytes RC 3
  ARGS   predict kernel --gpu mi300x --stream triad --bytes 0B
  EXPECT [[invalid input: --bytes 0B: expected a size from 1 B to 1 PiB]])
racksim_error_test(leftovers item7_predict_collective_1e300PB RC 3
  ARGS   predict collective --system helios --op all_reduce --gpus 72 --bytes 1e300PB
  EXPECT [[invalid input: --bytes 1e300PB: value out of range in '1e300PB'; accepted: B, kB]])

# --- several commands, files and processes (robust_leftovers.sh) ---
foreach(case processes calibrate_folder utf8 folders)
  add_test(NAME "cli/leftovers/sh/${case}"
           COMMAND sh "${CMAKE_CURRENT_SOURCE_DIR}/robust_leftovers.sh" ${case} "$<TARGET_FILE:racksim>" "${PROJECT_SOURCE_DIR}"
                   "${CMAKE_CURRENT_BINARY_DIR}/out/leftovers/sh/${case}")
  set_tests_properties("cli/leftovers/sh/${case}" PROPERTIES LABELS "cli" TIMEOUT 300)
endforeach()
