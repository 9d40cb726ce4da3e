#include "sim/output/results.hpp"

#include "core/error.hpp"
#include "core/json_writer.hpp"
#include "core/units.hpp"
#include "sim/output/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace racksim {

namespace {
std::vector<Interval> merged(std::vector<Interval> v) {
  std::sort(v.begin(), v.end(), [](const Interval& a, const Interval& b) { return a.start < b.start || (a.start == b.start && a.end < b.end); });
  std::vector<Interval> out;
  for (const auto& i : v) {
    if (i.end <= i.start) continue;
    if (!out.empty() && i.start <= out.back().end) out.back().end = std::max(out.back().end, i.end);
    else out.push_back(i);
  }
  return out;
}
}  // namespace

double union_length(std::vector<Interval> v) {
  double s = 0.0;
  for (const auto& i : merged(std::move(v))) s += i.end - i.start;
  return s;
}

double intersection_length(std::vector<Interval> a, std::vector<Interval> b) {
  const auto ma = merged(std::move(a));
  const auto mb = merged(std::move(b));
  double s = 0.0;
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < ma.size() && j < mb.size()) {
    const double lo = std::max(ma[i].start, mb[j].start);
    const double hi = std::min(ma[i].end, mb[j].end);
    if (hi > lo) s += hi - lo;
    (ma[i].end < mb[j].end) ? ++i : ++j;
  }
  return s;
}

RankBreakdown breakdown(int rank, const std::string& gpu, const RankRecord& rec, double total_time) {
  RankBreakdown b;
  b.rank = rank;
  b.gpu = gpu;
  b.compute_s = union_length(rec.compute);
  b.comm_total_s = union_length(rec.comm);
  b.overlap_s = intersection_length(rec.compute, rec.comm);
  b.comm_s = b.comm_total_s - b.overlap_s;
  b.idle_s = std::max(0.0, total_time - b.compute_s - b.comm_s);
  b.finish_s = rec.finish;
  b.transfers = rec.transfers;
  b.bytes_sent = rec.bytes_sent;
  b.hbm_peak = rec.hbm_peak;
  return b;
}

TimeToTrain time_to_train(std::optional<double> steps, std::optional<double> tokens, double tokens_per_step,
                          double step_time_s, int gpus, double step_energy_j, double step_site_energy_j) {
  if (steps.has_value() == tokens.has_value()) throw Error("time_to_train: give exactly one of steps and tokens");
  if (!(tokens_per_step > 0.0)) throw Error("time_to_train: a step must process tokens");
  TimeToTrain t;
  t.steps = steps ? *steps : std::ceil(*tokens / tokens_per_step);
  t.tokens = t.steps * tokens_per_step;
  t.time_s = t.steps * step_time_s;
  t.gpu_hours = t.time_s * static_cast<double>(gpus) / 3600.0;
  t.energy_j = t.steps * step_energy_j;
  t.site_energy_j = t.steps * step_site_energy_j;
  return t;
}

