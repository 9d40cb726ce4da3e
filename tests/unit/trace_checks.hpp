// Checks of a timeline.json shared by the unit and sim tests of sim/output/timeline (the file parsed
// back with yaml-cpp: JSON is a subset of YAML).
#pragma once

#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace racksim::test {

inline std::vector<YAML::Node> events(const YAML::Node& doc) {
  std::vector<YAML::Node> v;
  for (const auto& e : doc["traceEvents"]) v.push_back(e);
  return v;
}

// Whole nanoseconds from a microsecond value of the file.
inline long long ns(const YAML::Node& n) { return std::llround(n.as<double>() * 1000.0); }

// Every event carries ph, name, pid, tid and ts; X events a dur >= 0.
inline void check_well_formed(const std::vector<YAML::Node>& ev) {
  for (const auto& e : ev) {
    INFO(YAML::Dump(e));
    REQUIRE(e["ph"]);
    REQUIRE(e["name"]);
    REQUIRE(e["pid"]);
    REQUIRE(e["tid"]);
    REQUIRE(e["ts"]);
    const std::string ph = e["ph"].as<std::string>();
    CHECK((ph == "X" || ph == "C" || ph == "M"));
    if (ph == "X") {
      REQUIRE(e["dur"]);
      CHECK(ns(e["dur"]) >= 0);
      CHECK(e["cat"]);
    }
  }
}

// On every (pid, tid) track, the X events nest: sorted by start (longer first on ties), each is
// either inside the innermost open event or starts after it ends.
inline void check_nested(const std::vector<YAML::Node>& ev) {
  std::map<std::pair<int, int>, std::vector<std::pair<long long, long long>>> tracks;
  for (const auto& e : ev)
    if (e["ph"].as<std::string>() == "X")
      tracks[{e["pid"].as<int>(), e["tid"].as<int>()}].emplace_back(ns(e["ts"]), ns(e["ts"]) + ns(e["dur"]));
  for (auto& [track, spans] : tracks) {
    std::sort(spans.begin(), spans.end(), [](const auto& a, const auto& b) {
      return std::make_tuple(a.first, -a.second) < std::make_tuple(b.first, -b.second);
    });
    std::vector<std::pair<long long, long long>> open;
    for (const auto& s : spans) {
      while (!open.empty() && open.back().second <= s.first) open.pop_back();
      INFO("pid " << track.first << " tid " << track.second << " span " << s.first << "-" << s.second);
      if (!open.empty()) CHECK(s.second <= open.back().second);
      open.push_back(s);
    }
  }
}

// Both: what every timeline.json must be.
inline void check_trace(const std::vector<YAML::Node>& ev) {
  check_well_formed(ev);
  check_nested(ev);
}

}  // namespace racksim::test
