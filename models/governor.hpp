// racksim models: the power and thermal governor's policy — which clock and HBM bandwidth each
// GPU runs at in the next control period. Pure: sim/engine/power_loop.cpp feeds it what the last
// period measured; the SimGrid adapter's governor actor applies what it decides.
//
// The policy modelled (a model-predictive version of what GPU power-management firmware and rack
// power managers do; AMD's SMU tracks package power against its PPT limit and NVIDIA's driver
// its power limit, both in loops of the order of a millisecond, and both step clocks):
//   1. Demand of GPU g: its power at the reference clock if it computes for the whole next
//      period, with the memory activity u_m it had in the last one: D_g = P(1, u_m, f_ref, s=1).
//      Taking u_c = 1 makes a budget hold whatever mix of compute and communication the next
//      period brings (training steps switch between them far faster than a period's average
//      would follow); a GPU that is only communicating runs at the lower clock at no cost.
//   2. Site cap (optional): the IT power the site cap allows (after PUE or the cooling plant) is
//      divided over racks max-min fairly by rack demand (water filling).
//   3. Rack cap (optional, AC): min(rack cap, the rack's site share) x conversion efficiency -
//      the rack's other DC power is what its GPUs may draw; the CDU (if its capacity is
//      finite) likewise bounds the rack's liquid heat. The tighter of the two pools is divided
//      over the rack's GPUs by water filling on their demands.
//   4. GPU budget: min(GPU cap, rack share, junction budget). The junction budget lets a cool
//      junction heat up to its limit by the end of the next period and holds a junction at its
//      limit at the power whose steady state is the limit (models/thermal.hpp rc_hold_budget),
//      plus the HBM heat (which is not the die's). A junction can so exceed its limit by what
//      one period at the old clock adds (a few mK with 1 ms periods and second-long time
//      constants) and then settles back onto it.
//   5. Clock: the highest DVFS level whose predicted power at u_c = 1 and the measured u_m fits
//      the budget. HBM: the highest bandwidth fraction
//      in the ladder whose HBM heat keeps the stacks at or under their limit after one period.
//   The limit reported for a throttled GPU is the budget that bound it.
// The governor acts once per control period, on what the last period measured. What it cannot
// see coming (a GPU's HBM traffic rising above the last period's, or a GPU that was waiting
// starting to compute while the governor had budgeted for it) is held by the firmware's fast
// power limiter (docs/power.md, "The fast power limiter"): each decision also gives the GPU the
// power limit that limiter enforces within its response time, `power_limit_w`:
//   - the GPU cap;
//   - the GPU's share of its rack's power pool (the rack cap, or the rack's site share: the
//     tighter one) by water filling on the demands, plus an equal part of whatever the pool has
//     left when it covers every demand. The shares add up to the pool, so GPUs that each stay
//     under their limit keep the rack (and the site) under its cap at every instant.
// The CDU and the temperature limits are heat budgets: they act over seconds, and the per-period
// governor holds them; the fast limiter does not enforce them.
//
// The starting state (initial_decisions): before t = 0, each GPU takes the decision the governor
// would take for a period of pure compute (u_c = 1, u_m = 0) at the initial temperatures, i.e.
// the level a compute-bound GPU settles at; the limiter catches memory traffic above that.
#pragma once

#include "core/units.hpp"
#include "models/power.hpp"

#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace racksim {

enum class Limit { None, GpuCap, RackCap, SiteCap, Cdu, Junction, Hbm };
inline constexpr int kLimitCount = 7;
[[nodiscard]] std::string to_string(Limit l);  // "none", "gpu_cap", "rack_cap", "site_cap", "cdu", "junction", "hbm"

struct GovernorConfig {
  std::optional<Watts> gpu_cap;
  std::optional<Watts> rack_cap;    // AC, per rack
  std::optional<Watts> site_cap;    // whole site, after PUE
  SiteParams site;
  // What the site cap also covers besides the racks the governor sees: IT power outside them
  // (scale-out switches) and identical copies of them (a reduced run's replicas, which draw
  // what the simulated racks draw). The racks' IT budget is (IT(site cap) - site_other_it) /
  // site_replicas.
  Watts site_other_it;
  int site_replicas = 1;
  Seconds period;                   // control period (the thermal horizon)
  std::vector<double> clock_ratios;    // DVFS ladder, 1.0 first
  std::vector<double> hbm_fractions;   // HBM bandwidth ladder, 1.0 first
};

// What one GPU did in the period that just ended, and its thermal state now.
struct GpuObservation {
  double u_c = 0.0;
  double u_m = 0.0;
  Celsius junction;
  Celsius hbm;
  Celsius coolant;          // mean coolant temperature at its plate
  // Thermal state; r_junction = r_hbm = 0 when the scenario models no cooling (no thermal limit).
  double r_junction = 0.0;  // K/W junction to coolant (plate included)
  double c_junction = 0.0;
  double r_hbm = 0.0;
  double c_hbm = 0.0;
  Celsius junction_limit;
  Celsius hbm_limit;
};

struct RackObservation {
  int first_gpu = 0;        // its GPUs are [first_gpu, first_gpu + gpus)
  int gpus = 0;
  Watts other_dc;           // CPUs, NICs, switches, pumps (DC)
  double conversion_efficiency = 1.0;
  double liquid_fraction = 1.0;
  std::optional<Watts> cdu_share;  // the heat this rack may put into the loop
};

struct GpuDecision {
  std::size_t level = 0;        // index into clock_ratios
  std::size_t hbm_level = 0;    // index into hbm_fractions
  Limit limit = Limit::None;    // what bound it (None when at level 0 and hbm_level 0)
  // The power limit the fast limiter holds this GPU to until the next decision (infinite when
  // no GPU, rack or site cap applies), and which cap it comes from (GpuCap, RackCap, SiteCap).
  double power_limit_w = std::numeric_limits<double>::infinity();
  Limit power_limit = Limit::None;
};

[[nodiscard]] std::vector<GpuDecision> govern(const GovernorConfig& cfg, const GpuPowerParams& gpu,
                                              const std::vector<GpuObservation>& gpus,
                                              const std::vector<RackObservation>& racks);

// The decisions before t = 0 (see the header): govern() on a period of pure compute, u_c = 1
// and u_m = 0, at the observed temperatures (their u_c and u_m are ignored).
[[nodiscard]] std::vector<GpuDecision> initial_decisions(const GovernorConfig& cfg, const GpuPowerParams& gpu,
                                                         std::vector<GpuObservation> gpus,
                                                         const std::vector<RackObservation>& racks);

// ---- Checks of a scenario's control and sample periods (pure; see models/power.hpp) ----
// The governor's decisions take the DVFS transition latency to act, so a control period must
// be longer than it.
[[nodiscard]] std::optional<std::string> control_period_problem(Seconds control, const DvfsParams& dvfs,
                                                                const std::string& gpu_id);
// A time-series row sums whole control periods: the sample period is a whole multiple (>= 1) of
// the control period (to 1e-6 relative).
[[nodiscard]] std::optional<std::string> sample_period_problem(Seconds sample, Seconds control);

}  // namespace racksim
