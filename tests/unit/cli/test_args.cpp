// The declarative command-line parser (sim/cli/args.hpp), on a small verb declared here: flags,
// --a=b and --a b, repeatable options in order, defaults, ranges, byte counts, positionals, the
// constraints between options, the errors (and their exit codes) and the --help text.
#include "sim/cli/args.hpp"

#include "core/error.hpp"

#include <catch2/catch.hpp>

#include <limits>
#include <stdexcept>

using namespace racksim;
using Catch::Matchers::Contains;

namespace {

VerbSpec demo() {
  VerbSpec s;
  s.name = "demo";
  s.words = {"demo"};
  s.summary = "A verb for the tests.";
  s.positionals = {{"INPUT", "an input file", "the input"}, {"MORE", "more input", "more inputs", false, true}};
  s.options = {text("--out", "DIR", "where to write"),
               text("--set", "KEY=VALUE", "an override").repeatable(),
               integer("--jobs", "N", 1, 1024, "processes at once").alias("-j").defaults_to("4"),
               number_above("--budget", "PERCENT", 0.0, "the budget"),
               byte_count("--bytes", "SIZE", 1, "a message size"),
               byte_count("--min-bytes", "SIZE", 0, "the smallest size"),
               text("--gemm", "MxNxK", "a GEMM"),
               text("--stream", "OP", "a STREAM kernel"),
               text("--slurm", "FILE", "a script"),
               text("--shard", "I/N", "one shard"),
               flag("--json", "JSON output"),
               flag("--quiet", "silence").alias("-q")};
  using K = Constraint::Kind;
  s.constraints = {{K::OneOf, {"--gemm", "--stream"}, ""},
                   {K::Requires, {"--stream", "--bytes"}, ""},
                   {K::Excludes, {"--slurm", "--shard"}, "a script runs every shard"}};
  return s;
}

// The least that satisfies demo(): one input and one of --gemm, --stream.
std::vector<std::string> with_basics(std::vector<std::string> args) {
  args.insert(args.begin(), {"in.yaml", "--gemm", "1x1x1"});
  return args;
}

std::string usage_message(const std::vector<std::string>& args) {
  try {
    (void)parse_args(demo(), args);
  } catch (const UsageError& e) {
    CHECK(e.exit_code() == ExitCode::Usage);  // exit 2
    return e.what();
  }
  FAIL("expected a UsageError");
  return "";
}

std::string input_message(const std::vector<std::string>& args) {
  try {
    (void)parse_args(demo(), args);
  } catch (const InputError& e) {
    CHECK(e.exit_code() == ExitCode::BadInput);  // exit 3
    return e.what();
  }
  FAIL("expected an InputError");
  return "";
}

}  // namespace

TEST_CASE("a flag is false unless given", "[args]") {
  CHECK_FALSE(parse_args(demo(), with_basics({})).flag("--json"));
  CHECK(parse_args(demo(), with_basics({"--json"})).flag("--json"));
  CHECK(parse_args(demo(), with_basics({"-q"})).flag("--quiet"));  // the alias sets the long option
  CHECK_THAT(usage_message(with_basics({"--json=yes"})), Contains("--json takes no value, got '--json=yes'"));
}

TEST_CASE("an option's value after = or as the next argument is the same", "[args]") {
  CHECK(parse_args(demo(), with_basics({"--out=dir"})).text("--out") == "dir");
  CHECK(parse_args(demo(), with_basics({"--out", "dir"})).text("--out") == "dir");
  // Only the first '=' splits: the value keeps the others.
  CHECK(parse_args(demo(), with_basics({"--set=a=1"})).texts("--set") == std::vector<std::string>{"a=1"});
  // A value may start with '-' when it is no option of the verb.
  CHECK(parse_args(demo(), with_basics({"--out", "-x"})).text("--out") == "-x");
  CHECK_FALSE(parse_args(demo(), with_basics({})).text("--out").has_value());
}

