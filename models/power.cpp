#include "models/power.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace racksim {

Watts gpu_power(const GpuPowerParams& p, double u_c, double u_m, double f_ratio, double s_hbm) {
  const double dyn = p.a_c * u_c * std::pow(f_ratio, p.gamma) + p.a_m * u_m * s_hbm;
  return Watts(p.idle.value() + (p.max.value() - p.idle.value()) * dyn);
}

double clock_ratio_for_power(const GpuPowerParams& p, double u_c, double u_m, double s_hbm, Watts budget) {
  const double range = p.max.value() - p.idle.value();
  if (gpu_power(p, u_c, u_m, 1.0, s_hbm) <= budget) return 1.0;  // the reference clock fits
  if (u_c <= 0.0 || p.a_c <= 0.0 || range <= 0.0) return 0.0;
  // budget = idle + range * (a_c u_c r^gamma + a_m u_m s)  ->  r = (x / (a_c u_c))^(1/gamma)
  const double x = (budget.value() - p.idle.value()) / range - p.a_m * u_m * s_hbm;
  if (x <= 0.0) return 0.0;
  const double r = std::pow(x / (p.a_c * u_c), 1.0 / p.gamma);
  return std::min(r, 1.0);
}

Watts hbm_heat(const GpuPowerParams& p, double u_m, double s_hbm) {
  return Watts(p.a_m * (p.idle.value() + (p.max.value() - p.idle.value()) * u_m * s_hbm));
}

double hbm_fraction_for_heat(const GpuPowerParams& p, double u_m, Watts budget) {
  const double base = p.a_m * p.idle.value();
  const double per_unit = p.a_m * (p.max.value() - p.idle.value()) * u_m;
  if (per_unit <= 0.0) return base <= budget.value() ? 1.0 : 0.0;
  const double s = (budget.value() - base) / per_unit;
  return std::clamp(s, 0.0, 1.0);
}

std::vector<double> DvfsParams::ratios() const {
  if (!(reference.value() > 0.0) || !(step.value() > 0.0) || min.value() > reference.value())
    throw Error("DVFS ladder needs reference > 0, step > 0 and min <= reference");
  std::vector<double> out;
  // Levels are reference - k * step, down to min (never below it); computed from k (not by
  // repeated subtraction) so that the ladder is exact and the same on every platform. A 1e-9
  // relative tolerance keeps min itself when it lies on the ladder.
  for (int k = 0;; ++k) {
    const double f = reference.value() - k * step.value();
    if (f < min.value() * (1.0 - 1e-9) || f <= 0.0) break;
    out.push_back(f / reference.value());
  }
  return out;
}

std::size_t level_at_or_below(const std::vector<double>& ratios, double r) {
  for (std::size_t i = 0; i < ratios.size(); ++i)
    if (ratios[i] <= r * (1.0 + 1e-12)) return i;
  return ratios.empty() ? 0 : ratios.size() - 1;
}

Watts rack_other_power(const RackPowerSpec& r) {
  return Watts(r.cpus * r.cpu_power.value() + r.nics * r.nic_power.value() + r.switches * r.switch_power.value() +
               r.pumps_fans.value());
}

Watts rack_power(const RackPowerSpec& r, Watts gpu_sum) {
  return Watts((gpu_sum.value() + rack_other_power(r).value()) / r.conversion_efficiency);
}

Watts site_power(const SiteParams& s, Watts it_power) {
  if (s.kind == SiteParams::Kind::Pue) return Watts(it_power.value() * s.pue);
  return Watts(it_power.value() + it_power.value() / s.cop + s.plant_fixed.value());
}

Watts it_power_for_site(const SiteParams& s, Watts site) {
  if (s.kind == SiteParams::Kind::Pue) return Watts(site.value() / s.pue);
  return Watts((site.value() - s.plant_fixed.value()) / (1.0 + 1.0 / s.cop));
}

std::vector<double> water_fill(const std::vector<double>& demands, double budget) {
  const double total = std::accumulate(demands.begin(), demands.end(), 0.0);
  if (total <= budget) return demands;
  if (budget <= 0.0) return std::vector<double>(demands.size(), 0.0);
  // Sort demands ascending; satisfy the smallest while the equal share of what is left exceeds
  // them, then give everyone left the equal share.
  std::vector<std::size_t> order(demands.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return demands[a] < demands[b]; });
  std::vector<double> out(demands.size(), 0.0);
  double left = budget;
  std::size_t remaining = demands.size();
  std::size_t k = 0;
  for (; k < order.size(); ++k) {
    const double share = left / static_cast<double>(remaining);
    if (demands[order[k]] > share) break;
    out[order[k]] = demands[order[k]];
    left -= demands[order[k]];
    --remaining;
  }
  const double level = remaining > 0 ? left / static_cast<double>(remaining) : 0.0;
  for (; k < order.size(); ++k) out[order[k]] = level;
  return out;
}

std::optional<std::string> idle_power_problem(const GpuPowerParams& p, const std::string& gpu_id) {
  if (p.idle < p.max) return std::nullopt;
  return fmt::format("GPU '{}': idle power {} W is not below its board power {} W", gpu_id, p.idle.value(), p.max.value());
}

Watts rack_idle_power(const GpuPowerParams& gpu, int gpus, const RackPowerSpec* rack) {
  const double other = rack ? rack_other_power(*rack).value() : 0.0;
  const double eff = rack ? rack->conversion_efficiency : 1.0;
  return Watts((gpu.idle.value() * gpus + other) / eff);
}

std::optional<std::string> gpu_cap_problem(Watts cap, const GpuPowerParams& gpu, const std::string& gpu_id) {
  if (cap > gpu.idle) return std::nullopt;
  return fmt::format("a GPU cap of {} W is not above the idle power of GPU '{}' ({} W): no clock can hold it", cap.value(),
                     gpu_id, gpu.idle.value());
}

std::optional<std::string> rack_cap_problem(Watts cap, const GpuPowerParams& gpu, int gpus, const RackPowerSpec* rack) {
  const double idle = rack_idle_power(gpu, gpus, rack).value();
  if (cap.value() > idle) return std::nullopt;
  return fmt::format("a rack cap of {} W is not above the rack's idle power ({:.6g} W: {} idle GPUs and {:.6g} W of other "
                     "parts, after conversion losses)",
                     cap.value(), idle, gpus, rack ? rack_other_power(*rack).value() : 0.0);
}

std::optional<std::string> site_cap_problem(Watts cap, const SiteParams& site, Watts rack_idle, int domains,
                                            const std::string& domain_label) {
  const double site_idle = site_power(site, Watts(rack_idle.value() * domains)).value();
  if (cap.value() > site_idle) return std::nullopt;
  return fmt::format("a site cap of {} W is not above the site's idle power ({:.6g} W for {} {}{}, after {})", cap.value(),
                     site_idle, domains, domain_label, domains == 1 ? "" : "s",
                     site.kind == SiteParams::Kind::Pue ? fmt::format("PUE {}", site.pue) : "the cooling plant");
}

}  // namespace racksim