TrainingMetrics training_metrics(const TrainingInfo& info, const std::vector<const RankRecord*>& records,
                                 double step_time, double peak, const std::string& peak_precision, int world) {
  TrainingMetrics m;
  const double n = static_cast<double>(records.size());
  const double world_n = world > 0 ? static_cast<double>(world) : n;
  m.step_time_s = step_time;
  m.peak_flops_per_gpu = peak;
  m.peak_precision = peak_precision;
  if (step_time > 0.0 && n > 0.0) {
    m.tokens_per_s = info.tokens_per_step / step_time;
    m.tokens_per_s_per_gpu = m.tokens_per_s / world_n;
    m.achieved_flops_per_gpu = info.model_flops_per_step / (step_time * world_n);
    m.mfu = m.achieved_flops_per_gpu / peak;
    m.hfu = info.hardware_flops_per_step / (step_time * world_n) / peak;
  }
  // The pipeline phase: until the last backward pass on any rank ends.
  std::vector<double> own_end(records.size(), 0.0);
  double phase = 0.0;
  for (std::size_t r = 0; r < records.size(); ++r) {
    const int op = r < info.last_backward_op.size() ? info.last_backward_op[r] : -1;
    own_end[r] = op >= 0 ? records[r]->op_finish[static_cast<std::size_t>(op)] : records[r]->finish;
    phase = std::max(phase, own_end[r]);
  }
  const std::vector<ParallelDim> dims = {ParallelDim::TP, ParallelDim::PP, ParallelDim::DP, ParallelDim::EP, ParallelDim::CP};
  double bubble = 0.0;
  std::vector<double> exposed(dims.size(), 0.0), total(dims.size(), 0.0);
  for (std::size_t r = 0; r < records.size(); ++r) {
    const RankRecord& rec = *records[r];
    std::vector<Interval> busy = rec.compute;
    for (std::size_t d = 0; d < rec.comm_by_dim.size(); ++d)
      if (static_cast<ParallelDim>(d) != ParallelDim::PP)
        busy.insert(busy.end(), rec.comm_by_dim[d].begin(), rec.comm_by_dim[d].end());
    const double busy_in_phase = intersection_length(busy, {Interval{0.0, own_end[r]}});
    if (phase > 0.0) bubble += (phase - busy_in_phase) / phase;
    for (std::size_t i = 0; i < dims.size(); ++i) {
      const auto& c = rec.comm_by_dim[static_cast<std::size_t>(dims[i])];
      const double all = union_length(c);
      total[i] += all;
      exposed[i] += all - intersection_length(c, rec.compute);
    }
  }
  if (n > 0.0) {
    m.pipeline_bubble_fraction = bubble / n;
    for (std::size_t i = 0; i < dims.size(); ++i) {
      m.exposed_comm_s.push_back({to_string(dims[i]), exposed[i] / n});
      m.comm_total_s.push_back({to_string(dims[i]), total[i] / n});
    }
  }
  return m;
}

