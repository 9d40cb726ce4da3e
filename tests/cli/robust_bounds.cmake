# Issue 19, "sizes estimated before anything is built; no non-finite number reaches an output"
# (docs/scale.md, "Sizes and times checked before anything is built"). Each case failed before:
# its old behaviour is in the comment above it. Run by expect_error.cmake through
# racksim_bad_input() (bad_inputs.cmake), label "cli".

set(bounds_bad "${PROJECT_SOURCE_DIR}/tests/bad_inputs")
set(bounds_valid "${bounds_bad}/valid_scenario.yaml")
set(bounds_scenarios "${PROJECT_SOURCE_DIR}/scenarios")

# Was exit 1, "a non-finite number reached the JSON writer": now outside the key's range.
racksim_bad_input(bounds_bandwidth_1e-300 RC 3
  ARGS   run ${bounds_valid} --set "cluster.scale_up.bandwidth=1e-300 B/s"
  EXPECT [[key 'cluster\.scale_up\.bandwidth': expected a bandwidth from 1 GB/s to 1 PB/s, got '1e-300 B/s']])
# Was exit 0 with a simulated time of 2.2e296 s: an efficiency of 1e-300 leaves each link 4.5e-289 B/s.
racksim_bad_input(bounds_efficiency_1e-300 RC 3
  ARGS   run ${bounds_valid} --set cluster.scale_up.efficiency=1e-300
  EXPECT [[key 'cluster': a scale_up link of this cluster \(node0\.gpu0 -- node0\.switch\) would carry 4\.48e-289 B/s]]
         [[every link needs at least 1000000 B/s and at most 1 s]] [[cluster\.scale_up\.bandwidth x efficiency]])
# Was exit 0 with a simulated time of 1.2e301 s.
racksim_bad_input(bounds_latency_1e300 RC 3
  ARGS   run ${bounds_valid} --set "cluster.scale_up.latency=1e300 s"
  EXPECT [[key 'cluster\.scale_up\.latency': expected a latency from 0 to 1 s, got '1e300 s']])
# Was exit 0 with a simulated time of 1.5e6 s: 1 PB at 1 GB/s (trace_petabyte_all_reduce.yaml).
racksim_bad_input(bounds_call_past_max_time RC 3
  ARGS   run ${bounds_valid} --set workload.file=trace_petabyte_all_reduce.yaml --set "cluster.scale_up.bandwidth=1 GB/s"
  EXPECT [[key 'cluster': a all_reduce of 1000000000000000 B over 4 ranks would take 1[0-9.e+]+ s on this fabric]]
         [[past the longest simulated time racksim accepts, 1000000 s]] [[cluster\.scale_up\.bandwidth x efficiency]])
# A 12-day delay: simulated control period by control period before (issue 19, item 3).
racksim_bad_input(bounds_delay_past_max_time RC 3
  ARGS   run ${bounds_valid} --set workload.file=trace_long_delay.yaml
  AT     trace_long_delay.yaml 12
  EXPECT [[key 'programs\[0\]\.ops\[1\]\.duration': 1000001 s is longer than one op may last; expected 0 s to 1e\+06 s]])
# Was std::bad_alloc after 16 s (issue 19, item 5): the graph was built before its size was known.
racksim_bad_input(bounds_million_helios_racks RC 3
  ARGS   run ${bounds_scenarios}/helios.yaml --set cluster.domains=1000000
  EXPECT [[key 'cluster': this cluster of 1000000 domains x 72 GPUs would be a graph of about 294062500 vertices ]]
         [[\(72000000 GPUs, 216000000 NICs, 6062500 switches\) and 720000000 links, about 456\.3 GB]]
         [[more than simulation\.memory_limit \(16 GB\); reduce cluster\.domains]])
# 10^11 GPUs, each key inside its range: past the GPUs racksim can number (int overflow before).
racksim_bad_input(bounds_hundred_billion_gpus RC 3
  ARGS   run ${bounds_valid} --set cluster.domains=1000000 --set cluster.scale_up.gpus=100000
  EXPECT [[100000000000 GPUs]] [[past the 2147483647 GPUs racksim numbers; reduce cluster\.domains]])
