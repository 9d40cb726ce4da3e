// The command line against its declarations, completely (sim/cli/args.hpp, cli.hpp): every option
// of every verb and subverb takes --opt=VALUE exactly as --opt VALUE; every racksim command line
// written in README.md and docs/*.md names a verb that exists and only options that verb declares;
// every verb is described in README.md's list; README.md's exit-status table is the one the
// declarations make, and each verb declares only codes with a meaning of their own.
// (test_usage.cpp checks the synopsis block, each verb's --help and the top-level usage.)
#include "sim/cli/cli.hpp"

#include "core/error.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace racksim;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A value of the option's type that parses (or fails the same way in both forms).
std::string sample_value(const OptionSpec& o) {
  switch (o.type) {
    case ValueType::Integer: return std::to_string(o.min);
    case ValueType::Number: return "7.5";
    case ValueType::ByteCount: return "1048576";
    case ValueType::Text:
    case ValueType::Flag: break;
  }
  return "x=1";
}

// What parsing `args` gives for option `name`: its value, or the error's message.
std::string outcome(const VerbSpec& spec, const std::vector<std::string>& args, const OptionSpec& o) {
  try {
    const ParsedArgs a = parse_args(spec, args);
    switch (o.type) {
      case ValueType::Integer: return std::to_string(*a.integer(o.name));
      case ValueType::Number: return std::to_string(*a.number(o.name));
      case ValueType::ByteCount: return std::to_string(*a.bytes(o.name));
      case ValueType::Text:
      case ValueType::Flag: break;
    }
    return *a.text(o.name);
  } catch (const Error& e) {
    return std::string("error: ") + e.what();
  }
}

// The verbs' first words and, for each written form ("predict kernel", "validate"), every option
// any of its forms declares.
std::map<std::string, std::set<std::string>> options_by_words() {
  std::map<std::string, std::set<std::string>> m;
  for (const Verb& v : all_verbs()) {
    std::string words;
    for (const auto& w : v.spec.words) words += (words.empty() ? "" : " ") + w;
    auto& opts = m[words];
    for (const auto& o : v.spec.options) opts.insert(o.name);
    opts.insert("--help");
  }
  m["version"].insert("--version");  // racksim --version is version's other spelling
  return m;
}

}  // namespace

TEST_CASE("every option of every verb takes --opt=VALUE as it takes --opt VALUE", "[usage]") {
  std::size_t checked = 0;
  for (const Verb& v : all_verbs()) {
    for (const OptionSpec& o : v.spec.options) {
      if (o.type == ValueType::Flag) continue;
      // The verb's required positionals and options filled in, so that the form under test is
      // what decides; both forms must then give the same value or the same error.
      std::vector<std::string> base;
      for (const auto& p : v.spec.positionals)
        if (p.required) base.push_back("arg");
      const std::string value = sample_value(o);
      std::vector<std::string> spaced = base, joined = base;
      spaced.insert(spaced.end(), {o.name, value});
      joined.push_back(o.name + "=" + value);
      INFO(v.spec.name << " " << o.name);
      const std::string a = outcome(v.spec, spaced, o);
      CHECK(a == outcome(v.spec, joined, o));
      // And the value itself arrives, whatever else the verb needs, when the parse gets that far.
      if (a.rfind("error: ", 0) != 0 && o.type == ValueType::Text) CHECK(a == value);
      ++checked;
    }
  }
  CHECK(checked > 30);  // the verbs declare well over thirty options with values
}

TEST_CASE("every racksim command line in README.md and docs/*.md uses a verb and only its options", "[usage]") {
  const auto options = options_by_words();
  std::vector<std::string> files = {std::string(RACKSIM_SOURCE_DIR) + "/README.md"};
  for (const auto& e : std::filesystem::directory_iterator(std::string(RACKSIM_SOURCE_DIR) + "/docs"))
    if (e.path().extension() == ".md") files.push_back(e.path().string());
  // "racksim <word> [<word>]" up to the end of the inline code or line; options are "--name".
  const std::regex command(R"(racksim ([a-z][a-z-]*)( (kernel|collective))?([^`\n]*))");
  const std::regex option(R"((^|[\s\[(|])(--[a-z][a-z0-9-]*))");
  std::size_t lines = 0;
  for (const auto& f : files) {
    std::istringstream in(read_text(f));
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      for (std::sregex_iterator m(line.begin(), line.end(), command), end; m != end; ++m) {
        std::string words = (*m)[1].str();
        if (words == "predict" && (*m)[3].matched) words += " " + (*m)[3].str();
        const auto verb = options.find(words);
        if (verb == options.end()) continue;  // prose: "racksim predicts ...", "racksim is ..."
        const std::string rest = (*m)[4].str();
        for (std::sregex_iterator o(rest.begin(), rest.end(), option); o != end; ++o) {
          INFO(f << ":" << n << ": racksim " << words << ": " << line);
          CHECK(verb->second.count((*o)[2].str()) == 1);
        }
        ++lines;
      }
    }
  }
  CHECK(lines > 40);  // the README's synopsis alone has 15
}

TEST_CASE("README.md describes every verb in its list", "[usage]") {
  const std::string readme = read_text(std::string(RACKSIM_SOURCE_DIR) + "/README.md");
  // The list between the synopsis and the exit codes: each verb named in code there ("`predict
  // kernel` runs ...", "`merge DIR` joins them").
  const auto from = readme.find("## The `racksim` command\n");
  const auto to = readme.find("### Exit codes\n");
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  const std::string list = readme.substr(from, to - from);
  for (const Verb& v : all_verbs()) {
    std::string words;
    for (const auto& w : v.spec.words) words += (words.empty() ? "" : " ") + w;
    if (words == "version") continue;  // the synopsis says all there is
    INFO(words);
    CHECK((list.find("`" + words + "`") != std::string::npos || list.find("`" + words + " ") != std::string::npos));
  }
}

TEST_CASE("README.md's exit-status table is the verbs' declared exit statuses", "[usage]") {
  const std::string readme = read_text(std::string(RACKSIM_SOURCE_DIR) + "/README.md");
  const std::string table = exit_status_table();
  INFO("README.md's table under '### Exit codes' differs from the declarations (VerbSpec::exits); it should read:\n" << table);
  CHECK(readme.find(table) != std::string::npos);
  for (const Verb& v : all_verbs()) {
    int last = 0;
    for (const auto& e : v.spec.exits) {
      INFO(v.spec.name << " exit " << e.code);
      // 0 and 2 mean the same for every verb; codes are listed once, in order.
      CHECK((e.code == 1 || e.code == 3 || e.code == 4 || e.code == 5));
      CHECK(e.code > last);
      CHECK_FALSE(e.meaning.empty());
      last = e.code;
    }
  }
}
