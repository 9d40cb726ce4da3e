# Malformed inputs: racksim must reject each with the right exit code and a message that names
# the file, the line, the key and what was expected. The inputs are in tests/bad_inputs/, one
# defect per file, each explained by the comment at its top; valid_scenario.yaml and
# valid_trace.yaml are the valid originals they were copied from (checked by control_valid).
# Trace cases run the valid scenario with `--set workload.file=<trace>`.
#
# One test per case, "cli/bad_input/<case>", label "cli", run by expect_error.cmake:
#
#   racksim_bad_input(<case> RC <exit code> [SIMULATES]
#     ARGS   <racksim arguments>...
#     [AT    <file name> <line> [<key path>]]   # the message starts "<...>/<file>:<line>:<col>: key '<key>': "
#     [EXPECT <regex>...])                     # each must match stdout + stderr
#
# Exit codes (core/error.hpp, sim/cli/README.md): 2 bad command line, 3 invalid input, 4 simulation failed.
# Every case runs in ${CMAKE_CURRENT_BINARY_DIR}/out/<case>; SIMULATES (for a case that gets
# past validation) also writes its results there (--out out/<case>/result).
# Regexes are CMake regexes, written as [[bracket arguments]] so backslashes are literal.

set(RACKSIM_BAD_INPUTS "${PROJECT_SOURCE_DIR}/tests/bad_inputs")

function(racksim_regex_escape out_var text)
  foreach(c "\\" "." "[" "]" "*" "+" "?" "(" ")" "^" "$" "|")
    string(REPLACE "${c}" "\\${c}" text "${text}")
  endforeach()
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

function(racksim_bad_input case)
  cmake_parse_arguments(PARSE_ARGV 1 X "SIMULATES" "RC" "ARGS;AT;EXPECT")
  if(X_UNPARSED_ARGUMENTS OR NOT DEFINED X_RC)
    message(FATAL_ERROR "racksim_bad_input(${case}): expected RC <code> ARGS ... [AT ...] [EXPECT ...], "
                        "got unparsed '${X_UNPARSED_ARGUMENTS}'")
  endif()
  set(out "${CMAKE_CURRENT_BINARY_DIR}/out/${case}")
  set(args ${X_ARGS})
  if(X_SIMULATES)
    list(APPEND args --out "${out}/result")
  endif()

  set(regexes ${X_EXPECT})
  if(X_AT)
    list(LENGTH X_AT n)
    list(GET X_AT 0 file)
    list(GET X_AT 1 line)
    racksim_regex_escape(file "${file}")
    set(at "/${file}:${line}:[0-9]+: ")
    if(n GREATER 2)
      list(GET X_AT 2 key)
      racksim_regex_escape(key "${key}")
      string(APPEND at "key '${key}': ")
    endif()
    list(PREPEND regexes "${at}")
  endif()

  # The lists go to expect_error.cmake ;-separated, each as one quoted argument.
  add_test(NAME "cli/bad_input/${case}"
           COMMAND ${CMAKE_COMMAND}
                   "-DRACKSIM=$<TARGET_FILE:racksim>"
                   "-DARGS=${args}"
                   "-DEXPECT_RC=${X_RC}"
                   "-DEXPECT_REGEX=${regexes}"
                   "-DWORKDIR=${out}"
                   -P "${CMAKE_CURRENT_SOURCE_DIR}/expect_error.cmake")
  set_tests_properties("cli/bad_input/${case}" PROPERTIES LABELS "cli" TIMEOUT 120)
endfunction()

set(bad "${RACKSIM_BAD_INPUTS}")
set(valid "${RACKSIM_BAD_INPUTS}/valid_scenario.yaml")

# --- control: the valid originals run cleanly, so each bad file has exactly its one defect ---
racksim_bad_input(control_valid RC 0 SIMULATES
  ARGS   run ${valid}
  EXPECT [[result: small \(4 ranks on 4 x mi300x\)]] [[summary\.json]])

# --- command line (exit 2) ---
racksim_bad_input(usage_unknown_verb RC 2
  ARGS   frobnicate
  EXPECT [[unknown verb 'frobnicate']] [[verbs: run, sweep, merge, plan, predict, calibrate, validate, export-chakra, check, version]] [[racksim --help]])
racksim_bad_input(usage_unknown_option RC 2
  ARGS   run --frobnicate
  EXPECT [[unknown option '--frobnicate' for 'run']] [[racksim --help]])

