# Runs racksim on the valid scenarios with one key at a time at an end of its documented range
# (docs/scenario-format.md), just past it, and at 1e-300 / 1e300 where the range is open, and
# fails unless every run exits 0 (ran) or 3 (refused as invalid input), with no crash marker (or
# 4 for a step whose weights do not fit in HBM, the one valid failure a range end gives here).
# Exit 1 (internal error, e.g. a non-finite number reaching the JSON writer) or a crash fails.
#
#   cmake -DRACKSIM=<racksim> -DVALID=<valid_scenario.yaml> -DFABRIC=<helios.yaml>
#         -DTRAINING=<llama3-8b.yaml> -DWORKDIR=<folder> -P robust_bounds_sweep.cmake
cmake_minimum_required(VERSION 3.16)

foreach(var RACKSIM VALID FABRIC TRAINING WORKDIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "robust_bounds_sweep.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORKDIR}")
file(MAKE_DIRECTORY "${WORKDIR}")

# <scenario variable>|<key>=<value>: the valid scenario is 4 MI300X on a switch with no
# scale-out; helios.yaml adds a rail-optimized fabric, a rack entry and a cooling loop;
# llama3-8b.yaml is a generated training step.
set(cases
  "VALID|cluster.scale_up.bandwidth=1 GB/s"        "VALID|cluster.scale_up.bandwidth=1 PB/s"
  "VALID|cluster.scale_up.bandwidth=999 MB/s"      "VALID|cluster.scale_up.bandwidth=1e-300 B/s"
  "VALID|cluster.scale_up.bandwidth=1e300 B/s"
  "VALID|cluster.scale_up.efficiency=1e-300"       "VALID|cluster.scale_up.efficiency=1"
  "VALID|cluster.scale_up.latency=0 s"             "VALID|cluster.scale_up.latency=1 s"
  "VALID|cluster.scale_up.latency=1e300 s"
  "VALID|cluster.scale_up.switch_latency=0 s"      "VALID|cluster.scale_up.switch_latency=1 s"
  "VALID|cluster.scale_up.switch_latency=1e300 s"
  "VALID|collectives.chunk_size=1 B"               "VALID|collectives.chunk_size=1e300 B"
  "VALID|collectives={algorithm: tree, chunk_size: 1 B}"
  "VALID|power.control_period=1 us"                "VALID|power.control_period=10 s"
  "VALID|power.sample_period=0 s"                  "VALID|power.sample_period=1e300 s"
  "VALID|power.gpu_cap=0 W"                        "VALID|power.gpu_cap=1e300 W"
  "VALID|power.rack_cap=1e300 W"                   "VALID|power.site_cap=1e300 W"
  "VALID|power.pue=1"                              "VALID|power.pue=5"
  "VALID|power.cooling_plant={cop: 1e-300}"        "VALID|power.cooling_plant={cop: 1e300, fixed: 1e300 W}"
  "VALID|simulation.memory_limit=1 MB"             "VALID|simulation.memory_limit=1 PB"
  "VALID|cluster.domains=1000000"                  "VALID|cluster.scale_up.gpus=100000"
  "VALID|cluster.scale_up.trays=100000"            "VALID|cluster.scale_up.switch_chips=100000"
  "FABRIC|cluster.domains=1000000"                 "FABRIC|cluster.scale_out.nics_per_gpu=64"
  "FABRIC|cluster.scale_out.planes=64"             "FABRIC|cluster.scale_out.oversubscription=64"
  "FABRIC|cluster.scale_out.transport.loss_rate=0.4999999"
  "FABRIC|cluster.scale_out.transport.mtu=256"     "FABRIC|cluster.scale_out.transport.mtu=9216"
  "FABRIC|cooling.flow=1e-300 L/min"               "FABRIC|cooling.flow=1e300 L/min"
  "FABRIC|cooling.inlet_temperature=-273 degC"     "FABRIC|cooling.inlet_temperature=1e300 degC"
  "FABRIC|cluster.scale_up.bandwidth=1 GB/s"       "FABRIC|cluster.scale_up.latency=1 s"
  "TRAINING|workload.model.layers=100000"          "TRAINING|workload.batch.global=4294967296"
  "TRAINING|workload.batch.micro=1048576"          "TRAINING|workload.model.vocab=1073741824"
  "TRAINING|workload.parallel.dp=16777216")

set(failures "")
set(i 0)
foreach(case IN LISTS cases)
  string(FIND "${case}" "|" bar)
  string(SUBSTRING "${case}" 0 ${bar} which)
  math(EXPR from "${bar} + 1")
  string(SUBSTRING "${case}" ${from} -1 assignment)
  math(EXPR i "${i} + 1")
  execute_process(
    COMMAND "${RACKSIM}" run "${${which}}" --set "${assignment}" --out "${WORKDIR}/run${i}" --summary-only
    WORKING_DIRECTORY "${WORKDIR}"
    INPUT_FILE /dev/null
    TIMEOUT 120
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE output
    ERROR_VARIABLE output)
  string(REGEX MATCH "racksim: [^\n]*" said "${output}")
  message(STATUS "${which} --set ${assignment}: exit ${rc} ${said}")
  # Exit 4 is right for valid inputs that do not fit the GPU (a billion-token vocabulary's weights
  # are out of HBM), and for nothing else here.
  set(fits_not 0)
  if(rc STREQUAL "4" AND output MATCHES "simulation failed: at t = 0 s, out of HBM")
    set(fits_not 1)
  endif()
  if(NOT (rc STREQUAL "0" OR rc STREQUAL "3" OR fits_not) OR output MATCHES "internal error|terminate called|bad_alloc|Segmentation|Aborted")
    string(APPEND failures "\n  ${which} --set '${assignment}': exit ${rc}\n${output}")
  endif()
  file(REMOVE_RECURSE "${WORKDIR}/run${i}")
endforeach()
if(failures)
  message(FATAL_ERROR "runs that neither ran (exit 0) nor were refused as invalid input (exit 3):${failures}")
endif()
