// Unit tests for models/catalog: the shipped hardware catalog against the reference facts, and
// the loader's checks on small hand-written catalogs in tests/data/unit/catalog_*.yaml and on
// catalogs written to temporary files; also the scenario keys that use the catalog's systems and
// libraries (cluster.system, cluster.scale_out's fabric keys, collectives, faults).
//
// Reference values are quoted from /work/shared/reference/hardware.md with the line they are on;
// vendors' decimal units apply (1 GB = 1e9 B, 1 TB/s = 1e12 B/s, 1 TFLOP/s = 1e12 FLOP/s).
#include "core/error.hpp"
#include "core/units.hpp"
#include "models/catalog.hpp"
#include "sim/scenario/scenario.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
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
  CHECK(files.size() == 8);  // gpus, nics, switches, links, collectives, systems, power, cooling
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
  CHECK(c.files().size() == 9);
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

// ---- systems, collective libraries and the new parts -----------------------------------------

namespace {

using test::TempFile;

std::vector<std::string> shipped_plus(const std::string& extra) {
  std::vector<std::string> files = shipped_catalog_files(RACKSIM_SOURCE_DIR);
  files.push_back(extra);
  return files;
}

// A switched system entry of a test catalog that refers to shipped parts.
std::string system_file(const std::string& entry_body) {
  return "schema_version: 1\n"
         "sources:\n"
         "  T1: test\n"
         "systems:\n"
         "  - id: test-node\n"
         "    name: test node\n"
         "    vendor: test\n" +
         entry_body;
}

const std::string kGoodSwitched =
    "    gpu: h100\n"
    "    gpus: {value: 8, kind: spec, source: T1}\n"
    "    scale_up_kind: switched\n"
    "    link: nvlink4\n"
    "    links_per_gpu: {value: 18, kind: spec, source: T1}\n"
    "    scale_up_switch: nvswitch3\n"
    "    switch_chips: {value: 4, kind: spec, source: T1}\n"
    "    nic: connectx7_400\n"
    "    nics_per_gpu: {value: 1, kind: spec, source: T1}\n"
    "    rack: hgx-h100\n"
    "    library: nccl\n";

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  if (at == std::string::npos) throw std::runtime_error("test text lacks '" + from + "'");
  return s.replace(at, from.size(), to);
}

const SystemSpec& sys_spec(const std::string& id) {
  const SystemSpec* y = shipped().find_system(id);
  if (y == nullptr) throw std::runtime_error("system '" + id + "' is not in the shipped catalog");
  return *y;
}

const LibraryProtocol& protocol(const std::string& lib, const std::string& name) {
  const CollectiveLibrarySpec* l = shipped().find_library(lib);
  if (l == nullptr) throw std::runtime_error("library '" + lib + "' is not in the shipped catalog");
  for (const auto& p : l->protocols)
    if (p.name == name) return p;
  throw std::runtime_error("library '" + lib + "' has no protocol '" + name + "'");
}

}  // namespace

TEST_CASE("catalog: the shipped systems name parts of the catalog and their own rack entry", "[catalog][system]") {
  const Catalog& c = shipped();
  CHECK(c.system_ids() == std::vector<std::string>{"dgx-a100", "helios", "hgx-h100", "hgx-h200", "mi300x-platform",
                                                   "mi355x-platform", "nvl72"});
  CHECK(c.library_ids() == std::vector<std::string>{"nccl", "rccl"});
  for (const auto& id : c.system_ids()) {
    INFO("system " << id);
    const SystemSpec& y = sys_spec(id);
    CHECK(y.rack == y.id);  // each system's power entry has its id
    REQUIRE(c.find_rack(y.rack) != nullptr);
    CHECK(c.find_rack(y.rack)->gpus == y.gpus);
    CHECK(c.find_gpu(y.gpu) != nullptr);
    CHECK(c.find_link(y.link) != nullptr);
    CHECK(c.find_nic(y.nic) != nullptr);
    CHECK(c.find_library(y.library) != nullptr);
    for (const auto& [field, p] : y.provenance) {
      INFO("field " << field);
      CHECK(is_valid_kind(p.kind));
    }
    if (y.scale_up_kind == "switched") {
      const SwitchSpec* sw = c.find_switch(y.scale_up_switch);
      REQUIRE(sw != nullptr);
      // Every link of every GPU needs a switch port at the link rate.
      const auto ports = sw->ports_at(c.find_link(y.link)->bandwidth);
      REQUIRE(ports.has_value());
      CHECK(y.gpus * y.links_per_gpu <= *ports * y.switch_chips);
    }
  }
  CHECK(sys_spec("helios").library == "rccl");
  CHECK(sys_spec("nvl72").library == "nccl");
  CHECK(sys_spec("helios").domain == "rack");
  CHECK(sys_spec("nvl72").domain == "rack");
  CHECK(sys_spec("hgx-h100").domain == "node");
}