namespace {

// summary.json's sections, in the order the file has them (docs/summary-schema.md).
void write_fabric_json(JsonWriter& j, const RunResult& r) {
  j.key("fabric").begin_object();
  j.field("multipath", r.fabric.multipath).field("ecmp_seed", r.fabric.ecmp_seed);
  j.field("transport", r.fabric.transport).field("transport_efficiency", r.fabric.transport_efficiency);
  j.field("loss_recovery", r.fabric.recovery);
  j.field("split_links", r.fabric.split_links).field("mixed_weight_links", r.fabric.mixed_weight_links);
  j.key("faults").begin_array();
  for (const auto& f : r.fabric.faults) {
    j.begin_object();
    j.field("at_s", f.at_s).field("target", f.target).field("state", f.state).field("links", f.links);
    j.field("bandwidth_lost_bytes_per_s", f.bandwidth_lost);
    j.end_object();
  }
  j.end_array();
  if (r.fabric.baseline_time_s) {
    j.field("baseline_time_s", *r.fabric.baseline_time_s);
    j.field("fault_cost_s", r.simulated_time_s - *r.fabric.baseline_time_s);
  }
  j.end_object();
}

void write_collective_timing_json(JsonWriter& j, const IsolationReport& d) {
  j.key("collective_timing").begin_object();
  j.field("mode", d.mode).field("calls", static_cast<std::uint64_t>(d.plans));
  j.field("closed_form_calls", static_cast<std::uint64_t>(d.isolated_plans));
  if (d.isolated_plans == 0 && d.plans > 0) j.field("not_closed_form_because", d.reason);
  if (d.isolated_plans > 0) {
    j.field("max_link_load", d.max_link_load).field("ranks_out_of_order", d.ranks_out_of_order);
    j.field("member_calls", d.member_calls).field("overlapped_member_calls", d.overlapped);
    j.field("clamped_member_calls", d.clamped);
    j.field("evaluations", d.evaluations).field("evaluated_transfers", d.evaluated_transfers);
  }
  j.end_object();
}

void write_simulation_json(JsonWriter& j, const ReductionReport& d, const IsolationReport& iso) {
  j.key("simulation").begin_object();
  j.field("fidelity", d.fidelity).field("reduced", d.applied);
  if (d.applied) {
    j.field("simulated_ranks", d.simulated_ranks).field("replicas", d.replicas);
    j.field("replicas_simulated", d.replicas_simulated);
    j.field("closed_form_calls", static_cast<std::uint64_t>(d.closed_form_calls));
    j.field("evaluations", static_cast<std::uint64_t>(d.evaluations)).field("evaluated_transfers", d.evaluated_transfers);
    j.field("max_member_spread_s", d.max_member_spread_s);
  } else {
    j.field("not_reduced_because", d.reason);
  }
  if (d.dp_pairs > 0) {
    j.field("dp_pairs", static_cast<std::uint64_t>(d.dp_pairs)).field("dp_max_link_load", d.max_link_load);
  }
  write_collective_timing_json(j, iso);
  j.end_object();
}

void write_collectives_json(JsonWriter& j, const RunResult& r) {
  j.key("collectives").begin_array();
  for (const auto& c : r.collectives) {
    j.begin_object();
    j.field("kind", c.kind).field("algorithm", c.algorithm).field("protocol", c.protocol).field("chosen", c.chosen);
    j.field("calls", c.calls).field("bytes", c.bytes);
    j.end_object();
  }
  j.end_array();
}

void write_workload_json(JsonWriter& j, const RunResult& r, const RankTotals& sum) {
  j.key("workload").begin_object();
  write_workload_description_json(j, r);
  j.field("transfers", sum.transfers).field("bytes_sent", sum.bytes_sent);
  if (r.training) {
    const TrainingMetrics& t = *r.training;
    j.field("step_time_s", t.step_time_s).field("tokens_per_s", t.tokens_per_s);
    j.field("tokens_per_s_per_gpu", t.tokens_per_s_per_gpu).field("mfu", t.mfu).field("hfu", t.hfu);
    j.field("achieved_flops_per_gpu", t.achieved_flops_per_gpu).field("peak_flops_per_gpu", t.peak_flops_per_gpu);
    j.field("peak_precision", t.peak_precision).field("pipeline_bubble_fraction", t.pipeline_bubble_fraction);
    j.key("exposed_comm_s").begin_object();
    for (const auto& [d, v] : t.exposed_comm_s) j.field(d, v);
    j.end_object();
    j.key("comm_total_s").begin_object();
    for (const auto& [d, v] : t.comm_total_s) j.field(d, v);
    j.end_object();
    if (t.time_to_train) {
      const TimeToTrain& g = *t.time_to_train;
      j.key("time_to_train").begin_object();
      j.field("steps", g.steps).field("tokens", g.tokens).field("time_s", g.time_s).field("gpu_hours", g.gpu_hours);
      j.field("energy_j", g.energy_j).field("site_energy_j", g.site_energy_j);
      j.end_object();
    }
  }
  j.end_object();
}

void write_memory_json(JsonWriter& j, const RunResult& r, const RankTotals& sum) {
  j.key("memory").begin_object();
  j.field("hbm_capacity_bytes", r.hbm_capacity).field("peak_bytes_max", sum.hbm_peak).field("peak_rank", sum.hbm_peak_rank);
  j.field("peak_fraction_of_capacity",
          r.hbm_capacity > 0 ? static_cast<double>(sum.hbm_peak) / static_cast<double>(r.hbm_capacity) : 0.0);
  j.key("out_of_memory").begin_array();
  for (const auto& e : r.oom_events) {
    j.begin_object().field("rank", e.rank).field("op", e.op).field("label", e.label).field("requested_bytes", e.requested);
    j.field("free_bytes", e.free).field("capacity_bytes", e.capacity).field("time_s", e.time).end_object();
  }
  j.end_array().end_object();
}

void write_breakdown_json(JsonWriter& j, const RunResult& r, const RankTotals& sum) {
  j.key("breakdown").begin_object();
  j.field("compute_s", sum.compute_s).field("comm_s", sum.comm_s).field("idle_s", sum.idle_s);
  j.field("comm_total_s", sum.comm_total_s).field("overlap_s", sum.overlap_s);
  j.key("per_rank").begin_array();
  for (const auto& b : r.per_rank) {
    j.begin_object();
    j.field("rank", b.rank).field("gpu", b.gpu).field("compute_s", b.compute_s).field("comm_s", b.comm_s);
    j.field("idle_s", b.idle_s).field("comm_total_s", b.comm_total_s).field("overlap_s", b.overlap_s);
    j.field("finish_s", b.finish_s).field("transfers", b.transfers).field("bytes_sent", b.bytes_sent);
    j.field("hbm_peak_bytes", b.hbm_peak);
    j.end_object();
  }
  j.end_array().end_object();
}

// What one cap held and its excursions (null without that cap); docs/summary-schema.md.
void write_cap_json(JsonWriter& j, const char* key, const std::optional<PowerSummary::CapReport>& c) {
  j.key(key);
  if (!c) {
    j.null();
    return;
  }
  j.begin_object();
  j.field("cap_w", c->cap_w).field("held_w", c->held_w).field("held", c->held_w <= c->cap_w * (1.0 + 1e-9));
  j.field("excursion_max_w", c->excursion_max_w).field("excursion_max_pct", 100.0 * c->excursion_max_w / c->cap_w);
  j.field("excursion_total_s", c->excursion_total_s).field("excursion_longest_s", c->excursion_longest_s);
  j.field("excursions", static_cast<std::int64_t>(c->excursions));
  j.end_object();
}

void write_power_json(JsonWriter& j, const PowerSummary& p) {
  j.key("power").begin_object();
  j.optional_field("gpu_cap_w", p.gpu_cap_w);
  j.optional_field("rack_cap_w", p.rack_cap_w);
  j.optional_field("site_cap_w", p.site_cap_w);
  j.field("rack_entry", p.rack_entry).field("site_model", p.site_model).field("control_period_s", p.control_period_s);
  j.field("gpu_avg_w", p.gpu_avg_w).field("gpu_peak_w", p.gpu_peak_w);
  j.field("rack_avg_w", p.rack_avg_w).field("rack_peak_w", p.rack_peak_w);
  j.field("it_avg_w", p.it_avg_w).field("site_avg_w", p.site_avg_w);
  j.field("energy_j", p.energy_j).field("site_energy_j", p.site_energy_j);
  j.optional_field("energy_per_token_j", p.energy_per_token_j);
  j.optional_field("site_energy_per_token_j", p.site_energy_per_token_j);
  j.key("breakdown_avg_w").begin_object();
  for (const auto& [k, v] : p.breakdown_w) j.field(k, v);
  j.end_object();
  j.key("uncounted").begin_array();
  for (const auto& u : p.uncounted) j.value(u);
  j.end_array();
  j.field("reference_clock_mhz", p.reference_clock_mhz).field("clock_avg_mhz", p.clock_avg_mhz);
  j.field("clock_min_mhz", p.clock_min_mhz);
  j.field("throttled_fraction", p.throttled_fraction).field("throttle_limit", p.throttle_limit);
  j.key("throttled_by").begin_object();
  for (int l = 1; l < kLimitCount; ++l) j.field(to_string(static_cast<Limit>(l)), p.throttled_by[static_cast<std::size_t>(l)]);
  j.end_object();
  j.field("limiter_response_s", p.limiter_response_s);
  j.key("caps").begin_object();
  write_cap_json(j, "gpu", p.gpu_cap);
  write_cap_json(j, "rack", p.rack_cap);
  write_cap_json(j, "site", p.site_cap);
  j.end_object();
  j.field("sample_period_s", p.sample_period_s);
  j.end_object();
}

void write_thermal_json(JsonWriter& j, const PowerSummary& p) {
  j.key("thermal");
  if (!p.thermal) {
    j.null();
  } else {
    j.begin_object();
    j.field("cooling_loop", p.cooling_loop).field("coolant", p.coolant).field("cold_plate", p.cold_plate);
    j.field("inlet_c", p.inlet_c).field("flow_l_per_min", p.flow_l_per_min).field("plates_in_series", p.plates_in_series);
    j.field("max_junction_c", p.max_junction_c).field("junction_limit_c", p.junction_limit_c);
    j.field("max_hbm_c", p.max_hbm_c).field("hbm_limit_c", p.hbm_limit_c);
    j.field("max_coolant_c", p.max_coolant_c);
    j.field("cdu", p.cdu);
    j.optional_field("cdu_capacity_w", p.cdu_capacity_w);
    j.field("cdu_racks", p.cdu_racks).field("cdu_peak_load", p.cdu_peak_load);
    j.end_object();
  }
}

void write_latency_json(JsonWriter& j, const char* key, const LatencyStats& l) {
  j.key(key).begin_object();
  j.field("count", l.count).field("mean", l.mean).field("p50", l.p50).field("p90", l.p90).field("p99", l.p99);
  j.field("max", l.max);
  j.end_object();
}

void write_throughput_json(JsonWriter& j, const char* key, const ServingThroughput& t) {
  j.key(key).begin_object();
  j.field("output_tokens_per_s", t.output_tokens_per_s).field("input_tokens_per_s", t.input_tokens_per_s);
  j.field("total_tokens_per_s", t.total_tokens_per_s).field("requests_per_s", t.requests_per_s);
  j.end_object();
}

// Only in a serving run's file: a training run's summary.json has no `serving` key.
void write_serving_json(JsonWriter& j, const ServingMetrics& m, const std::optional<ServingSeries>& series) {
  j.key("serving").begin_object();
  j.field("requests", m.requests).field("finished", m.finished).field("unfinished", m.unfinished);
  j.field("preemptions", m.preemptions).field("duration_s", m.duration_s);
  j.field("input_tokens", m.input_tokens).field("output_tokens", m.output_tokens).field("generated_tokens", m.generated_tokens);
  write_latency_json(j, "ttft_s", m.ttft);
  write_latency_json(j, "tpot_s", m.tpot);
  write_latency_json(j, "e2e_s", m.e2e);
  write_latency_json(j, "queueing_s", m.queueing);
  write_throughput_json(j, "throughput", m.throughput);
  write_throughput_json(j, "throughput_per_gpu", m.per_gpu);
  write_throughput_json(j, "throughput_per_rack", m.per_rack);
  j.key("slo").begin_object();
  j.optional_field("ttft_s", m.ttft_slo_s);
  j.optional_field("tpot_s", m.tpot_slo_s);
  j.optional_field("attainment", m.slo_attainment);
  j.optional_field("goodput_requests_per_s", m.goodput_requests_per_s);
  j.end_object();
  j.field("energy_j", m.energy_j);
  j.optional_field("energy_per_output_token_j", m.energy_per_output_token_j);
  j.optional_field("energy_per_request_j", m.energy_per_request_j);
  j.key("batch").begin_object();
  j.field("iterations", m.iterations).field("mean_tokens_per_iteration", m.mean_tokens_per_iteration);
  j.field("max_tokens_per_iteration", m.max_tokens_per_iteration).field("mean_decode_batch", m.mean_decode_batch);
  j.field("mean_seqs_per_iteration", m.mean_seqs_per_iteration);
  j.end_object();
  j.key("kv_cache").begin_object();
  j.field("used_fraction_mean", m.kv_used_fraction_mean).field("used_fraction_peak", m.kv_used_fraction_peak);
  j.end_object();
  j.key("instances").begin_array();
  for (const auto& u : m.instances) {
    j.begin_object();
    j.field("instance", u.instance).field("iterations", u.iterations).field("busy_s", u.busy_s);
    j.field("busy_fraction", u.busy_fraction);
    j.end_object();
  }
  j.end_array();
  j.key("pools").begin_array();
  for (const auto& p : m.pools) {
    j.begin_object();
    j.field("role", p.role).field("instances", p.instances).field("tp", p.tp).field("pp", p.pp).field("ep", p.ep);
    j.field("weights_bytes_per_gpu", p.weights_bytes).field("activation_bytes_per_gpu", p.activation_bytes);
    j.field("usable_bytes_per_gpu", p.usable_bytes).field("kv_bytes_per_token_per_gpu", p.kv_bytes_per_token);
    j.field("kv_blocks", p.kv_blocks).field("kv_capacity_tokens", p.kv_capacity_tokens);
    j.end_object();
  }
  j.end_array();
  if (series) j.field("timeseries_window_s", series->window_s);
  j.end_object();
}

}  // namespace

