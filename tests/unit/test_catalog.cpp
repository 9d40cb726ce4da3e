// Unit tests for models/catalog: the shipped hardware catalog against the reference facts, and
// the loader's checks on small hand-written catalogs in tests/data/unit/catalog_*.yaml.
//
// Reference values are quoted from /work/shared/reference/hardware.md with the line they are on;
// vendors' decimal units apply (1 GB = 1e9 B, 1 TB/s = 1e12 B/s, 1 TFLOP/s = 1e12 FLOP/s).
#include "core/error.hpp"
#include "core/units.hpp"
#include "models/catalog.hpp"

#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;

namespace {

using test::input_error_of;

using test::gpu;
using test::near;
using test::shipped;
using test::unit_data;

double peak_tflops(const GpuSpec& g, Precision p) {
  const auto r = g.peak(p);
  if (!r) throw std::runtime_error("no " + to_string(p) + " rate for " + g.id);
  return r->value() / 1e12;
}

bool is_valid_kind(const std::string& k) {
  static const std::set<std::string> kinds = {"spec", "spec_secondary", "measured", "estimate", "derived"};
  return kinds.count(k) == 1;
}

// 1-based number of the first line of `path` that contains `needle` (0 if none).
int line_of(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n)
    if (line.find(needle) != std::string::npos) return n;
  return 0;
}

}  // namespace

// ---- the shipped catalog ----------------------------------------------------------------------

TEST_CASE("catalog: the shipped catalog loads", "[catalog]") {
  REQUIRE_NOTHROW(shipped());
  const std::vector<std::string> files = shipped_catalog_files(RACKSIM_SOURCE_DIR);
  CHECK(files.size() == 6);  // gpus, nics, switches, links, power, cooling
  CHECK(shipped().files() == files);
  for (const char* id : {"mi455x", "mi355x", "mi300x", "h100"}) {
    INFO("GPU " << id);
    CHECK(shipped().find_gpu(id) != nullptr);
  }
}

TEST_CASE("catalog: MI300X matches the reference", "[catalog][gpu]") {
  const GpuSpec& g = gpu("mi300x");
  CHECK(g.vendor == "AMD");
  CHECK(peak_tflops(g, Precision::bf16) == near(1307.4));      // hardware.md:29 FP16 / BF16 matrix 1307.4
  CHECK(peak_tflops(g, Precision::fp8) == near(2614.9));       // hardware.md:30 FP8 matrix 2614.9
  CHECK(g.hbm_capacity.value() == near(192e9));                // hardware.md:34 HBM3, 192 GB
  CHECK(g.hbm_bandwidth.value() == near(5.3e12));              // hardware.md:35 5.3 TB/s
  CHECK(g.board_power.value() == near(750.0));                 // hardware.md:40 TBP 750 W
  REQUIRE(g.compute_units.has_value());
  CHECK(*g.compute_units == 304);                              // hardware.md:24 304 CUs
  CHECK(g.clock_max.value() == near(2100e6));                  // hardware.md:25 2100 MHz
  CHECK_FALSE(g.peak(Precision::fp4).has_value());             // hardware.md:32 FP6 / FP4 not supported
}

TEST_CASE("catalog: H100 matches the reference", "[catalog][gpu]") {
  const GpuSpec& g = gpu("h100");
  CHECK(g.vendor == "NVIDIA");
  CHECK(peak_tflops(g, Precision::bf16) == near(989.4));       // hardware.md:86 FP16 / BF16 tensor 989.4
  CHECK(peak_tflops(g, Precision::tf32) == near(494.7));       // hardware.md:85 TF32 tensor 494.7
  CHECK(g.hbm_capacity.value() == near(80e9));                 // hardware.md:90 HBM3, 80 GB
  CHECK(g.hbm_bandwidth.value() == near(3.35e12));             // hardware.md:91 3.35 TB/s
  CHECK(g.board_power.value() == near(700.0));                 // hardware.md:95 TDP up to 700 W
  REQUIRE(g.scale_up_bandwidth.has_value());
  CHECK(g.scale_up_bandwidth->value() == near(450e9));         // hardware.md:93 NVLink 4, 450 GB/s uni
  CHECK_FALSE(g.peak(Precision::fp6).has_value());             // hardware.md:89 FP6 / FP4 not supported
}

