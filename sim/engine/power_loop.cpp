// racksim engine: the closed power/thermal loop (power_loop.hpp).
#include "sim/engine/power_loop.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace racksim {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// HBM bandwidth levels under thermal throttling: 100% down to 50% in steps of 10%. One report
// shows Hopper HBM falling from 3.1 to 2.3 TB/s (74%) when hot (hardware.md, S65).
const std::vector<double> kHbmFractions = {1.0, 0.9, 0.8, 0.7, 0.6, 0.5};
}  // namespace

PowerLoop::PowerLoop(PowerSetup setup) : setup_(std::move(setup)) {
  if (setup_.gpus <= 0 || setup_.gpus_per_rack <= 0 || setup_.gpus % setup_.gpus_per_rack != 0)
    throw Error("power loop: the GPUs must fill whole racks");
  if (!(setup_.governor.period.value() > 0.0)) throw Error("power loop: the control period must be positive");
  ratios_ = setup_.gpu.dvfs.ratios();
  hbm_fractions_ = kHbmFractions;
  setup_.governor.clock_ratios = ratios_;
  setup_.governor.hbm_fractions = hbm_fractions_;
  const double period = setup_.governor.period.value();
  ticks_per_sample_ = std::max(1, static_cast<int>(std::llround(setup_.sample_period.value() / period)));
  g_.resize(static_cast<std::size_t>(setup_.gpus));
  rack_peak_.assign(static_cast<std::size_t>(racks()), 0.0);
  outlet_.assign(static_cast<std::size_t>(racks()), Celsius(kNaN));

  if (setup_.thermal) {
    // Initial state: steady at board power, or at the limit if lower (see the header).
    const GpuPowerParams& p = setup_.gpu.power;
    const RackLoop& loop = setup_.thermal->loop;
    std::vector<double> heat(static_cast<std::size_t>(setup_.gpus_per_rack), p.max.value());
    const double other = setup_.rack ? setup_.rack->liquid_fraction * other_dc() : 0.0;
    const LoopTemperatures lt = loop_temperatures(loop, heat, other);
    const double hbm = hbm_heat(p, 1.0, 1.0).value();
    const double rj = setup_.gpu.r_junction_case + setup_.thermal->r_plate;
    const double rh = setup_.gpu.r_hbm_case + setup_.thermal->r_plate;
    for (std::size_t i = 0; i < g_.size(); ++i) {
      Gpu& g = g_[i];
      g.coolant = lt.plate[i % static_cast<std::size_t>(setup_.gpus_per_rack)];
      g.t_j = std::min(rc_steady(g.coolant, Watts(p.max.value() - hbm), rj), setup_.gpu.junction_limit);
      g.t_h = std::min(rc_steady(g.coolant, Watts(hbm), rh), setup_.gpu.hbm_limit);
    }
    for (auto& o : outlet_) o = loop.inlet;
    for (const Gpu& g : g_) {
      max_tj_ = std::max(max_tj_, g.t_j - Celsius(0.0));
      max_th_ = std::max(max_th_, g.t_h - Celsius(0.0));
    }
  }
  // The time series' bound in windows per rack, even so that merged pairs keep the windows
  // aligned with the ticks.
  max_windows_ = std::max<std::size_t>(2, kMaxSampleRows / static_cast<std::size_t>(racks()) / 2 * 2);
  setup_.governor.site_other_it = setup_.fabric_switches;
  setup_.governor.site_replicas = setup_.replicas;
  set_initial_levels();
  caps_.gpu.assign(g_.size(), CapWatch{});
  caps_.rack.assign(static_cast<std::size_t>(racks()), CapWatch{});
  caps_.rack_now.assign(static_cast<std::size_t>(racks()), 0.0);
  const GovernorConfig& gc = setup_.governor;
  for (auto& w : caps_.gpu)
    if (gc.gpu_cap) w.cap = gc.gpu_cap->value();
  for (auto& w : caps_.rack)
    if (gc.rack_cap) w.cap = gc.rack_cap->value();
  if (gc.site_cap) caps_.site.cap = gc.site_cap->value();
  if (watching())
    for (std::size_t i = 0; i < g_.size(); ++i) changed(i, 0.0);
}

