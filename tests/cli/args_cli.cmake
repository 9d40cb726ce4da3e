# The one command-line parser (sim/cli/args.hpp) seen from the racksim binary: every verb and
# subverb answers --help with its usage and exit 0, and --opt=VALUE works like --opt VALUE.
# The parser's rules are unit-tested in tests/unit/cli/test_args.cpp, the README's synopsis in
# tests/unit/cli/test_usage.cpp; the errors are cli/bad_input/usage_* and option_* (bad_inputs.cmake).
# One test per case, "cli/args/<case>", run by expect_error.cmake (racksim_error_test).

racksim_error_test(args help RC 0 ARGS --help
  EXPECT [[usage:]] [=[    racksim run \[SCENARIO\]]=] [[    racksim version]] [[exit codes:]])
racksim_error_test(args no_arguments RC 2 EXPECT [[usage:]])
foreach(verb run sweep merge plan predict "predict kernel" "predict collective" calibrate validate "validate --system"
             export-chakra check version)
  string(REPLACE " " ";" words "${verb}")
  string(REPLACE " " "_" name "help_${verb}")
  string(REPLACE "--" "" name "${name}")
  list(GET words 0 first)
  racksim_error_test(args ${name} RC 0 ARGS ${words} --help EXPECT "usage: racksim ${first}" [[-h, --help +print this help]])
endforeach()
racksim_error_test(args help_after_other_arguments RC 0 ARGS sweep no-such.yaml --frobnicate -h
  EXPECT [[usage: racksim sweep SCENARIO --axis]])

# --opt=VALUE and --opt VALUE mixed: the same estimate as kernel/predict_stream_triad_h100.
racksim_error_test(args equals_form RC 0
  ARGS   predict kernel --gpu=h100 --stream triad --bytes=256MiB --json
  EXPECT [["bytes": 805306368]] [["bound": "memory"]])
