// The metrics of a serving run and their time series; sim/output/serving_metrics.hpp defines each.
#include "sim/output/serving_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace racksim {

double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  const double h = static_cast<double>(sorted.size() - 1) * std::clamp(q, 0.0, 1.0);
  const double lo = std::floor(h);
  const auto i = static_cast<std::size_t>(lo);
  if (i + 1 >= sorted.size()) return sorted.back();
  return sorted[i] + (h - lo) * (sorted[i + 1] - sorted[i]);
}

LatencyStats latency_stats(std::vector<double> values) {
  LatencyStats s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.count = static_cast<std::int64_t>(values.size());
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  s.p50 = percentile(values, 0.50);
  s.p90 = percentile(values, 0.90);
  s.p99 = percentile(values, 0.99);
  s.max = values.back();
  return s;
}

namespace {

// Every (value, i/n) step of the sorted values when they are few, else kMaxCdfPoints percentiles.
std::vector<CdfPoint> cdf(std::vector<double> values) {
  std::vector<CdfPoint> out;
  if (values.empty()) return out;
  std::sort(values.begin(), values.end());
  const auto n = values.size();
  if (n <= kMaxCdfPoints) {
    for (std::size_t i = 0; i < n; ++i) out.push_back({values[i], static_cast<double>(i + 1) / static_cast<double>(n)});
    return out;
  }
  for (std::size_t k = 0; k < kMaxCdfPoints; ++k) {
    const double q = static_cast<double>(k) / static_cast<double>(kMaxCdfPoints - 1);
    out.push_back({percentile(values, q), q});
  }
  return out;
}

ServingThroughput divided(const ServingThroughput& t, int by) {
  if (by <= 0) return {};
  const auto d = static_cast<double>(by);
  return {t.output_tokens_per_s / d, t.input_tokens_per_s / d, t.total_tokens_per_s / d, t.requests_per_s / d};
}

}  // namespace

