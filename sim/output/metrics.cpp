#include "sim/output/metrics.hpp"

#include "core/error.hpp"
#include "sim/output/results.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <sstream>

namespace racksim {

const std::vector<std::string>& check_metric_names() {
  static const std::vector<std::string> names = {
      "simulated_time_s",      "workload.step_time_s",   "workload.tokens_per_s",  "workload.mfu",
      "power.energy_j",        "power.it_avg_w",         "power.gpu_peak_w",       "power.clock_avg_mhz",
      "thermal.max_junction_c", "thermal.max_coolant_c", "memory.hbm_peak_bytes", "collectives.model_time_s"};
  return names;
}

std::vector<std::pair<std::string, double>> check_metrics(const RunResult& r) {
  std::vector<std::pair<std::string, double>> m;
  m.emplace_back("simulated_time_s", r.simulated_time_s);
  if (r.training) {
    m.emplace_back("workload.step_time_s", r.training->step_time_s);
    m.emplace_back("workload.tokens_per_s", r.training->tokens_per_s);
    m.emplace_back("workload.mfu", r.training->mfu);
  }
  if (r.power) {
    m.emplace_back("power.energy_j", r.power->energy_j);
    m.emplace_back("power.it_avg_w", r.power->it_avg_w);
    m.emplace_back("power.gpu_peak_w", r.power->gpu_peak_w);
    m.emplace_back("power.clock_avg_mhz", r.power->clock_avg_mhz);
    if (r.power->thermal) {
      m.emplace_back("thermal.max_junction_c", r.power->max_junction_c);
      m.emplace_back("thermal.max_coolant_c", r.power->max_coolant_c);
    }
  }
  if (!r.per_rank.empty()) {
    std::uint64_t peak = 0;
    for (const auto& b : r.per_rank) peak = std::max(peak, b.hbm_peak);
    m.emplace_back("memory.hbm_peak_bytes", static_cast<double>(peak));
  }
  if (!r.collectives.empty()) m.emplace_back("collectives.model_time_s", r.collective_model_time_s);
  for (const auto& [name, v] : m)
    if (!std::isfinite(v)) throw SimulationError(fmt::format("metric {} is not a finite number ({})", name, v));
  return m;
}

// One "name hex-float" line per metric: the exact doubles, whatever the locale.
std::string encode_metric_lines(const std::vector<std::pair<std::string, double>>& m) {
  std::string s;
  for (const auto& [name, v] : m) s += fmt::format("{} {:a}\n", name, v);
  return s;
}

std::vector<std::pair<std::string, double>> decode_metric_lines(const std::string& text) {
  std::vector<std::pair<std::string, double>> m;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto sp = line.find(' ');
    if (sp == std::string::npos) throw Error(fmt::format("internal error: bad metric line from a child run: '{}'", line));
    m.emplace_back(line.substr(0, sp), std::strtod(line.c_str() + sp + 1, nullptr));
  }
  return m;
}

}  // namespace racksim