TEST_CASE("catalog: HGX H100 is 8 GPUs x 18 NVLink 4 links into 4 NVSwitch chips", "[catalog][system]") {
  const SystemSpec& y = sys_spec("hgx-h100");
  CHECK(y.gpu == "h100");
  CHECK(y.gpus == 8);
  CHECK(y.scale_up_kind == "switched");
  CHECK(y.link == "nvlink4");
  CHECK(y.links_per_gpu == 18);
  CHECK(y.scale_up_switch == "nvswitch3");
  CHECK(y.switch_chips == 4);
  CHECK(y.nic == "connectx7_400");
  CHECK(y.nics_per_gpu == 1);
  // 18 links x 25e9 B/s = 450e9 B/s, the H100's NVLink 4 rate (hardware.md:93, 450 GB/s uni).
  CHECK(y.links_per_gpu * shipped().find_link("nvlink4")->bandwidth.value() == near(gpu("h100").scale_up_bandwidth->value()));
  CHECK(y.provenance.at("links_per_gpu").kind == "spec");
}

TEST_CASE("catalog: the systems' per-GPU scale-up bandwidth matches their GPUs", "[catalog][system]") {
  // links_per_gpu x link bandwidth = the GPU's scale_up_bandwidth:
  //   helios  72 x 25 GB/s = 1.8 TB/s (mi455x); dgx-a100 12 x 25 GB/s = 300 GB/s (a100);
  //   nvl72   18 x 50 GB/s = 900 GB/s (b200).
  for (const char* id : {"helios", "hgx-h100", "hgx-h200", "dgx-a100", "nvl72"}) {
    INFO("system " << id);
    const SystemSpec& y = sys_spec(id);
    const double per_gpu = y.links_per_gpu * shipped().find_link(y.link)->bandwidth.value();
    CHECK(per_gpu == near(gpu(y.gpu).scale_up_bandwidth->value()));
  }
  // Full mesh: MI300X 7 peers x 64 GB/s = 448 GB/s (hardware.md section 5).
  const SystemSpec& m = sys_spec("mi300x-platform");
  CHECK(m.scale_up_kind == "full_mesh");
  CHECK(m.links_per_pair == 1);
  CHECK((m.gpus - 1) * shipped().find_link(m.link)->bandwidth.value() == near(448e9));
}

TEST_CASE("catalog: new parts are read in SI units", "[catalog][network]") {
  const Catalog& c = shipped();
  // nvlink3 25 GB/s = 25e9 B/s; nvlink5 50 GB/s = 50e9 B/s; 100 ns = 1e-7 s.
  CHECK(c.find_link("nvlink3")->bandwidth.value() == near(25e9));
  CHECK(c.find_link("nvlink5")->bandwidth.value() == near(50e9));
  CHECK(c.find_link("nvlink5")->latency.value() == near(100e-9));
  // ConnectX-6 HDR: 200 Gb/s / 8 = 25e9 B/s; PCIe Gen4 x16 32 GB/s; 1 us per message.
  const NicSpec* cx6 = c.find_nic("connectx6_hdr_200");
  REQUIRE(cx6 != nullptr);
  CHECK(cx6->line_rate.value() == near(25e9));
  CHECK(cx6->host_interface_bandwidth.value() == near(32e9));
  REQUIRE(cx6->message_overhead.has_value());
  CHECK(cx6->message_overhead->value() == near(1e-6));
  CHECK(cx6->provenance.at("message_overhead").kind == "estimate");
  CHECK_FALSE(cx6->ultra_ethernet);
  CHECK(c.find_nic("pensando_pollara_400")->ultra_ethernet);  // UEC-ready (hardware.md:180)
  CHECK(c.find_nic("pensando_vulcano_800")->ultra_ethernet);  // UEC 1.0 (hardware.md:182)
  CHECK_FALSE(c.find_nic("connectx7_400")->ultra_ethernet);
  // Switch ports at the NVLink rates: 64 x 200 Gb/s (= 25e9 B/s), 36 x 200 Gb/s, 72 x 400 Gb/s (= 50e9 B/s).
  CHECK(c.find_switch("nvswitch3")->ports_at(BytesPerSecond(25e9)) == std::optional<int>(64));
  CHECK(c.find_switch("nvswitch2")->ports_at(BytesPerSecond(25e9)) == std::optional<int>(36));
  CHECK(c.find_switch("nvlink5_switch")->ports_at(BytesPerSecond(50e9)) == std::optional<int>(72));
  CHECK_FALSE(c.find_switch("nvswitch2")->reduction_bandwidth.has_value());  // no NVLink SHARP before gen 3
  CHECK_FALSE(c.find_switch("tomahawk6")->reduction_bandwidth.has_value());
}