// Before t = 0: the governor's decision for a period of pure compute (power_loop.hpp header).
void PowerLoop::set_initial_levels() {
  const std::vector<double> zero(g_.size(), 0.0);
  const std::vector<GpuDecision> d =
      initial_decisions(setup_.governor, setup_.gpu.power, observations(zero, zero), rack_observations());
  for (std::size_t i = 0; i < g_.size(); ++i) {
    Gpu& g = g_[i];
    g.level = d[i].level;
    g.hbm_level = d[i].hbm_level;
    g.limit = d[i].limit;
    g.min_level = g.level;
    g.gov_level = g.level;
    g.power_limit_w = d[i].power_limit_w;
    g.power_limit = d[i].power_limit;
  }
}

std::vector<GpuObservation> PowerLoop::observations(const std::vector<double>& uc, const std::vector<double>& um) const {
  std::vector<GpuObservation> obs(g_.size());
  const double rj = setup_.thermal ? setup_.gpu.r_junction_case + setup_.thermal->r_plate : 0.0;
  const double rh = setup_.thermal ? setup_.gpu.r_hbm_case + setup_.thermal->r_plate : 0.0;
  for (std::size_t i = 0; i < g_.size(); ++i) {
    GpuObservation& o = obs[i];
    o.u_c = uc[i];
    o.u_m = um[i];
    o.junction = g_[i].t_j;
    o.hbm = g_[i].t_h;
    o.coolant = g_[i].coolant;
    o.r_junction = rj;
    o.c_junction = setup_.gpu.c_junction;
    o.r_hbm = rh;
    o.c_hbm = setup_.gpu.c_hbm;
    o.junction_limit = setup_.gpu.junction_limit;
    o.hbm_limit = setup_.gpu.hbm_limit;
  }
  return obs;
}

std::vector<RackObservation> PowerLoop::rack_observations() const {
  std::vector<RackObservation> rk(static_cast<std::size_t>(racks()));
  for (int k = 0; k < racks(); ++k) {
    RackObservation& r = rk[static_cast<std::size_t>(k)];
    r.first_gpu = k * setup_.gpus_per_rack;
    r.gpus = setup_.gpus_per_rack;
    r.other_dc = Watts(other_dc());
    r.conversion_efficiency = efficiency();
    r.liquid_fraction = setup_.rack ? setup_.rack->liquid_fraction : 1.0;
    if (setup_.thermal && setup_.thermal->cdu_capacity)
      r.cdu_share = Watts(setup_.thermal->cdu_capacity->value() / setup_.thermal->cdu_racks);
  }
  return rk;
}

// ---- Cap watches ----

// Spans of zero length count for nothing: several events at one instant are one change.
void PowerLoop::CapWatch::set(double now, double v) {
  const double dt = now - since;
  if (dt > 0.0) {
    if (value > cap * (1.0 + 1e-9)) {
      if (run_start < 0.0) {
        run_start = since;
        ++count;
      }
      worst = std::max(worst, value - cap);
      total += dt;
    } else if (run_start >= 0.0) {
      longest = std::max(longest, since - run_start);
      run_start = -1.0;
    }
    since = now;
  }
  value = v;
}

void PowerLoop::CapWatch::close(double now) {
  set(now, value);
  if (run_start >= 0.0) longest = std::max(longest, now - run_start);
  run_start = -1.0;
}

void PowerLoop::CapWatch::add_to(PowerSummary::CapReport& r) const {
  r.excursion_max_w = std::max(r.excursion_max_w, worst);
  r.excursion_total_s += total;
  r.excursion_longest_s = std::max(r.excursion_longest_s, longest);
  r.excursions += count;
}

bool PowerLoop::watching() const {
  const GovernorConfig& gc = setup_.governor;
  return gc.gpu_cap || gc.rack_cap || gc.site_cap;
}

