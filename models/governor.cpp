#include "models/governor.hpp"

#include "models/thermal.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace racksim {

std::string to_string(Limit l) {
  switch (l) {
    case Limit::None: return "none";
    case Limit::GpuCap: return "gpu_cap";
    case Limit::RackCap: return "rack_cap";
    case Limit::SiteCap: return "site_cap";
    case Limit::Cdu: return "cdu";
    case Limit::Junction: return "junction";
    case Limit::Hbm: return "hbm";
  }
  return "none";
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct Bound {
  double watts = kInf;
  Limit limit = Limit::None;
  void tighten(double w, Limit l) {
    if (w < watts) {
      watts = w;
      limit = l;
    }
  }
};

// Each GPU of rack `r` may draw its water-filling share of the rack's power pool `pool`; when the
// pool covers every demand, what is left is split equally on top. The limits so add up to the
// pool (or to less), whatever the GPUs then do.
void limit_by_pool(std::vector<Bound>& limit, const std::vector<double>& demand, const RackObservation& r, double pool, Limit l) {
  const auto first = static_cast<std::ptrdiff_t>(r.first_gpu);
  const std::vector<double> d(demand.begin() + first, demand.begin() + first + r.gpus);
  const std::vector<double> share = water_fill(d, pool);
  double used = 0.0;
  for (const double x : share) used += x;
  const double spare = r.gpus > 0 ? std::max(pool - used, 0.0) / r.gpus : 0.0;
  for (int i = 0; i < r.gpus; ++i) limit[static_cast<std::size_t>(r.first_gpu + i)].tighten(share[static_cast<std::size_t>(i)] + spare, l);
}

}  // namespace