# --- scenario files (exit 3) ---
racksim_bad_input(missing_scenario_file RC 3
  ARGS   run ${bad}/no_such_scenario.yaml
  EXPECT [[/no_such_scenario\.yaml: cannot open file]] [[invalid input]])
racksim_bad_input(yaml_syntax RC 3
  ARGS   run ${bad}/yaml_syntax.yaml
  AT     yaml_syntax.yaml 10
  EXPECT [[YAML syntax error]])
racksim_bad_input(yaml_syntax_bracket RC 3
  ARGS   run ${bad}/yaml_syntax_bracket.yaml
  AT     yaml_syntax_bracket.yaml 9
  EXPECT [[YAML syntax error]])
racksim_bad_input(unknown_key_top RC 3
  ARGS   run ${bad}/unknown_key_top.yaml
  AT     unknown_key_top.yaml 7 descripton
  EXPECT [[unknown key 'descripton' in scenario]] [[valid keys: .*description]])
racksim_bad_input(unknown_key_nested RC 3
  ARGS   run ${bad}/unknown_key_nested.yaml
  AT     unknown_key_nested.yaml 16 cluster.scale_up.latancy
  EXPECT [[unknown key 'latancy' in cluster\.scale_up]] [[valid keys: .*latency]])
racksim_bad_input(missing_required RC 3
  ARGS   run ${bad}/missing_required.yaml
  AT     missing_required.yaml 5
  EXPECT [[missing required key 'workload']])
racksim_bad_input(wrong_type RC 3
  ARGS   run ${bad}/wrong_type.yaml
  AT     wrong_type.yaml 8 cluster.domains
  EXPECT [[expected an integer, got 'two']])
racksim_bad_input(bad_unit RC 3
  ARGS   run ${bad}/bad_unit.yaml
  AT     bad_unit.yaml 11 cluster.scale_up.bandwidth
  EXPECT [[unknown unit 'TB' for a data rate]] [[TB/s]] [[accepted: .*GB/s]])
racksim_bad_input(bare_number RC 3
  ARGS   run ${bad}/bare_number.yaml
  AT     bare_number.yaml 9 cluster.scale_up.bandwidth
  EXPECT [[with a unit]] [[got '1800' \(a bare number has no unit\)]] [[accepted: .*GB/s]])
racksim_bad_input(negative_bandwidth RC 3
  ARGS   run ${bad}/negative_bandwidth.yaml
  AT     negative_bandwidth.yaml 9 cluster.scale_up.bandwidth
  EXPECT [[expected a bandwidth from 1 GB/s to 1 PB/s, got '-1\.8 TB/s']])
racksim_bad_input(unknown_gpu RC 3
  ARGS   run ${bad}/unknown_gpu.yaml
  AT     unknown_gpu.yaml 12 cluster.scale_up.gpu
  EXPECT [[unknown GPU 'mi999x']] [[catalog GPUs: .*mi300x]])
racksim_bad_input(disconnected RC 3
  ARGS   run ${bad}/disconnected.yaml
  AT     disconnected.yaml 10 cluster
  EXPECT [[the cluster is not valid]] [[disconnected: 2 separate parts]] [[join the domains with a scale_out fabric]])

# --- --set overrides (exit 3); the message names the override instead of a file line ---
racksim_bad_input(set_unknown_key RC 3
  ARGS   run ${valid} --set cluster.foo=1
  EXPECT [[--set cluster\.foo=1: key 'cluster\.foo': ]] [[unknown key 'foo' in cluster]] [[valid keys: domains]])
racksim_bad_input(set_bad_value RC 3
  ARGS   run ${valid} --set cluster.domains=-3
  EXPECT [[--set cluster\.domains=-3: key 'cluster\.domains': ]] [[expected an integer from 1 to [0-9]+, got -3]])

# --- traces (exit 3), run on the valid scenario ---
racksim_bad_input(trace_missing_file RC 3
  ARGS   run ${valid} --set workload.file=no_such_trace.yaml
  EXPECT [[--set workload.file=no_such_trace\.yaml: key 'workload.file': cannot open trace file]] [[no_such_trace\.yaml]])
racksim_bad_input(trace_cycle RC 3
  ARGS   run ${valid} --set workload.file=trace_cycle.yaml
  AT     trace_cycle.yaml 11 programs[0].ops[0]
  EXPECT [[dependency cycle on rank 0: a -> b -> a]])
