// Unit tests for the power and cooling part of models/catalog: the shipped power.yaml and
// cooling.yaml (values read back in SI units, every GPU covered, cross-references resolved) and
// the loader's checks on small catalogs written to temporary files.
//
// Unit conversions are derived in the comments: 1 L/min = 1e-3 m^3 / 60 s; 1 kg/L = 1000 kg/m^3;
// 1 kJ/(kg K) = 1000 J/(kg K); 1 MHz = 1e6 Hz; 1 kW = 1000 W.
#include "core/error.hpp"
#include "core/units.hpp"
#include "models/catalog.hpp"
#include "models/power.hpp"
#include "models/thermal.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "catalog_support.hpp"

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;

namespace {

using test::input_error_of;
using test::near;
using test::shipped;

using TempCatalog = test::TempFile;

// 1-based number of the first line of the file at `path` that contains `needle` (0 if none).
int file_line_of(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n)
    if (line.find(needle) != std::string::npos) return n;
  return 0;
}

const char* const kHeader =
    "schema_version: 1\n"
    "sources:\n"
    "  T1: \"test source\"\n";

// One gpu_power entry (list item) with compute and memory activity as given.
std::string gpu_power_entry(const std::string& gpu, const std::string& a_c = "0.8", const std::string& a_m = "0.2") {
  return fmt::format(
      "  - gpu: {}\n"
      "    idle_power: {{value: 100 W, kind: estimate, source: T1, note: test}}\n"
      "    compute_activity: {{value: {}, kind: estimate, source: T1}}\n"
      "    memory_activity: {{value: {}, kind: estimate, source: T1}}\n"
      "    clock_exponent: {{value: 1.6, kind: estimate, source: T1}}\n"
      "    reference_clock: {{value: 1500 MHz, kind: estimate, source: T1}}\n"
      "    min_clock: {{value: 500 MHz, kind: estimate, source: T1}}\n"
      "    clock_step: {{value: 100 MHz, kind: estimate, source: T1}}\n"
      "    transition_latency: {{value: 2 ms, kind: estimate, source: T1}}\n"
      "    r_junction_case: {{value: 25 mK/W, kind: estimate, source: T1}}\n"
      "    c_junction: {{value: 0.2 kJ/K, kind: estimate, source: T1}}\n"
      "    r_hbm_case: {{value: 0.1 C/W, kind: estimate, source: T1}}\n"
      "    c_hbm: {{value: 40 J/K, kind: estimate, source: T1}}\n"
      "    junction_limit: {{value: 95 C, kind: spec, source: T1}}\n"
      "    hbm_limit: {{value: 368.15 K, kind: spec, source: T1}}\n",
      gpu, a_c, a_m);
}

// One rack entry (list item) whose cooling loop is `loop`.
std::string rack_entry(const std::string& id, const std::string& loop, bool with_pumps = true) {
  return fmt::format(
      "  - id: {}\n"
      "    name: Test rack\n"
      "    gpus: 8\n"
      "    cpus: 2\n"
      "    cpu_power: {{value: 0.4 kW, kind: estimate, source: T1}}\n"
      "    nics: 0\n"
      "    switches: 0\n"
      "{}"
      "    conversion_efficiency: {{value: 0.95, kind: estimate, source: T1}}\n"
      "    liquid_fraction: {{value: 0, kind: estimate, source: T1}}\n"
      "    cooling: {}\n",
      id, with_pumps ? "    pumps_fans: {value: 1 kW, kind: estimate, source: T1}\n" : "", loop);
}

std::vector<std::string> shipped_plus(const std::string& extra) {
  std::vector<std::string> files = shipped_catalog_files(RACKSIM_SOURCE_DIR);
  files.push_back(extra);
  return files;
}

std::string shipped_file(const std::string& name) { return std::string(RACKSIM_SOURCE_DIR) + "/models/catalog/" + name; }

bool is_valid_kind(const std::string& k) {
  static const std::set<std::string> kinds = {"spec", "spec_secondary", "measured", "estimate", "derived"};
  return kinds.count(k) == 1;
}

}  // namespace

