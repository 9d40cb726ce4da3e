// racksim sim: the closed power/thermal loop of one run — what each GPU draws, how hot it and
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
// its limit if that is lower (a rack that has been running, throttled where it must be).
#pragma once

#include "models/governor.hpp"
#include "models/power.hpp"
#include "models/thermal.hpp"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace racksim {

struct ThermalSetup {
  RackLoop loop;                   // per rack (all racks alike)
  double r_plate = 0.0;            // K/W, cold plate at the loop's flow per plate
  std::string coolant;             // ids, for the summary
  std::string cold_plate;
  std::string loop_id;
  std::optional<Watts> cdu_capacity;  // heat one CDU rejects
  int cdu_racks = 1;               // racks one CDU serves
  std::string cdu;
};

struct PowerSetup {
  GpuPowerSpec gpu;                // power.max filled (board power)
  int gpus = 0;                    // simulated GPUs
  int gpus_per_rack = 0;
  // Identical copies of the simulated racks the cluster holds (a reduced run simulates one
  // data-parallel replica, sim/reduction.hpp): cluster totals (energy, IT and site power, the
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
};

// One time-series row: a rack over one sample window ending at `time`.
struct PowerSample {
  double time = 0.0;
  int rack = 0;
  double rack_power_w = 0.0;       // AC
  double gpu_power_avg_w = 0.0;
  double gpu_power_max_w = 0.0;
  double clock_avg_mhz = 0.0;
  double clock_min_mhz = 0.0;      // lowest clock in force at the end of the window
  double compute_util = 0.0;       // mean over the rack's GPUs
  double memory_util = 0.0;
  double junction_max_c = 0.0;     // NaN fields are written empty when there is no thermal model
  double hbm_max_c = 0.0;
  double coolant_out_c = 0.0;
  int throttled_gpus = 0;          // at the end of the window
};

struct PowerSummary {
  std::optional<double> gpu_cap_w, rack_cap_w, site_cap_w;
  std::string rack_entry;          // catalog id or "none"
  double control_period_s = 0.0;
  double gpu_avg_w = 0.0;
  double gpu_peak_w = 0.0;
  double rack_avg_w = 0.0;
  double rack_peak_w = 0.0;
  double it_avg_w = 0.0;           // racks (AC) + fabric switches
  double site_avg_w = 0.0;
  std::string site_model;          // "PUE 1.1" or "cooling plant, COP 8, fixed 0 W"
  double energy_j = 0.0;           // IT
  double site_energy_j = 0.0;
  std::optional<double> energy_per_token_j;
  std::optional<double> site_energy_per_token_j;
  // Average power by part, W (whole site): gpus, cpus, nics, scale_up_switches, pumps_fans,
  // conversion_loss, scale_out_switches.
  std::vector<std::pair<std::string, double>> breakdown_w;
  std::vector<std::string> uncounted;
  double clock_avg_mhz = 0.0;
  double clock_min_mhz = 0.0;      // lowest level any GPU ran at
  double reference_clock_mhz = 0.0;
  // GPU-time during which a kernel's compute part ran below the reference clock or its memory
  // part below full HBM bandwidth, over all GPU-time (GPUs x run time).
  double throttled_fraction = 0.0;
  std::string throttle_limit;      // the limit behind most of it, or "none"
  std::array<double, kLimitCount> throttled_by{};  // fraction of GPU-time, by Limit
  // thermal (set when modelled)
  bool thermal = false;
  std::string cooling_loop, coolant, cold_plate, cdu;
  double inlet_c = 0.0;
  double flow_l_per_min = 0.0;     // per rack
  int plates_in_series = 1;
  double max_junction_c = 0.0;
  double max_hbm_c = 0.0;
  double max_coolant_c = 0.0;      // highest rack outlet
  double junction_limit_c = 0.0;
  double hbm_limit_c = 0.0;
  std::optional<double> cdu_capacity_w;
  int cdu_racks = 1;
  double cdu_peak_load = 0.0;      // peak liquid heat of a rack / its share of its CDU (capacity / racks)
};

class PowerLoop {
public:
  explicit PowerLoop(PowerSetup setup);

  // A kernel's compute (memory) part started or ended on `gpu` at `now`.
  void compute_started(int gpu, double now) { activity(gpu, now, +1, 0); }
  void compute_ended(int gpu, double now) { activity(gpu, now, -1, 0); }
  void memory_started(int gpu, double now) { activity(gpu, now, 0, +1); }
  void memory_ended(int gpu, double now) { activity(gpu, now, 0, -1); }

  struct Change {
    int gpu = 0;
    std::size_t level = 0;
    std::size_t hbm_level = 0;
    Limit limit = Limit::None;
  };
  // The end of a control period at `now`: integrates, updates temperatures, records samples and
  // asks the governor. Returns the GPUs whose clock or HBM bandwidth must change; the caller
  // applies them (apply()) after the DVFS transition latency.
  [[nodiscard]] std::vector<Change> control(double now);
  void apply(const std::vector<Change>& changes, double now);
  // The run ended at `now`.
  void finish(double now);

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

  [[nodiscard]] PowerSummary summary(std::optional<double> tokens) const;
  [[nodiscard]] const std::vector<PowerSample>& samples() const { return samples_; }

private:
  struct Gpu {
    int compute = 0, memory = 0;       // activities in flight
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
  };

  void activity(int gpu, double now, int dc, int dm);
  void advance(Gpu& g, double now) const;
  [[nodiscard]] double power(const Gpu& g) const;
  // Peaks are the largest window averages: GPU, rack (AC) and CDU load, for one window.
  void record_peaks(const std::vector<double>& avg_p);
  void thermal_step(double dt, const std::vector<double>& avg_power, const std::vector<double>& avg_um);
  void sample(double now);
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
  bool full_period_seen_ = false;
  double end_ = 0.0;
  std::vector<double> rack_peak_;
  std::vector<Celsius> outlet_;       // per rack, now
  double max_outlet_ = -1e300;
  double max_tj_ = -1e300, max_th_ = -1e300;
  double cdu_peak_ = 0.0;
  std::vector<PowerSample> samples_;
};

}  // namespace racksim