TEST_CASE("catalog: NVSwitch gen 3 reduction bandwidth follows from the H200 NVLS measurement", "[catalog][network]") {
  const SwitchSpec* sw = shipped().find_switch("nvswitch3");
  REQUIRE(sw != nullptr);
  REQUIRE(sw->reduction_bandwidth.has_value());
  // hardware.md:129 H200 8-GPU NVLS all_reduce busbw 473.1 GB/s at 8 GiB. NVLS: each GPU sends S to
  // the switch and receives the reduced S, so algbw = R and busbw = algbw x 2(n-1)/n:
  // R = 473.1 x 8 / 14 = 270.34 GB/s; the catalog rounds to 270.3.
  const double r = 473.1e9 * 8.0 / 14.0;
  CHECK(sw->reduction_bandwidth->value() == Approx(r).epsilon(1e-3));
  CHECK(sw->provenance.at("reduction_bandwidth").kind == "derived");
  // Independent check: Azure ND H100 v5 (published-measurements.yaml, NVLS, 8 GiB) 478.87 GB/s
  // -> 478.87 x 8 / 14 = 273.64 GB/s, within 2% of the H200-derived rate.
  CHECK(478.87e9 * 8.0 / 14.0 == Approx(sw->reduction_bandwidth->value()).epsilon(0.02));
}

TEST_CASE("catalog: NCCL's and RCCL's cost constants in SI units", "[catalog][collective]") {
  // nccl_tuning: ring Simple base 8.4 us, NVLink hop 3.4 us, network hop 14 us.
  const LibraryProtocol& simple = protocol("nccl", "simple");
  CHECK(simple.bandwidth_fraction == 1.0);
  const LibraryLatency& ring = simple.latency.at("ring");
  CHECK(ring.base.value() == near(8.4e-6));
  CHECK(ring.hop_scale_up.value() == near(3.4e-6));
  CHECK(ring.hop_scale_out.value() == near(14.0e-6));
  CHECK(simple.latency.at("tree").hop_scale_up.value() == near(4.0e-6));
  CHECK(simple.latency.at("nvls").base.value() == near(25e-6));  // NVLink NVLS/Simple
  for (const char* a : {"ring", "tree", "direct", "halving_doubling", "hierarchical", "nvls"}) {
    INFO("algorithm " << a);
    CHECK(simple.latency.count(a) == 1);
  }
  // LL: 4 B of flag per 4 B of data; ring LL base 6.6 us, NVLink hop 0.6 us, network 2.7 us; no NVLS.
  const LibraryProtocol& ll = protocol("nccl", "ll");
  CHECK(ll.bandwidth_fraction == 0.5);
  CHECK(ll.latency.at("ring").base.value() == near(6.6e-6));
  CHECK(ll.latency.at("ring").hop_scale_up.value() == near(0.6e-6));
  CHECK(ll.latency.at("ring").hop_scale_out.value() == near(2.7e-6));
  CHECK(ll.latency.count("nvls") == 0);
  // RCCL: no in-switch reduction; ring Simple base 17 us, xGMI hop 2.1 us.
  const LibraryProtocol& rsimple = protocol("rccl", "simple");
  CHECK(rsimple.latency.count("nvls") == 0);
  CHECK(rsimple.latency.at("ring").base.value() == near(17e-6));
  CHECK(rsimple.latency.at("ring").hop_scale_up.value() == near(2.1e-6));
  // Mapped algorithms are estimates, with ring's numbers.
  const CollectiveLibrarySpec* nccl = shipped().find_library("nccl");
  CHECK(nccl->provenance.at("protocols.simple.latency.direct.base").kind == "estimate");
  CHECK(nccl->provenance.at("protocols.simple.latency.ring.base").kind == "spec");
  CHECK(simple.latency.at("direct").base.value() == ring.base.value());
  for (const auto& [field, p] : nccl->provenance) {
    INFO("nccl " << field);
    CHECK(is_valid_kind(p.kind));
  }
}