bool PowerLoop::limiter_enabled() const { return watching(); }

// The site's power when the simulated racks draw `racks_ac` (AC, all together): every replica
// draws the same, and the scale-out switches are added (docs/power.md, "Rack and site power").
double PowerLoop::site_power_of(double racks_ac) const {
  const double it = racks_ac * static_cast<double>(setup_.replicas) + setup_.fabric_switches.value();
  return site_power(setup_.governor.site, Watts(it)).value();
}

void PowerLoop::changed(std::size_t gi, double now) {
  if (!watching()) return;
  Gpu& g = g_[gi];
  const double p = power(g);
  if (!g.limiter_pending && limiter_target(g) != g.level) {
    g.limiter_pending = true;
    caps_.queue.emplace_back(now + limiter_response().value(), gi);
    caps_.armed = true;
  }
  if (p == g.p_now && now > 0.0) return;
  g.p_now = p;
  caps_.gpu[gi].set(now, p);
  const auto per = static_cast<std::size_t>(setup_.gpus_per_rack);
  const std::size_t k = gi / per;
  double sum = 0.0;
  for (std::size_t i = k * per; i < (k + 1) * per; ++i) sum += g_[i].p_now;
  caps_.rack_now[k] = sum;
  caps_.rack[k].set(now, (sum + other_dc()) / efficiency());
  double racks_ac = 0.0;
  for (const double r : caps_.rack_now) racks_ac += (r + other_dc()) / efficiency();
  caps_.site.set(now, site_power_of(racks_ac));
}

std::optional<double> PowerLoop::next_limiter_due() const {
  if (caps_.queue.empty()) return std::nullopt;
  return caps_.queue.front().first;
}

// The highest level whose power at the activity now fits the limit (the lowest when none does),
// never above the governor's level. Only a computing GPU's clock moves: the clock does not change
// an idle or memory-only GPU's power, and raising it there would only make the next kernel start
// above the limit.
std::size_t PowerLoop::limiter_target(const Gpu& g) const {
  if (g.compute == 0 || g.power_limit_w == std::numeric_limits<double>::infinity()) return g.level;
  const double r =
      clock_ratio_for_power(setup_.gpu.power, 1.0, g.memory > 0 ? 1.0 : 0.0, hbm_fractions_[g.hbm_level], Watts(g.power_limit_w));
  return std::max(level_at_or_below(ratios_, r), g.gov_level);
}

// One action per GPU at a time: it acts on the activity at its due time.
std::vector<PowerLoop::Change> PowerLoop::limiter(double now) {
  std::vector<Change> out;
  while (!caps_.queue.empty() && caps_.queue.front().first <= now) {
    const std::size_t gi = caps_.queue.front().second;
    caps_.queue.pop_front();
    Gpu& g = g_[gi];
    g.limiter_pending = false;
    const std::size_t lvl = limiter_target(g);
    if (lvl == g.level) continue;  // the load changed back meanwhile
    const Limit why = lvl > 0 ? g.power_limit : Limit::None;
    out.push_back({static_cast<int>(gi), lvl, g.hbm_level, why, g.power_limit_w, g.power_limit, true});
  }
  return out;
}

double PowerLoop::other_dc() const { return setup_.rack ? rack_other_power(*setup_.rack).value() : 0.0; }
double PowerLoop::efficiency() const { return setup_.rack ? setup_.rack->conversion_efficiency : 1.0; }

namespace {
// How busy a GPU's cores (memory) are: fully while a kernel part runs, else its background share.
double busy_fraction(int parts, double background) { return parts > 0 ? 1.0 : std::min(1.0, background); }
}  // namespace

double PowerLoop::power(const Gpu& g) const {
  return gpu_power(setup_.gpu.power, busy_fraction(g.compute, g.bg_c), busy_fraction(g.memory, g.bg_m), ratios_[g.level],
                   hbm_fractions_[g.hbm_level])
      .value();
}

double PowerLoop::gpu_power_now(int gpu) const { return power(g_.at(static_cast<std::size_t>(gpu))); }