std::string summary_json(const RunResult& r) {
  JsonWriter j;
  j.begin_object();
  j.field("schema_version", kSummarySchemaVersion);
  j.field("racksim_version", std::string(RACKSIM_VERSION));
  write_scenario_json(j, r);
  j.field("simulated_time_s", r.simulated_time_s);
  write_cluster_json(j, r);
  write_engine_json(j, r);
  write_fabric_json(j, r);
  write_simulation_json(j, r.reduction, r.isolation);
  write_collectives_json(j, r);
  const RankTotals sum = rank_totals(r);
  write_workload_json(j, r, sum);
  write_memory_json(j, r, sum);
  write_breakdown_json(j, r, sum);
  if (r.serving) write_serving_json(j, *r.serving, r.serving_series);
  if (r.power) {
    write_power_json(j, *r.power);
    write_thermal_json(j, *r.power);
  }
  j.end_object();
  return j.str();
}

std::string timeseries_csv(const RunResult& r) {
  std::string out =
      "time_s,rack,rack_power_w,gpu_power_avg_w,gpu_power_max_w,clock_avg_mhz,clock_min_mhz,compute_util,memory_util,"
      "junction_max_c,hbm_max_c,coolant_out_c,throttled_gpus\n";
  auto num = [](double v) { return std::isnan(v) ? std::string() : JsonWriter::number(v); };
  for (const auto& s : r.power_samples)
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{}\n", num(s.time), s.rack, num(s.rack_power_w), num(s.gpu_power_avg_w),
                       num(s.gpu_power_max_w), num(s.clock_avg_mhz), num(s.clock_min_mhz), num(s.compute_util),
                       num(s.memory_util), num(s.junction_max_c), num(s.hbm_max_c), num(s.coolant_out_c), s.throttled_gpus);
  return out;
}