TEST_CASE("catalog: a test catalog's system is loaded and cross-checked", "[catalog][system][loader]") {
  const TempFile f("system-ok", system_file(kGoodSwitched));
  const Catalog c = Catalog::load(shipped_plus(f.path));
  const SystemSpec* y = c.find_system("test-node");
  REQUIRE(y != nullptr);
  CHECK(y->links_per_gpu == 18);
  CHECK(y->domain == "node");  // the default
  CHECK(y->trays == 1);
  CHECK(y->provenance.at("gpus").source == "T1");
}

TEST_CASE("catalog: a system naming an unknown part is rejected at its line", "[catalog][system][loader]") {
  struct Case {
    const char* from;
    const char* to;
    const char* key;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"gpu: h100", "gpu: h999", "gpu", "unknown GPU 'h999' in system 'test-node'; catalog GPUs: "},
      {"link: nvlink4", "link: nvlink9", "link", "unknown link 'nvlink9' in system 'test-node'; catalog links: "},
      {"scale_up_switch: nvswitch3", "scale_up_switch: nvswitch9", "scale_up_switch", "unknown switch 'nvswitch9'"},
      {"nic: connectx7_400", "nic: cx9", "nic", "unknown NIC 'cx9' in system 'test-node'"},
      {"rack: hgx-h100", "rack: no-rack", "rack", "unknown rack 'no-rack'"},
      {"library: nccl", "library: mpi", "library", "unknown library 'mpi' in system 'test-node'; catalog librarys: nccl, rccl"},
      {"rack: hgx-h100", "rack: helios", "rack", "rack entry 'helios' describes 72 GPUs but system 'test-node' has 8"},
      // 8 GPUs x 18 links = 144 ports; 2 chips x 64 = 128.
      {"switch_chips: {value: 4", "switch_chips: {value: 2", "switch_chips", "8 GPUs x 18 links need 144 switch ports, but 2 x 'nvswitch3' have 128"},
      // nvlink5_switch has only 400 Gb/s ports; nvlink4 runs at 200 Gb/s (25 GB/s).
      {"scale_up_switch: nvswitch3", "scale_up_switch: nvlink5_switch", "scale_up_switch", "switch 'nvlink5_switch' has no port configuration at link 'nvlink4''s rate"},
  };
  for (const auto& k : cases) {
    INFO(k.from << " -> " << k.to);
    const TempFile f("system-bad", system_file(replace(kGoodSwitched, k.from, k.to)));
    const InputError e = input_error_of([&] { (void)Catalog::load(shipped_plus(f.path)); });
    CHECK(e.where().file == f.path);
    CHECK(e.where().line == f.line_of(std::string(k.key) + ":"));
    CHECK(e.where().key == std::string("systems[0].") + k.key);
    CHECK_THAT(e.what(), Contains(k.message));
  }
}

TEST_CASE("catalog: a system's shape keys are checked", "[catalog][system][loader]") {
  {  // full_mesh keys on a switched system
    const TempFile f("system-pair", system_file(kGoodSwitched + "    links_per_pair: {value: 1, kind: spec, source: T1}\n"));
    const InputError e = input_error_of([&] { (void)Catalog::load(shipped_plus(f.path)); });
    CHECK(e.where().key == "systems[0].links_per_pair");
    CHECK_THAT(e.what(), Contains("'links_per_pair' applies to full_mesh systems; system 'test-node' is switched"));
  }
  {  // switched without links_per_gpu
    const TempFile f("system-lpg", system_file(replace(kGoodSwitched, "    links_per_gpu: {value: 18, kind: spec, source: T1}\n", "")));
    const InputError e = input_error_of([&] { (void)Catalog::load(shipped_plus(f.path)); });
    CHECK_THAT(e.what(), Contains("system entry is missing required key 'links_per_gpu' (switched systems need it)"));
  }
  {  // a count without provenance
    const TempFile f("system-bare", system_file(replace(kGoodSwitched, "gpus: {value: 8, kind: spec, source: T1}", "gpus: 8")));
    const InputError e = input_error_of([&] { (void)Catalog::load(shipped_plus(f.path)); });
    CHECK(e.where().key == "systems[0].gpus");
    CHECK_THAT(e.what(), Contains("sourced value 'gpus'"));
  }
  {  // an unknown scale-up kind lists the valid ones
    const TempFile f("system-kind", system_file(replace(kGoodSwitched, "scale_up_kind: switched", "scale_up_kind: torus")));
    const InputError e = input_error_of([&] { (void)Catalog::load(shipped_plus(f.path)); });
    CHECK(e.where().line == f.line_of("scale_up_kind:"));
    CHECK_THAT(e.what(), Contains("unknown value 'torus'; expected one of: switched, full_mesh"));
  }
  {  // a system id defined twice
    const TempFile f("system-dup", replace(system_file(kGoodSwitched), "id: test-node", "id: hgx-h100"));
    const InputError e = input_error_of([&] { (void)Catalog::load(shipped_plus(f.path)); });
    CHECK_THAT(e.what(), Contains("system id 'hgx-h100' is already defined at "));
  }
}