# Were std::bad_alloc (issue 19, item 6): the old guard generated a sample pipeline first.
racksim_bad_input(bounds_huge_global_batch RC 3
  ARGS   run ${bounds_scenarios}/llama3-8b.yaml --set workload.batch.global=288000000
  EXPECT [[key 'workload': generating this training step would build about 673344 million ops \(about ]]
         [[on all 72 ranks \(it cannot be simulated reduced: parallel\.order is tp-cp-dp-pp]]
         [[workload\.batch\.global / \(micro x dp\) = 8000000]])
racksim_bad_input(bounds_hundred_thousand_layers RC 3
  ARGS   run ${bounds_scenarios}/llama3-8b.yaml --set workload.model.layers=100000
  EXPECT [[generating this training step would build about 2088 million ops]] [[workload\.model\.layers \(100000\)]])
# The same layers on a layout that may be reduced: counted for one replica (TP 8 x PP 9 = 72
# ranks of 1,152) before it is generated.
racksim_bad_input(bounds_replica_too_large RC 3
  ARGS   run ${bounds_scenarios}/llama3-405b-16rack.yaml --set workload.model.layers=99999
  EXPECT [[on the 72 ranks of one data-parallel replica, more than simulation\.memory_limit]])
# A layout that may be reduced but is not (a site cap couples every rack's clocks): its 4,608
# ranks, 4 x the 9,427,456 ops of llama3-405b-16rack's 1,152 (37.7 million, ~31 GB at ~820 bytes
# per op), are refused once reduce_step has said why, before they are generated.
racksim_bad_input(bounds_full_run_not_reducible RC 3
  ARGS   run ${bounds_scenarios}/llama3-405b-16rack.yaml --set cluster.domains=64 --set workload.parallel.dp=64
         --set workload.batch.global=1024 --set "power.site_cap=100 MW"
  EXPECT [[key 'workload': this training step cannot be simulated reduced \(]] [[site]]
         [[and simulating all 4608 ranks would build about 37\.7 million ops \(about ]]
         [[more than simulation\.memory_limit \(16 GB\); make it reducible]])
# The memory limit is the scenario's: a tiny one refuses even the valid scenario, naming it.
racksim_bad_input(bounds_memory_limit_key RC 3
  ARGS   run ${bounds_scenarios}/llama3-8b.yaml --set "simulation.memory_limit=1 MB"
  EXPECT [[would build about 0\.679 million ops]] [[more than simulation\.memory_limit \(1 MB\)]])

# Every bandwidth, latency, rate and size key of the valid scenarios at the ends of its
# documented range (and past them, and at 1e-300 and 1e300 where the range is open): each run
# must exit 0 or 3, never 1 (internal error) or a crash, and finish within its timeout.
add_test(NAME "cli/bounds/key_range_sweep"
         COMMAND ${CMAKE_COMMAND}
                 "-DRACKSIM=$<TARGET_FILE:racksim>"
                 "-DVALID=${bounds_valid}"
                 "-DFABRIC=${bounds_scenarios}/helios.yaml"
                 "-DTRAINING=${bounds_scenarios}/llama3-8b.yaml"
                 "-DWORKDIR=${CMAKE_CURRENT_BINARY_DIR}/out/bounds_sweep"
                 -P "${CMAKE_CURRENT_SOURCE_DIR}/robust_bounds_sweep.cmake")
set_tests_properties("cli/bounds/key_range_sweep" PROPERTIES LABELS "cli" TIMEOUT 900)

# Output folders that cannot be written are refused before the simulation (issue 19: "--out
# /proc/x wasted 20 s of a run"; the run simulated, then exited 1 on the write). /proc takes no
# new folder; a path through a file cannot be a folder.
racksim_bad_input(bounds_out_unwritable RC 3
  ARGS   run ${bounds_valid} --out /proc/racksim-bounds
  EXPECT [[^racksim: invalid input: --out /proc/racksim-bounds: cannot create the output folder /proc/racksim-bounds: ]])
racksim_bad_input(bounds_out_through_a_file RC 3
  ARGS   run ${bounds_valid} --out ${bounds_valid}/result
  EXPECT [[cannot create the output folder .*valid_scenario\.yaml/result: Not a directory]])

# Transfers in flight at once past what SimGrid can share a network among (trace_all_to_all_520):
# a direct all-to-all over 520 ranks, 269,880 flows in one step; it would have run for hours.
racksim_bad_input(bounds_concurrent_flows RC 3
  ARGS   run ${bounds_valid} --set workload.file=trace_all_to_all_520.yaml --set cluster.scale_up.gpus=520
         --set cluster.scale_up.switch_chips=100
  EXPECT [[the 520 simulated ranks of 'all-to-all-520' could have up to 269880 transfers in flight at once]]
         [[more than the 262144 SimGrid can share a network among]])