// ---- the shipped catalog ----------------------------------------------------------------------

TEST_CASE("catalog power: the shipped catalog includes power.yaml and cooling.yaml", "[catalog][power]") {
  REQUIRE_NOTHROW(shipped());
  const std::vector<std::string> files = shipped_catalog_files(RACKSIM_SOURCE_DIR);
  REQUIRE(files.size() >= 2);
  CHECK(files[files.size() - 2] == shipped_file("power.yaml"));
  CHECK(files[files.size() - 1] == shipped_file("cooling.yaml"));
  CHECK(shipped().rack_ids() == std::vector<std::string>{"dgx-a100", "helios", "hgx-h100", "hgx-h200", "mi300x-platform",
                                                          "mi355x-platform", "nvl72"});
  CHECK(shipped().cooling_loop_ids() == std::vector<std::string>{"dgx-a100-air", "helios-loop", "hgx-air", "mi300x-air",
                                                                  "mi355x-liquid", "nvl72-loop"});
  CHECK(shipped().coolant_ids() == std::vector<std::string>{"air", "pg25", "water"});
  CHECK(shipped().inlet_class_ids() == std::vector<std::string>{"W17", "W27", "W32", "W40", "W45"});
}

TEST_CASE("catalog power: every shipped GPU has a gpu_power entry", "[catalog][power]") {
  const Catalog& c = shipped();
  for (const auto& id : {"mi300x", "mi325x", "mi355x", "mi455x", "h100", "h200", "a100", "b200", "mi250x"}) {
    INFO("GPU " << id);
    CHECK(c.find_gpu(id) != nullptr);
  }
  for (const auto& id : c.gpu_ids()) {
    INFO("GPU " << id);
    const GpuPowerSpec* p = c.find_gpu_power(id);
    REQUIRE(p != nullptr);
    CHECK(p->gpu == id);
    CHECK(p->power.max.value() == 0.0);  // filled by the scenario from board_power
    CHECK(p->power.idle.value() > 0.0);
    CHECK(p->power.idle < c.find_gpu(id)->board_power);
    CHECK(p->power.a_c + p->power.a_m <= 1.0);
    CHECK(p->dvfs.min <= p->dvfs.reference);
    CHECK_FALSE(p->dvfs.ratios().empty());
    CHECK(p->junction_limit.value() >= 40.0);
    CHECK(p->hbm_limit.value() <= 150.0);
  }
  CHECK(c.find_gpu_power("no_such_gpu") == nullptr);
}

TEST_CASE("catalog power: MI355X and MI300X power values read back in SI units", "[catalog][power]") {
  const GpuPowerSpec* p = shipped().find_gpu_power("mi355x");
  REQUIRE(p != nullptr);
  CHECK(p->power.idle.value() == near(238.0));                // hardware.md section 6: MI355X idle 238 W (S46)
  CHECK(p->provenance.at("idle_power").kind == "measured");
  CHECK(p->provenance.at("idle_power").source == "S46");
  CHECK(p->power.a_c == near(0.8));
  CHECK(p->power.a_m == near(0.2));
  CHECK(p->power.gamma == near(1.6));                         // P ~ f^1.59 (S40), rounded
  CHECK(p->dvfs.reference.value() == near(1650e6));           // 1650 MHz = 1.65e9 Hz
  CHECK(p->dvfs.min.value() == near(500e6));                  // 500 MHz
  CHECK(p->dvfs.step.value() == near(50e6));                  // 50 MHz
  CHECK(p->dvfs.transition_latency.value() == near(100e-6));  // 100 us
  CHECK(p->r_junction_case == near(0.026));                   // 0.026 K/W
  CHECK(p->c_junction == near(200.0));                        // 200 J/K
  CHECK(p->r_hbm_case == near(0.12));
  CHECK(p->c_hbm == near(50.0));
  CHECK(p->junction_limit.value() == near(100.0));            // CDNA3 hotspot slowdown 100 C (S44)
  CHECK(p->hbm_limit.value() == near(105.0));                 // CDNA3 HBM slowdown 105 C (S44)
  // Ladder: 1650, 1600, ..., 500 MHz: (1650 - 500) / 50 + 1 = 24 levels, the last 500/1650.
  const auto r = p->dvfs.ratios();
  REQUIRE(r.size() == 24);
  CHECK(r.back() == near(500.0 / 1650.0));

  const GpuPowerSpec* m = shipped().find_gpu_power("mi300x");
  REQUIRE(m != nullptr);
  CHECK(m->dvfs.reference.value() == near(1200e6));           // S40: MI300X dense GEMM ~1115-1230 MHz at 750 W
  CHECK(m->provenance.at("reference_clock").kind == "derived");
  CHECK(shipped().find_gpu_power("mi325x")->dvfs.reference.value() == near(1400e6));  // S40: 1354-1464 MHz at 1000 W
  const GpuPowerSpec* h = shipped().find_gpu_power("h100");
  REQUIRE(h != nullptr);
  CHECK(h->power.idle.value() == near(74.7));                 // S45: H800 SXM at 345 MHz
  CHECK(h->junction_limit.value() == near(87.0));             // S45: GPU max operating 87 C
  CHECK(h->hbm_limit.value() == near(95.0));                  // S45: HBM max operating 95 C
}

