// racksim engine: the closed power/thermal loop of one run — what each GPU draws, how hot it and
// its coolant get, and what the governor does about it. Independent of SimGrid: the adapter
// reports when kernels' compute and memory parts start and end, calls control() once per
// control period from its governor actor, and applies the clock and HBM changes it returns
// after the DVFS transition latency (apply()). Unit-testable with a fake clock.
//
// Exactness. Between two events a GPU's power is constant (models/power.hpp), so energy is
// integrated exactly, event by event. Temperatures advance once per control period with that
// period's average power (models/thermal.hpp: exact for constant power; the thermal time
// constants, seconds, are three orders of magnitude above the 1 ms period). Coolant
// temperatures are quasi-static: recomputed each period from the rack's heat.
//
// Statistics (docs/summary-schema.md, "power" and "thermal"): averages are time averages over the
// whole run; peaks are the largest control-period average (what a power meter sampling at the
// control period reports); a run shorter than one period has the whole run as its one window.
// Initial temperatures: each node starts at the steady state it would reach at board power, or at
// its limit if that is lower (a rack that has been running, throttled where it must be). Initial
// clocks: the governor's decision for a period of pure compute at those temperatures
// (models/governor.hpp initial_decisions), so a capped GPU does not start at stock clocks.
//
// The fast power limiter (docs/power.md): when a GPU's power at its present level goes above
// the power limit of the governor's last decision (a GPU cap, or its share of a rack or site
// cap), the limiter lowers it, after the response time limiter_response(), to the highest level
// whose power at the GPU's activity then fits; when the activity falls again while the GPU
// computes, it raises it the same way, never above the governor's level. The adapter applies
// those changes through apply() like the governor's. Every GPU, rack and site cap is watched at every change of power: how
// far and for how long it was exceeded (PowerSummary::CapReport).
//
// Bounds. The time series keeps at most kMaxSampleRows rows: when full, adjacent windows are
// merged in pairs (time-weighted averages, the larger maximum, the later end-of-window values)
// and the sample period doubles, so memory does not grow with simulated time. The number of
// control periods is limited to kMaxControlPeriods: control() throws a SimulationError naming
// the simulated time, the period and the key (power.control_period) past it.
#pragma once

#include "sim/output/run_record.hpp"
#include "models/governor.hpp"
#include "models/power.hpp"
#include "models/thermal.hpp"

#include <array>
#include <cstddef>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace racksim {

struct PowerSetup {
  GpuPowerSpec gpu;                // power.max filled (board power)
  int gpus = 0;                    // simulated GPUs
  int gpus_per_rack = 0;
  // Identical copies of the simulated racks the cluster holds (a reduced run simulates one
  // data-parallel replica, reduction.hpp): cluster totals (energy, IT and site power, the
  // breakdown) count every copy; per-GPU and per-rack figures and the time series are the
  // simulated racks'.
  int replicas = 1;
  std::optional<RackPowerSpec> rack;  // none: the racks hold GPUs only
  Watts fabric_switches;           // scale-out switches, all together (network racks)
  int fabric_switch_count = 0;
  std::vector<std::string> uncounted;  // parts whose power the catalog does not give
  GovernorConfig governor;         // caps, control period, site model; ladders filled by the loop
  Seconds sample_period;           // time-series period: a whole multiple of the control period
  std::optional<ThermalSetup> thermal;
  long max_control_periods = 10000000;  // PowerLoop::kMaxControlPeriods (tests lower it)
};

class PowerLoop {
public:
  explicit PowerLoop(PowerSetup setup);

  // A kernel's compute (memory) part started or ended on `gpu` at `now`.
  void compute_started(int gpu, double now) { activity(gpu, now, +1, 0); }
  void compute_ended(int gpu, double now) { activity(gpu, now, -1, 0); }
  void memory_started(int gpu, double now) { activity(gpu, now, 0, +1); }
  void memory_ended(int gpu, double now) { activity(gpu, now, 0, -1); }
  // From `now` on, `gpu` is also busy a fraction du_c (du_m) of the time with work not simulated
  // kernel by kernel: the reductions of a call timed in closed form (sim/engine/call_board.hpp),
  // spread evenly over the call; negative fractions end it. Power is affine in the busy fractions
  // (models/power.hpp), so the energy is that of the same busy time in separate kernels. A kernel
  // part in flight makes its resource fully busy, whatever the fraction.
  void background(int gpu, double now, double du_c, double du_m);

