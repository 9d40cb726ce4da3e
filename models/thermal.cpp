#include "models/thermal.hpp"

#include "core/error.hpp"
#include "models/power.hpp"

#include <fmt/format.h>

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

namespace {
std::string fmt_c(Celsius c) { return fmt::format("{:.4g} C", c - Celsius(0.0)); }
}  // namespace

std::optional<std::string> inlet_problem(Celsius inlet, Celsius junction_limit, Celsius hbm_limit, const std::string& gpu_id) {
  // The loop model takes the coolant's density and heat capacity as constants of a liquid (water,
  // PG25) or of air at datacenter temperatures; at or below 0 C water freezes, and no datacenter
  // class (ASHRAE W17 and up, hardware.md) supplies coolant that cold.
  if (!(Celsius(0.0) < inlet))
    return fmt::format("an inlet above 0 C (the thermal model's coolants are liquid water mixes or air at datacenter "
                       "temperatures), got {}",
                       fmt_c(inlet));
  if (inlet < junction_limit && inlet < hbm_limit) return std::nullopt;
  return fmt::format("an inlet of {} is not below the junction limit ({}) and HBM limit ({}) of GPU '{}': the coolant could "
                     "not cool it",
                     fmt_c(inlet), fmt_c(junction_limit), fmt_c(hbm_limit), gpu_id);
}

std::optional<std::string> loop_inlet_problem(const std::string& loop_id, Celsius inlet, Celsius junction_limit,
                                              const std::string& gpu_id) {
  if (inlet < junction_limit) return std::nullopt;
  return fmt::format("cooling loop '{}' supplies {} coolant, not below the junction limit of GPU '{}' ({})", loop_id,
                     fmt_c(inlet), gpu_id, fmt_c(junction_limit));
}

std::optional<std::string> series_problem(const RackLoop& loop, const std::string& domain_label) {
  if (loop.series >= 1 && loop.gpus % loop.series == 0) return std::nullopt;
  return fmt::format("{} GPU plates in series do not divide the {} GPUs of a {}", loop.series, loop.gpus, domain_label);
}

Watts idle_liquid_heat(Watts gpu_idle, int gpus, const RackPowerSpec* rack) {
  return Watts(gpu_idle.value() * gpus + (rack ? rack->liquid_fraction * rack_other_power(*rack).value() : 0.0));
}

std::optional<std::string> cdu_capacity_problem(const CduSpec& cdu, Watts idle_heat, const std::string& domain_label) {
  const double share = cdu.capacity.value() / cdu.racks;
  if (share > idle_heat.value()) return std::nullopt;
  return fmt::format("CDU '{}' rejects {:.6g} W per {} ({:.6g} W over {} racks), not above a {}'s idle liquid heat ({:.6g} W)",
                     cdu.id, share, domain_label, cdu.capacity.value(), cdu.racks, domain_label, idle_heat.value());
}

}  // namespace racksim