TEST_CASE("catalog: a library entry is checked", "[catalog][collective][loader]") {
  const std::string head =
      "schema_version: 1\n"
      "sources:\n"
      "  T1: test\n"
      "libraries:\n"
      "  - id: testlib\n"
      "    name: test library\n"
      "    protocols:\n"
      "      - name: simple\n";
  const std::string frac = "        bandwidth_fraction: {value: 1.0, kind: spec, source: T1}\n";
  const std::string lat = "        latency:\n"
                          "          ring:\n"
                          "            base: {value: 5 us, kind: spec, source: T1}\n"
                          "            hop_scale_up: {value: 1 us, kind: spec, source: T1}\n"
                          "            hop_scale_out: {value: 10 us, kind: spec, source: T1}\n";
  {
    const TempFile f("lib-ok", head + frac + lat);
    const Catalog c = Catalog::load({f.path});
    const CollectiveLibrarySpec* l = c.find_library("testlib");
    REQUIRE(l != nullptr);
    REQUIRE(l->protocols.size() == 1);
    CHECK(l->protocols[0].latency.at("ring").base.value() == near(5e-6));  // 5 us
    CHECK(l->provenance.at("protocols.simple.latency.ring.hop_scale_out").kind == "spec");
  }
  {
    const TempFile f("lib-algo", head + frac + replace(lat, "ring:", "rings:"));
    const InputError e = input_error_of([&] { (void)Catalog::load({f.path}); });
    // The value of 'rings:' is a block map, which yaml-cpp places at its first key, a line below.
    CHECK(e.where().line == f.line_of("rings:") + 1);
    CHECK(e.where().key == "libraries[0].protocols[0].latency.rings");
    CHECK_THAT(e.what(), Contains("unknown algorithm 'rings'; valid: ring, direct, tree, halving_doubling, hierarchical, nvls"));
  }
  {
    const TempFile f("lib-frac", head + replace(frac, "1.0", "1.5") + lat);
    const InputError e = input_error_of([&] { (void)Catalog::load({f.path}); });
    CHECK(e.where().key == "libraries[0].protocols[0].bandwidth_fraction.value");
  }
  {
    const TempFile f("lib-unit", head + frac + replace(lat, "5 us", "5"));
    const InputError e = input_error_of([&] { (void)Catalog::load({f.path}); });
    CHECK(e.where().key == "libraries[0].protocols[0].latency.ring.base.value");
    CHECK_THAT(e.what(), Contains("a bare number has no unit"));
  }
}

// ---- scenarios on catalog systems -------------------------------------------------------------

namespace {

const std::string kTrace = std::string(RACKSIM_SOURCE_DIR) + "/tests/bad_inputs/valid_trace.yaml";

std::string scenario(const std::string& cluster, const std::string& extra = "") {
  return "schema_version: 1\n"
         "name: t\n"
         "cluster:\n" +
         cluster + "workload: {kind: trace, file: " + kTrace + "}\n" + extra;
}

Scenario load(const TempFile& f, const std::vector<std::string>& sets = {}) {
  return load_scenario(f.path, sets, RACKSIM_SOURCE_DIR);
}

const std::string kHgxTwoNodes = "  domains: 2\n"
                                 "  system: hgx-h100\n"
                                 "  scale_out: {kind: rail_leaf_spine, cable: ethernet_400g, leaf: tomahawk5, spine: tomahawk5}\n";

}  // namespace

