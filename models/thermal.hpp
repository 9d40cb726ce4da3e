// racksim models: GPU temperatures over time and the liquid-cooling loop of a rack.
//
// What it models.
//   Each GPU is two thermal nodes, junction (the die's hot spot) and HBM, each joined to the
//   coolant flowing through the GPU's cold plate:
//     C dT/dt = P - (T - T_coolant) / R,     R = R_node_to_case + R_plate(flow)
//   With P and T_coolant constant over an interval dt (the governor's control period, over which
//   racksim integrates exact energy), the solution is exact:
//     T(t + dt) = T_inf + (T(t) - T_inf) * exp(-dt / (R C)),   T_inf = T_coolant + P R
//   The HBM node takes the memory share of the board power (models/power.hpp:
//   P_hbm = a_m * (P_idle + (P_max - P_idle) * u_m * s_hbm)); the junction node the rest.
//   Cold plate: R_plate(flow) = R_ref * (flow_ref / flow)^n with n = 0.8 by default (turbulent
//   convection: h ~ Re^0.8, Dittus-Boelter), flow being the coolant through that plate.
//   Loop: a rack's coolant (inlet temperature T_in, volume flow V, density rho, specific heat
//   c_p, so mass flow m = rho V) splits over its GPU plates in parallel branches of
//   `series` plates each. Coolant leaving plate k of a branch is
//     T_k = T_in + sum_{j<=k} P_j / (m_branch c_p),    m_branch = m / branches
//   and a plate sees the mean of its entering and leaving coolant. The rack's other heat
//   (liquid_fraction of CPUs, NICs, switches, pumps) joins after the GPU plates, so
//     T_out = T_in + Q_liquid / (m c_p)
//   The coolant is quasi-static: its transit time through a rack (seconds) is not modelled.
//   A CDU rejects at most its capacity; the governor keeps the heat of the racks it serves under
//   it (sim/engine/power_loop.hpp), as facility controls do.
//
// Worked example: 72 plates in parallel, 240 L/min of water (rho 997 kg/m^3, c_p 4186 J/kg/K,
// m = 3.988 kg/s), 150 kW of liquid heat: T_out - T_in = 150e3 / (3.988 * 4186) = 8.99 K.
//
// Where the numbers come from: models/catalog/power.yaml (cold plates, coolants, CDUs, ASHRAE
// liquid classes). Plate resistances and heat capacities are estimates from vendor ranges
// (hardware.md section 6: 0.02-0.05 K/W typical, < 0.03 K/W for a 2.7 kW GB200 module); no
// public junction-to-coolant figure exists for MI355X, MI455X or H100 liquid plates.
#pragma once

#include "core/units.hpp"
#include "models/gpu.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace racksim {

// Exact temperature after `dt` seconds of constant power `p` into a node of resistance `r`
// (K/W) and capacity `c` (J/K) to a sink at `sink` (see the header comment).
[[nodiscard]] Celsius rc_step(Celsius t, Celsius sink, Watts p, double r, double c, Seconds dt);
// The steady state of the same node.
[[nodiscard]] Celsius rc_steady(Celsius sink, Watts p, double r);
// The largest constant power that brings the node to `limit` exactly after `horizon` (0 W when
// even zero power leaves it above).
[[nodiscard]] Watts rc_power_budget(Celsius t, Celsius sink, Celsius limit, double r, double c, Seconds horizon);
// The governor's thermal budget: below the limit, rc_power_budget (heat up to the limit within
// the horizon, no further); at or above it, the power whose steady state is the limit,
// (limit - sink) / R, so the node settles back onto the limit without the clock collapsing to
// pull a small overshoot back within one short period. (0 W if the sink is above the limit.)
[[nodiscard]] Watts rc_hold_budget(Celsius t, Celsius sink, Celsius limit, double r, double c, Seconds horizon);

struct CoolantSpec {
  std::string id;
  std::string name;
  double density = 0.0;        // kg/m^3
  double specific_heat = 0.0;  // J/(kg K)
  std::map<std::string, Provenance> provenance;
};