TEST_CASE("catalog power: cooling values read back in SI units", "[catalog][cooling]") {
  const Catalog& c = shipped();
  const CoolingLoopSpec* l = c.find_cooling_loop("helios-loop");
  REQUIRE(l != nullptr);
  CHECK(l->flow == near(0.004));                              // 240 L/min = 240 x 1e-3 m^3 / 60 s = 0.004 m^3/s
  CHECK(l->inlet.value() == near(30.0));
  CHECK(l->series == 1);
  CHECK(l->coolant == "pg25");
  CHECK(l->cold_plate == "cp-liquid-1800w");
  CHECK(l->cdu == "inrow-1500kw-8racks");

  const CoolantSpec* pg = c.find_coolant("pg25");
  REQUIRE(pg != nullptr);
  CHECK(pg->density == near(1020.0));                         // 1.02 kg/L = 1020 kg/m^3
  CHECK(pg->specific_heat == near(3930.0));                   // 3.93 kJ/kg/K = 3930 J/(kg K)
  const CoolantSpec* w = c.find_coolant("water");
  REQUIRE(w != nullptr);
  CHECK(w->specific_heat == near(4186.0));                    // hardware.md: 4.186 kJ/kg/K
  CHECK(w->density == near(997.0));

  const ColdPlateSpec* cp = c.find_cold_plate("cp-liquid-1800w");
  REQUIRE(cp != nullptr);
  CHECK(cp->r_ref == near(0.02));                             // S58: typical 0.02-0.05 C/W
  CHECK(cp->flow_ref == near(4.5e-5));                        // 2.7 L/min = 2.7e-3 / 60 = 4.5e-5 m^3/s
  CHECK(cp->exponent == near(0.8));                           // flow_exponent absent: the default

  const CduSpec* cdu = c.find_cdu("inrow-1500kw-8racks");
  REQUIRE(cdu != nullptr);
  CHECK(cdu->capacity.value() == near(1.5e6));                // 1500 kW
  CHECK(cdu->racks == 8);

  const InletClassSpec* w45 = c.find_inlet_class("W45");
  REQUIRE(w45 != nullptr);
  CHECK(w45->temperature.value() == near(45.0));
  CHECK(w45->provenance.at("temperature").source == "S57");
}