TEST_CASE("scenario: cluster.system fills the scale-up domain from the catalog", "[scenario][system]") {
  const TempFile f("sc-hgx", scenario(kHgxTwoNodes));
  const Scenario s = load(f);
  CHECK(s.system == "hgx-h100");
  CHECK(s.scale_up_kind == "switched");
  CHECK(s.gpu.id == "h100");
  const ScaleUpParams& up = s.cluster.up;
  CHECK(up.kind == ScaleUpParams::Kind::Switched);
  CHECK(up.gpus == 8);
  CHECK(up.domain_label == "node");
  // 18 links x 25 GB/s x nvlink4's usable 0.88 = 396 GB/s per GPU per direction.
  CHECK(up.link_bandwidth.value() == near(18 * 25e9 * 0.88));
  CHECK(up.port_speed.value() == near(25e9));
  CHECK(up.switch_ports == 4 * 64);  // 4 nvswitch3 chips x 64 ports
  CHECK(up.switch_latency.value() == near(250e-9));
  CHECK(up.nvls_bandwidth.value() == near(270.3e9));
  // The system's NIC and NIC count are the scale-out defaults; ConnectX-7 is RoCE-only.
  CHECK(s.cluster.out.nic_part == "connectx7_400");
  CHECK(s.cluster.out.nics_per_gpu == 1);
  CHECK(s.cluster.out.message_overhead.value() == near(1e-6));
  CHECK(s.transport.protocol == TransportProtocol::Roce);
  CHECK(s.transport.mtu == 4096);
  CHECK(s.cluster.out.multipath == Multipath::Ecmp);
  CHECK(s.cluster.out.ecmp_seed == 0);
  // The system's rack and library are the defaults.
  REQUIRE(s.power.rack.has_value());
  CHECK(s.power.rack->id == "hgx-h100");
  CHECK(s.collectives.library.id == "nccl");
  CHECK(s.collectives.algorithm == CollectiveAlgorithm::Auto);
  CHECK(s.collectives.protocol == "auto");
  CHECK(s.collectives.chunk_size.value() == near(1048576.0));
  CHECK(s.faults.empty());
}

TEST_CASE("scenario: system helios gives helios_rack's domain", "[scenario][system]") {
  const TempFile a("sc-helios-sys", scenario("  domains: 1\n  system: helios\n  scale_out: {kind: none}\n"));
  const TempFile b("sc-helios-rack", scenario("  domains: 1\n  scale_up: {kind: helios_rack}\n  scale_out: {kind: none}\n"));
  const Scenario x = load(a);
  const Scenario y = load(b);
  // 72 lanes x 25 GB/s x 0.93 = 1.674 TB/s (system) = 1.8 TB/s x 0.93 (helios_rack).
  CHECK(x.cluster.up.link_bandwidth.value() == near(y.cluster.up.link_bandwidth.value()));
  CHECK(x.cluster.up.switch_ports == y.cluster.up.switch_ports);  // 12 x 512
  CHECK(x.cluster.up.trays == 18);
  CHECK(x.cluster.up.domain_label == "rack");
  CHECK(x.cluster.up.switch_latency.value() == near(y.cluster.up.switch_latency.value()));
  CHECK(x.power.rack->id == "helios");
  CHECK(x.collectives.library.id == "rccl");
  CHECK(y.collectives.library.id == "rccl");  // preset AMD kind
  CHECK(x.cluster.up.nvls_bandwidth.value() == 0.0);
}

TEST_CASE("scenario: full-mesh and NVL72 systems", "[scenario][system]") {
  const TempFile m("sc-mi300x", scenario("  domains: 2\n  system: mi300x-platform\n"
                                         "  scale_out: {kind: rail_leaf_spine, cable: ethernet_400g, leaf: tomahawk5, spine: tomahawk5}\n"));
  const Scenario s = load(m);
  CHECK(s.cluster.up.kind == ScaleUpParams::Kind::FullMesh);
  CHECK(s.cluster.up.link_bandwidth.value() == near(64e9 * 0.75));  // xgmi 64 GB/s x 0.75
  CHECK(s.cluster.up.links_per_pair == 1);
  // Pollara 400 is a UEC NIC: the transport defaults to uet and the fabric sprays.
  CHECK(s.cluster.out.nic_part == "pensando_pollara_400");
  CHECK(s.transport.protocol == TransportProtocol::Uet);
  CHECK(s.cluster.out.multipath == Multipath::Spray);
  CHECK(s.collectives.library.id == "rccl");

  const TempFile n("sc-nvl72", scenario("  domains: 1\n  system: nvl72\n  scale_out: {kind: none}\n"));
  const Scenario t = load(n);
  CHECK(t.cluster.up.gpus == 72);
  CHECK(t.cluster.up.domain_label == "rack");
  CHECK(t.cluster.up.link_bandwidth.value() == near(18 * 50e9));  // nvlink5 has no usable_fraction
  CHECK(t.cluster.up.switch_ports == 18 * 72);
  CHECK(t.cluster.up.nvls_bandwidth.value() == near(470.7e9));
  CHECK(t.gpu.id == "b200");
}

