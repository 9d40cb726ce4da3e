// Unit tests for sim/scenario's key table (keys.hpp) against its documentation and its reader:
//   - docs/scenario-format.md documents every map of the table in a key table marked
//     `<!-- key-table map="cluster.scale_up" kinds="switched helios_rack" -->`: its keys must be
//     exactly the table's keys of that map (for those kinds), and each key's "Type" cell and its
//     "Default" cell (or one cell per kind, "not accepted" where the kind has no such key) must be
//     what render_type / render_default make of the table's row. A key added to the table and not
//     documented, or documented and not in the table, fails here;
//   - `--set` on a path no table lists fails at the override, naming the nearest keys;
//   - every shipped scenario loads (its every key read by a table-driven reader).
// The workload kinds' own maps (workload.model, ...) are documented in docs/transformer.md and
// docs/chakra.md; only their keys of the `workload` map itself are checked here.
#include "core/error.hpp"
#include "core/key_table.hpp"
#include "sim/scenario/keys.hpp"
#include "sim/scenario/scenario.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using test::cells_of;
using test::input_error_of;
using test::trim_cell;

namespace {

// One documented key table: the map, the kinds it covers (none: a map without kinds), and per
// key its cells by column header.
struct DocTable {
  std::string map;
  std::vector<std::string> kinds;
  int line = 0;
  std::vector<std::string> headers;
  std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> rows;  // key names, cells
};


// "`a`, `b`" -> {a, b}.
std::vector<std::string> key_names(const std::string& cell) {
  std::vector<std::string> out;
  static const std::regex name("`([a-z_0-9]+)`");
  for (auto it = std::sregex_iterator(cell.begin(), cell.end(), name); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1]);
  return out;
}