TEST_CASE("a repeatable option keeps every value in order; another one keeps the last", "[args]") {
  const ParsedArgs a = parse_args(demo(), with_basics({"--set", "b=2", "--out", "x", "--set=a=1", "--set", "c=3", "--out=y"}));
  CHECK(a.texts("--set") == std::vector<std::string>{"b=2", "a=1", "c=3"});
  CHECK(a.text("--out") == "y");
}

TEST_CASE("a missing value is a usage error naming the option", "[args]") {
  CHECK_THAT(usage_message(with_basics({"--out"})), Contains("--out needs a value: --out DIR (in 'demo')"));
  // The next argument is another option of the verb, not a value.
  CHECK_THAT(usage_message(with_basics({"--out", "--json"})), Contains("--out needs a value"));
  CHECK_THAT(usage_message(with_basics({"--out="})), Contains("--out needs a value"));
}

TEST_CASE("an unknown option is a usage error listing the verb's options", "[args]") {
  const std::string m = usage_message(with_basics({"--frobnicate=1"}));
  CHECK_THAT(m, Contains("unknown option '--frobnicate' for 'demo'"));
  CHECK_THAT(m, Contains("valid options: --out, --set, --jobs, --budget, --bytes, --min-bytes, --gemm, --stream, --slurm, "
                         "--shard, --json, --quiet, --help"));
  CHECK_THAT(usage_message(with_basics({"-x"})), Contains("unknown option '-x' for 'demo'"));
}

TEST_CASE("a byte count is a bare number of bytes or a size with a unit", "[args]") {
  // 1 MiB = 2^20 B = 1048576 B, written either way.
  CHECK(parse_args(demo(), with_basics({"--bytes", "1048576"})).bytes("--bytes") == 1048576u);
  CHECK(parse_args(demo(), with_basics({"--bytes", "1MiB"})).bytes("--bytes") == 1048576u);
  CHECK(parse_args(demo(), with_basics({"--bytes=1.5 kB"})).bytes("--bytes") == 1500u);  // 1.5 x 1000
  CHECK(parse_args(demo(), with_basics({"--min-bytes", "5"})).bytes("--min-bytes") == 5u);
  CHECK(parse_args(demo(), with_basics({"--min-bytes", "0B"})).bytes("--min-bytes") == 0u);  // its minimum is 0
  CHECK(parse_byte_count("--bytes", "1PiB", 1, kMaxByteCount) == std::uint64_t{1} << 50);   // the largest

  CHECK_THAT(input_message(with_basics({"--bytes", "0B"})), Contains("--bytes 0B: expected a size from 1 B to 1 PiB"));
  CHECK_THAT(input_message(with_basics({"--bytes", "0"})), Contains("--bytes 0: expected a size from 1 B"));
  // 1e300 PB = 1e315 B is no finite double: the unit parser refuses it.
  CHECK_THAT(input_message(with_basics({"--bytes", "1e300PB"})), Contains("--bytes 1e300PB: value out of range"));
  // 2 PiB and a 20-digit count are past 1 PiB.
  CHECK_THAT(input_message(with_basics({"--bytes", "2PiB"})), Contains("expected a size from 1 B to 1 PiB"));
  CHECK_THAT(input_message(with_basics({"--bytes", "99999999999999999999"})), Contains("expected a size from 1 B to 1 PiB"));
  CHECK_THAT(input_message(with_basics({"--min-bytes", "-5"})), Contains("--min-bytes -5: expected a size from 0 B"));
  CHECK_THAT(input_message(with_basics({"--bytes", "1e6"})), Contains("a count of bytes like 1048576"));
  CHECK_THAT(input_message(with_basics({"--bytes", "5XB"})), Contains("unknown unit 'XB'"));
}