ServingMetrics serving_metrics(const std::vector<RequestRecord>& requests,
                               const std::vector<IterationRecord>& iterations, double simulated_time_s, int gpus,
                               int racks, std::optional<double> ttft_slo_s, std::optional<double> tpot_slo_s,
                               double energy_j, int instances) {
  ServingMetrics m;
  m.requests = static_cast<std::int64_t>(requests.size());
  m.ttft_slo_s = ttft_slo_s;
  m.tpot_slo_s = tpot_slo_s;
  m.energy_j = energy_j;

  // Requests: counts, tokens, latencies, SLOs.
  std::vector<double> ttft, tpot, e2e, queueing;
  double first_arrival = std::numeric_limits<double>::infinity();
  double last_finish = 0.0;
  std::int64_t meeting = 0;
  for (const RequestRecord& q : requests) {
    first_arrival = std::min(first_arrival, q.arrival_s);
    m.preemptions += q.preemptions;
    m.generated_tokens += q.generated;
    if (!q.finished()) continue;
    ++m.finished;
    last_finish = std::max(last_finish, q.finish_s);
    m.input_tokens += q.input_tokens;
    m.output_tokens += q.generated;
    const double t_first = q.first_token_s - q.arrival_s;
    ttft.push_back(t_first);
    e2e.push_back(q.finish_s - q.arrival_s);
    queueing.push_back(q.first_scheduled_s - q.arrival_s);
    std::optional<double> per_token;
    if (q.generated >= 2) {
      per_token = (q.finish_s - q.first_token_s) / static_cast<double>(q.generated - 1);
      tpot.push_back(*per_token);
    }
    const bool ttft_ok = !ttft_slo_s || t_first <= *ttft_slo_s;
    const bool tpot_ok = !tpot_slo_s || !per_token || *per_token <= *tpot_slo_s;
    if (ttft_ok && tpot_ok) ++meeting;
  }
  m.unfinished = m.requests - m.finished;
  if (!requests.empty())
    m.duration_s = std::max(0.0, (m.unfinished > 0 ? simulated_time_s : last_finish) - first_arrival);
  m.ttft = latency_stats(ttft);
  m.tpot = latency_stats(tpot);
  m.e2e = latency_stats(e2e);
  m.queueing = latency_stats(queueing);
  m.ttft_cdf = cdf(std::move(ttft));
  m.tpot_cdf = cdf(std::move(tpot));
  m.e2e_cdf = cdf(std::move(e2e));

  // Throughput over the serving window.
  if (m.duration_s > 0.0) {
    const double d = m.duration_s;
    m.throughput.output_tokens_per_s = static_cast<double>(m.output_tokens) / d;
    m.throughput.input_tokens_per_s = static_cast<double>(m.input_tokens) / d;
    m.throughput.total_tokens_per_s = m.throughput.output_tokens_per_s + m.throughput.input_tokens_per_s;
    m.throughput.requests_per_s = static_cast<double>(m.finished) / d;
  }
  m.per_gpu = divided(m.throughput, gpus);
  m.per_rack = divided(m.throughput, racks);
  if (ttft_slo_s || tpot_slo_s) {
    m.slo_attainment = m.requests > 0 ? static_cast<double>(meeting) / static_cast<double>(m.requests) : 0.0;
    m.goodput_requests_per_s = m.duration_s > 0.0 ? static_cast<double>(meeting) / m.duration_s : 0.0;
  }

  // Energy.
  if (m.generated_tokens > 0) m.energy_per_output_token_j = energy_j / static_cast<double>(m.generated_tokens);
  if (m.finished > 0) m.energy_per_request_j = energy_j / static_cast<double>(m.finished);

  // Iterations: batching, KV cache, instances.
  int most = std::max(instances, 0);
  for (const IterationRecord& it : iterations) most = std::max(most, it.instance + 1);
  m.instances.resize(static_cast<std::size_t>(most));
  for (int i = 0; i < most; ++i) m.instances[static_cast<std::size_t>(i)].instance = i;
  double tokens = 0.0, decode = 0.0, decoding = 0.0, kv_time = 0.0, busy = 0.0, seqs = 0.0;
  for (const IterationRecord& it : iterations) {
    const std::int64_t t = it.prefill_tokens + it.decode_seqs;
    tokens += static_cast<double>(t);
    seqs += static_cast<double>(it.prefill_seqs + it.decode_seqs);
    m.max_tokens_per_iteration = std::max(m.max_tokens_per_iteration, t);
    if (it.decode_seqs > 0) {
      decode += static_cast<double>(it.decode_seqs);
      decoding += 1.0;
    }
    const double d = std::max(0.0, it.end_s - it.start_s);
    kv_time += it.kv_used_fraction * d;
    busy += d;
    m.kv_used_fraction_peak = std::max(m.kv_used_fraction_peak, it.kv_used_fraction);
    if (it.instance >= 0) {
      InstanceUse& u = m.instances[static_cast<std::size_t>(it.instance)];
      ++u.iterations;
      u.busy_s += d;
    }
  }
  m.iterations = static_cast<std::int64_t>(iterations.size());
  if (!iterations.empty()) {
    m.mean_tokens_per_iteration = tokens / static_cast<double>(iterations.size());
    m.mean_seqs_per_iteration = seqs / static_cast<double>(iterations.size());
  }
  if (decoding > 0.0) m.mean_decode_batch = decode / decoding;
  if (busy > 0.0) m.kv_used_fraction_mean = kv_time / busy;
  if (simulated_time_s > 0.0)
    for (InstanceUse& u : m.instances) u.busy_fraction = u.busy_s / simulated_time_s;
  return m;
}