TEST_CASE("catalog power: Helios rack power adds up to the reference's estimate", "[catalog][power]") {
  const RackPowerSpec* r = shipped().find_rack("helios");
  REQUIRE(r != nullptr);
  CHECK(r->gpus == 72);
  CHECK(r->cpus == 18);
  CHECK(r->nics == 216);
  CHECK(r->switches == 12);
  CHECK(r->cooling == "helios-loop");
  CHECK(r->conversion_efficiency == near(0.96));
  CHECK(r->liquid_fraction == near(1.0));
  // Non-GPU DC power: 18 x 500 + 216 x 23 + 12 x 1250 + 1500 W = 9000 + 4968 + 15000 + 1500 = 30468 W.
  const double other = r->cpus * r->cpu_power.value() + r->nics * r->nic_power.value() +
                       r->switches * r->switch_power.value() + r->pumps_fans.value();
  CHECK(other == near(30468.0));
  // With 72 MI455X at their 1800 W board power: 129600 + 30468 = 160068 W DC, / 0.96 = 166737.5 W AC:
  // inside hardware.md's 150-220 kW Helios estimate.
  const double gpu_sum = r->gpus * shipped().find_gpu("mi455x")->board_power.value();
  CHECK(gpu_sum == near(129600.0));
  const double ac = (gpu_sum + other) / r->conversion_efficiency;
  CHECK(ac == near(166737.5));

  const RackPowerSpec* node = shipped().find_rack("mi300x-platform");
  REQUIRE(node != nullptr);
  CHECK(node->switches == 0);
  CHECK(node->switch_power.value() == 0.0);  // left out: the node has no switch chips
  CHECK(node->liquid_fraction == 0.0);       // air cooled
}

TEST_CASE("catalog power: shipped cross-references resolve", "[catalog][cooling]") {
  const Catalog& c = shipped();
  for (const auto& id : c.rack_ids()) {
    INFO("rack " << id);
    const RackPowerSpec* r = c.find_rack(id);
    const CoolingLoopSpec* l = c.find_cooling_loop(r->cooling);
    REQUIRE(l != nullptr);
    CHECK(r->gpus % l->series == 0);
  }
  for (const auto& id : c.cooling_loop_ids()) {
    INFO("cooling loop " << id);
    const CoolingLoopSpec* l = c.find_cooling_loop(id);
    CHECK(c.find_coolant(l->coolant) != nullptr);
    CHECK(c.find_cold_plate(l->cold_plate) != nullptr);
    CHECK(c.find_cdu(l->cdu) != nullptr);
  }
}

TEST_CASE("catalog power: every power and cooling value has a provenance, estimates a note", "[catalog][provenance]") {
  const Catalog& c = shipped();
  auto check_all = [](const std::string& part, const std::map<std::string, Provenance>& prov) {
    CHECK_FALSE(prov.empty());
    for (const auto& [field, p] : prov) {
      INFO(part << " field " << field << " kind '" << p.kind << "'");
      CHECK(is_valid_kind(p.kind));
      CHECK_FALSE(p.source.empty());
      if (p.kind == "estimate" || p.kind == "derived") CHECK_FALSE(p.note.empty());
    }
  };
  for (const auto& id : c.gpu_ids()) check_all("gpu_power " + id, c.find_gpu_power(id)->provenance);
  for (const auto& id : c.rack_ids()) check_all("rack " + id, c.find_rack(id)->provenance);
  for (const auto& id : c.coolant_ids()) check_all("coolant " + id, c.find_coolant(id)->provenance);
  for (const auto& id : c.cold_plate_ids()) check_all("cold plate " + id, c.find_cold_plate(id)->provenance);
  for (const auto& id : c.cdu_ids()) check_all("cdu " + id, c.find_cdu(id)->provenance);
  for (const auto& id : c.cooling_loop_ids()) check_all("cooling loop " + id, c.find_cooling_loop(id)->provenance);
  for (const auto& id : c.inlet_class_ids()) check_all("inlet class " + id, c.find_inlet_class(id)->provenance);
}