TEST_CASE("scenario: fabric keys of cluster.scale_out", "[scenario][fabric]") {
  const TempFile f("sc-fat", scenario("  domains: 2\n  system: hgx-h100\n"
                                      "  scale_out:\n"
                                      "    kind: fat_tree\n"
                                      "    tiers: 3\n"
                                      "    cable: ethernet_400g\n"
                                      "    leaf: tomahawk5\n"
                                      "    spine: tomahawk5\n"
                                      "    core: tomahawk5\n"
                                      "    core_oversubscription: 2\n"
                                      "    multipath: adaptive\n"
                                      "    ecmp_seed: 7\n"
                                      "    transport: {protocol: uet, mtu: 9000, loss_rate: 0.001, link_level_retry: true}\n"));
  const Scenario s = load(f);
  CHECK(s.scale_out_kind == "fat_tree");
  CHECK(s.cluster.out.tiers == 3);
  CHECK(s.cluster.out.core_part == "tomahawk5");
  CHECK(s.cluster.out.core_ports == 128);  // tomahawk5: 128 x 400 Gb/s, the ConnectX-7 line rate
  CHECK(s.cluster.out.core_oversubscription == 2.0);
  CHECK(s.cluster.out.multipath == Multipath::Adaptive);
  CHECK(s.cluster.out.ecmp_seed == 7);
  CHECK(s.transport.protocol == TransportProtocol::Uet);
  CHECK(s.transport.mtu == 9000);
  CHECK(s.transport.loss_rate == 0.001);
  CHECK(s.transport.link_level_retry);
  // --set reaches the new keys like any other.
  const Scenario t = load(f, {"cluster.scale_out.multipath=ecmp", "cluster.scale_out.ecmp_seed=3",
                              "cluster.scale_out.transport.protocol=roce", "cluster.scale_out.transport.mtu=2048"});
  CHECK(t.cluster.out.multipath == Multipath::Ecmp);
  CHECK(t.cluster.out.ecmp_seed == 3);
  CHECK(t.transport.protocol == TransportProtocol::Roce);
  CHECK(t.transport.mtu == 2048);
}

TEST_CASE("scenario: collectives and faults", "[scenario][collective]") {
  const TempFile f("sc-coll", scenario(kHgxTwoNodes,
                                       "collectives:\n"
                                       "  algorithm: ring\n"
                                       "  all_reduce: nvls\n"
                                       "  all_to_all: direct\n"
                                       "  protocol: simple\n"
                                       "  chunk_size: 512 KiB\n"
                                       "faults:\n"
                                       "  - {at: 2 ms, link: [node0.gpu0, node0.switch], state: down}\n"
                                       "  - {at: 0 s, switch: leaf0, state: degraded, fraction: 0.25}\n"));
  const Scenario s = load(f);
  CHECK(s.collectives.algorithm == CollectiveAlgorithm::Ring);
  CHECK(s.collectives.per_kind.at(CollectiveKind::AllReduce) == CollectiveAlgorithm::Nvls);
  CHECK(s.collectives.per_kind.at(CollectiveKind::AllToAll) == CollectiveAlgorithm::Direct);
  CHECK(s.collectives.per_kind.count(CollectiveKind::Broadcast) == 0);
  CHECK(s.collectives.protocol == "simple");
  CHECK(s.collectives.chunk_size.value() == near(512.0 * 1024));  // 512 KiB
  REQUIRE(s.faults.size() == 2);
  CHECK(s.faults[0].at.value() == near(2e-3));
  CHECK(s.faults[0].node_a == "node0.gpu0");
  CHECK(s.faults[0].node_b == "node0.switch");
  CHECK(s.faults[0].fraction == 0.0);
  CHECK(s.faults[1].node_a == "leaf0");
  CHECK(s.faults[1].node_b.empty());
  CHECK(s.faults[1].fraction == 0.25);
  CHECK(s.faults[1].where.line == f.line_of("switch: leaf0"));

  struct Case {
    std::vector<std::string> sets;
    const char* message;
  };
  const std::vector<Case> bad = {
      {{"collectives.library=mpi"}, "unknown collective library 'mpi'; catalog libraries: nccl, rccl, or none"},
      {{"collectives.protocol=ll128"}, "unknown value 'll128'; expected one of: auto, simple, ll"},
      {{"collectives.chunk_size=0 B"}, "expected a chunk size of at least 1 byte"},
      {{"faults.1.fraction=1"}, "greater than 0 and less than 1 (use state: down for 0), got 1"},
      {{"faults.0.fraction=0.5"}, "'fraction' applies to state: degraded only"},
      {{"faults.0.link=[node0.gpu0]"}, "expected the link as a list of its two end nodes"},
      {{"faults.0.at=-1 ms"}, "faults[0].at"},
  };
  for (const auto& k : bad) {
    INFO(k.sets.front());
    const InputError e = input_error_of([&] { (void)load(f, k.sets); });
    CHECK_THAT(e.what(), Contains(k.message));
  }
}