std::string serving_timeseries_csv(const RunResult& r) {
  std::string out =
      "time_s,output_tokens_per_s,prefill_tokens_per_s,requests_arrived_per_s,requests_finished_per_s,running_mean,"
      "waiting_mean,kv_used_fraction\n";
  if (!r.serving_series) return out;
  auto num = [](double v) { return std::isnan(v) ? std::string() : JsonWriter::number(v); };
  for (const auto& w : r.serving_series->windows)
    out += fmt::format("{},{},{},{},{},{},{},{}\n", num(w.end_s), num(w.output_tokens_per_s), num(w.prefill_tokens_per_s),
                       num(w.requests_arrived_per_s), num(w.requests_finished_per_s), num(w.running_mean),
                       num(w.waiting_mean), num(w.kv_used_fraction));
  return out;
}

namespace {

// The printed table's sections (summary_table).
std::string rank_rows(const RunResult& r) {
  std::string out;
  const double t = r.simulated_time_s;
  auto stat = [&](auto get) {
    double lo = get(r.per_rank.front());
    double hi = lo;
    double sum = 0.0;
    for (const auto& b : r.per_rank) {
      const double v = get(b);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
    }
    return std::array<double, 3>{lo, sum / static_cast<double>(r.per_rank.size()), hi};
  };
  out += fmt::format("\n  per rank            {:>12} {:>12} {:>12} {:>8}\n", "min", "mean", "max", "mean %");
  auto row = [&](const char* name, auto get) {
    const auto s = stat(get);
    out += fmt::format("  {:<19} {:>12} {:>12} {:>12} {:>7.1f}%\n", name, format_seconds(Seconds(s[0])),
                       format_seconds(Seconds(s[1])), format_seconds(Seconds(s[2])), t > 0 ? 100.0 * s[1] / t : 0.0);
  };
  row("compute", [](const RankBreakdown& b) { return b.compute_s; });
  row("exposed comm", [](const RankBreakdown& b) { return b.comm_s; });
  row("idle", [](const RankBreakdown& b) { return b.idle_s; });
  row("comm (total)", [](const RankBreakdown& b) { return b.comm_total_s; });
  row("comm overlapped", [](const RankBreakdown& b) { return b.overlap_s; });
  const RankTotals totals = rank_totals(r);
  out += fmt::format("\n  transfers           {} ({} sent)\n", totals.transfers,
                     format_bytes(Bytes(static_cast<double>(totals.bytes_sent))));
  const auto peak = static_cast<double>(totals.hbm_peak);
  out += fmt::format("  HBM peak            {} of {} per GPU ({:.1f}%)\n", format_bytes(Bytes(peak)),
                     format_bytes(Bytes(static_cast<double>(r.hbm_capacity))),
                     r.hbm_capacity ? 100.0 * peak / static_cast<double>(r.hbm_capacity) : 0.0);
  return out;
}

std::string training_rows(const TrainingMetrics& m) {
  std::string out;
  out += "\n  training step\n";
  out += fmt::format("  step time           {}\n", format_seconds(Seconds(m.step_time_s)));
  out += fmt::format("  tokens/s            {:.4g} ({:.4g} per GPU)\n", m.tokens_per_s, m.tokens_per_s_per_gpu);
  out += fmt::format("  MFU / HFU           {:.1f}% / {:.1f}% of {:.4g} TFLOP/s {} per GPU\n", 100.0 * m.mfu, 100.0 * m.hfu,
                     m.peak_flops_per_gpu / 1e12, m.peak_precision);
  out += fmt::format("  pipeline bubble     {:.1f}%\n", 100.0 * m.pipeline_bubble_fraction);
  std::string ex;
  for (const auto& [d, v] : m.exposed_comm_s)
    if (v > 0.0) ex += fmt::format("{}{} {}", ex.empty() ? "" : ", ", d, format_seconds(Seconds(v)));
  out += fmt::format("  exposed comm        {}\n", ex.empty() ? "none" : ex);
  if (m.time_to_train) {
    const TimeToTrain& g = *m.time_to_train;
    out += fmt::format("  time to train       {:.4g} days: {:.0f} steps, {:.4g} tokens, {:.4g} GPU-hours", g.time_s / 86400.0,
                       g.steps, g.tokens, g.gpu_hours);
    if (g.energy_j > 0.0)
      out += fmt::format(", {:.4g} MWh IT ({:.4g} MWh site)", g.energy_j / 3.6e9, g.site_energy_j / 3.6e9);
    out += "\n";
  }
  return out;
}

std::string serving_rows(const ServingMetrics& m) {
  std::string out;
  const auto sec = [](double v) { return format_seconds(Seconds(v)); };
  out += "\n  serving\n";
  out += fmt::format("  requests            {}: {} finished, {} unfinished, {} preemption(s), over {}\n", m.requests, m.finished,
                     m.unfinished, m.preemptions, sec(m.duration_s));
  const auto latency = [&](const char* name, const LatencyStats& l) {
    if (l.count == 0) return fmt::format("  {:<19} none\n", name);
    return fmt::format("  {:<19} p50 {}, p99 {} (mean {}, max {})\n", name, sec(l.p50), sec(l.p99), sec(l.mean), sec(l.max));
  };
  out += latency("TTFT", m.ttft);
  out += latency("TPOT", m.tpot);
  out += latency("E2E latency", m.e2e);
  out += fmt::format("  throughput          {:.4g} output tokens/s ({:.4g} per GPU), {:.4g} tokens/s in all, {:.4g} requests/s\n",
                     m.throughput.output_tokens_per_s, m.per_gpu.output_tokens_per_s, m.throughput.total_tokens_per_s,
                     m.throughput.requests_per_s);
  if (m.goodput_requests_per_s && m.slo_attainment) {
    std::string slos;
    if (m.ttft_slo_s) slos += "TTFT <= " + sec(*m.ttft_slo_s);
    if (m.tpot_slo_s) slos += (slos.empty() ? "" : " and ") + std::string("TPOT <= ") + sec(*m.tpot_slo_s);
    out += fmt::format("  goodput             {:.4g} requests/s: {:.1f}% of requests met {}\n", *m.goodput_requests_per_s,
                       100.0 * *m.slo_attainment, slos);
  }
  if (m.energy_per_output_token_j)
    out += fmt::format("  energy              {:.4g} J per output token{}\n", *m.energy_per_output_token_j,
                       m.energy_per_request_j ? fmt::format(", {:.4g} J per finished request", *m.energy_per_request_j) : "");
  out += fmt::format("  batch, KV cache     {:.4g} tokens per iteration (max {}), decode batch {:.4g}; KV {:.1f}% used "
                     "(mean), {:.1f}% (peak)\n",
                     m.mean_tokens_per_iteration, m.max_tokens_per_iteration, m.mean_decode_batch,
                     100.0 * m.kv_used_fraction_mean, 100.0 * m.kv_used_fraction_peak);
  return out;
}

// One cap's line: what it held (the peak control-period average) and its transient excursions.
std::string cap_row(const char* name, const std::optional<PowerSummary::CapReport>& c, double scale, const char* unit) {
  if (!c) return {};
  std::string out = fmt::format("  {:<19} {:.4g} {}: held {:.4g} {} peak period average{}", name, c->cap_w / scale, unit,
                                c->held_w / scale, unit, c->held_w <= c->cap_w * (1.0 + 1e-9) ? "" : " (above the cap: the limiter's response)");
  if (c->excursions == 0)
    out += "; no transient above it\n";
  else
    out += fmt::format("; {} transient(s) up to +{:.4g} {} (+{:.1f}%), {} in all, longest {}\n", c->excursions,
                       c->excursion_max_w / scale, unit, 100.0 * c->excursion_max_w / c->cap_w,
                       format_seconds(Seconds(c->excursion_total_s)), format_seconds(Seconds(c->excursion_longest_s)));
  return out;
}

std::string power_rows(const PowerSummary& p) {
  std::string out;
  out += "\n  power and thermal\n";
  out += fmt::format("  GPU power           {:.4g} W average, {:.4g} W peak ({})\n", p.gpu_avg_w, p.gpu_peak_w,
                     p.gpu_cap_w ? fmt::format("GPU cap {:.4g} W", *p.gpu_cap_w) : std::string("no GPU cap"));
  out += fmt::format("  rack power          {:.4g} kW average, {:.4g} kW peak{}\n", p.rack_avg_w / 1e3, p.rack_peak_w / 1e3,
                     p.rack_entry == "none" ? " (GPUs only: no rack entry)" : fmt::format(" ({})", p.rack_entry));
  out += fmt::format("  site power          {:.4g} kW average ({})\n", p.site_avg_w / 1e3, p.site_model);
  out += cap_row("GPU cap", p.gpu_cap, 1.0, "W");
  out += cap_row("rack cap", p.rack_cap, 1e3, "kW");
  out += cap_row("site cap", p.site_cap, 1e3, "kW");
  out += fmt::format("  energy              {:.4g} kJ IT, {:.4g} kJ site", p.energy_j / 1e3, p.site_energy_j / 1e3);
  if (p.energy_per_token_j) out += fmt::format("; {:.4g} J per token IT", *p.energy_per_token_j);
  out += "\n";
  if (p.sample_doublings > 0)
    out += fmt::format("  time series         one row per {} (the sample period doubled {} time(s) to keep at most {} rows)\n",
                       format_seconds(Seconds(p.sample_period_s)), p.sample_doublings, kMaxTimeSeriesRows);
  out += fmt::format("  clock               {:.4g} MHz average of {:.4g} MHz reference; throttled {:.1f}% of GPU time ({})\n",
                     p.clock_avg_mhz, p.reference_clock_mhz, 100.0 * p.throttled_fraction, p.throttle_limit);
  if (p.thermal)
    out += fmt::format("  temperatures        junction max {:.1f} C (limit {:.0f}), HBM max {:.1f} C (limit {:.0f}), coolant "
                       "{:.1f} C in, {:.1f} C out max\n",
                       p.max_junction_c, p.junction_limit_c, p.max_hbm_c, p.hbm_limit_c, p.inlet_c, p.max_coolant_c);
  else
    out += "  temperatures        not modelled (no cooling loop)\n";
  return out;
}

}  // namespace

