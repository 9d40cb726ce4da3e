// racksim models: GPU power versus activity and clock, DVFS levels, and the power of a rack and
// a site around the GPUs.
//
// What it models.
//   GPU board power, piecewise constant between events:
//     P = P_idle + (P_max - P_idle) * (a_c * u_c * (f / f_ref)^gamma + a_m * u_m * s_hbm)
//   u_c  1 while at least one kernel's compute part runs on the GPU, else 0 (a kernel alone uses
//        the whole GPU in the engine, so the time average of u_c is the compute utilisation)
//   u_m  1 while at least one kernel's memory part streams through HBM, else 0
//   f    the core clock; f_ref the clock at which the kernel model's rates hold (the sustained
//        dense-GEMM clock at stock board power: the calibration measured kernels there)
//   s_hbm  the HBM bandwidth fraction (1, or less while HBM is thermally throttled): memory
//        power follows the bytes moved per second
//   P_max  the board power with u_c = u_m = 1 at f_ref. It is the board power (TBP) of the
//        catalog: at stock settings a GPU never exceeds its TBP, as measured kernel rates imply.
//   gamma  the exponent of dynamic power in clock: 3 in the textbook (P ~ C V^2 f, V ~ f);
//        board-level data give ~1.6 (MI300X -> MI325X, same die: P ~ f^1.59, hardware.md S40).
//   DVFS levels: f_ref, f_ref - step, ... down to f_min; a change takes effect after the
//   transition latency. A kernel's compute part runs at rate f/f_ref of the model's; its memory
//   part at s_hbm of the HBM bandwidth.
//
//   Rack (one scale-up domain: a Helios rack, an 8-GPU node), DC side:
//     P_rack_dc = sum(P_gpu) + n_cpu P_cpu + n_nic P_nic + n_sw P_sw + P_pumps_fans
//     P_rack    = P_rack_dc / eta_conversion        (power shelves, AC -> DC)
//   CPUs, NICs and switches draw constant power (their variation with load is second order next
//   to the GPUs'). Scale-out fabric switches sit in network racks: counted per site.
//   Site: P_site = P_IT * PUE, or with a cooling plant: P_site = P_IT + Q / COP + P_plant_fixed
//   where Q is the heat rejected (= P_IT).
//
// Worked example: MI355X, P_idle 238 W, P_max 1400 W, a_c 0.8, a_m 0.2, gamma 1.6. A GEMM with
// u_c = 1, u_m = 0.3 at f_ref draws 238 + 1162 * (0.8 + 0.06) = 1237.3 W; at 0.8 f_ref,
// 238 + 1162 * (0.8 * 0.8^1.6 + 0.06) = 238 + 1162 * 0.5804 = 912.5 W.
//
// Where the numbers come from: models/catalog/power.yaml (each with its provenance). The
// activity coefficients and gamma are estimates anchored on AMD's MI300X/MI325X clock-vs-power
// data (S40); no public full power-vs-frequency curve exists for these parts (hardware.md
// section 7). Accuracy: expect +-15% on average board power until calibrated against
// measurements of the target GPU.
#pragma once

#include "core/units.hpp"
#include "models/gpu.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace racksim {

struct GpuPowerParams {
  Watts idle;               // P_idle: powered, clocks up, no kernel
  Watts max;                // P_max: u_c = u_m = 1 at f_ref (the board power)
  double a_c = 0.8;         // share of the dynamic range that compute activity draws
  double a_m = 0.2;         // share that HBM traffic draws
  double gamma = 1.6;       // exponent of power in clock
};

// Board power at compute activity u_c, memory activity u_m (each in [0, 1]), clock ratio
// f/f_ref and HBM bandwidth fraction s_hbm.
[[nodiscard]] Watts gpu_power(const GpuPowerParams& p, double u_c, double u_m, double f_ratio, double s_hbm = 1.0);

// The largest clock ratio r in [0, 1] with gpu_power(p, u_c, u_m, r, s_hbm) <= budget; 1 when
// even the reference clock fits (or u_c is 0), 0 when no clock does.
[[nodiscard]] double clock_ratio_for_power(const GpuPowerParams& p, double u_c, double u_m, double s_hbm, Watts budget);

// The heat of the GPU's HBM stacks: the memory share a_m of idle power plus the memory term of
// the dynamic power. The rest of the board power heats the junction node (models/thermal.hpp).
[[nodiscard]] Watts hbm_heat(const GpuPowerParams& p, double u_m, double s_hbm);
// The largest HBM bandwidth fraction s in [0, 1] with hbm_heat(p, u_m, s) <= budget (1 when
// u_m is 0 or everything fits, 0 when nothing does).
[[nodiscard]] double hbm_fraction_for_heat(const GpuPowerParams& p, double u_m, Watts budget);

// The DVFS ladder of one GPU.
struct DvfsParams {
  Hertz reference;           // f_ref: level 0
  Hertz min;                 // the lowest level (>= step above 0)
  Hertz step;                // spacing between levels
  Seconds transition_latency;