void PowerLoop::advance(Gpu& g, double now) const {
  const double dt = now - g.t_last;
  if (dt <= 0.0) return;
  g.energy += power(g) * dt;
  const double uc = busy_fraction(g.compute, g.bg_c), um = busy_fraction(g.memory, g.bg_m);
  g.busy_c += uc * dt;
  g.busy_m += um * dt;
  g.clock_s += ratios_[g.level] * dt;
  // Throttled time: a kernel part runs slower than at the reference settings (background work:
  // its busy share of the time).
  const double slowed = std::max(g.level > 0 ? uc : 0.0, g.hbm_level > 0 ? um : 0.0);
  if (slowed > 0.0) g.throttled[static_cast<std::size_t>(g.limit)] += slowed * dt;
  g.t_last = now;
}

void PowerLoop::activity(int gpu, double now, int dc, int dm) {
  Gpu& g = g_.at(static_cast<std::size_t>(gpu));
  advance(g, now);
  g.compute += dc;
  g.memory += dm;
  if (g.compute < 0 || g.memory < 0) throw Error(fmt::format("internal error: GPU {} ended an activity it did not start", gpu));
  changed(static_cast<std::size_t>(gpu), now);
}

void PowerLoop::background(int gpu, double now, double du_c, double du_m) {
  Gpu& g = g_.at(static_cast<std::size_t>(gpu));
  advance(g, now);
  g.bg_c += du_c;
  g.bg_m += du_m;
  // Adding and removing the same fractions can leave a rounding residue: nothing is running.
  if (std::abs(g.bg_c) < 1e-12) g.bg_c = 0.0;
  if (std::abs(g.bg_m) < 1e-12) g.bg_m = 0.0;
  if (g.bg_c < 0.0 || g.bg_m < 0.0) throw Error(fmt::format("internal error: GPU {} ended background work it did not start", gpu));
  changed(static_cast<std::size_t>(gpu), now);
}

void PowerLoop::thermal_step(double dt, const std::vector<double>& avg_power, const std::vector<double>& avg_um) {
  if (!setup_.thermal || dt <= 0.0) return;
  const GpuPowerParams& p = setup_.gpu.power;
  const ThermalSetup& th = *setup_.thermal;
  const double rj = setup_.gpu.r_junction_case + th.r_plate;
  const double rh = setup_.gpu.r_hbm_case + th.r_plate;
  const auto per = static_cast<std::size_t>(setup_.gpus_per_rack);
  const double other = setup_.rack ? setup_.rack->liquid_fraction * other_dc() : 0.0;
  for (int k = 0; k < racks(); ++k) {
    const std::vector<double> heat(avg_power.begin() + static_cast<std::ptrdiff_t>(k * per),
                                   avg_power.begin() + static_cast<std::ptrdiff_t>((k + 1) * per));
    const LoopTemperatures lt = loop_temperatures(th.loop, heat, other);
    outlet_[static_cast<std::size_t>(k)] = lt.outlet;
    max_outlet_ = std::max(max_outlet_, lt.outlet - Celsius(0.0));
    for (std::size_t i = 0; i < per; ++i) {
      Gpu& g = g_[k * per + i];
      g.coolant = lt.plate[i];
      // The period's mean HBM heat: the model is affine in u_m, so the mean activity gives it.
      const double hbm = hbm_heat(p, avg_um[k * per + i], hbm_fractions_[g.hbm_level]).value();
      g.t_j = rc_step(g.t_j, g.coolant, Watts(avg_power[k * per + i] - hbm), rj, setup_.gpu.c_junction, Seconds(dt));
      g.t_h = rc_step(g.t_h, g.coolant, Watts(hbm), rh, setup_.gpu.c_hbm, Seconds(dt));
      max_tj_ = std::max(max_tj_, g.t_j - Celsius(0.0));
      max_th_ = std::max(max_th_, g.t_h - Celsius(0.0));
    }
  }
}