TEST_CASE("catalog: MI355X matches the reference", "[catalog][gpu]") {
  const GpuSpec& g = gpu("mi355x");
  CHECK(peak_tflops(g, Precision::bf16) == near(2500.0));      // hardware.md:54 FP16 / BF16 2500 dense
  CHECK(g.hbm_capacity.value() == near(288e9));                // hardware.md:58 HBM3E, 288 GB
  CHECK(g.hbm_bandwidth.value() == near(8.0e12));              // hardware.md:59 8.0 TB/s
  CHECK(g.board_power.value() == near(1400.0));                // hardware.md:64 TBP 1400 W liquid-cooled
  CHECK_FALSE(g.peak(Precision::tf32).has_value());            // hardware.md:53 TF32 not published (GAP)
}

TEST_CASE("catalog: MI455X matches the reference", "[catalog][gpu]") {
  const GpuSpec& g = gpu("mi455x");
  CHECK(peak_tflops(g, Precision::bf16) == near(5000.0));      // hardware.md:70 FP16 / BF16 5000 dense
  CHECK(g.hbm_capacity.value() == near(432e9));                // hardware.md:74 HBM4, 432 GB
  CHECK(g.hbm_bandwidth.value() == near(19.6e12));             // hardware.md:75 19.6 TB/s (2025 announcements)
  CHECK(g.clock_max.value() == near(2400e6));                  // hardware.md:67 2400 MHz
  CHECK_FALSE(g.peak(Precision::fp64).has_value());            // hardware.md:68 FP64 not disclosed
}

TEST_CASE("catalog: MI455X board power is an estimate", "[catalog][provenance]") {
  // hardware.md:79 "MI455X | TBP | not published; pre-announcement analyst figure ... | GAP / estimate"
  const GpuSpec& g = gpu("mi455x");
  REQUIRE(g.provenance.count("board_power") == 1);
  CHECK(g.provenance.at("board_power").kind == "estimate");
  CHECK_FALSE(g.provenance.at("board_power").note.empty());  // an estimate says why
}

TEST_CASE("catalog: provenance records kind and source per field", "[catalog][provenance]") {
  const GpuSpec& g = gpu("mi300x");
  // gpus.yaml: bf16: {value: 1307.4 TFLOP/s, kind: spec, source: "S1"}; hardware.md:29 cites S1.
  REQUIRE(g.provenance.count("peak_dense.bf16") == 1);
  CHECK(g.provenance.at("peak_dense.bf16").kind == "spec");
  CHECK(g.provenance.at("peak_dense.bf16").source == "S1");
  // hardware.md:40 lists the MI300X TBP as "spec (secondary)".
  CHECK(g.provenance.at("board_power").kind == "spec_secondary");
}

TEST_CASE("catalog: every provenance kind is one of the five kinds", "[catalog][provenance]") {
  const Catalog& c = shipped();
  auto check_all = [](const std::string& part, const std::map<std::string, Provenance>& prov) {
    CHECK_FALSE(prov.empty());
    for (const auto& [field, p] : prov) {
      INFO(part << " field " << field << " kind '" << p.kind << "'");
      CHECK(is_valid_kind(p.kind));
      CHECK_FALSE(p.source.empty());
    }
  };
  for (const auto& id : c.gpu_ids()) check_all("gpu " + id, c.find_gpu(id)->provenance);
  for (const auto& id : c.nic_ids()) check_all("nic " + id, c.find_nic(id)->provenance);
  for (const auto& id : c.switch_ids()) check_all("switch " + id, c.find_switch(id)->provenance);
  for (const auto& id : c.link_ids()) check_all("link " + id, c.find_link(id)->provenance);
}

TEST_CASE("catalog: Pensando Vulcano NIC has an 800 Gb/s line rate", "[catalog][network]") {
  const NicSpec* n = shipped().find_nic("pensando_vulcano_800");
  REQUIRE(n != nullptr);
  // hardware.md:182 "Pensando Vulcano | 800 Gb/s AI NIC": 800e9 bit/s / 8 bit per byte = 100e9 B/s
  CHECK(n->line_rate.value() == near(100e9));
  CHECK(n->vendor == "AMD");
}