TEST_CASE("catalog power: MI455X at board power in the Helios loop settles under its limits", "[catalog][cooling]") {
  // The design-point rule of power.yaml's header, with thermal.hpp's loop and plate model.
  const Catalog& c = shipped();
  const GpuPowerSpec& p = *c.find_gpu_power("mi455x");
  const CoolingLoopSpec& l = *c.find_cooling_loop("helios-loop");
  const CoolantSpec& k = *c.find_coolant(l.coolant);
  const double p_max = c.find_gpu("mi455x")->board_power.value();  // 1800 W
  RackLoop loop;
  loop.inlet = l.inlet;
  loop.flow = l.flow;
  loop.density = k.density;
  loop.specific_heat = k.specific_heat;
  loop.gpus = 72;
  loop.series = l.series;
  // Per plate: 0.004 / 72 m^3/s (3.333 L/min); R = 0.02 x (2.7 / 3.333)^0.8 = 0.016897 K/W.
  const double r_plate = cold_plate_resistance(*c.find_cold_plate(l.cold_plate), loop.flow_per_plate());
  CHECK(r_plate == Approx(0.016897).epsilon(1e-4));
  // Branch m c_p = 1020 kg/m^3 x 5.5556e-5 m^3/s x 3930 J/(kg K) = 222.7 W/K; 1800 W raise it
  // 8.083 K, so the plate sees 30 + 8.083 / 2 = 34.041 C.
  const LoopTemperatures t = loop_temperatures(loop, std::vector<double>(72, p_max), 0.0);
  CHECK(t.plate[0].value() == Approx(34.0413).epsilon(1e-5));
  // Junction: (1 - a_m) x 1800 = 1440 W through 0.022 + 0.016897 K/W: 34.041 + 56.012 = 90.053 C.
  const Celsius tj = rc_steady(t.plate[0], Watts((1.0 - p.power.a_m) * p_max), p.r_junction_case + r_plate);
  CHECK(tj.value() == Approx(90.0535).epsilon(1e-5));
  CHECK(tj < p.junction_limit);
  // HBM: a_m x 1800 = 360 W through 0.12 + 0.016897 K/W: 34.041 + 49.283 = 83.324 C.
  const Celsius th = rc_steady(t.plate[0], Watts(p.power.a_m * p_max), p.r_hbm_case + r_plate);
  CHECK(th.value() == Approx(83.3243).epsilon(1e-5));
  CHECK(th < p.hbm_limit);
}

// ---- loader checks on small catalogs ----------------------------------------------------------

TEST_CASE("catalog power: a small power and cooling catalog loads, references resolved across files",
          "[catalog][loader]") {
  // The loop refers to a coolant defined in a LATER file: references are checked after loading.
  const TempCatalog loops("power-loops", std::string(kHeader) + "gpu_power:\n" + gpu_power_entry("mi300x") +
                                             "racks:\n" + rack_entry("test-rack", "test-loop") +
                                             "cooling_loops:\n"
                                             "  - id: test-loop\n"
                                             "    name: Test loop\n"
                                             "    coolant: test-coolant\n"
                                             "    cold_plate: cp-liquid-1000w\n"
                                             "    cdu: room-air-12kw\n"
                                             "    inlet: {value: 35 C, kind: estimate, source: T1, note: test}\n"
                                             "    flow: {value: 2 L/s, kind: estimate, source: T1, note: test}\n"
                                             "    series: 2\n");
  const TempCatalog coolant("power-coolant", std::string(kHeader) +
                                                 "coolants:\n"
                                                 "  - id: test-coolant\n"
                                                 "    name: Test coolant\n"
                                                 "    density: {value: 1 g/cm3, kind: estimate, source: T1}\n"
                                                 "    specific_heat: {value: 4000 J/(kg K), kind: estimate, source: T1}\n"
                                                 "cold_plates:\n"
                                                 "  - id: test-plate\n"
                                                 "    name: Test plate\n"
                                                 "    resistance: {value: 0.04 K/W, kind: estimate, source: T1}\n"
                                                 "    reference_flow: {value: 0.12 m3/h, kind: estimate, source: T1}\n"
                                                 "    flow_exponent: 0.6\n");
  // Only the GPUs (for gpu_power.gpu) and the shipped cooling.yaml (plate, CDU) are needed.
  const Catalog c = Catalog::load({shipped_file("gpus.yaml"), shipped_file("cooling.yaml"), loops.path, coolant.path});
  const GpuPowerSpec* p = c.find_gpu_power("mi300x");
  REQUIRE(p != nullptr);
  CHECK(p->r_junction_case == near(0.025));              // 25 mK/W
  CHECK(p->c_junction == near(200.0));                   // 0.2 kJ/K
  CHECK(p->r_hbm_case == near(0.1));                     // 0.1 C/W = 0.1 K/W
  CHECK(p->hbm_limit.value() == Approx(95.0));           // 368.15 K - 273.15 = 95 C
  CHECK(p->dvfs.transition_latency.value() == near(2e-3));
  const CoolingLoopSpec* l = c.find_cooling_loop("test-loop");
  REQUIRE(l != nullptr);
  CHECK(l->flow == near(2e-3));                          // 2 L/s = 2e-3 m^3/s
  CHECK(l->series == 2);
  const CoolantSpec* k = c.find_coolant("test-coolant");
  REQUIRE(k != nullptr);
  CHECK(k->density == near(1000.0));                     // 1 g/cm^3 = 1000 kg/m^3
  const ColdPlateSpec* cp = c.find_cold_plate("test-plate");
  REQUIRE(cp != nullptr);
  CHECK(cp->flow_ref == near(0.12 / 3600.0));            // 0.12 m^3/h = 3.333e-5 m^3/s
  CHECK(cp->exponent == near(0.6));
  const RackPowerSpec* r = c.find_rack("test-rack");
  REQUIRE(r != nullptr);
  CHECK(r->cpu_power.value() == near(400.0));            // 0.4 kW
  CHECK(r->nic_power.value() == 0.0);                    // no NICs: nic_power may be left out
  CHECK(r->liquid_fraction == 0.0);
}