void PowerLoop::record_peaks(const std::vector<double>& avg_p) {
  const auto per = static_cast<std::size_t>(setup_.gpus_per_rack);
  // Each rack's liquid heat is compared with its share of its CDU (capacity / racks served), the
  // share the governor enforces.
  const bool cdu = setup_.thermal && setup_.thermal->cdu_capacity;
  const double cdu_share = cdu ? setup_.thermal->cdu_capacity->value() / setup_.thermal->cdu_racks : 0.0;
  const double lf_other = setup_.rack ? setup_.rack->liquid_fraction * other_dc() : 0.0;
  for (std::size_t i = 0; i < g_.size(); ++i) g_[i].peak = std::max(g_[i].peak, avg_p[i]);
  for (int k = 0; k < racks(); ++k) {
    const auto rk = static_cast<std::size_t>(k);
    double sum = 0.0;
    for (std::size_t i = 0; i < per; ++i) sum += avg_p[rk * per + i];
    rack_peak_[rk] = std::max(rack_peak_[rk], (sum + other_dc()) / efficiency());
    if (cdu) cdu_peak_ = std::max(cdu_peak_, (sum + lf_other) / cdu_share);
  }
  double gpus = 0.0;
  for (const double p : avg_p) gpus += p;
  site_peak_ = std::max(site_peak_, site_power_of((gpus + other_dc() * racks()) / efficiency()));
}

std::vector<PowerLoop::Change> PowerLoop::control(double now) {
  if (ticks_ >= setup_.max_control_periods)
    throw SimulationError(fmt::format(
        "the run reached {} control periods of {} at t = {:.9g} s of simulated time, the most racksim simulates (so that "
        "the power loop's work stays bounded); set power.control_period longer (up to 10 s) to simulate longer",
        setup_.max_control_periods, format_seconds(setup_.governor.period), now));
  const double dt = now - last_tick_;
  std::vector<double> avg_p(g_.size()), avg_uc(g_.size()), avg_um(g_.size());
  for (std::size_t i = 0; i < g_.size(); ++i) {
    Gpu& g = g_[i];
    advance(g, now);
    if (dt > 0.0) {
      avg_p[i] = (g.energy - g.e_tick) / dt;
      avg_uc[i] = (g.busy_c - g.c_tick) / dt;
      avg_um[i] = (g.busy_m - g.m_tick) / dt;
    } else {
      avg_p[i] = power(g);
    }
    g.e_tick = g.energy;
    g.c_tick = g.busy_c;
    g.m_tick = g.busy_m;
  }
  record_peaks(avg_p);
  full_period_seen_ = true;
  thermal_step(dt, avg_p, avg_um);
  last_tick_ = now;
  if (++ticks_ % ticks_per_sample_ == 0) {
    sample(now);
    if (samples_.size() / static_cast<std::size_t>(racks()) >= max_windows_) merge_samples();
  }

  // Ask the governor.
  const std::vector<GpuDecision> d = govern(setup_.governor, setup_.gpu.power, observations(avg_uc, avg_um), rack_observations());
  std::vector<Change> changes;
  for (std::size_t i = 0; i < g_.size(); ++i) {
    Gpu& g = g_[i];
    if (d[i].level == g.level && d[i].hbm_level == g.hbm_level) {
      g.limit = d[i].limit;  // same state; the cause may have changed
      g.gov_level = d[i].level;
      g.power_limit_w = d[i].power_limit_w;
      g.power_limit = d[i].power_limit;
      changed(i, now);
      continue;
    }
    changes.push_back({static_cast<int>(i), d[i].level, d[i].hbm_level, d[i].limit, d[i].power_limit_w, d[i].power_limit});
  }
  return changes;
}

void PowerLoop::apply(const std::vector<Change>& changes, double now) {
  for (const Change& c : changes) {
    Gpu& g = g_.at(static_cast<std::size_t>(c.gpu));
    advance(g, now);
    g.level = c.level;
    g.hbm_level = c.hbm_level;
    g.limit = c.limit;
    g.power_limit_w = c.power_limit_w;
    g.power_limit = c.power_limit;
    if (!c.by_limiter) g.gov_level = c.level;
    g.min_level = std::max(g.min_level, g.level);
    changed(static_cast<std::size_t>(c.gpu), now);
  }
}