TEST_CASE("catalog: Tomahawk 6 has 128 ports at 800 Gb/s", "[catalog][network]") {
  const SwitchSpec* s = shipped().find_switch("tomahawk6");
  REQUIRE(s != nullptr);
  // hardware.md:195 "64x1.6T / 128x800G / 512x200G", 102.4 Tb/s
  const auto ports = s->ports_at(parse_rate("800 Gb/s"));
  REQUIRE(ports.has_value());
  CHECK(*ports == 128);
  CHECK(s->ports_at(parse_rate("200 Gb/s")) == std::optional<int>(512));
  CHECK_FALSE(s->ports_at(parse_rate("400 Gb/s")).has_value());  // not one of its breakouts
  REQUIRE(s->capacity.has_value());
  CHECK(s->capacity->value() == near(12.8e12));  // 102.4e12 bit/s / 8 = 12.8e12 B/s
  // Each breakout uses the whole chip: 128 ports x 100e9 B/s = 12.8e12 B/s
  CHECK(128 * parse_rate("800 Gb/s").value() == near(s->capacity->value()));
}

TEST_CASE("catalog: Tomahawk 6 best port config for a wide link", "[catalog][network]") {
  const SwitchSpec* s = shipped().find_switch("tomahawk6");
  REQUIRE(s != nullptr);
  // Speeds offered: 1.6 Tb/s (200e9 B/s), 800 Gb/s (100e9 B/s), 200 Gb/s (25e9 B/s).
  // The fastest no faster than 150e9 B/s is 800 Gb/s, 128 ports.
  const auto best = s->best_config_for(BytesPerSecond(150e9));
  REQUIRE(best.has_value());
  CHECK(best->ports == 128);
  CHECK(best->speed.value() == near(100e9));
  CHECK_FALSE(s->best_config_for(BytesPerSecond(10e9)).has_value());  // slower than every port
}

TEST_CASE("catalog: the xGMI link keeps its measured usable fraction", "[catalog][network]") {
  const LinkSpec* l = shipped().find_link("xgmi_mi300x");
  REQUIRE(l != nullptr);
  CHECK(l->bandwidth.value() == near(64e9));  // hardware.md:221 64 GB/s uni per link
  REQUIRE(l->usable_fraction.has_value());
  CHECK(*l->usable_fraction == near(0.75));   // hardware.md:223 ~48 GB/s per link (~75%)
  CHECK(l->provenance.at("usable_fraction").kind == "measured");
}

TEST_CASE("catalog: find of an unknown id returns nullptr", "[catalog]") {
  CHECK(shipped().find_gpu("no_such_gpu") == nullptr);
  CHECK(shipped().find_nic("no_such_nic") == nullptr);
  CHECK(shipped().find_switch("no_such_switch") == nullptr);
  CHECK(shipped().find_link("no_such_link") == nullptr);
  CHECK(shipped().find_gpu("MI300X") == nullptr);  // ids are case-sensitive
}

// ---- loader checks on small catalogs ----------------------------------------------------------

TEST_CASE("catalog: an extra file adds parts to the shipped ones", "[catalog][loader]") {
  std::vector<std::string> files = shipped_catalog_files(RACKSIM_SOURCE_DIR);
  files.push_back(unit_data("catalog_extra_valid.yaml"));
  const Catalog c = Catalog::load(files);
  REQUIRE(c.find_gpu("test_gpu") != nullptr);
  REQUIRE(c.find_gpu("mi300x") != nullptr);
  const GpuSpec& t = *c.find_gpu("test_gpu");
  CHECK(peak_tflops(t, Precision::bf16) == near(100.0));   // 100 TFLOP/s in the file
  CHECK(t.hbm_bandwidth.value() == near(2e12));            // 2 TB/s
  CHECK(t.launch_overhead.value() == near(4e-6));          // 4 us
  CHECK_FALSE(t.compute_units.has_value());                // optional fields left out stay empty
  CHECK(t.provenance.at("peak_dense.fp8").kind == "derived");
  CHECK(t.provenance.at("peak_dense.fp8").note == "2 x bf16");
  CHECK(c.files().size() == 7);
}