TEST_CASE("scenario: system and scale_up are exclusive", "[scenario][system]") {
  const TempFile f("sc-both", scenario("  domains: 1\n  system: hgx-h100\n  scale_up: {kind: mi300x_node}\n  scale_out: {kind: none}\n"));
  const InputError e = input_error_of([&] { (void)load(f); });
  CHECK(e.where().key == "cluster.scale_up");
  CHECK_THAT(e.what(), Contains("give either cluster.system or cluster.scale_up, not both"));
  const TempFile g("sc-none", scenario("  domains: 1\n  scale_out: {kind: none}\n"));
  const InputError e2 = input_error_of([&] { (void)load(g); });
  CHECK_THAT(e2.what(), Contains("cluster needs 'system' (a catalog system: dgx-a100, helios, hgx-h100"));
}

// ---- the scenario file cache (sweep, plan and the fuzz harness load many scenarios) ----------

TEST_CASE("scenario: a file cache reads each catalog once and gives what an uncached load gives", "[scenario][cache]") {
  ScenarioFileCache cache;
  const TempFile a("cache-hgx", scenario(kHgxTwoNodes));
  const Scenario cached = load_scenario(a.path, {}, RACKSIM_SOURCE_DIR, &cache);
  const Scenario plain = load(a);
  // The catalog is the same file set, so the second request is the object read by the first.
  const std::vector<std::string> files = shipped_catalog_files(RACKSIM_SOURCE_DIR);
  const Catalog* first = &cache.catalog(files);
  const Scenario again = load_scenario(a.path, {"cluster.domains=4"}, RACKSIM_SOURCE_DIR, &cache);
  CHECK(&cache.catalog(files) == first);
  CHECK(again.cluster.domains == 4);  // the overrides still apply per load
  CHECK(cached.gpu.id == plain.gpu.id);
  CHECK(cached.catalog.gpu_ids() == plain.catalog.gpu_ids());
  REQUIRE(cached.calibration.has_value());
  REQUIRE(plain.calibration.has_value());
  CHECK(cached.calibration->scaled_from == plain.calibration->scaled_from);

  // A family member's calibration is scaled by its own peak ratio: the MI455X entry must not be
  // the H100's (the key is the GPU, not only the files).
  const TempFile m("cache-mi455x", scenario("  domains: 1\n  system: helios\n  scale_out: {kind: none}\n"));
  const Scenario amd = load_scenario(m.path, {}, RACKSIM_SOURCE_DIR, &cache);
  const Scenario amd_plain = load(m);
  CHECK(amd.gpu.id == "mi455x");
  REQUIRE(amd.calibration.has_value());
  REQUIRE(amd_plain.calibration.has_value());
  CHECK(amd.calibration->scaled_from == "mi300x");
  CHECK(amd.calibration->key_scale == amd_plain.calibration->key_scale);

  // A scenario that adds a catalog file gets a catalog of its own, with the added part.
  const std::string extra = std::string(RACKSIM_SOURCE_DIR) + "/tests/data/sim/oracle-parts.yaml";
  const TempFile b("cache-ext", scenario(kHgxTwoNodes, "catalog: [" + extra + "]\n"));
  const Scenario with_extra = load_scenario(b.path, {}, RACKSIM_SOURCE_DIR, &cache);
  CHECK(with_extra.catalog.find_gpu("test_gpu") != nullptr);
  CHECK(cache.catalog(files).find_gpu("test_gpu") == nullptr);
}
