// racksim engine: the set-up of a serving run (serving_setup.hpp).
#include "sim/engine/serving_setup.hpp"

#include "sim/engine/collective_method.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <memory>

namespace racksim {

namespace {

std::string gb(double bytes) { return fmt::format("{:.1f} GB", bytes / 1e9); }

// One barrier of the serving frameworks' peer-to-peer all-reduce (models/serving.hpp
// p2p_all_reduce_time): the collective library's low-latency scale-up hop (its `ll` protocol's ring
// entry, else the first protocol's) plus the scale-up route's latency.
double p2p_barrier(const CollectiveConfig& cfg, const FabricLevels& f) {
  const LibraryLatency* lat = nullptr;
  for (const auto& p : cfg.library.protocols) {
    auto it = p.latency.find("ring");
    if (it == p.latency.end()) continue;
    if (!lat || p.name == "ll") lat = &it->second;
  }
  return (lat ? lat->hop_scale_up.value() : 0.0) + f.up.alpha.value();
}

// The closed-form time of one `kind` call over `group` of `bytes`, memoized per byte count (an
// iteration's calls take a few thousand distinct sizes at most): the collective library's, as the
// run would plan it (collective_method.hpp plan_call), or for an all-reduce of at most 8 MiB over
// at most 8 GPUs of one domain the serving frameworks' peer-to-peer all-reduce when it is faster
// (models/serving.hpp p2p_all_reduce_time).
std::function<double(double)> collective_time(CollectiveKind kind, std::vector<int> group, const Scenario& s,
                                              const ClusterSetup& c) {
  if (group.size() < 2) return {};
  auto memo = std::make_shared<std::map<std::uint64_t, double>>();
  // Copies: the set-up outlives neither the scenario's nor the cluster's objects it was built from.
  auto cfg = std::make_shared<const CollectiveConfig>(s.collectives);
  auto levels = std::make_shared<const FabricLevels>(c.levels);
  const int per_domain = c.levels.gpus_per_domain;
  const bool one_domain = per_domain <= 0 || group.front() / per_domain == group.back() / per_domain;
  const bool p2p = kind == CollectiveKind::AllReduce && one_domain &&
                   static_cast<std::int64_t>(group.size()) <= kP2pAllReduceMaxGpus;
  const double barrier = p2p_barrier(s.collectives, c.levels);
  const double bandwidth = c.levels.up.bandwidth.value();
  return [kind, group = std::move(group), memo, cfg, levels, p2p, barrier, bandwidth](double bytes) {
    const auto b = static_cast<std::uint64_t>(std::llround(bytes));
    if (b == 0) return 0.0;
    auto it = memo->find(b);
    if (it != memo->end()) return it->second;
    double t = plan_call(kind, group, b, 0, CollectiveAlgorithm::Auto, *cfg, *levels).predicted.value();
    if (p2p && static_cast<double>(b) <= kP2pAllReduceMaxBytes)
      t = std::min(t, p2p_all_reduce_time(static_cast<std::int64_t>(group.size()), static_cast<double>(b), barrier, bandwidth));
    memo->emplace(b, t);
    return t;
  };
}

struct PoolPlan {
  const ServingPool* pool;
  ServingInstanceSetup::Role role;
  std::string name;
};

}  // namespace

namespace {

// The pools to place, in order: the one pool (its instance count defaulted to what the cluster
// holds), or the prefill then the decode pool. `whole` holds the defaulted pool.
std::vector<PoolPlan> pool_plans(const ServingSpec& spec, int total, ServingPool& whole) {
  if (spec.disaggregated())
    return {{&*spec.prefill, ServingInstanceSetup::Role::Prefill, "prefill"},
            {&*spec.decode, ServingInstanceSetup::Role::Decode, "decode"}};
  whole = spec.pool;
  if (whole.instances == 0) {
    const std::int64_t g = whole.layout.gpus();
    whole.instances = g <= total ? total / g : 0;
    if (whole.instances == 0)
      throw InputError(whole.where, fmt::format("an instance of tp x pp = {} GPUs, more than the cluster's {} GPUs", g, total));
  }
  return {{&whole, ServingInstanceSetup::Role::Both, "serving"}};
}

// One GPU's HBM for the pool's layout: the scheduler's memory rule, or TensorRT-LLM's
// kv_cache_fraction of what the weights and activations leave of the whole HBM.
ServingMemory pool_memory(const ServingSpec& spec, const IterationCostModel& cost) {
  if (spec.kv_cache_fraction) return cost.memory_of_free(spec.max_batch_tokens, spec.max_num_seqs, *spec.kv_cache_fraction);
  return cost.memory(spec.max_batch_tokens, spec.max_num_seqs, spec.memory_fraction);
}

// The pool's cost model and scheduler settings, checked: the model fits, the KV cache holds a block.
std::pair<std::shared_ptr<const IterationCostModel>, SchedulerConfig> pool_model(const Scenario& s, const PoolPlan& p,
                                                                                 ServingPoolInfo& report) {
  const ServingSpec& spec = *s.workload.serving;
  const ServingPool& pool = *p.pool;
  const InstanceLayout& l = pool.layout;
  const GpuCalibration* cal = s.calibration ? &*s.calibration : nullptr;
  std::shared_ptr<const IterationCostModel> cost;
  try {
    cost = std::make_shared<const IterationCostModel>(spec.model, l, spec.precision, s.gpu, cal);
  } catch (const InputError&) {
    throw;
  } catch (const Error& e) {
    throw InputError(pool.where, e.what());
  }
  const ServingMemory mem = pool_memory(spec, *cost);
  if (!mem.fits())
    throw InputError(pool.where,
                     fmt::format("model '{}' does not fit a {} instance of tp {} x pp {} on {}: per GPU, weights {} + "
                                 "activations {} leave no KV cache in the usable {} ({} x memory_fraction {}); raise tp "
                                 "or pp, use smaller weights (workload.dtypes.weights), or lower "
                                 "scheduler.max_batch_tokens",
                                 spec.model.name, p.name, l.tp, l.pp, s.gpu.id, gb(mem.weights), gb(mem.activations),
                                 gb(mem.usable), gb(s.gpu.hbm_capacity.value()), spec.memory_fraction));
  SchedulerConfig sc;
  sc.max_batch_tokens = spec.max_batch_tokens;
  sc.max_num_seqs = spec.max_num_seqs;
  sc.chunked_prefill = spec.chunked_prefill;
  sc.block_tokens = spec.block_tokens;
  sc.kv_blocks = static_cast<std::int64_t>(std::floor(mem.kv_capacity_tokens / static_cast<double>(spec.block_tokens)));
  sc.prefill_only = p.role == ServingInstanceSetup::Role::Prefill;
  sc.reserve_whole = spec.reserve_whole;
  if (sc.kv_blocks < 1)
    throw InputError(pool.where, fmt::format("the KV cache left on each GPU ({:.0f} tokens) holds less than one block of "
                                             "{} tokens",
                                             mem.kv_capacity_tokens, spec.block_tokens));
  report.role = p.name;
  report.instances = pool.instances;
  report.tp = l.tp;
  report.pp = l.pp;
  report.ep = l.ep;
  report.weights_bytes = mem.weights;
  report.activation_bytes = mem.activations;
  report.kv_bytes_per_token = mem.kv_bytes_per_token;
  report.usable_bytes = mem.usable;
  report.kv_blocks = sc.kv_blocks;
  report.kv_capacity_tokens = static_cast<double>(sc.kv_blocks * spec.block_tokens);
  return {cost, sc};
}

// A request whose prompt and output cannot fit one instance's KV cache can never finish.
void check_requests_fit(const ServingSpec& spec, const ServingSetup& out) {
  for (const auto& pool : out.pools) {
    const double cap = pool.kv_capacity_tokens;
    for (const Request& r : out.requests) {
      // At its longest a sequence caches its prompt and all but its last output token.
      const double need =
          static_cast<double>(pool.role == "prefill" ? r.input_tokens : r.input_tokens + r.output_tokens - 1);
      if (need > cap)
        throw InputError(spec.requests.where,
                         fmt::format("request {} needs {:.0f} tokens of KV cache at its longest ({} in + {} out - 1), "
                                     "more than a {} instance holds ({:.0f} tokens: {} blocks of {}); use larger "
                                     "instances or shorter requests",
                                     r.id, need, r.input_tokens, r.output_tokens, pool.role, cap, pool.kv_blocks,
                                     spec.block_tokens));
    }
  }
}

}  // namespace

ServingSetup build_serving_setup(const Scenario& s, const ClusterSetup& c) {
  const ServingSpec& spec = *s.workload.serving;
  const int total = static_cast<int>(c.topology.gpus.size());
  ServingPool whole;
  const std::vector<PoolPlan> plans = pool_plans(spec, total, whole);
  ServingSetup out;
  std::int64_t next_gpu = 0;
  for (const PoolPlan& p : plans) {
    const ServingPool& pool = *p.pool;
    const InstanceLayout& l = pool.layout;
    const std::int64_t need = pool.instances * l.gpus();
    if (next_gpu + need > total)
      throw InputError(pool.where,
                       fmt::format("{} {} instance{} of tp x pp = {} GPUs ({} GPUs{}), more than the cluster's {} GPUs{}",
                                   pool.instances, p.name, pool.instances == 1 ? "" : "s", l.gpus(), need,
                                   next_gpu > 0 ? fmt::format(", after the {} prefill GPUs", next_gpu) : "", total,
                                   "; reduce the instances or their tp or pp, or add domains"));
    ServingPoolInfo report;
    const auto [cost, sc] = pool_model(s, p, report);
    out.pools.push_back(report);
    for (std::int64_t i = 0; i < pool.instances; ++i) {
      ServingInstanceSetup in;
      in.layout = l;
      in.cost = cost;
      in.scheduler = sc;
      in.kv_bytes_per_token = report.kv_bytes_per_token;
      in.hbm_bandwidth = s.gpu.hbm_bandwidth.value();
      in.role = p.role;
      for (std::int64_t k = 0; k < l.gpus(); ++k) in.gpus.push_back(static_cast<int>(next_gpu + k));
      const std::vector<int> stage0(in.gpus.begin(), in.gpus.begin() + l.tp);
      in.allreduce_time = collective_time(CollectiveKind::AllReduce, stage0, s, c);
      in.alltoall_time = collective_time(CollectiveKind::AllToAll, std::vector<int>(stage0.begin(), stage0.begin() + l.ep), s, c);
      for (std::int64_t st = 0; st + 1 < l.pp; ++st)
        for (std::int64_t k = 0; k < l.tp; ++k)
          out.pairs.emplace_back(in.gpus[static_cast<std::size_t>(st * l.tp + k)],
                                 in.gpus[static_cast<std::size_t>((st + 1) * l.tp + k)]);
      next_gpu += l.gpus();
      out.instances.push_back(std::move(in));
    }
  }
  out.gpus_used = static_cast<int>(next_gpu);
  out.least_loaded = spec.least_loaded;
  out.iteration_overhead_s = spec.iteration_overhead_s;
  out.sequence_overhead_s = spec.sequence_overhead_s;
  // Disaggregated: every prefill GPU k reaches GPU k mod g of every decode instance.
  for (const auto& a : out.instances) {
    if (a.role != ServingInstanceSetup::Role::Prefill) continue;
    for (const auto& b : out.instances) {
      if (b.role != ServingInstanceSetup::Role::Decode) continue;
      for (std::size_t k = 0; k < a.gpus.size(); ++k) out.pairs.emplace_back(a.gpus[k], b.gpus[k % b.gpus.size()]);
    }
  }
  out.requests = make_requests(spec.requests);
  check_requests_fit(spec, out);
  return out;
}

}  // namespace racksim
