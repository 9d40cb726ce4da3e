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
// A load is held at or under its caps from the second period on, except where its HBM traffic
// rises above the last period's (the a_m share of the dynamic power, at most 20% of it with the
// shipped coefficients).
#pragma once

#include "core/units.hpp"
#include "models/power.hpp"

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
};

[[nodiscard]] std::vector<GpuDecision> govern(const GovernorConfig& cfg, const GpuPowerParams& gpu,
                                              const std::vector<GpuObservation>& gpus,
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