void PowerLoop::sample(double now) {
  const double dt = now - last_sample_;
  if (dt <= 0.0) return;
  const auto per = static_cast<std::size_t>(setup_.gpus_per_rack);
  const double fref = setup_.gpu.dvfs.reference.value() / 1e6;
  for (int k = 0; k < racks(); ++k) {
    PowerSample s;
    s.time = now;
    s.rack = k;
    double sum = 0.0, maxp = 0.0, clk = 0.0, uc = 0.0, um = 0.0;
    double clk_min = 1e300, tj = -1e300, th = -1e300;
    for (std::size_t i = 0; i < per; ++i) {
      Gpu& g = g_[k * per + i];
      const double p = (g.energy - g.e_sample) / dt;
      sum += p;
      maxp = std::max(maxp, p);
      clk += (g.clock_s - g.f_sample) / dt * fref;
      uc += (g.busy_c - g.c_sample) / dt;
      um += (g.busy_m - g.m_sample) / dt;
      clk_min = std::min(clk_min, ratios_[g.level] * fref);
      tj = std::max(tj, g.t_j - Celsius(0.0));
      th = std::max(th, g.t_h - Celsius(0.0));
      if (g.level > 0 || g.hbm_level > 0) ++s.throttled_gpus;  // clocks held down at the window's end
      g.e_sample = g.energy;
      g.f_sample = g.clock_s;
      g.c_sample = g.busy_c;
      g.m_sample = g.busy_m;
    }
    const double n = static_cast<double>(per);
    s.rack_power_w = (sum + other_dc()) / efficiency();
    s.gpu_power_avg_w = sum / n;
    s.gpu_power_max_w = maxp;
    s.clock_avg_mhz = clk / n;
    s.clock_min_mhz = clk_min;
    s.compute_util = uc / n;
    s.memory_util = um / n;
    s.junction_max_c = setup_.thermal ? tj : kNaN;
    s.hbm_max_c = setup_.thermal ? th : kNaN;
    s.coolant_out_c = setup_.thermal ? outlet_[static_cast<std::size_t>(k)] - Celsius(0.0) : kNaN;
    samples_.push_back(s);
  }
  last_sample_ = now;
}

// The time series is full: merge adjacent windows in pairs, exactly for what is averaged (each
// row's averages weighted by its window's length), the larger of the maxima, the later window's
// end-of-window values; the sample period doubles (power_loop.hpp header).
void PowerLoop::merge_samples() {
  const auto nr = static_cast<std::size_t>(racks());
  const std::size_t windows = samples_.size() / nr;
  std::vector<PowerSample> out;
  out.reserve(samples_.size() / 2 + nr);
  double t0 = 0.0;
  for (std::size_t w = 0; w + 1 < windows; w += 2) {
    const double t1 = samples_[w * nr].time;
    const double t2 = samples_[(w + 1) * nr].time;
    const double wa = (t1 - t0) / (t2 - t0);
    const double wb = 1.0 - wa;
    for (std::size_t k = 0; k < nr; ++k) {
      const PowerSample& a = samples_[w * nr + k];
      PowerSample m = samples_[(w + 1) * nr + k];  // time, rack and the end-of-window values
      m.rack_power_w = wa * a.rack_power_w + wb * m.rack_power_w;
      m.gpu_power_avg_w = wa * a.gpu_power_avg_w + wb * m.gpu_power_avg_w;
      m.gpu_power_max_w = std::max(a.gpu_power_max_w, m.gpu_power_max_w);
      m.clock_avg_mhz = wa * a.clock_avg_mhz + wb * m.clock_avg_mhz;
      m.compute_util = wa * a.compute_util + wb * m.compute_util;
      m.memory_util = wa * a.memory_util + wb * m.memory_util;
      out.push_back(m);
    }
    t0 = t2;
  }
  samples_ = std::move(out);
  ticks_per_sample_ *= 2;
  ++sample_doublings_;
}