TEST_CASE("catalog: an undefined source id is rejected", "[catalog][loader]") {
  const std::string path = unit_data("catalog_undefined_source.yaml");
  const InputError e = input_error_of([&] { (void)Catalog::load({path}); });
  CHECK(e.where().file == path);
  CHECK(e.where().line == 16);  // hbm_bandwidth: {... source: "T1, T9"} is line 16 of the file
  CHECK(e.where().key == "gpus[0].hbm_bandwidth.source");
  CHECK_THAT(e.what(), Contains("source id 'T9' is not defined in this file's 'sources:' table"));
}

TEST_CASE("catalog: an unknown key in a GPU entry is rejected", "[catalog][loader]") {
  const std::string path = unit_data("catalog_unknown_key.yaml");
  const InputError e = input_error_of([&] { (void)Catalog::load({path}); });
  CHECK(e.where().line == 10);    // "    colour: red" is line 10
  CHECK(e.where().column == 13);  // "    colour: " is 12 characters, so 'red' is at column 13
  CHECK(e.where().key == "gpus[0].colour");
  CHECK_THAT(e.what(), Contains("unknown key 'colour' in GPU entry; valid keys: id, name, vendor, peak_dense"));
}

TEST_CASE("catalog: a sourced value without its value is rejected", "[catalog][loader]") {
  const std::string path = unit_data("catalog_missing_value.yaml");
  const InputError e = input_error_of([&] { (void)Catalog::load({path}); });
  CHECK(e.where().line == 15);  // hbm_capacity: {kind: spec, source: "T1"} is line 15
  CHECK(e.where().key == "gpus[0].hbm_capacity");
  CHECK_THAT(e.what(), Contains("sourced value 'hbm_capacity'"));
  CHECK_THAT(e.what(), Contains("is missing required key 'value'"));
}

TEST_CASE("catalog: a value with a unit of the wrong kind is rejected", "[catalog][loader]") {
  const std::string path = unit_data("catalog_bad_unit.yaml");
  const InputError e = input_error_of([&] { (void)Catalog::load({path}); });
  CHECK(e.where().line == 15);  // hbm_capacity: {value: 64 GW, ...} is line 15
  CHECK(e.where().key == "gpus[0].hbm_capacity.value");
  CHECK_THAT(e.what(), Contains("unknown unit 'GW' for a data size"));
}

TEST_CASE("catalog: a provenance kind outside the five is rejected", "[catalog][loader]") {
  const std::string path = unit_data("catalog_bad_kind.yaml");
  const InputError e = input_error_of([&] { (void)Catalog::load({path}); });
  CHECK(e.where().line == 13);  // clock_max: {value: 2 GHz, kind: guess, ...} is line 13
  CHECK(e.where().key == "gpus[0].clock_max.kind");
  CHECK_THAT(e.what(), Contains("unknown value 'guess'; expected one of: spec, spec_secondary, measured, estimate, derived"));
}

TEST_CASE("catalog: a GPU id defined twice is rejected and both places are named", "[catalog][loader]") {
  std::vector<std::string> files = shipped_catalog_files(RACKSIM_SOURCE_DIR);
  const std::string shipped_gpus = files.front();
  const std::string path = unit_data("catalog_duplicate_id.yaml");
  files.push_back(path);
  const InputError e = input_error_of([&] { (void)Catalog::load(files); });
  CHECK(e.where().file == path);
  CHECK(e.where().line == 7);  // "  - id: mi300x" is line 7 of the test file
  // The first definition is the line of the shipped gpus.yaml that reads "- id: mi300x".
  const int first = line_of(shipped_gpus, "- id: mi300x");
  REQUIRE(first > 0);
  CHECK_THAT(e.what(), Contains("gpu id 'mi300x' is already defined at " + shipped_gpus + ":" + std::to_string(first) +
                                "; choose another id"));
}

TEST_CASE("catalog: a missing catalog file is an InputError", "[catalog][loader]") {
  const std::string path = unit_data("no_such_catalog.yaml");
  CHECK_THROWS_AS(Catalog::load({path}), InputError);
}
