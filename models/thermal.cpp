#include "models/thermal.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cmath>

namespace racksim {

Celsius rc_step(Celsius t, Celsius sink, Watts p, double r, double c, Seconds dt) {
  const Celsius inf = rc_steady(sink, p, r);
  const double decay = std::exp(-dt.value() / (r * c));
  return inf + (t - inf) * decay;
}

Celsius rc_steady(Celsius sink, Watts p, double r) { return sink + p.value() * r; }

Watts rc_power_budget(Celsius t, Celsius sink, Celsius limit, double r, double c, Seconds horizon) {
  // T(H) = sink + P R + (t - sink - P R) e  <= limit,  e = exp(-H / RC)
  //  => P <= (limit - sink - (t - sink) e) / (R (1 - e))
  const double e = std::exp(-horizon.value() / (r * c));
  const double p = ((limit - sink) - (t - sink) * e) / (r * (1.0 - e));
  return Watts(p > 0.0 ? p : 0.0);
}

Watts rc_hold_budget(Celsius t, Celsius sink, Celsius limit, double r, double c, Seconds horizon) {
  const double steady = std::max(0.0, (limit - sink) / r);
  return Watts(std::max(steady, rc_power_budget(t, sink, limit, r, c, horizon).value()));
}

double cold_plate_resistance(const ColdPlateSpec& p, double flow_per_plate) {
  if (!(flow_per_plate > 0.0)) throw Error("cold plate flow must be greater than zero");
  return p.r_ref * std::pow(p.flow_ref / flow_per_plate, p.exponent);
}

LoopTemperatures loop_temperatures(const RackLoop& loop, const std::vector<double>& gpu_heat, double other_heat) {
  if (loop.series < 1 || loop.gpus % loop.series != 0 || static_cast<int>(gpu_heat.size()) != loop.gpus)
    throw Error("cooling loop: plates in series must divide the rack's GPUs, one heat per GPU");
  LoopTemperatures out;
  out.plate.resize(gpu_heat.size());
  const double mcp_branch = loop.mass_flow() / loop.branches() * loop.specific_heat;
  double total = 0.0;
  for (int b = 0; b < loop.branches(); ++b) {
    double rise = 0.0;  // coolant rise before plate k of this branch
    for (int k = 0; k < loop.series; ++k) {
      const auto i = static_cast<std::size_t>(b * loop.series + k);
      const double own = gpu_heat[i] / mcp_branch;
      out.plate[i] = loop.inlet + (rise + 0.5 * own);
      rise += own;
      total += gpu_heat[i];
    }
  }
  out.outlet = loop.inlet + (total + other_heat) / (loop.mass_flow() * loop.specific_heat);
  return out;
}

}  // namespace racksim