std::vector<DocTable> doc_tables(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  static const std::regex marker(R"re(^<!-- key-table map="([^"]*)"(?: kinds="([^"]*)")? -->$)re");
  std::vector<DocTable> out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    if (!std::regex_match(lines[i], m, marker)) continue;
    DocTable t;
    t.map = m[1];
    std::istringstream kinds(m[2]);
    for (std::string k; kinds >> k;) t.kinds.push_back(k);
    t.line = static_cast<int>(i + 1);
    std::size_t j = i + 1;
    while (j < lines.size() && trim_cell(lines[j]).empty()) ++j;
    for (bool header = true; j < lines.size() && !lines[j].empty() && lines[j][0] == '|'; ++j) {
      const auto cells = cells_of(lines[j]);
      if (header) {
        t.headers = cells;
        header = false;
      } else if (cells.empty() || cells[0].rfind("---", 0) != 0) {
        t.rows.emplace_back(key_names(cells.at(0)), cells);
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::string join_path(const std::string& map, const std::string& key) { return map.empty() ? key : map + "." + key; }

int column(const DocTable& t, const std::vector<std::string>& names) {
  for (std::size_t c = 0; c < t.headers.size(); ++c)
    if (std::find(names.begin(), names.end(), t.headers[c]) != names.end()) return static_cast<int>(c);
  return -1;
}

const std::string kDoc = std::string(RACKSIM_SOURCE_DIR) + "/docs/scenario-format.md";

}  // namespace

TEST_CASE("scenario keys: the docs' key tables list exactly the table's keys, types and defaults", "[scenario_keys][docs]") {
  const KeyTable& table = scenario_keys();
  const auto tables = doc_tables(kDoc);
  REQUIRE_FALSE(tables.empty());
  std::set<std::pair<std::string, std::string>> covered;  // (map, kind)
  for (const DocTable& t : tables) {
    INFO("docs/scenario-format.md:" << t.line << ": the key table of map '" << t.map << "'");
    const int type_col = column(t, {"Type", "Type, unit"});
    REQUIRE(type_col >= 0);
    std::vector<int> default_cols;
    if (t.kinds.empty()) {
      default_cols.push_back(column(t, {"Default"}));
      covered.emplace(t.map, "");
    }
    for (const auto& k : t.kinds) {
      default_cols.push_back(column(t, {"`" + k + "`"}));
      covered.emplace(t.map, k);
    }
    for (int c : default_cols) REQUIRE(c >= 0);

    // The same keys, each once.
    std::vector<std::string> expected;
    for (const auto& k : t.kinds.empty() ? std::vector<std::string>{""} : t.kinds)
      for (const auto& n : table.names(t.map, k))
        if (std::find(expected.begin(), expected.end(), n) == expected.end()) expected.push_back(n);
    std::vector<std::string> documented;
    for (const auto& [names, cells] : t.rows) documented.insert(documented.end(), names.begin(), names.end());
    std::vector<std::string> a = expected, b = documented;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    CHECK(b == a);

    // Each documented key's cells.
    for (const auto& [names, cells] : t.rows) {
      for (const auto& name : names) {
        const std::string path = join_path(t.map, name);
        INFO("key " << path);
        // The row of the first kind of this table that has the key (of the map, without kinds).
        const KeySpec* any = nullptr;
        for (const auto& k : t.kinds.empty() ? std::vector<std::string>{""} : t.kinds)
          if (!any) any = table.find(path, k);
        if (!any) continue;  // reported above
        CHECK(cells.at(static_cast<std::size_t>(type_col)) == render_type(*any));
        if (t.kinds.empty()) {
          CHECK(cells.at(static_cast<std::size_t>(default_cols[0])) == render_default(*any));
          continue;
        }
        for (std::size_t i = 0; i < t.kinds.size(); ++i) {
          INFO("kind " << t.kinds[i]);
          const KeySpec* row = table.find(path, t.kinds[i]);
          CHECK(cells.at(static_cast<std::size_t>(default_cols[i])) == (row ? render_default(*row) : "not accepted"));
          if (row) CHECK(render_type(*row) == render_type(*any));  // one type cell serves every kind
        }
      }
    }
  }
  // Every map of the scenario's own table, for each of its kinds, has a documented key table.
  for (const auto& map : table.maps()) {
    if (map.rfind("workload.", 0) == 0) continue;  // docs/transformer.md
    const auto kinds = table.kinds(map);
    for (const auto& k : kinds.empty() ? std::vector<std::string>{""} : kinds) {
      INFO("map '" << map << "'" << (k.empty() ? "" : ", kind " + k));
      CHECK(covered.count({map, k}) == 1);
    }
  }
}

TEST_CASE("scenario keys: --set on a key no table lists fails at the override, naming the nearest", "[scenario_keys]") {
  const std::string scenario = std::string(RACKSIM_SOURCE_DIR) + "/scenarios/mi300x-node.yaml";
  SECTION("a misspelt key of a nested map") {
    const InputError e =
        input_error_of([&] { (void)load_scenario(scenario, {"cluster.scale_up.latancy=1 us"}, RACKSIM_SOURCE_DIR); });
    CHECK(e.where().file == "--set cluster.scale_up.latancy=1 us");
    CHECK(e.where().key == "cluster.scale_up.latancy");
    // 'latancy' is one edit from 'latency'; the valid keys are every kind's (the kind may change).
    CHECK_THAT(e.expected(), Contains("unknown key 'latancy' in cluster.scale_up; valid keys: kind, gpus,"));
    CHECK_THAT(e.expected(), EndsWith("; did you mean 'latency'?"));
  }
  SECTION("a key of a map that does not exist at all, even with a valid value") {
    const InputError e = input_error_of([&] { (void)load_scenario(scenario, {"powr.gpu_cap=500 W"}, RACKSIM_SOURCE_DIR); });
    CHECK(e.where().key == "powr");
    CHECK_THAT(e.expected(), Contains("unknown key 'powr' in scenario; valid keys: schema_version,"));
    CHECK_THAT(e.expected(), EndsWith("did you mean 'power'?"));
  }
  SECTION("an element of the faults list") {
    const InputError e = input_error_of([&] {
      (void)load_scenario(scenario, {"faults=[{at: 0 s, switch: leaf0, state: down}]", "faults.0.when=1 s"},
                          RACKSIM_SOURCE_DIR);
    });
    CHECK(e.where().key == "faults[0].when");
    CHECK(e.expected() == "unknown key 'when' in fault; valid keys: at, link, switch, state, fraction");
  }
  SECTION("the keys of the workload kinds are known too") {
    // transformer_training keys on a trace scenario: the path is valid (the kind may change with
    // another --set); the reader then rejects it for kind trace.
    const InputError e =
        input_error_of([&] { (void)load_scenario(scenario, {"workload.parallel.tp=2"}, RACKSIM_SOURCE_DIR); });
    CHECK_THAT(e.expected(), Contains("unknown key 'parallel' in workload; valid keys: kind, file"));
  }
}

TEST_CASE("scenario keys: every shipped scenario loads through the table-driven readers", "[scenario_keys]") {
  namespace fs = std::filesystem;
  int n = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(RACKSIM_SOURCE_DIR) / "scenarios")) {
    if (entry.path().extension() != ".yaml") continue;
    INFO(entry.path().string());
    CHECK_NOTHROW((void)load_scenario(entry.path().string(), {}, RACKSIM_SOURCE_DIR));
    ++n;
  }
  CHECK(n > 0);
}