void PowerLoop::finish(double now) {
  end_ = now;
  const double dt = now - last_tick_;
  std::vector<double> avg_p(g_.size()), avg_um(g_.size());
  for (std::size_t i = 0; i < g_.size(); ++i) {
    Gpu& g = g_[i];
    advance(g, now);
    avg_p[i] = dt > 0.0 ? (g.energy - g.e_tick) / dt : power(g);
    avg_um[i] = dt > 0.0 ? (g.busy_m - g.m_tick) / dt : 0.0;
  }
  if (!full_period_seen_) record_peaks(avg_p);  // the whole run is one window
  thermal_step(dt, avg_p, avg_um);
  if (now > last_sample_) sample(now);  // the last, partial window
  for (auto& w : caps_.gpu) w.close(now);
  for (auto& w : caps_.rack) w.close(now);
  caps_.site.close(now);
}

PowerLoop::GpuTotals PowerLoop::gpu_totals() const {
  GpuTotals t;
  for (const Gpu& g : g_) {
    t.energy += g.energy;
    t.clock_s += g.clock_s;
    t.peak_w = std::max(t.peak_w, g.peak);
    t.min_level = std::max(t.min_level, g.min_level);
    for (int l = 0; l < kLimitCount; ++l) t.throttled[static_cast<std::size_t>(l)] += g.throttled[static_cast<std::size_t>(l)];
  }
  // Every replica of the simulated racks draws what they draw (PowerSetup::replicas).
  const double reps = static_cast<double>(setup_.replicas);
  t.energy *= reps;
  t.clock_s *= reps;
  for (auto& f : t.throttled) f *= reps;
  return t;
}

// Energy, averages and throttling over the run (cluster totals count every replica).
void PowerLoop::summarize_energy(PowerSummary& s, const GpuTotals& gt) const {
  const GovernorConfig& gc = setup_.governor;
  const double T = end_;
  const double n = static_cast<double>(g_.size()) * static_cast<double>(setup_.replicas);
  const double fref = setup_.gpu.dvfs.reference.value() / 1e6;
  const double nr = static_cast<double>(racks()) * static_cast<double>(setup_.replicas);
  const double e_racks = (gt.energy + other_dc() * nr * T) / efficiency();
  const double e_fabric = setup_.fabric_switches.value() * T;
  s.throttled_by = gt.throttled;
  s.energy_j = e_racks + e_fabric;
  if (T > 0.0) {
    s.gpu_avg_w = gt.energy / (n * T);
    s.rack_avg_w = e_racks / (nr * T);
    s.it_avg_w = s.energy_j / T;
    s.site_avg_w = site_power(gc.site, Watts(s.it_avg_w)).value();
    s.clock_avg_mhz = gt.clock_s / (n * T) * fref;
    double throttled = 0.0;
    for (auto& f : s.throttled_by) {
      f /= n * T;
      throttled += f;
    }
    s.throttled_fraction = throttled;
  }
  s.site_energy_j = s.site_avg_w * T;
  s.gpu_peak_w = gt.peak_w;
  s.rack_peak_w = *std::max_element(rack_peak_.begin(), rack_peak_.end());
  s.clock_min_mhz = ratios_[gt.min_level] * fref;
  if (s.throttled_fraction > 0.0) {
    int best = 0;
    for (int l = 1; l < kLimitCount; ++l)
      if (s.throttled_by[static_cast<std::size_t>(l)] > s.throttled_by[static_cast<std::size_t>(best)]) best = l;
    s.throttle_limit = to_string(static_cast<Limit>(best));
  } else {
    s.throttle_limit = "none";
  }
}