TEST_CASE("catalog power: a gpu_power entry for an unknown GPU is rejected, listing the GPUs", "[catalog][loader]") {
  const TempCatalog f("power-unknown-gpu", std::string(kHeader) + "gpu_power:\n" + gpu_power_entry("mi999x"));
  const InputError e = input_error_of([&] { (void)Catalog::load(shipped_plus(f.path)); });
  CHECK(e.where().file == f.path);
  CHECK(e.where().line == f.line_of("gpu: mi999x"));
  CHECK(e.where().key == "gpu_power[0].gpu");
  CHECK_THAT(e.what(), Contains("unknown GPU 'mi999x' in gpu_power entry; catalog GPUs: a100, b200, h100"));
}

TEST_CASE("catalog power: compute plus memory activity above 1 is rejected", "[catalog][loader]") {
  const TempCatalog f("power-activity", std::string(kHeader) + "gpu_power:\n" + gpu_power_entry("mi300x", "0.9", "0.2"));
  const InputError e = input_error_of([&] { (void)Catalog::load({shipped_file("gpus.yaml"), f.path}); });
  CHECK(e.where().file == f.path);
  CHECK(e.where().line == f.line_of("memory_activity:"));
  CHECK(e.where().key == "gpu_power[0].memory_activity.value");
  CHECK_THAT(e.what(), Contains("compute_activity + memory_activity = 0.9 + 0.2 = 1.1 exceeds 1"));
}

TEST_CASE("catalog power: a rack naming an unknown cooling loop is rejected, listing the loops", "[catalog][loader]") {
  const TempCatalog f("power-unknown-loop", std::string(kHeader) + "racks:\n" + rack_entry("test-rack", "no-such-loop"));
  const InputError e = input_error_of([&] { (void)Catalog::load(shipped_plus(f.path)); });
  CHECK(e.where().file == f.path);
  CHECK(e.where().line == f.line_of("cooling: no-such-loop"));
  CHECK(e.where().key == "racks[0].cooling");
  CHECK_THAT(e.what(), Contains("unknown cooling loop 'no-such-loop' in rack entry; catalog cooling loops: "
                                "dgx-a100-air, helios-loop, hgx-air, mi300x-air, mi355x-liquid, nvl72-loop"));
}