std::vector<GpuDecision> govern(const GovernorConfig& cfg, const GpuPowerParams& gpu, const std::vector<GpuObservation>& gpus,
                                const std::vector<RackObservation>& racks) {
  const std::size_t n = gpus.size();
  // Budgets are met whatever the GPU computes next: compute activity is taken as 1 (see the
  // header), memory activity as measured.
  constexpr double kUc = 1.0;
  std::vector<double> demand(n);
  for (std::size_t g = 0; g < n; ++g) demand[g] = gpu_power(gpu, kUc, gpus[g].u_m, 1.0, 1.0).value();

  std::vector<Bound> bound(n);
  if (cfg.gpu_cap)
    for (auto& b : bound) b.tighten(cfg.gpu_cap->value(), Limit::GpuCap);

  // Site: IT budget over racks by their AC demand.
  std::vector<double> site_share(racks.size(), kInf);
  if (cfg.site_cap) {
    std::vector<double> rack_demand(racks.size());
    for (std::size_t k = 0; k < racks.size(); ++k) {
      double sum = racks[k].other_dc.value();
      for (int i = 0; i < racks[k].gpus; ++i) sum += demand[static_cast<std::size_t>(racks[k].first_gpu + i)];
      rack_demand[k] = sum / racks[k].conversion_efficiency;
    }
    const double racks_it = (it_power_for_site(cfg.site, *cfg.site_cap).value() - cfg.site_other_it.value()) /
                            static_cast<double>(std::max(cfg.site_replicas, 1));
    site_share = water_fill(rack_demand, std::max(racks_it, 0.0));
  }
  // The fast limiter's power limit of each GPU (see the header): the GPU cap, then its share of
  // its rack's power pool.
  std::vector<Bound> power_limit(n);
  if (cfg.gpu_cap)
    for (auto& b : power_limit) b.tighten(cfg.gpu_cap->value(), Limit::GpuCap);

  for (std::size_t k = 0; k < racks.size(); ++k) {
    const RackObservation& r = racks[k];
    // The GPUs' DC pool under each rack-level bound; the tightest one is shared out.
    double pool = kInf;
    Limit pool_limit = Limit::None;
    auto consider = [&](double ac_budget, Limit l) {
      const double p = ac_budget * r.conversion_efficiency - r.other_dc.value();
      if (p < pool) {
        pool = p;
        pool_limit = l;
      }
    };
    if (cfg.rack_cap) consider(cfg.rack_cap->value(), Limit::RackCap);
    if (cfg.site_cap) consider(site_share[k], Limit::SiteCap);
    if (pool < kInf) limit_by_pool(power_limit, demand, r, std::max(pool, 0.0), pool_limit);
    if (r.cdu_share) {
      const double p = r.cdu_share->value() - r.liquid_fraction * r.other_dc.value();
      if (p < pool) {
        pool = p;
        pool_limit = Limit::Cdu;
      }
    }
    if (pool == kInf) continue;
    std::vector<double> d(demand.begin() + r.first_gpu, demand.begin() + r.first_gpu + r.gpus);
    const std::vector<double> share = water_fill(d, std::max(pool, 0.0));
    // A GPU whose demand the pool covers is not bound by it (its share is its demand).
    for (int i = 0; i < r.gpus; ++i) {
      const auto ui = static_cast<std::size_t>(i);
      if (share[ui] < d[ui]) bound[static_cast<std::size_t>(r.first_gpu + i)].tighten(share[ui], pool_limit);
    }
  }

  std::vector<GpuDecision> out(n);
  for (std::size_t g = 0; g < n; ++g) {
    const GpuObservation& o = gpus[g];
    GpuDecision& d = out[g];
    // HBM first: its bandwidth fraction sets the memory share of the power.
    const double s_max =
        o.r_hbm > 0.0 ? hbm_fraction_for_heat(gpu, o.u_m, rc_hold_budget(o.hbm, o.coolant, o.hbm_limit, o.r_hbm, o.c_hbm, cfg.period))
                      : 1.0;
    d.hbm_level = level_at_or_below(cfg.hbm_fractions, s_max);
    const double s = cfg.hbm_fractions.empty() ? 1.0 : cfg.hbm_fractions[d.hbm_level];

    Bound b = bound[g];
    if (o.r_junction > 0.0) {
      const Watts j_budget = rc_hold_budget(o.junction, o.coolant, o.junction_limit, o.r_junction, o.c_junction, cfg.period);
      b.tighten(j_budget.value() + hbm_heat(gpu, o.u_m, s).value(), Limit::Junction);
    }
    const double r = b.watts == kInf ? 1.0 : clock_ratio_for_power(gpu, kUc, o.u_m, s, Watts(b.watts));
    d.level = level_at_or_below(cfg.clock_ratios, r);
    if (d.level > 0) d.limit = b.limit;
    else if (d.hbm_level > 0) d.limit = Limit::Hbm;
    d.power_limit_w = power_limit[g].watts;
    d.power_limit = power_limit[g].limit;
  }
  return out;
}

std::vector<GpuDecision> initial_decisions(const GovernorConfig& cfg, const GpuPowerParams& gpu, std::vector<GpuObservation> gpus,
                                           const std::vector<RackObservation>& racks) {
  for (GpuObservation& o : gpus) {
    o.u_c = 1.0;
    o.u_m = 0.0;
  }
  return govern(cfg, gpu, gpus, racks);
}

std::optional<std::string> control_period_problem(Seconds control, const DvfsParams& dvfs, const std::string& gpu_id) {
  if (dvfs.transition_latency.value() < control.value()) return std::nullopt;
  return fmt::format("the control period ({}) must exceed the DVFS transition latency of GPU '{}' ({})",
                     format_seconds(control), gpu_id, format_seconds(dvfs.transition_latency));
}

std::optional<std::string> sample_period_problem(Seconds sample, Seconds control) {
  const double k = sample.value() / control.value();
  if (k >= 1.0 - 1e-9 && std::abs(k - std::round(k)) <= 1e-6) return std::nullopt;
  return fmt::format("the sample period must be a whole multiple of the control period ({}), got {}", format_seconds(control),
                     format_seconds(sample));
}

}  // namespace racksim