  // At most this many time-series rows (all racks together) are kept; see the header.
  static constexpr std::size_t kMaxSampleRows = kMaxTimeSeriesRows;
  // At most this many control periods per run (2.8 h of simulated time at the default 1 ms);
  // the default of PowerSetup::max_control_periods.
  static constexpr long kMaxControlPeriods = 10000000;

  struct Change {
    int gpu = 0;
    std::size_t level = 0;
    std::size_t hbm_level = 0;
    Limit limit = Limit::None;
    double power_limit_w = std::numeric_limits<double>::infinity();  // the fast limiter's limit from now on
    Limit power_limit = Limit::None;
    bool by_limiter = false;  // the fast limiter's, not the governor's
  };
  // The end of a control period at `now`: integrates, updates temperatures, records samples and
  // asks the governor. Returns the GPUs whose clock or HBM bandwidth must change; the caller
  // applies them (apply()) after the DVFS transition latency.
  [[nodiscard]] std::vector<Change> control(double now);
  void apply(const std::vector<Change>& changes, double now);
  // The run ended at `now`.
  void finish(double now);

  // The fast limiter: its response time (the GPU's DVFS transition latency; docs/power.md), when
  // it next acts (nothing when no GPU is above its limit), and what it does at `now`: the GPUs
  // it lowers, to apply() at once. take_limiter_armed() is true once after the limiter was given
  // new work, so that the adapter wakes the actor that waits for it.
  [[nodiscard]] bool limiter_enabled() const;
  [[nodiscard]] Seconds limiter_response() const { return setup_.gpu.dvfs.transition_latency; }
  [[nodiscard]] std::optional<double> next_limiter_due() const;
  [[nodiscard]] std::vector<Change> limiter(double now);
  [[nodiscard]] bool take_limiter_armed() { return std::exchange(caps_.armed, false); }

  [[nodiscard]] double clock_ratio(std::size_t level) const { return ratios_.at(level); }
  [[nodiscard]] double hbm_fraction(std::size_t level) const { return hbm_fractions_.at(level); }
  [[nodiscard]] const std::vector<double>& clock_ratios() const { return ratios_; }
  [[nodiscard]] const std::vector<double>& hbm_fractions() const { return hbm_fractions_; }
  [[nodiscard]] Seconds period() const { return setup_.governor.period; }
  [[nodiscard]] Seconds transition_latency() const { return setup_.gpu.dvfs.transition_latency; }

  // Instantaneous board power of `gpu` now (for tests and the timeline).
  [[nodiscard]] double gpu_power_now(int gpu) const;
  [[nodiscard]] double gpu_energy(int gpu) const { return g_.at(static_cast<std::size_t>(gpu)).energy; }
  [[nodiscard]] Celsius junction(int gpu) const { return g_.at(static_cast<std::size_t>(gpu)).t_j; }
  [[nodiscard]] std::size_t level(int gpu) const { return g_.at(static_cast<std::size_t>(gpu)).level; }
  [[nodiscard]] int gpus() const { return setup_.gpus; }
  [[nodiscard]] std::size_t hbm_level(int gpu) const { return g_.at(static_cast<std::size_t>(gpu)).hbm_level; }
  // The time series' window now: the sample period, doubled each time the rows were merged.
  [[nodiscard]] double effective_sample_period() const {
    return setup_.governor.period.value() * static_cast<double>(ticks_per_sample_);
  }

  [[nodiscard]] PowerSummary summary(std::optional<double> tokens) const;
  [[nodiscard]] const std::vector<PowerSample>& samples() const { return samples_; }

private:
  // One cap watched at every change of the power it bounds: its excursions above it.
  struct CapWatch {
    double cap = std::numeric_limits<double>::infinity();
    double value = 0.0;      // the power now
    double since = 0.0;      // since when it holds
    double run_start = -1.0; // start of the excursion in progress, or -1
    double worst = 0.0, total = 0.0, longest = 0.0;
    long count = 0;
    void set(double now, double v);
    void close(double now);
    void add_to(PowerSummary::CapReport& r) const;
  };