TEST_CASE("catalog power: a cooling loop naming an unknown coolant is rejected", "[catalog][loader]") {
  const TempCatalog f("power-unknown-coolant", std::string(kHeader) +
                                                   "cooling_loops:\n"
                                                   "  - id: test-loop\n"
                                                   "    name: Test loop\n"
                                                   "    coolant: glycol\n"
                                                   "    cold_plate: cp-liquid-1000w\n"
                                                   "    cdu: room-air-12kw\n"
                                                   "    inlet: {value: 35 C, kind: estimate, source: T1, note: x}\n"
                                                   "    flow: {value: 10 L/min, kind: estimate, source: T1, note: x}\n"
                                                   "    series: 1\n");
  const InputError e = input_error_of([&] { (void)Catalog::load(shipped_plus(f.path)); });
  CHECK(e.where().line == f.line_of("coolant: glycol"));
  CHECK(e.where().key == "cooling_loops[0].coolant");
  CHECK_THAT(e.what(), Contains("unknown coolant 'glycol' in cooling loop entry; catalog coolants: air, pg25, water"));
}

TEST_CASE("catalog power: plates in series must divide the rack's GPUs", "[catalog][loader]") {
  // The shipped air loops put 2 plates in series; a 7-GPU rack cannot use them.
  std::string rack = rack_entry("test-rack", "hgx-air");
  rack.replace(rack.find("gpus: 8"), 7, "gpus: 7");
  const TempCatalog f("power-series", std::string(kHeader) + "racks:\n" + rack);
  const InputError e = input_error_of([&] { (void)Catalog::load(shipped_plus(f.path)); });
  CHECK(e.where().key == "racks[0].cooling");
  CHECK_THAT(e.what(), Contains("cooling loop 'hgx-air' puts 2 GPU plates in series per branch, which does not divide "
                                "the rack's 7 GPUs"));
}

TEST_CASE("catalog power: a missing required key is rejected, naming the entry", "[catalog][loader]") {
  SECTION("pumps_fans") {
    const TempCatalog f("power-missing-pumps",
                        std::string(kHeader) + "racks:\n" + rack_entry("test-rack", "hgx-air", /*with_pumps=*/false));
    const InputError e = input_error_of([&] { (void)Catalog::load(shipped_plus(f.path)); });
    CHECK(e.where().file == f.path);
    CHECK(e.where().line == f.line_of("- id: test-rack"));  // a list item map starts at its first key
    CHECK(e.where().key == "racks[0]");
    CHECK_THAT(e.what(), Contains("rack entry is missing required key 'pumps_fans'"));
  }
  SECTION("cpu_power, required because the rack has CPUs") {
    std::string rack = rack_entry("test-rack", "hgx-air");
    const auto at = rack.find("    cpu_power:");
    rack.erase(at, rack.find('\n', at) + 1 - at);
    const TempCatalog f("power-missing-cpu-power", std::string(kHeader) + "racks:\n" + rack);
    const InputError e = input_error_of([&] { (void)Catalog::load(shipped_plus(f.path)); });
    CHECK(e.where().key == "racks[0]");
    CHECK_THAT(e.what(), Contains("rack entry is missing required key 'cpu_power'"));
  }
  SECTION("hbm_limit of a gpu_power entry") {
    std::string entry = gpu_power_entry("mi300x");
    entry.erase(entry.find("    hbm_limit:"));
    const TempCatalog f("power-missing-hbm-limit", std::string(kHeader) + "gpu_power:\n" + entry);
    const InputError e = input_error_of([&] { (void)Catalog::load({shipped_file("gpus.yaml"), f.path}); });
    CHECK(e.where().key == "gpu_power[0]");
    CHECK_THAT(e.what(), Contains("gpu_power entry is missing required key 'hbm_limit'"));
  }
}

