# Issue 19, caps that hold and a power loop whose memory does not grow with simulated time
# (docs/power.md). Each case runs racksim and checks its exit code and printed summary
# (racksim_error_test in tests/cli/CMakeLists.txt, through expect_error.cmake).

set(RACKSIM_CAPS_SIM "${PROJECT_SOURCE_DIR}/tests/data/sim")

# A 520 W GPU cap over a compute-bound GEMM (stock: 840 W): the GPU starts at the governor's
# steady state, 1400 MHz, 513.6 W, so even the first control period is under the cap, and no
# transient goes above it. Before: the first period ran at stock clocks, a 840 W peak.
racksim_error_test(robust_caps gpu_cap_held RC 0
  ARGS run ${RACKSIM_CAPS_SIM}/switched.yaml --set workload.file=compute.yaml --set "power.gpu_cap=520 W"
       --out result --no-timeline --no-report
  EXPECT [[GPU power +[0-9.]+ W average, 513\.6 W peak \(GPU cap 520 W\)]]
         [[GPU cap +520 W: held 513\.6 W peak period average; no transient above it]])

# Eight GEMMs under a 4800 W rack cap (stock: 6720 W): each GPU starts at its 600 W share,
# 1500 MHz, 560 W; the rack holds 4480 W from t = 0. Before: a 6720 W peak.
racksim_error_test(robust_caps rack_cap_held RC 0
  ARGS run ${RACKSIM_CAPS_SIM}/switched.yaml --set workload.file=compute-8.yaml --set "power.rack_cap=4800 W"
       --out result --no-timeline --no-report
  EXPECT [[rack cap +4\.8 kW: held 4\.48 kW peak period average; no transient above it]])

# A 250 s delay at the default 1 ms sample period: 250,000 windows, merged twice to stay under
# 100,000 rows (one row per 4 ms). Before: one row per 1 ms, memory growing with simulated time.
racksim_error_test(robust_caps long_delay_bounded RC 0
  ARGS run ${PROJECT_SOURCE_DIR}/tests/bad_inputs/valid_scenario.yaml
       --set workload.file=${PROJECT_SOURCE_DIR}/tests/data/caps/long_delay.yaml --out result --no-timeline --no-report
  EXPECT [[time series +one row per 4 ms \(the sample period doubled 2 time\(s\) to keep at most 100000 rows\)]])