ServingSeries serving_series(const std::vector<RequestRecord>& requests, const std::vector<IterationRecord>& iterations,
                             double simulated_time_s, double period_s) {
  ServingSeries s;
  const double t_end = simulated_time_s;
  if (!(t_end > 0.0)) return s;
  const double w = std::max(period_s > 0.0 ? period_s : 0.0, t_end / static_cast<double>(kMaxServingWindows));
  s.window_s = w;
  const auto n =
      static_cast<std::size_t>(std::clamp(std::ceil(t_end / w), 1.0, static_cast<double>(kMaxServingWindows)));
  const auto start_of = [&](std::size_t k) { return static_cast<double>(k) * w; };
  const auto end_of = [&](std::size_t k) { return k + 1 == n ? t_end : static_cast<double>(k + 1) * w; };
  const auto index = [&](double t) {
    if (!(t > 0.0)) return std::size_t{0};
    return static_cast<std::size_t>(std::min(std::floor(t / w), static_cast<double>(n - 1)));
  };

  std::vector<double> out_tokens(n, 0.0), prefill(n, 0.0), arrived(n, 0.0), done(n, 0.0), running(n, 0.0),
      waiting(n, 0.0);
  for (const RequestRecord& q : requests) {
    arrived[index(q.arrival_s)] += 1.0;
    if (q.first_token_s >= 0.0 && q.generated >= 1) out_tokens[index(q.first_token_s)] += 1.0;
    if (q.finished()) done[index(q.finish_s)] += 1.0;
  }

  // Iterations grouped by instance, so that each instance's KV mean per window is formed first.
  std::vector<std::size_t> order(iterations.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return iterations[a].instance < iterations[b].instance; });
  std::vector<double> kv_sum(n, 0.0), kv_instances(n, 0.0);     // over instances: their means, how many
  std::vector<double> kv_weighted(n, 0.0), kv_overlap(n, 0.0);  // one instance's, scratch
  std::vector<std::size_t> touched;
  const auto close_instance = [&] {
    for (const std::size_t k : touched) {
      if (kv_overlap[k] > 0.0) {
        kv_sum[k] += kv_weighted[k] / kv_overlap[k];
        kv_instances[k] += 1.0;
      }
      kv_weighted[k] = kv_overlap[k] = 0.0;
    }
    touched.clear();
  };
  for (std::size_t o = 0; o < order.size(); ++o) {
    const IterationRecord& it = iterations[order[o]];
    if (o > 0 && iterations[order[o - 1]].instance != it.instance) close_instance();
    out_tokens[index(it.end_s)] += static_cast<double>(it.decode_seqs);
    prefill[index(it.end_s)] += static_cast<double>(it.prefill_tokens);
    for (std::size_t k = index(it.start_s); k <= index(it.end_s); ++k) {
      const double overlap = std::min(it.end_s, end_of(k)) - std::max(it.start_s, start_of(k));
      if (!(overlap > 0.0)) continue;
      running[k] += static_cast<double>(it.running) * overlap;
      waiting[k] += static_cast<double>(it.waiting) * overlap;
      if (kv_overlap[k] == 0.0) touched.push_back(k);
      kv_weighted[k] += it.kv_used_fraction * overlap;
      kv_overlap[k] += overlap;
    }
  }
  close_instance();

  s.windows.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    ServingWindow& v = s.windows[k];
    v.end_s = end_of(k);
    const double len = end_of(k) - start_of(k);
    const double per = len > 0.0 ? 1.0 / len : 0.0;
    v.output_tokens_per_s = out_tokens[k] * per;
    v.prefill_tokens_per_s = prefill[k] * per;
    v.requests_arrived_per_s = arrived[k] * per;
    v.requests_finished_per_s = done[k] * per;
    v.running_mean = running[k] * per;
    v.waiting_mean = waiting[k] * per;
    v.kv_used_fraction = kv_instances[k] > 0.0 ? kv_sum[k] / kv_instances[k] : std::numeric_limits<double>::quiet_NaN();
  }
  return s;
}

}  // namespace racksim