TEST_CASE("catalog power: an id defined twice is rejected and both places are named", "[catalog][loader]") {
  SECTION("a cooling loop id of the shipped cooling.yaml") {
    const TempCatalog f("power-duplicate-loop", std::string(kHeader) +
                                                    "cooling_loops:\n"
                                                    "  - id: helios-loop\n"
                                                    "    name: Another loop\n"
                                                    "    coolant: water\n"
                                                    "    cold_plate: cp-liquid-1000w\n"
                                                    "    cdu: room-air-12kw\n"
                                                    "    inlet: {value: 35 C, kind: estimate, source: T1, note: x}\n"
                                                    "    flow: {value: 10 L/min, kind: estimate, source: T1, note: x}\n"
                                                    "    series: 1\n");
    const InputError e = input_error_of([&] { (void)Catalog::load(shipped_plus(f.path)); });
    CHECK(e.where().file == f.path);
    CHECK(e.where().line == f.line_of("id: helios-loop"));
    CHECK(e.where().key == "cooling_loops[0].id");
    const std::string cooling = shipped_file("cooling.yaml");
    const int first = file_line_of(cooling, "- id: helios-loop");
    REQUIRE(first > 0);
    CHECK_THAT(e.what(), Contains(fmt::format("cooling_loop id 'helios-loop' is already defined at {}:{}; choose another id",
                                              cooling, first)));
  }
  SECTION("a second gpu_power entry for the same GPU") {
    const TempCatalog f("power-duplicate-gpu", std::string(kHeader) + "gpu_power:\n" + gpu_power_entry("mi300x"));
    const InputError e = input_error_of([&] { (void)Catalog::load(shipped_plus(f.path)); });
    CHECK(e.where().file == f.path);
    CHECK(e.where().key == "gpu_power[0].gpu");
    const std::string power = shipped_file("power.yaml");
    const int first = file_line_of(power, "- gpu: mi300x");
    REQUIRE(first > 0);
    CHECK_THAT(e.what(), Contains(fmt::format("GPU 'mi300x' already has a gpu_power entry at {}:{}", power, first)));
  }
}

TEST_CASE("catalog power: out-of-range values are rejected with their key", "[catalog][loader]") {
  struct Case {
    std::string from, to, key, message;
  };
  const std::vector<Case> cases = {
      {"value: 100 W, kind", "value: 0 W, kind", "gpu_power[0].idle_power.value", "idle_power must be greater than zero"},
      {"value: 1.6, kind", "value: 5, kind", "gpu_power[0].clock_exponent.value", "clock_exponent must be from 1 to 4"},
      {"value: 500 MHz", "value: 1600 MHz", "gpu_power[0].min_clock.value", "must not exceed reference_clock"},
      {"value: 95 C", "value: 160 C", "gpu_power[0].junction_limit.value", "junction_limit must be from 40 C to 150 C"},
      {"value: 25 mK/W", "value: 25 mK", "gpu_power[0].r_junction_case.value", "thermal resistance"},
  };
  for (const auto& k : cases) {
    INFO(k.to);
    std::string entry = gpu_power_entry("mi300x");
    entry.replace(entry.find(k.from), k.from.size(), k.to);
    const TempCatalog f("power-range", std::string(kHeader) + "gpu_power:\n" + entry);
    const InputError e = input_error_of([&] { (void)Catalog::load({shipped_file("gpus.yaml"), f.path}); });
    CHECK(e.where().key == k.key);
    CHECK_THAT(e.what(), Contains(k.message));
  }
}

TEST_CASE("catalog power: an unknown key in a cold plate entry is rejected", "[catalog][loader]") {
  const TempCatalog f("power-unknown-key", std::string(kHeader) +
                                               "cold_plates:\n"
                                               "  - id: test-plate\n"
                                               "    name: Test plate\n"
                                               "    resistance: {value: 0.04 K/W, kind: estimate, source: T1}\n"
                                               "    reference_flow: {value: 2 L/min, kind: estimate, source: T1}\n"
                                               "    pressure_drop: {value: 20 kPa, kind: estimate, source: T1}\n");
  const InputError e = input_error_of([&] { (void)Catalog::load({f.path}); });
  CHECK(e.where().line == f.line_of("pressure_drop:"));
  CHECK(e.where().key == "cold_plates[0].pressure_drop");
  CHECK_THAT(e.what(), Contains("unknown key 'pressure_drop' in cold plate entry; valid keys: id, name, resistance, "
                                "reference_flow, flow_exponent"));
}