TEST_CASE("integers and numbers are checked against their range; defaults apply when absent", "[args]") {
  CHECK(parse_args(demo(), with_basics({})).integer("--jobs") == 4);  // the declared default
  CHECK_FALSE(parse_args(demo(), with_basics({})).given("--jobs"));
  CHECK(parse_args(demo(), with_basics({"-j", "1024"})).integer("--jobs") == 1024);
  CHECK_THAT(input_message(with_basics({"--jobs", "0"})), Contains("--jobs 0: expected an integer from 1 to 1024"));
  CHECK_THAT(input_message(with_basics({"--jobs", "1025"})), Contains("expected an integer from 1 to 1024"));
  CHECK_THAT(input_message(with_basics({"--jobs", "2x"})), Contains("--jobs 2x: expected an integer"));
  CHECK_THAT(input_message(with_basics({"--jobs", "99999999999999999999"})), Contains("expected an integer"));
  CHECK(parse_args(demo(), with_basics({"--budget", "2.5"})).number("--budget") == 2.5);
  CHECK_THAT(input_message(with_basics({"--budget", "0"})), Contains("--budget 0: expected a number greater than 0"));
  CHECK_THAT(input_message(with_basics({"--budget", "inf"})), Contains("expected a number greater than 0"));
}

TEST_CASE("positional arguments: required, repeatable, and -- ending the options", "[args]") {
  CHECK_THAT(usage_message({"--gemm", "1x1x1"}), Contains("'demo' needs an input file; usage: racksim demo INPUT [MORE...]"));
  const ParsedArgs a = parse_args(demo(), with_basics({"b", "c", "--", "--json"}));
  CHECK(a.positional() == std::vector<std::string>{"in.yaml", "b", "c", "--json"});
  CHECK_FALSE(a.flag("--json"));
}

TEST_CASE("constraints between options", "[args]") {
  CHECK_THAT(usage_message({"in.yaml"}), Contains("'demo' needs exactly one of --gemm, --stream"));
  CHECK_THAT(usage_message({"in.yaml", "--gemm", "1x1x1", "--stream", "copy", "--bytes", "1"}),
             Contains("needs exactly one of --gemm, --stream"));
  CHECK_THAT(usage_message({"in.yaml", "--stream", "copy"}), Contains("'demo --stream' needs --bytes SIZE"));
  CHECK_THAT(usage_message(with_basics({"--slurm", "f", "--shard", "1/2"})),
             Contains("'demo' takes --slurm or --shard, not both (a script runs every shard)"));
}

TEST_CASE("help anywhere (-h, --help) asks for help and checks nothing else", "[args]") {
  CHECK(parse_args(demo(), {"--frobnicate", "--help"}).help());
  CHECK(parse_args(demo(), {"-h"}).help());
  CHECK_FALSE(parse_args(demo(), with_basics({"--", "--help"})).help());  // after --, an argument
}

TEST_CASE("the --help text holds the usage, the summary and every option", "[args]") {
  const VerbSpec spec = demo();
  const std::string help = verb_help(spec);
  CHECK_THAT(help, Contains("usage: racksim demo INPUT [MORE...] [--out DIR] [--set KEY=VALUE]... [--jobs N]"));
  CHECK_THAT(help, Contains("(--gemm MxNxK | --stream OP)"));  // the one-of group, drawn once
  CHECK_THAT(help, Contains("A verb for the tests."));
  for (const auto& o : spec.options) CHECK_THAT(help, Contains(o.name));
  CHECK_THAT(help, Contains("-j, --jobs N"));
  CHECK_THAT(help, Contains("an integer from 1 to 1024; default: 4"));
  CHECK_THAT(help, Contains("-h, --help"));
}

TEST_CASE("wrapping keeps words whole and indents later lines", "[args]") {
  // Width 10, indent 2: "aaa bbb" is 7 columns from column 2 (9 <= 10); "ccc" would end at 13.
  CHECK(wrap_text("aaa bbb ccc", 2, 10) == "aaa bbb\n  ccc");
  CHECK(wrap_text("one\ntwo", 4, 80) == "one\n    two");
}

TEST_CASE("reading an option that is not declared, or as another type, is a bug", "[args]") {
  const ParsedArgs a = parse_args(demo(), with_basics({}));
  CHECK_THROWS_AS(a.flag("--nope"), std::logic_error);
  CHECK_THROWS_AS(a.text("--jobs"), std::logic_error);
}