struct ColdPlateSpec {
  std::string id;
  std::string name;
  double r_ref = 0.0;          // K/W, case to coolant at flow_ref
  double flow_ref = 0.0;       // m^3/s through one plate
  double exponent = 0.8;       // n in R = R_ref (flow_ref / flow)^n
  std::map<std::string, Provenance> provenance;
};

[[nodiscard]] double cold_plate_resistance(const ColdPlateSpec& p, double flow_per_plate);

struct CduSpec {
  std::string id;
  std::string name;
  Watts capacity;              // heat it can reject
  int racks = 1;               // racks it serves
  std::map<std::string, Provenance> provenance;
};

// An ASHRAE TC 9.9 liquid-cooling class (W17 ... W45): the highest facility supply temperature
// it allows. A scenario may name one as its inlet temperature.
struct InletClassSpec {
  std::string id;
  Celsius temperature;
  std::map<std::string, Provenance> provenance;
};

// A liquid-cooling loop as the catalog describes it: what a rack ships with.
struct CoolingLoopSpec {
  std::string id;
  std::string name;
  std::string coolant;         // CoolantSpec id
  std::string cold_plate;      // ColdPlateSpec id
  std::string cdu;             // CduSpec id
  Celsius inlet;               // default supply temperature
  double flow = 0.0;           // m^3/s per rack, default
  int series = 1;              // GPU plates in series per branch (1: all parallel)
  std::map<std::string, Provenance> provenance;
};

// One rack's loop with every value resolved.
struct RackLoop {
  Celsius inlet;
  double flow = 0.0;           // m^3/s
  double density = 0.0;
  double specific_heat = 0.0;
  int gpus = 0;
  int series = 1;              // must divide gpus

  [[nodiscard]] double mass_flow() const { return density * flow; }
  [[nodiscard]] int branches() const { return gpus / series; }
  [[nodiscard]] double flow_per_plate() const { return flow / branches(); }
};

struct LoopTemperatures {
  std::vector<Celsius> plate;  // mean coolant temperature at each GPU's plate
  Celsius outlet;              // after the GPUs and the rack's other liquid heat
};

// Coolant temperatures for GPU heats `gpu_heat` (W, one per GPU, in rack order: GPU i is in
// branch i / series at position i % series) and `other_heat` W of further liquid heat.
[[nodiscard]] LoopTemperatures loop_temperatures(const RackLoop& loop, const std::vector<double>& gpu_heat, double other_heat);


// A rack's cooling as a scenario resolved it from the catalog: the loop, the cold plate's
// resistance at the loop's flow, the CDU, and the ids for the summary.
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

// ---- Checks of a scenario's cooling settings (pure; see models/power.hpp) ----
struct RackPowerSpec;  // models/power.hpp

// A coolant at or above the GPU's junction or HBM limit could not cool it; one at or below 0 C is outside
// the model (its coolants are water mixes or air at datacenter temperatures).
[[nodiscard]] std::optional<std::string> inlet_problem(Celsius inlet, Celsius junction_limit, Celsius hbm_limit,
                                                       const std::string& gpu_id);
// The same for a loop's own supply temperature (the junction limit).
[[nodiscard]] std::optional<std::string> loop_inlet_problem(const std::string& loop_id, Celsius inlet, Celsius junction_limit,
                                                            const std::string& gpu_id);
// The branches of a loop hold `series` plates each, so `series` must divide the GPUs.
// `domain_label` names a domain ("rack", "node").
[[nodiscard]] std::optional<std::string> series_problem(const RackLoop& loop, const std::string& domain_label);
// The heat a rack puts into its liquid loop at idle: its GPUs' idle power and the liquid share
// of its other parts (none without a rack entry).
[[nodiscard]] Watts idle_liquid_heat(Watts gpu_idle, int gpus, const RackPowerSpec* rack);
// A CDU shares its capacity over the racks it serves; each share must exceed a rack's idle liquid
// heat, or no clock could keep under it.
[[nodiscard]] std::optional<std::string> cdu_capacity_problem(const CduSpec& cdu, Watts idle_heat,
                                                              const std::string& domain_label);

}  // namespace racksim