std::string summary_table(const RunResult& r) {
  std::string out;
  const double t = r.simulated_time_s;
  out += fmt::format("\nresult: {} ({} ranks on {} x {})\n", r.scenario_name, r.ranks, r.gpus, r.gpu_id);
  out += fmt::format("  simulated time      {}\n", format_seconds(Seconds(t)));
  if (r.fabric.baseline_time_s) {
    const double b = *r.fabric.baseline_time_s;
    out += fmt::format("  faults cost         {} ({:+.1f}%) against {} without them\n", format_seconds(Seconds(t - b)),
                       b > 0 ? 100.0 * (t - b) / b : 0.0, format_seconds(Seconds(b)));
  }
  if (r.per_rank.empty()) return r.serving ? out + serving_rows(*r.serving) : out;
  out += rank_rows(r);
  if (r.training) out += training_rows(*r.training);
  if (r.serving) out += serving_rows(*r.serving);
  if (r.power) out += power_rows(*r.power);
  for (const auto& e : r.oom_events)
    out += fmt::format("  WARNING             out of HBM on rank {}: op '{}' requested {} with {} free\n", e.rank, e.op,
                       format_bytes(Bytes(static_cast<double>(e.requested))), format_bytes(Bytes(static_cast<double>(e.free))));
  return out;
}

}  // namespace racksim
