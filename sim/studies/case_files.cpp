// racksim studies: the parts of the training and inference cases files that are the same
// (case_files.hpp).
#include "sim/studies/case_files.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <sstream>

namespace racksim {

std::string join_texts(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

double median_of(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

std::int64_t positive_count(const ConfigNode& n) { return n.as_int(1, std::int64_t{1} << 50); }

std::optional<std::int64_t> optional_count(MapReader& r, const char* key, std::map<std::string, Location>& where) {
  auto n = r.optional(key);
  if (!n) return std::nullopt;
  where[key] = n->location();
  return positive_count(*n);
}

std::vector<std::pair<std::string, double>> read_also(const ConfigNode& n, const char* example) {
  std::vector<std::pair<std::string, double>> v;
  if (!n.is_map()) n.fail(fmt::format("expected a map of other published figures, e.g. {}", example));
  for (const auto& [k, child] : n.entries()) v.emplace_back(k, child.as_number());
  return v;
}

std::string read_source(const ConfigNode& src, const std::set<std::string>& source_ids) {
  std::string source = src.as_string();
  if (source_ids.count(source) == 0) {
    std::vector<std::string> ids(source_ids.begin(), source_ids.end());
    src.fail(fmt::format("unknown source '{}'; meta.sources has: {}", source, join_texts(ids)));
  }
  return source;
}

std::string scenario_yaml_of(const std::string& name, const std::string& description,
                             const std::vector<std::pair<std::string, std::string>>& overrides) {
  YAML::Node root;
  root["schema_version"] = 1;
  root["name"] = name;
  root["description"] = description;
  for (const auto& [key, value] : overrides) {
    std::vector<std::string> parts;
    std::stringstream ss(key);
    for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
    std::vector<YAML::Node> path{root};
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) path.push_back(path.back()[parts[i]]);
    path.back()[parts.back()] = YAML::Load(value);
  }
  YAML::Emitter e;
  e << root;
  return e.c_str();
}

}  // namespace racksim
