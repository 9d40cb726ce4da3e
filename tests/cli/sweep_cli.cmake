# racksim sweep and racksim merge (sim/cli/sweep_verbs.cpp, docs/sweep.md): resume after an interruption,
# shards merged, the Slurm script run as its array tasks would run it, a failed point, and bad
# command lines and inputs.
#
# This file has two roles:
#   - included from tests/cli/CMakeLists.txt, it registers the tests (label "cli"):
#       cli/sweep/resume        a sweep stopped after 2 of 6 points (--max-points), its last row
#                               then cut short as a kill would leave it, is rerun: it resumes,
#                               redoes only the missing points, and ends with exactly the 6 rows
#                               of an uninterrupted sweep, byte for byte
#       cli/sweep/shards        the same sweep as 3 shards; merge with one shard missing names
#                               its points and exits 1; with all three, the merged table equals
#                               the single run's
#       cli/sweep/slurm         the generated job-array script, run once per array task id with
#                               SLURM_ARRAY_TASK_ID set, then merged: equals the single run
#       cli/sweep/failed_point  a point whose simulation fails is a row with its reason, the
#                               others run, and the sweep exits 0
#       cli/sweep/progress      on a terminal (a pseudo-terminal from util-linux `script`) the
#                               progress line of a sweep and of a run shows on stderr; without
#                               one, stderr stays empty; a run's files are the same either way
#       cli/sweep/<case>        command-line and input errors (expect_error.cmake)
#   - run as a script (cmake -DMODE=... -P sweep_cli.cmake), it performs one of the first four.
#
# The swept scenario is scenarios/mi300x-node.yaml (8 x MI300X collectives, well under a second
# per point) over a GPU power cap and the coolant inlet temperature: 3 x 2 = 6 points.

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_minimum_required(VERSION 3.19)
  include(${CMAKE_CURRENT_LIST_DIR}/run_checks.cmake)

  set(RACKSIM_WORKDIR "${OUT}")  # racksim_run_expect runs there: the sweep folders are relative

  # Fails unless files <a> and <b> are byte-identical.
  function(check_same a b)
    execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${a}" "${b}" RESULT_VARIABLE differ)
    if(differ)
      file(READ "${a}" ta)
      file(READ "${b}" tb)
      message(FATAL_ERROR "${a} and ${b} differ:\n----- ${a} -----\n${ta}----- ${b} -----\n${tb}")
    endif()
  endfunction()

  # Fails unless the table <csv> has a header and exactly the rows of points 0..5, in order.
  function(check_six_rows csv)
    file(STRINGS "${csv}" lines)
    list(LENGTH lines n)
    if(NOT n EQUAL 7)
      message(FATAL_ERROR "${csv}: ${n} lines, expected a header and 6 rows")
    endif()
    foreach(p RANGE 0 5)
      math(EXPR i "${p} + 1")
      list(GET lines ${i} row)
      if(NOT row MATCHES "^${p},[0-9]+W,[0-9]+C,ok,,")
        message(FATAL_ERROR "${csv}: line ${i} is '${row}', expected point ${p}, ok")
      endif()
    endforeach()
  endfunction()

  set(scenario "${SOURCE_DIR}/scenarios/mi300x-node.yaml")
  set(axes --axis power.gpu_cap=400W,600W,750W --axis cooling.inlet_temperature=30C,40C)
  file(REMOVE_RECURSE "${OUT}")
  file(MAKE_DIRECTORY "${OUT}")
  unset(ENV{RACKSIM_DATA_DIR})

  if(NOT MODE STREQUAL "failed_point" AND NOT MODE STREQUAL "progress")
    # The reference: the whole sweep in one go, two points at a time.
    racksim_run_expect(out 0 sweep "${scenario}" ${axes} --out whole --jobs 2)
    check_matches("sweep" "${out}" "sweep .*mi300x-node\\.yaml: 6 points, 3 x power\\.gpu_cap, 2 x cooling\\.inlet_temperature"
                  "running +6 points, 2 at a time" "points +6 of 6 done \\(6 this run, 0 before\\), 0 failed"
                  "wrote +whole/results\\.jsonl, whole/results\\.csv, whole/report\\.html")
    check_six_rows("${OUT}/whole/results.csv")
    file(STRINGS "${OUT}/whole/results.jsonl" rows)
    list(LENGTH rows n)
    if(NOT n EQUAL 6)
      message(FATAL_ERROR "whole/results.jsonl: ${n} rows, expected 6")
    endif()
    # Each row is JSON with the point's values and metrics.
    list(GET rows 3 row3)
    string(JSON v GET "${row3}" values 0)
    string(JSON status GET "${row3}" status)
    string(JSON t TYPE "${row3}" metrics simulated_time_s)
    if(NOT v STREQUAL "600W" OR NOT status STREQUAL "ok" OR NOT t STREQUAL "NUMBER")
      message(FATAL_ERROR "whole/results.jsonl row 3 (point 3 = 600W, 40C): values[0] '${v}', status '${status}', "
                          "simulated_time_s a ${t}:\n${row3}")
    endif()
  endif()

  if(MODE STREQUAL "resume")
    racksim_run_expect(out 0 sweep "${scenario}" ${axes} --out stopped --jobs 1 --max-points 2)
    check_matches("sweep --max-points 2" "${out}" "points +2 of 6 done" "incomplete +rerun the same command to run the other 4")
    file(STRINGS "${OUT}/stopped/results.jsonl" rows)
    list(LENGTH rows n)
    if(NOT n EQUAL 2)
      message(FATAL_ERROR "stopped/results.jsonl: ${n} rows after --max-points 2, expected 2")
    endif()
    # A kill in the middle of writing point 5's row leaves it without its newline.
    file(APPEND "${OUT}/stopped/results.jsonl" "{\"point\":5,\"values\":[\"750W\",\"40C\"],\"status\":\"ok\",\"met")
    racksim_run_expect(out 0 sweep "${scenario}" ${axes} --out stopped --jobs 2)
    check_matches("the resumed sweep" "${out}"
                  "resumed +2 points already done \\(a row cut short by an interruption was dropped and runs again\\)"
                  "running +4 points" "points +6 of 6 done \\(4 this run, 2 before\\), 0 failed")
    check_six_rows("${OUT}/stopped/results.csv")
    check_same("${OUT}/whole/results.csv" "${OUT}/stopped/results.csv")
    check_same("${OUT}/whole/results.jsonl" "${OUT}/stopped/results.jsonl")
    # Once more: nothing left to run, nothing changes.
    racksim_run_expect(out 0 sweep "${scenario}" ${axes} --out stopped)
    check_matches("a finished sweep rerun" "${out}" "resumed +6 points already done" "running +0 points")
    check_same("${OUT}/whole/results.jsonl" "${OUT}/stopped/results.jsonl")
    message(STATUS "ok: stopped after 2 points and cut short, resumed to exactly the 6 rows of one run")

  elseif(MODE STREQUAL "shards")
    racksim_run_expect(out 0 sweep "${scenario}" ${axes} --out sharded --shard 1/3)
    # Shard 1 of 3 holds points 0 and 3 (p mod 3 = 0).
    check_matches("shard 1/3" "${out}" "shard 1/3 holds 2" "shard complete +join the shards with: racksim merge sharded")
    racksim_run_expect(out 0 sweep "${scenario}" ${axes} --out sharded --shard 2/3 --quiet)
    racksim_run_expect(out 1 merge sharded)
    # Shard 3 (points 2 and 5) has not run.
    check_matches("merge without shard 3" "${out}" "merged 2 files of sweep .*: 4 of 6 points, 0 failed"
                  "incomplete, missing 2 points: 2, 5")
    racksim_run_expect(out 0 sweep "${scenario}" ${axes} --out sharded --shard 3/3 --quiet)
    racksim_run_expect(out 0 merge sharded)
    check_matches("merge" "${out}" "6 of 6 points, 0 failed" "wrote +sharded/results\\.jsonl, sharded/results\\.csv, sharded/report\\.html")
    check_same("${OUT}/whole/results.csv" "${OUT}/sharded/results.csv")
    check_same("${OUT}/whole/results.jsonl" "${OUT}/sharded/results.jsonl")
    message(STATUS "ok: three shards merged equal the single run; a missing shard is named")

  elseif(MODE STREQUAL "slurm")
    racksim_run_expect(out 0 sweep "${scenario}" ${axes} --out slurm --slurm job.sbatch --shards 2 --jobs 1)
    check_matches("sweep --slurm" "${out}" "wrote job\\.sbatch: a Slurm job array of 2 tasks \\(6 points, 3 per task at most"
                  "submit it with: sbatch job\\.sbatch" "then join the shards with: racksim merge slurm")
    file(READ "${OUT}/job.sbatch" script)
    check_matches("job.sbatch" "${script}" "^#!/bin/bash\n" "#SBATCH --array=1-2\n" "--shard \"\\\${SLURM_ARRAY_TASK_ID}/2\"")
    if(EXISTS "${OUT}/slurm/results.jsonl")
      message(FATAL_ERROR "--slurm ran points: it must only write the script")
    endif()
    # What Slurm would do: run the script once per array task, with its task id.
    foreach(task 1 2)
      execute_process(COMMAND ${CMAKE_COMMAND} -E env SLURM_ARRAY_TASK_ID=${task} "RACKSIM=${RACKSIM}" bash "${OUT}/job.sbatch"
                      WORKING_DIRECTORY / RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
      if(NOT rc EQUAL 0)
        message(FATAL_ERROR "job.sbatch as array task ${task}: exit ${rc}\n${o}${e}\n----- script -----\n${script}")
      endif()
    endforeach()
    racksim_run_expect(out 0 merge slurm)
    check_same("${OUT}/whole/results.csv" "${OUT}/slurm/results.csv")
    check_same("${OUT}/whole/results.jsonl" "${OUT}/slurm/results.jsonl")
    message(STATUS "ok: the job-array script's two tasks, merged, equal the single run")

  elseif(MODE STREQUAL "failed_point")
    # tests/data/sim/switched.yaml with the memory-oom trace: rank 1 asks for 70 GB with 60 GB free
    # of 100 GB (test_oracles.cpp derives it). out_of_memory: error stops that run (a failed
    # point); warn lets it finish.
    racksim_run_expect(out 0 sweep "${SOURCE_DIR}/tests/data/sim/switched.yaml" --set workload.file=memory-oom.yaml
              --axis simulation.out_of_memory=error,warn --out oom)
    check_matches("sweep with a failing point" "${out}"
                  "point 0 failed: simulation failed: .*out of HBM on rank 1" "points +2 of 2 done .*, 1 failed")
    file(STRINGS "${OUT}/oom/results.csv" lines)
    list(GET lines 1 row0)
    list(GET lines 2 row1)
    check_matches("oom/results.csv" "${row0}" "^0,error,failed,\"simulation failed: .*requests 70000000000 B")
    # Point 1 ran with warn: its HBM peak is 40 + 70 = 110 GB on rank 1.
    check_matches("oom/results.csv" "${row1}" "^1,warn,ok,,.*,110000000000,")
    message(STATUS "ok: the failing point is a row with its reason; the other ran")
  elseif(MODE STREQUAL "progress")
    # Not a terminal (this process's pipes): stdout has the results, stderr nothing at all.
    execute_process(COMMAND "${RACKSIM}" sweep "${scenario}" ${axes} --out piped --jobs 1 WORKING_DIRECTORY "${OUT}"
                    INPUT_FILE /dev/null RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0 OR NOT err STREQUAL "")
      message(FATAL_ERROR "sweep without a terminal: exit ${rc}, stderr '${err}' (expected 0 and nothing)")
    endif()
    # On a pseudo-terminal: the meter's line, rewritten with a carriage return, counts the points.
    find_program(SCRIPT script)
    if(NOT SCRIPT)
      message(FATAL_ERROR "util-linux 'script' (package bsdutils, essential on Debian) is missing")
    endif()
    execute_process(COMMAND "${SCRIPT}" -qec "'${RACKSIM}' sweep '${scenario}' --axis power.gpu_cap=400W,600W,750W --out tty --jobs 1"
                            /dev/null
                    WORKING_DIRECTORY "${OUT}" INPUT_FILE /dev/null RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    check_matches("sweep on a terminal" "${out}" "\rsweep  [0-3]/3 points \\([0-9]+%\\)" "\rsweep  3/3 points \\(100%\\)")
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "sweep on a terminal: exit ${rc}\n${out}${err}")
    endif()
    # racksim run on a terminal: the meter counts the ops and the simulated time, and what the run
    # writes is byte for byte what it writes without a terminal (the meter only observes).
    set(helios "${SOURCE_DIR}/scenarios/helios.yaml")
    execute_process(COMMAND "${SCRIPT}" -qec "'${RACKSIM}' run '${helios}' --out run-tty" /dev/null
                    WORKING_DIRECTORY "${OUT}" INPUT_FILE /dev/null RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "run on a terminal: exit ${rc}\n${out}${err}")
    endif()
    check_matches("run on a terminal" "${out}" "\rsimulating  [0-9]+/[0-9]+ ops \\([0-9]+%\\).* t = [0-9.e-]+ s simulated")
    execute_process(COMMAND "${RACKSIM}" run "${helios}" --out run-piped WORKING_DIRECTORY "${OUT}" INPUT_FILE /dev/null
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0 OR NOT err STREQUAL "")
      message(FATAL_ERROR "run without a terminal: exit ${rc}, stderr '${err}' (expected 0 and nothing)")
    endif()
    foreach(f summary.json timeline.json timeseries.csv report.html)
      check_same("${OUT}/run-tty/${f}" "${OUT}/run-piped/${f}")
    endforeach()
    message(STATUS "ok: progress on a terminal only, and it changes no result")
  else()
    message(FATAL_ERROR "sweep_cli.cmake: unknown MODE '${MODE}'")
  endif()
  return()
endif()

# ---- registration ------------------------------------------------------------------------------

foreach(mode resume shards slurm failed_point progress)
  add_test(NAME "cli/sweep/${mode}"
           COMMAND ${CMAKE_COMMAND} "-DRACKSIM=$<TARGET_FILE:racksim>" "-DMODE=${mode}"
                   "-DSOURCE_DIR=${PROJECT_SOURCE_DIR}" "-DOUT=${CMAKE_CURRENT_BINARY_DIR}/out/sweep/${mode}"
                   -P "${CMAKE_CURRENT_SOURCE_DIR}/sweep_cli.cmake")
  set_tests_properties("cli/sweep/${mode}" PROPERTIES LABELS "cli" TIMEOUT 300)
endforeach()

# Errors: racksim_error_test (tests/cli/CMakeLists.txt), in out/sweep/<case>.
set(sweep_out "${CMAKE_CURRENT_BINARY_DIR}/out/sweep")
set(sweep_mi300x "${PROJECT_SOURCE_DIR}/scenarios/mi300x-node.yaml")

# --- bad command lines (exit 2) ---
racksim_error_test(sweep no_axis RC 2 ARGS sweep ${sweep_mi300x} EXPECT [['sweep' needs at least one --axis KEY=V1,V2,...]])
racksim_error_test(sweep unknown_option RC 2 ARGS sweep ${sweep_mi300x} --axis power.gpu_cap=400W --fast
                    EXPECT [[unknown option '--fast' for 'sweep']])
racksim_error_test(sweep slurm_without_shards RC 2 ARGS sweep ${sweep_mi300x} --axis power.gpu_cap=400W --slurm job.sbatch
                    EXPECT [['sweep --slurm' needs --shards N]])
racksim_error_test(sweep merge_no_dir RC 2 ARGS merge EXPECT [[usage: racksim merge DIR]])
# --- invalid input (exit 3): nothing runs ---
racksim_error_test(sweep bad_axis_value RC 3 ARGS sweep ${sweep_mi300x} --axis power.gpu_cap=400W,30C --out bad
                    EXPECT [[--axis power\.gpu_cap \(value '30C'\): key 'power\.gpu_cap': unknown unit 'C' for a power]])
racksim_error_test(sweep bad_axis_key RC 3 ARGS sweep ${sweep_mi300x} --axis cooling.inlet=30C --out bad
                    EXPECT [[--axis cooling\.inlet \(value '30C'\): key 'cooling\.inlet': unknown key 'inlet' in cooling; valid keys: .*inlet_temperature]])
racksim_error_test(sweep bad_shard RC 3 ARGS sweep ${sweep_mi300x} --axis power.gpu_cap=400W --shard 4/3
                    EXPECT [[--shard 4/3: expected 1 <= I <= N, got I = 4 and N = 3]])
racksim_error_test(sweep same_key_twice RC 3 ARGS sweep ${sweep_mi300x} --axis power.gpu_cap=400W --axis power.gpu_cap=600W
                    EXPECT [[the key is swept by two --axis options]])
racksim_error_test(sweep bad_metric RC 3 ARGS sweep ${sweep_mi300x} --axis power.gpu_cap=400W --metric power.energy
                    EXPECT [[--metric power\.energy: unknown metric; known metrics: simulated_time_s, ]])
racksim_error_test(sweep merge_not_a_sweep RC 3 ARGS merge ${sweep_out}/merge_not_a_sweep
                    EXPECT [[merge_not_a_sweep/sweep\.json: cannot open the sweep manifest: is this a sweep folder\?]])
# A folder that holds another sweep is never mixed with this one.
file(MAKE_DIRECTORY "${sweep_out}/other_sweep/dir")
file(WRITE "${sweep_out}/other_sweep/dir/sweep.json"
     "{\"schema_version\": 1, \"scenario\": \"${sweep_mi300x}\", \"scenario_fnv1a64\": \"0000000000000000\", \"sets\": [],\n"
     " \"axes\": [{\"key\": \"power.gpu_cap\", \"values\": [\"400W\"]}], \"points\": 1}\n")
racksim_error_test(sweep other_sweep RC 3 ARGS sweep ${sweep_mi300x} --axis power.gpu_cap=400W --out dir
                    EXPECT [[dir/sweep\.json: dir holds another sweep: the scenario file .*mi300x-node\.yaml changed since that sweep ran]]
                           [[Use another --out folder, or remove this one to start over]])
# A results file that is not a sweep's rows: file and line named.
file(MAKE_DIRECTORY "${sweep_out}/bad_rows/dir")
file(WRITE "${sweep_out}/bad_rows/dir/sweep.json"
     "{\"schema_version\": 1, \"scenario\": \"x.yaml\", \"scenario_fnv1a64\": \"0000000000000000\", \"sets\": [],\n"
     " \"axes\": [{\"key\": \"power.gpu_cap\", \"values\": [\"400W\", \"600W\"]}], \"points\": 2}\n")
file(WRITE "${sweep_out}/bad_rows/dir/shard-1-of-2.jsonl"
     "{\"point\":0,\"values\":[\"400W\"],\"status\":\"ok\",\"metrics\":{}}\n{\"point\":1,\"values\":[\"400W\"],\"status\":\"ok\",\"metrics\":{}}\n")
racksim_error_test(sweep bad_rows RC 3 ARGS merge dir
                    EXPECT [[dir/shard-1-of-2\.jsonl:2: key 'values': expected the values of point 1 in sweep\.json's grid]])
