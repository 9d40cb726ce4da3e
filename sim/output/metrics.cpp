#include "sim/output/metrics.hpp"

#include "core/error.hpp"
#include "sim/output/results.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace racksim {

RankTotals rank_totals(const RunResult& r) {
  RankTotals t;
  for (const auto& b : r.per_rank) {
    t.transfers += b.transfers;
    t.bytes_sent += b.bytes_sent;
    t.compute_s += b.compute_s;
    t.comm_s += b.comm_s;
    t.comm_total_s += b.comm_total_s;
    t.overlap_s += b.overlap_s;
    t.idle_s += b.idle_s;
    if (t.hbm_peak_rank < 0 || b.hbm_peak > t.hbm_peak) {
      t.hbm_peak = b.hbm_peak;
      t.hbm_peak_rank = b.rank;
    }
  }
  return t;
}

namespace {

using Get = std::optional<double>;

Get training(const RunResult& r, double TrainingMetrics::*field) {
  if (!r.training) return std::nullopt;
  return (*r.training).*field;
}
Get power(const RunResult& r, double PowerSummary::*field) {
  if (!r.power) return std::nullopt;
  return (*r.power).*field;
}
Get thermal(const RunResult& r, double PowerSummary::*field) {
  if (!r.power || !r.power->thermal) return std::nullopt;
  return (*r.power).*field;
}
Get power_part(const RunResult& r, const char* part) {
  if (!r.power) return std::nullopt;
  for (const auto& [name, w] : r.power->breakdown_w)
    if (name == part) return w;
  return 0.0;  // the part is not in this cluster: it draws nothing
}

}  // namespace

// A serving run's figure (none for other runs).
template <class F>
Get serving(const RunResult& r, F f) {
  if (!r.serving) return std::nullopt;
  return f(*r.serving);
}

const std::vector<MetricDef>& metric_table() {
  static const std::vector<MetricDef> table = {
      // The checked set, in check's order (docs/check.md; sweep's columns).
      {"simulated_time_s", "s", true, [](const RunResult& r) -> Get { return r.simulated_time_s; }},
      {"workload.step_time_s", "s", true, [](const RunResult& r) { return training(r, &TrainingMetrics::step_time_s); }},
      {"workload.tokens_per_s", "1/s", true, [](const RunResult& r) { return training(r, &TrainingMetrics::tokens_per_s); }},
      {"workload.mfu", "", true, [](const RunResult& r) { return training(r, &TrainingMetrics::mfu); }},
      {"power.energy_j", "J", true, [](const RunResult& r) { return power(r, &PowerSummary::energy_j); }},
      {"power.it_avg_w", "W", true, [](const RunResult& r) { return power(r, &PowerSummary::it_avg_w); }},
      {"power.gpu_peak_w", "W", true, [](const RunResult& r) { return power(r, &PowerSummary::gpu_peak_w); }},
      {"power.clock_avg_mhz", "MHz", true, [](const RunResult& r) { return power(r, &PowerSummary::clock_avg_mhz); }},
      {"thermal.max_junction_c", "C", true, [](const RunResult& r) { return thermal(r, &PowerSummary::max_junction_c); }},
      {"thermal.max_coolant_c", "C", true, [](const RunResult& r) { return thermal(r, &PowerSummary::max_coolant_c); }},
      {"memory.hbm_peak_bytes", "B", true,
       [](const RunResult& r) -> Get {
         if (r.per_rank.empty()) return std::nullopt;
         return static_cast<double>(rank_totals(r).hbm_peak);
       }},
      {"collectives.model_time_s", "s", true,
       [](const RunResult& r) -> Get {
         if (r.collectives.empty()) return std::nullopt;
         return r.collective_model_time_s;
       }},
      // Serving runs (docs/inference.md): latencies at p99 and throughput.
      {"serving.ttft_p99_s", "s", true, [](const RunResult& r) { return serving(r, [](const ServingMetrics& m) { return m.ttft.p99; }); }},
      {"serving.tpot_p99_s", "s", true, [](const RunResult& r) { return serving(r, [](const ServingMetrics& m) { return m.tpot.p99; }); }},
      {"serving.e2e_p99_s", "s", true, [](const RunResult& r) { return serving(r, [](const ServingMetrics& m) { return m.e2e.p99; }); }},
      {"serving.output_tokens_per_s", "1/s", true,
       [](const RunResult& r) { return serving(r, [](const ServingMetrics& m) { return m.throughput.output_tokens_per_s; }); }},
      // Further figures other studies read by name (racksim plan).
      {"serving.ttft_p50_s", "s", false, [](const RunResult& r) { return serving(r, [](const ServingMetrics& m) { return m.ttft.p50; }); }},
      {"serving.tpot_p50_s", "s", false, [](const RunResult& r) { return serving(r, [](const ServingMetrics& m) { return m.tpot.p50; }); }},
      {"serving.requests_per_s", "1/s", false,
       [](const RunResult& r) { return serving(r, [](const ServingMetrics& m) { return m.throughput.requests_per_s; }); }},
      {"serving.goodput_requests_per_s", "1/s", false,
       [](const RunResult& r) -> Get { return r.serving ? r.serving->goodput_requests_per_s : std::nullopt; }},
      {"serving.slo_attainment", "", false,
       [](const RunResult& r) -> Get { return r.serving ? r.serving->slo_attainment : std::nullopt; }},
      {"serving.energy_per_output_token_j", "J", false,
       [](const RunResult& r) -> Get { return r.serving ? r.serving->energy_per_output_token_j : std::nullopt; }},
      {"power.site_energy_j", "J", false, [](const RunResult& r) { return power(r, &PowerSummary::site_energy_j); }},
      {"power.site_avg_w", "W", false, [](const RunResult& r) { return power(r, &PowerSummary::site_avg_w); }},
      {"power.rack_peak_w", "W", false, [](const RunResult& r) { return power(r, &PowerSummary::rack_peak_w); }},
      {"power.scale_out_switches_avg_w", "W", false, [](const RunResult& r) { return power_part(r, "scale_out_switches"); }},
      {"memory.hbm_capacity_bytes", "B", false, [](const RunResult& r) -> Get { return static_cast<double>(r.hbm_capacity); }},
  };
  return table;
}

std::optional<double> metric(const RunResult& r, const std::string& name) {
  for (const auto& m : metric_table())
    if (name == m.name) return m.get(r);
  throw Error(fmt::format("internal error: no metric named '{}'", name));
}

const std::vector<std::string>& check_metric_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& m : metric_table())
      if (m.checked) v.emplace_back(m.name);
    return v;
  }();
  return names;
}

std::vector<std::pair<std::string, double>> check_metrics(const RunResult& r) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& m : metric_table()) {
    if (!m.checked) continue;
    const auto v = m.get(r);
    if (!v) continue;
    if (!std::isfinite(*v)) throw SimulationError(fmt::format("metric {} is not a finite number ({})", m.name, *v));
    out.emplace_back(m.name, *v);
  }
  return out;
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
