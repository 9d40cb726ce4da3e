// racksim's usage and the verbs' declarations (sim/cli/cli.hpp): README.md's command synopsis is
// the "usage:" block of `racksim --help`, every verb and subverb answers --help with exit 0, and
// each help lists every option its verb declares.
#include "sim/cli/cli.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace racksim;
using Catch::Matchers::Contains;

namespace {

// The lines after `after` that start with four spaces, up to the first line that does not (the
// rule of the README's command: sed -n '/^usage:$/,/^$/{/^    /p}').
std::string indented_block(const std::string& text, const std::string& after) {
  const auto at = text.find(after);
  if (at == std::string::npos) return "";
  std::istringstream in(text.substr(at + after.size()));
  std::string line, block;
  bool started = false;
  while (std::getline(in, line)) {
    const bool indented = line.rfind("    ", 0) == 0;
    if (!indented && started) break;
    if (indented) {
      started = true;
      block += line + "\n";
    }
  }
  return block;
}

}  // namespace

TEST_CASE("README.md's command synopsis is the usage block of racksim --help", "[usage]") {
  std::ifstream in(std::string(RACKSIM_SOURCE_DIR) + "/README.md");
  REQUIRE(in);
  std::stringstream readme;
  readme << in.rdbuf();
  const std::string from_help = indented_block(usage_text(), "\nusage:\n");
  REQUIRE_FALSE(from_help.empty());
  INFO("README.md's block under '## The `racksim` command' differs from racksim --help; paste it again with\n"
       "  ./build/racksim --help | sed -n '/^usage:$/,/^$/{/^    /p}'");
  CHECK(indented_block(readme.str(), "## The `racksim` command\n") == from_help);
}

TEST_CASE("every verb and subverb answers --help with its usage and every option, exit 0", "[usage]") {
  for (const Verb& v : all_verbs()) {
    std::vector<std::string> args = v.spec.words;
    if (!v.spec.selected_by.empty()) args.push_back(v.spec.selected_by);  // validate --system --help
    args.push_back("--help");
    std::ostringstream out, err;
    INFO(v.spec.name);
    CHECK(run_cli(args, out, err) == 0);
    CHECK(err.str().empty());
    std::string words;
    for (const auto& w : v.spec.words) words += " " + w;
    CHECK_THAT(out.str(), Contains("usage: racksim" + words));
    for (const auto& o : v.spec.options) CHECK_THAT(out.str(), Contains(o.name));
    for (const auto& p : v.spec.positionals) CHECK_THAT(out.str(), Contains(p.name));
    // The top-level usage names the verb and each of its options too.
    for (const auto& o : v.spec.options) CHECK_THAT(usage_text(), Contains(o.name));
  }
}

TEST_CASE("a verb with subverbs asks for one, and answers --help with all of them", "[usage]") {
  std::ostringstream out, err;
  CHECK(run_cli({"predict", "--help"}, out, err) == 0);
  CHECK_THAT(out.str(), Contains("usage: racksim predict kernel"));
  CHECK_THAT(out.str(), Contains("usage: racksim predict collective"));
  std::ostringstream out2, err2;
  CHECK(run_cli({"predict", "--gpu", "h100"}, out2, err2) == 2);
  CHECK_THAT(err2.str(), Contains("'predict' needs kernel or collective first; usage: racksim predict kernel --gpu ID"));
}

TEST_CASE("an unknown verb lists the verbs", "[usage]") {
  std::ostringstream out, err;
  CHECK(run_cli({"frobnicate"}, out, err) == 2);
  CHECK_THAT(err.str(), Contains("unknown verb 'frobnicate'; verbs: run, sweep, merge, plan, predict, calibrate, validate, "
                                 "export-chakra, check, version"));
}