// Average power by part over the whole site (empty for a run of no time).
std::vector<std::pair<std::string, double>> PowerLoop::breakdown(const GpuTotals& gt) const {
  const double T = end_;
  if (T <= 0.0) return {};
  const double nr = static_cast<double>(racks()) * static_cast<double>(setup_.replicas);
  const double other = other_dc();
  const double eff = efficiency();
  const double gpus_w = gt.energy / T;
  const RackPowerSpec* r = setup_.rack ? &*setup_.rack : nullptr;
  return {{"gpus", gpus_w},
          {"cpus", r ? r->cpus * r->cpu_power.value() * nr : 0.0},
          {"nics", r ? r->nics * r->nic_power.value() * nr : 0.0},
          {"scale_up_switches", r ? r->switches * r->switch_power.value() * nr : 0.0},
          {"pumps_fans", r ? r->pumps_fans.value() * nr : 0.0},
          {"conversion_loss", (gpus_w + other * nr) * (1.0 / eff - 1.0)},
          {"scale_out_switches", setup_.fabric_switches.value()}};
}

void PowerLoop::summarize_thermal(PowerSummary& s) const {
  const ThermalSetup& th = *setup_.thermal;
  s.thermal = true;
  s.cooling_loop = th.loop_id;
  s.coolant = th.coolant;
  s.cold_plate = th.cold_plate;
  s.cdu = th.cdu;
  s.inlet_c = th.loop.inlet - Celsius(0.0);
  s.flow_l_per_min = th.loop.flow * 60e3;
  s.plates_in_series = th.loop.series;
  s.max_junction_c = max_tj_;
  s.max_hbm_c = max_th_;
  s.max_coolant_c = max_outlet_;
  s.junction_limit_c = setup_.gpu.junction_limit - Celsius(0.0);
  s.hbm_limit_c = setup_.gpu.hbm_limit - Celsius(0.0);
  if (th.cdu_capacity) s.cdu_capacity_w = th.cdu_capacity->value();
  s.cdu_racks = th.cdu_racks;
  s.cdu_peak_load = cdu_peak_;
}

PowerSummary PowerLoop::summary(std::optional<double> tokens) const {
  PowerSummary s;
  const GovernorConfig& gc = setup_.governor;
  if (gc.gpu_cap) s.gpu_cap_w = gc.gpu_cap->value();
  if (gc.rack_cap) s.rack_cap_w = gc.rack_cap->value();
  if (gc.site_cap) s.site_cap_w = gc.site_cap->value();
  s.rack_entry = setup_.rack ? setup_.rack->id : "none";
  s.control_period_s = gc.period.value();
  s.reference_clock_mhz = setup_.gpu.dvfs.reference.value() / 1e6;
  s.site_model = gc.site.kind == SiteParams::Kind::Pue
                     ? fmt::format("PUE {}", gc.site.pue)
                     : fmt::format("cooling plant, COP {}, fixed {} W", gc.site.cop, gc.site.plant_fixed.value());
  s.limiter_response_s = limiter_response().value();
  s.sample_period_s = effective_sample_period();
  s.sample_doublings = sample_doublings_;
  const GpuTotals gt = gpu_totals();
  summarize_energy(s, gt);
  auto report = [](double cap, double held, const std::vector<CapWatch>& watches) {
    PowerSummary::CapReport r;
    r.cap_w = cap;
    r.held_w = held;
    for (const CapWatch& w : watches) w.add_to(r);
    return r;
  };
  if (gc.gpu_cap) s.gpu_cap = report(gc.gpu_cap->value(), s.gpu_peak_w, caps_.gpu);
  if (gc.rack_cap) s.rack_cap = report(gc.rack_cap->value(), s.rack_peak_w, caps_.rack);
  if (gc.site_cap) s.site_cap = report(gc.site_cap->value(), site_peak_, {caps_.site});
  if (tokens && *tokens > 0.0) {
    s.energy_per_token_j = s.energy_j / *tokens;
    s.site_energy_per_token_j = s.site_energy_j / *tokens;
  }
  s.breakdown_w = breakdown(gt);
  s.uncounted = setup_.uncounted;
  if (setup_.thermal) summarize_thermal(s);
  return s;
}

}  // namespace racksim