  // Long: one GPU's running state, integrals and their values at the last tick and
  // sample; splitting it would only scatter what advance() updates together.
  struct Gpu {
    int compute = 0, memory = 0;       // activities in flight
    double bg_c = 0.0, bg_m = 0.0;     // busy fractions of closed-form work (background())
    std::size_t level = 0, hbm_level = 0;
    Limit limit = Limit::None;
    double t_last = 0.0;
    // cumulative integrals since t = 0
    double energy = 0.0, busy_c = 0.0, busy_m = 0.0, clock_s = 0.0;
    std::array<double, kLimitCount> throttled{};
    // at the last control tick and the last sample
    double e_tick = 0.0, c_tick = 0.0, m_tick = 0.0;
    double e_sample = 0.0, c_sample = 0.0, m_sample = 0.0, f_sample = 0.0;
    Celsius t_j, t_h, coolant;
    double peak = 0.0;
    std::size_t min_level = 0;
    // the fast limiter: this GPU's power limit, its origin, and whether it is due to act
    double power_limit_w = std::numeric_limits<double>::infinity();
    Limit power_limit = Limit::None;
    bool limiter_pending = false;
    std::size_t gov_level = 0;         // the governor's last decided level
    double p_now = 0.0;                // power now, as the cap watches last saw it
  };

  // The simulated GPUs' integrals added up, times the replicas they stand for.
  struct GpuTotals {
    double energy = 0.0;   // J
    double clock_s = 0.0;  // clock ratio x seconds
    std::array<double, kLimitCount> throttled{};  // GPU-seconds throttled, by limit
    double peak_w = 0.0;   // the highest window average of any GPU
    std::size_t min_level = 0;  // the lowest clock level any GPU ran at
  };
  [[nodiscard]] GpuTotals gpu_totals() const;
  void summarize_energy(PowerSummary& s, const GpuTotals& gt) const;
  [[nodiscard]] std::vector<std::pair<std::string, double>> breakdown(const GpuTotals& gt) const;
  void summarize_thermal(PowerSummary& s) const;

  void activity(int gpu, double now, int dc, int dm);
  void advance(Gpu& g, double now) const;
  [[nodiscard]] double power(const Gpu& g) const;
  // Peaks are the largest window averages: GPU, rack (AC) and CDU load, for one window.
  void record_peaks(const std::vector<double>& avg_p);
  void thermal_step(double dt, const std::vector<double>& avg_power, const std::vector<double>& avg_um);
  void sample(double now);
  void merge_samples();
  void set_initial_levels();
  [[nodiscard]] std::vector<GpuObservation> observations(const std::vector<double>& uc, const std::vector<double>& um) const;
  [[nodiscard]] std::vector<RackObservation> rack_observations() const;
  // After gpu `gi`'s power may have changed at `now`: the cap watches and the limiter's trigger.
  void changed(std::size_t gi, double now);
  // The level the fast limiter would set `g` to now (see limiter()).
  [[nodiscard]] std::size_t limiter_target(const Gpu& g) const;
  [[nodiscard]] bool watching() const;
  [[nodiscard]] double site_power_of(double racks_ac) const;
  [[nodiscard]] int racks() const { return setup_.gpus / setup_.gpus_per_rack; }
  [[nodiscard]] double other_dc() const;
  [[nodiscard]] double efficiency() const;

  PowerSetup setup_;
  std::vector<double> ratios_;
  std::vector<double> hbm_fractions_;
  std::vector<Gpu> g_;
  double last_tick_ = 0.0;
  double last_sample_ = 0.0;
  int ticks_ = 0;
  int ticks_per_sample_ = 1;
  int sample_doublings_ = 0;
  bool full_period_seen_ = false;
  double end_ = 0.0;
  std::vector<double> rack_peak_;
  std::vector<Celsius> outlet_;       // per rack, now
  double max_outlet_ = -1e300;
  double max_tj_ = -1e300, max_th_ = -1e300;
  double cdu_peak_ = 0.0;
  double site_peak_ = 0.0;
  std::vector<PowerSample> samples_;
  std::size_t max_windows_ = 2;       // per rack, even
  // The fast limiter's pending actions and the cap watches.
  struct Caps {
    std::deque<std::pair<double, std::size_t>> queue;  // (due, GPU), due times in order
    bool armed = false;
    std::vector<CapWatch> gpu, rack;
    CapWatch site;
    std::vector<double> rack_now;     // per rack: its GPUs' power now
  } caps_;
};

}  // namespace racksim