  // Clock ratios f/f_ref, level 0 first (1.0), descending to min/reference.
  [[nodiscard]] std::vector<double> ratios() const;
};

// The highest level (lowest index) whose ratio is <= r; the last level when none is.
[[nodiscard]] std::size_t level_at_or_below(const std::vector<double>& ratios, double r);

// One GPU's power description in the catalog (models/catalog/power.yaml, `gpu_power:`).
struct GpuPowerSpec {
  std::string gpu;                 // GPU id it belongs to
  GpuPowerParams power;            // `max` is the GPU's board power
  DvfsParams dvfs;
  // Thermal: junction and HBM nodes of an RC network to the coolant (models/thermal.hpp).
  double r_junction_case = 0.0;    // K/W, die hot spot to cold-plate base (the plate is added)
  double c_junction = 0.0;         // J/K, die, package and plate heat capacity
  double r_hbm_case = 0.0;         // K/W, HBM stacks to cold-plate base
  double c_hbm = 0.0;              // J/K
  Celsius junction_limit;          // throttling begins at this hot-spot temperature
  Celsius hbm_limit;               // HBM throttles its bandwidth at this temperature
  std::map<std::string, Provenance> provenance;
};

// What a rack (one scale-up domain) holds besides its GPUs (models/catalog/power.yaml, `racks:`).
struct RackPowerSpec {
  std::string id;
  std::string name;
  int gpus = 0;                    // GPUs per rack it describes (checked against the cluster)
  int cpus = 0;
  Watts cpu_power;                 // each
  int nics = 0;                    // scale-out NICs in the rack
  Watts nic_power;                 // each
  int switches = 0;                // scale-up switch chips in the rack
  Watts switch_power;              // each
  Watts pumps_fans;                // in-rack pumps, fans, management
  double conversion_efficiency = 1.0;  // power shelf AC->DC, in (0, 1]
  double liquid_fraction = 1.0;    // share of the rack's non-GPU heat removed by the liquid loop
  std::string cooling;             // default cooling loop id (models/thermal.hpp CoolingLoopSpec)
  std::map<std::string, Provenance> provenance;
};

// The rack's power around its GPUs (DC side), constant in time.
[[nodiscard]] Watts rack_other_power(const RackPowerSpec& r);
// AC power of a rack whose GPUs draw `gpu_sum`.
[[nodiscard]] Watts rack_power(const RackPowerSpec& r, Watts gpu_sum);

// How the site's overhead on top of the IT load is modelled.
struct SiteParams {
  enum class Kind { Pue, CoolingPlant } kind = Kind::Pue;
  double pue = 1.0;                // Pue: P_site = P_IT * pue
  double cop = 0.0;                // CoolingPlant: coefficient of performance of heat rejection
  Watts plant_fixed;               // CoolingPlant: constant overhead (lighting, UPS, pumps)
};

[[nodiscard]] Watts site_power(const SiteParams& s, Watts it_power);
// The IT power that makes site_power equal `site` (inverse of site_power).
[[nodiscard]] Watts it_power_for_site(const SiteParams& s, Watts site);

// Max-min fair division of `budget` over `demands`: each gets min(demand, level) with the level
// chosen so the shares add up to the budget (or everyone gets their demand if the budget covers
// it). Used by the governor for rack and site caps.
[[nodiscard]] std::vector<double> water_fill(const std::vector<double>& demands, double budget);

// ---- Checks of a scenario's power settings ----
// Each returns what is wrong, as a message, or nothing when the values can work. They are pure;
// the scenario reader (sim/scenario/power_cooling.cpp) attaches the file, line and key.

// P_idle < P_max: a GPU whose idle power reaches its board power has no dynamic range.
[[nodiscard]] std::optional<std::string> idle_power_problem(const GpuPowerParams& p, const std::string& gpu_id);
// The idle AC power of one rack: (gpus x P_idle + the entry's other parts) / its conversion
// efficiency; without a rack entry, its GPUs' idle power alone.
[[nodiscard]] Watts rack_idle_power(const GpuPowerParams& gpu, int gpus, const RackPowerSpec* rack);
// A cap must lie above the idle power it governs, or no clock could hold it.
[[nodiscard]] std::optional<std::string> gpu_cap_problem(Watts cap, const GpuPowerParams& gpu, const std::string& gpu_id);
[[nodiscard]] std::optional<std::string> rack_cap_problem(Watts cap, const GpuPowerParams& gpu, int gpus,
                                                          const RackPowerSpec* rack);
// The site's idle power is `domains` racks at rack_idle_power, after the PUE or cooling plant;
// `domain_label` names a domain in the message ("rack", "node").
[[nodiscard]] std::optional<std::string> site_cap_problem(Watts cap, const SiteParams& site, Watts rack_idle, int domains,
                                                          const std::string& domain_label);

}  // namespace racksim