racksim_bad_input(trace_rank_missing RC 3
  ARGS   run ${valid} --set workload.file=trace_rank_missing.yaml
  AT     trace_rank_missing.yaml 8 groups.pair[1]
  EXPECT [[rank 99 does not exist: the trace has 4 ranks \(0 to 3\)]])
# The trace is valid alone; racksim reports the mismatch at the scenario's 'workload' map, whose
# first line (13, 'kind: trace') is where yaml-cpp places a block map.
racksim_bad_input(trace_too_many_ranks RC 3
  ARGS   run ${valid} --set workload.file=trace_too_many_ranks.yaml
  AT     trace_too_many_ranks.yaml 7 ranks
  EXPECT [[trace 'eight-ranks' has 8 ranks]] [[cluster of valid_scenario\.yaml has only 4 GPUs]])
racksim_bad_input(trace_unsupported_precision RC 3
  ARGS   run ${valid} --set workload.file=trace_unsupported_precision.yaml
  AT     trace_unsupported_precision.yaml 10 programs[0].ops[0]
  EXPECT [[op 'fwd' on rank 0 computes in fp4, which GPU 'mi300x' does not support]] [[bf16]])
racksim_bad_input(trace_unknown_op_kind RC 3
  ARGS   run ${valid} --set workload.file=trace_unknown_op_kind.yaml
  AT     trace_unknown_op_kind.yaml 11 programs[0].ops[1].kind
  EXPECT [[unknown value 'allreduce']] [[expected one of: .*all_reduce]])
racksim_bad_input(trace_collective_mismatch RC 3
  ARGS   run ${valid} --set workload.file=trace_collective_mismatch.yaml
  AT     trace_collective_mismatch.yaml 14 programs[1].ops[0]
  EXPECT [[collective #0 on group 'world' differs between rank 0 \(all_reduce 67108864 B]]
         [[rank 1 \(all_reduce 33554432 B]])
racksim_bad_input(trace_unmatched_send RC 3
  ARGS   run ${valid} --set workload.file=trace_unmatched_send.yaml
  AT     trace_unmatched_send.yaml 13 programs[1].ops[0]
  EXPECT [[send 'send_act' from rank 0 to rank 1 \(tag 0\) has no matching recv on rank 1]])

# --- valid inputs that cannot be simulated (exit 4) ---
racksim_bad_input(deadlock RC 4 SIMULATES
  ARGS   run ${valid} --set workload.file=deadlock.yaml
  EXPECT [[simulation failed: deadlock]] [[2 of 4 ranks cannot finish]]
         [[rank 0: in progress: r0_recv; not started: r0_send]]
         [[rank 1: in progress: r1_recv; not started: r1_send]])

# The transformer generator's layout rules (docs/transformer.md) and a model that does not fit.
racksim_bad_input(transformer_tp_heads RC 3
  ARGS   run ${bad}/transformer_tp_heads.yaml
  AT     transformer_tp_heads.yaml 12 workload.parallel
  EXPECT [[tp \(3\) dividing the attention heads \(32\)]])
racksim_bad_input(transformer_pp_layers RC 3
  ARGS   run ${bad}/transformer_tp_heads.yaml --set workload.parallel.tp=1 --set workload.parallel.pp=5
  EXPECT [[pp x virtual_stages \(5 x 1\) at most the layers \(4\)]])
racksim_bad_input(transformer_stage_layers RC 3
  ARGS   run ${bad}/transformer_tp_heads.yaml --set workload.parallel.tp=1 --set workload.parallel.pp=2
         --set "workload.parallel.stage_layers=[3, 2]"
  EXPECT [[key 'workload\.parallel\.stage_layers': layer counts summing to the model's layers \(4\), got 5]])
racksim_bad_input(transformer_global_batch RC 3
  ARGS   run ${bad}/transformer_tp_heads.yaml --set workload.parallel.tp=1 --set workload.batch.global=7
  AT     transformer_tp_heads.yaml 13 workload.batch
  EXPECT [[a global batch \(7\) divisible by micro x dp \(1 x 2\)]])
racksim_bad_input(transformer_unknown_preset RC 3
  ARGS   run ${bad}/transformer_tp_heads.yaml --set workload.model.preset=llama3-9b
  EXPECT [[one of: gpt3-175b, llama3-8b, llama3-70b, llama3-405b, mixtral-8x7b]])
racksim_bad_input(transformer_unknown_order RC 3
  ARGS   run ${bad}/transformer_tp_heads.yaml --set workload.parallel.tp=1 --set workload.parallel.order=tp-pp-dp
  EXPECT [[--set workload\.parallel\.order=tp-pp-dp: key 'workload\.parallel\.order': ]]
         [[unknown value 'tp-pp-dp'; expected one of: tp-cp-dp-pp, tp-cp-pp-dp]])
# workload.options.fp8 (the FP8 recipe) needs an fp8 GEMM; row-wise scaling is refused with its reason.
racksim_bad_input(transformer_fp8_without_fp8_gemm RC 3
  ARGS   run ${bad}/transformer_tp_heads.yaml --set workload.parallel.tp=1 --set workload.options.fp8.scaling=tensorwise
  EXPECT [[key 'workload\.options\.fp8': no `fp8` map: it sets the recipe of the fp8 GEMMs, and no GEMM here is fp8]])
racksim_bad_input(transformer_fp8_rowwise RC 3
  ARGS   run ${bad}/transformer_tp_heads.yaml --set workload.parallel.tp=1 --set workload.options.precision=fp8
         --set workload.options.fp8.scaling=rowwise
  EXPECT [[key 'workload\.options\.fp8\.scaling': `delayed` or `tensorwise`: `rowwise` \(torchao's row-wise scaling\) is refused]])
# simulation.fidelity takes auto or full only.
racksim_bad_input(simulation_unknown_fidelity RC 3
  ARGS   run ${PROJECT_SOURCE_DIR}/scenarios/helios.yaml --set simulation.fidelity=fast
  EXPECT [[--set simulation\.fidelity=fast: key 'simulation\.fidelity': unknown value 'fast'; ]]
         [[expected one of: auto, full]])
# A run that cannot be reduced (docs/scale.md) and would build more ops than a machine holds is
# refused: llama3-405b-16rack scaled to 64 racks with the default rank order (data-parallel ranks
# inside a rack): 9,427,456 ops for 1,152 ranks (its golden) x 4 = 37.7 million, counted in closed
# form; ~820 bytes per op gives 31 GB, past the default simulation.memory_limit of 16 GB.
racksim_bad_input(full_run_too_large RC 3
  ARGS   run ${PROJECT_SOURCE_DIR}/scenarios/llama3-405b-16rack.yaml --set workload.parallel.order=tp-cp-dp-pp
         --set cluster.domains=64 --set workload.parallel.dp=64 --set workload.batch.global=1024
  EXPECT [[key 'workload': generating this training step would build about 37\.7 million ops \(about ]]
         [[on all 4608 ranks \(it cannot be simulated reduced: parallel\.order is tp-cp-dp-pp, ]]
         [[more than simulation\.memory_limit \(16 GB\)]])
# Llama 3 70B unsharded on one MI300X: its 70.6 G parameters need 2 bytes each of weights
# (141 GB, which fits in 192 GB of HBM), then 2 bytes each of gradients (141 GB more, which does
# not): the run stops at the gradients' allocation.
racksim_bad_input(transformer_out_of_hbm RC 4 SIMULATES
  ARGS   run ${bad}/transformer_tp_heads.yaml --set workload.model.preset=llama3-70b --set workload.model.layers=80
         --set workload.parallel.tp=1 --set workload.parallel.dp=1 --set workload.batch.global=1
  EXPECT [[out of HBM on rank 0: op 'gradients' \(gradients\) requests]])
# A generated step needs more GPUs than the cluster has: the message gives the layout's product.
racksim_bad_input(transformer_too_many_ranks RC 3
  ARGS   run ${bad}/transformer_tp_heads.yaml --set workload.parallel.tp=2 --set workload.parallel.dp=8
  AT     transformer_tp_heads.yaml 10 workload
  EXPECT [[training step 'llama3-8b-train' has 16 ranks but the cluster of transformer_tp_heads\.yaml has only 8 GPUs]]
         [[tp x cp x dp x pp = 2 x 1 x 8 x 1]])

# Power and cooling: values no governor or coolant could honour.
racksim_bad_input(power_negative_flow RC 3
  ARGS   run ${bad}/power_negative_flow.yaml
  AT     power_negative_flow.yaml 15 cooling.flow
  EXPECT [[coolant flow per node greater than zero, got -10 L/min]])
racksim_bad_input(power_inlet_above_limit RC 3
  ARGS   run ${bad}/power_inlet_above_limit.yaml
  AT     power_inlet_above_limit.yaml 15 cooling.inlet_temperature
  EXPECT [[an inlet of 105 C is not below the junction limit \(100 C\)]])
# Was accepted (issue 19): a supply of -273 C simulated as if it were a liquid.
racksim_bad_input(power_inlet_below_freezing RC 3
  ARGS   run ${PROJECT_SOURCE_DIR}/scenarios/helios.yaml --set "cooling.inlet_temperature=-273 degC"
  EXPECT [[key 'cooling\.inlet_temperature': an inlet above 0 C .*, got -273 C]])
racksim_bad_input(power_gpu_cap_below_idle RC 3
  ARGS   run ${bad}/power_gpu_cap_below_idle.yaml
  AT     power_gpu_cap_below_idle.yaml 14 power.gpu_cap
  EXPECT [[a GPU cap of 100 W is not above the idle power of GPU 'mi300x' \(130 W\)]])
racksim_bad_input(power_rack_cap_below_idle RC 3
  ARGS   run ${bad}/power_rack_cap_below_idle.yaml
  AT     power_rack_cap_below_idle.yaml 14 power.rack_cap
  EXPECT [[not above the rack's idle power \(520 W]])
racksim_bad_input(power_sample_period RC 3
  ARGS   run ${bad}/power_sample_period.yaml
  AT     power_sample_period.yaml 14 power.sample_period
  EXPECT [[whole multiple of the control period \(1 ms\), got 1\.5 ms]])
racksim_bad_input(power_cap_set_negative RC 3
  ARGS   run ${bad}/valid_scenario.yaml --set power.gpu_cap=-5W
  EXPECT [[--set power\.gpu_cap=-5W]] [[power]])

# Systems, collectives, fabric and faults (the fabrics issue): catalog systems instead of a
# described scale-up domain, the collectives section, the fat-tree/transport keys of scale_out and
# the faults list. valid_fabric.yaml is their valid original; the fabric cases are --set overrides
# of it, so they also show that --set reaches the new keys.
set(fabric "${RACKSIM_BAD_INPUTS}/valid_fabric.yaml")
racksim_bad_input(control_valid_fabric RC 0 SIMULATES
  ARGS   run ${fabric}
  EXPECT [[result: small-fabric]] [[summary\.json]])
racksim_bad_input(system_and_scale_up RC 3
  ARGS   run ${bad}/system_and_scale_up.yaml
  AT     system_and_scale_up.yaml 10 cluster.scale_up
  EXPECT [[give either cluster\.system or cluster\.scale_up, not both]])
racksim_bad_input(unknown_system RC 3
  ARGS   run ${bad}/unknown_system.yaml
  AT     unknown_system.yaml 9 cluster.system
  EXPECT [[unknown system 'hgx-h300'; catalog systems: dgx-a100, helios, hgx-h100, hgx-h200, mi300x-platform, mi355x-platform, nvl72]])
racksim_bad_input(collectives_unknown_algorithm RC 3
  ARGS   run ${bad}/collectives_unknown_algorithm.yaml
  AT     collectives_unknown_algorithm.yaml 12 collectives.all_reduce
  EXPECT [[unknown algorithm 'rings'; expected one of: ring, .*auto]])
racksim_bad_input(collectives_unsupported_algorithm RC 3
  ARGS   run ${bad}/collectives_unsupported_algorithm.yaml
  AT     collectives_unsupported_algorithm.yaml 14 collectives.all_to_all
  EXPECT [[algorithm 'ring' cannot run all_to_all; all_to_all supports: direct, auto]])
racksim_bad_input(fault_degraded_no_fraction RC 3
  ARGS   run ${bad}/fault_degraded_no_fraction.yaml
  AT     fault_degraded_no_fraction.yaml 12 faults[0]
  EXPECT [[a degraded fault needs 'fraction': the share of the bandwidth left, greater than 0 and less than 1]])
racksim_bad_input(fabric_bad_multipath RC 3
  ARGS   run ${fabric} --set cluster.scale_out.multipath=random
  EXPECT [[--set cluster\.scale_out\.multipath=random: key 'cluster\.scale_out\.multipath': ]]
         [[unknown value 'random'; expected one of: ecmp, spray, adaptive]])
racksim_bad_input(fabric_bad_transport_protocol RC 3
  ARGS   run ${fabric} --set cluster.scale_out.transport.protocol=infiniband
  EXPECT [[--set cluster\.scale_out\.transport\.protocol=infiniband: key 'cluster\.scale_out\.transport\.protocol': ]]
         [[unknown value 'infiniband'; expected one of: roce, uet]])
racksim_bad_input(fabric_bad_mtu RC 3
  ARGS   run ${fabric} --set cluster.scale_out.transport.mtu=128
  EXPECT [[key 'cluster\.scale_out\.transport\.mtu': expected an integer from 256 to 9216, got 128]])
racksim_bad_input(fabric_roce_jumbo_mtu RC 3
  ARGS   run ${fabric} --set cluster.scale_out.transport.mtu=9000
  EXPECT [[RoCE carries at most 4096 payload bytes per packet]] [[use protocol: uet for jumbo frames]])
racksim_bad_input(fabric_bad_loss_rate RC 3
  ARGS   run ${fabric} --set cluster.scale_out.transport.loss_rate=0.7
  EXPECT [[key 'cluster\.scale_out\.transport\.loss_rate': expected a packet loss rate per hop from 0 to below 0\.5, got 0\.7]])
racksim_bad_input(fabric_core_needs_three_tiers RC 3
  ARGS   run ${fabric} --set cluster.scale_out.core=tomahawk5
  EXPECT [[key 'cluster\.scale_out\.core': 'core' applies to a 3-tier fat_tree only]])

# --- racksim's own microbenchmark measurements (models/measurements.hpp): the device is checked ---
set(measurements "${PROJECT_SOURCE_DIR}/tests/data/measurements/fixture-h100.json")
racksim_bad_input(measurements_other_device RC 3
  ARGS   validate ${measurements} --gpu mi300x
  AT     fixture-h100.json 4 gpu
  EXPECT [[unknown device: 'NVIDIA H100 80GB HBM3 .*' is not a MI300X \(catalog id 'mi300x'\)]] [[--gpu-id ID]])
racksim_bad_input(measurements_calibrate_other_device RC 3
  ARGS   calibrate ${measurements} --gpu mi300x --out never-written.yaml
  AT     fixture-h100.json 4 gpu
  EXPECT [[unknown device]])

# --- run's and sweep's numeric options ---
racksim_bad_input(run_timeline_events_zero RC 3
  ARGS   run ${valid} --timeline-events 0
  EXPECT [[--timeline-events 0: expected an integer >= 1]])
racksim_bad_input(run_timeline_events_text RC 3
  ARGS   run ${valid} --timeline-events=abc
  EXPECT [[--timeline-events abc: expected an integer >= 1]])
racksim_bad_input(sweep_max_points_zero RC 3
  ARGS   sweep ${valid} --axis power.gpu_cap=400W --max-points 0
  EXPECT [[--max-points 0: expected an integer >= 1]])
racksim_bad_input(sweep_jobs_zero RC 3
  ARGS   sweep ${valid} --axis power.gpu_cap=400W --jobs 0
  EXPECT [[--jobs 0: expected an integer from 1 to 1024]])
racksim_bad_input(sweep_grid_too_large RC 3
  ARGS   sweep ${valid} --axis a=0..999998 --axis b=0..999998 --axis c=0..999998
  EXPECT [[--axis: the sweep has more than 10000000 points; split it]])

# --- option values on the command line (sim/cli/args.hpp): a byte count is a bare number of
# bytes or a size with a unit, checked against its range; integers against theirs. Exit 3, never
# 1 (0B, 1e300PB and a bare --min-bytes were internal errors before the one parser).
set(published_measurements "${PROJECT_SOURCE_DIR}/validation/reference/published-measurements.yaml")
racksim_bad_input(option_bytes_zero RC 3
  ARGS   predict collective --system hgx-h100 --op all_reduce --gpus 8 --bytes 0B
  EXPECT [[invalid input: --bytes 0B: expected a size from 1 B to 1 PiB]])
racksim_bad_input(option_bytes_zero_stream RC 3
  ARGS   predict kernel --gpu h100 --stream triad --bytes 0B
  EXPECT [[invalid input: --bytes 0B: expected a size from 1 B to 1 PiB]])
# 1e300 PB = 1e315 B is past any double.
racksim_bad_input(option_bytes_overflow RC 3
  ARGS   predict collective --system hgx-h100 --op all_reduce --gpus 8 --bytes 1e300PB
  EXPECT [[invalid input: --bytes 1e300PB: value out of range]])
# 2^50 B = 1 PiB is the largest size: 1125899906842625 is one byte more.
racksim_bad_input(option_bytes_past_max RC 3
  ARGS   predict collective --system hgx-h100 --op all_reduce --gpus 8 --bytes=1125899906842625
  EXPECT [[--bytes 1125899906842625: expected a size from 1 B to 1 PiB]])
racksim_bad_input(option_min_bytes_bad_unit RC 3
  ARGS   validate ${published_measurements} --system mi300x-platform --min-bytes 5XB
  EXPECT [[--min-bytes 5XB: unknown unit 'XB' for a data size]] [[accepted: .*MiB]])
racksim_bad_input(option_min_bytes_negative RC 3
  ARGS   validate ${published_measurements} --system mi300x-platform --min-bytes -5
  EXPECT [[--min-bytes -5: expected a size from 0 B to 1 PiB]])
# A bare --min-bytes 5 is 5 bytes: parsing passes, and the unknown system is what stops the run.
racksim_bad_input(option_min_bytes_bare_count RC 3
  ARGS   validate ${published_measurements} --system hgx-z9 --min-bytes 5
  EXPECT [[--system hgx-z9: unknown system; catalog systems:]])
racksim_bad_input(option_gpus_zero RC 3
  ARGS   predict collective --system hgx-h100 --op all_reduce --gpus 0
  EXPECT [[--gpus 0: expected an integer from 1 to 10000000]])
racksim_bad_input(option_budget_zero RC 3
  ARGS   validate ${published_measurements} --gpu h100 --budget 0
  EXPECT [[--budget 0: expected a number greater than 0]])

# --- serving (docs/inference.md) ---
set(serving_405b "${PROJECT_SOURCE_DIR}/scenarios/serving-llama3-405b-mi300x.yaml")
racksim_bad_input(serving_model_does_not_fit RC 3
  ARGS   run ${serving_405b} --set workload.instance.tp=1
  EXPECT [[model 'llama3-405b' does not fit a serving instance of tp 1 x pp 1 on mi300x]])
racksim_bad_input(serving_request_never_fits RC 3
  ARGS   run ${serving_405b} --set workload.requests.input.tokens=5000000
  EXPECT [[request 0 needs 5000255 tokens of KV cache at its longest]])
racksim_bad_input(serving_dtype_not_computed RC 3
  ARGS   run ${serving_405b} --set workload.dtypes.activations=fp4
  EXPECT [[a precision GPU 'mi300x' computes in \(it has no fp4 rate\)]])

# --- the command line's own rules (exit 2) ---
racksim_bad_input(usage_missing_value RC 2
  ARGS   run ${valid} --out
  EXPECT [[--out needs a value: --out DIR \(in 'run'\)]] [[racksim --help]])
racksim_bad_input(usage_option_as_value RC 2
  ARGS   run ${valid} --out --quiet
  EXPECT [[--out needs a value: --out DIR]])
racksim_bad_input(usage_flag_with_value RC 2
  ARGS   run ${valid} --quiet=yes
  EXPECT [[--quiet takes no value, got '--quiet=yes']])
racksim_bad_input(usage_unknown_option_lists_valid RC 2
  ARGS   sweep ${valid} --axis power.gpu_cap=400W --job 2
  EXPECT [[unknown option '--job' for 'sweep'; valid options: --axis, --set, --out, --jobs, ]])
racksim_bad_input(usage_second_scenario RC 2
  ARGS   run ${valid} ${valid}
  EXPECT [['run' takes 1 argument \(SCENARIO\), got another: ]] [=[usage: racksim run \[SCENARIO\]]=])
racksim_bad_input(usage_predict_without_subverb RC 2
  ARGS   predict --system hgx-h100
  EXPECT [['predict' needs kernel or collective first; usage: racksim predict kernel]] [[racksim predict collective]])
racksim_bad_input(usage_bytes_without_stream RC 2
  ARGS   predict kernel --gpu h100 --gemm 1024x1024x1024 --dtype bf16 --bytes 1MiB
  EXPECT [['predict kernel --bytes' needs --stream OP]])
