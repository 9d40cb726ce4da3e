// Unit tests for the catalog loader's generic part (models/catalog.cpp): the walk over a file's
// sections (an unknown section lists the valid ones), ids claimed across files (a duplicate names
// both places), the entry types' own key lists (an unknown key lists them), and the shipped
// catalog's entry counts per type. The small catalogs are inline strings written to temporary
// files, as in test_catalog_power.cpp.
#include "core/error.hpp"
#include "models/catalog.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "catalog_support.hpp"

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;

namespace {

using test::input_error_of;
using test::shipped;

using TempCatalog = test::TempFile;

const std::string kHeader =
    "schema_version: 1\n"
    "sources:\n"
    "  T1: \"test source\"\n";

// A link entry: every key a link takes except the optional usable_fraction.
std::string link_entry(const std::string& id, const std::string& extra = "") {
  return fmt::format(
      "  - id: {}\n"
      "    name: Test link\n"
      "    bandwidth: {{value: 100 GB/s, kind: spec, source: T1}}\n"
      "    latency: {{value: 1 us, kind: estimate, source: T1, note: test}}\n"
      "{}",
      id, extra);
}

// The sections a catalog file may hold, in the order the loader lists them.
const std::string kValidSections =
    "schema_version, sources, gpus, nics, switches, links, libraries, systems, gpu_power, racks, coolants, "
    "cold_plates, cdus, cooling_loops, inlet_classes";

}  // namespace

// ---- sections ---------------------------------------------------------------------------------

TEST_CASE("catalog reader: an unknown section lists the valid sections", "[catalog][reader]") {
  // "link:" is a misspelt "links:"; the message names it and every section the loader knows.
  const TempCatalog f("unknown-section", kHeader + "link:\n" + link_entry("test_link"));
  const InputError e = input_error_of([&] { (void)Catalog::load({f.path}); });
  CHECK(e.where().file == f.path);
  CHECK(e.where().key == "link");
  // The value of "link:" is a block list, which yaml-cpp places at its first item, a line below.
  CHECK(e.where().line == f.line_of("link:") + 1);
  CHECK_THAT(e.what(), EndsWith("unknown key 'link' in catalog file; valid keys: " + kValidSections));
}

TEST_CASE("catalog reader: an unknown section is reported before the entries are read", "[catalog][reader]") {
  // The links entry lacks its required latency, and the file has an unknown section after it:
  // the file's shape is checked first, so the unknown section is what the user hears about.
  const std::string broken = "  - id: broken\n    name: Broken link\n    bandwidth: {value: 100 GB/s, kind: spec, source: T1}\n";
  const TempCatalog f("unknown-after-bad", kHeader + "links:\n" + broken + "nic:\n  - id: x\n");
  const InputError e = input_error_of([&] { (void)Catalog::load({f.path}); });
  CHECK(e.where().key == "nic");
  CHECK_THAT(e.what(), Contains("unknown key 'nic' in catalog file; valid keys: " + kValidSections));
}

TEST_CASE("catalog reader: a file with only schema_version and sources loads empty", "[catalog][reader]") {
  const TempCatalog f("empty", kHeader);
  const Catalog c = Catalog::load({f.path});
  CHECK(c.gpu_ids().empty());
  CHECK(c.link_ids().empty());
  CHECK(c.inlet_class_ids().empty());
  CHECK(c.files() == std::vector<std::string>{f.path});
}

// ---- ids --------------------------------------------------------------------------------------

TEST_CASE("catalog reader: an id defined in two files names both places", "[catalog][reader]") {
  const TempCatalog a("dup-a", kHeader + "links:\n" + link_entry("first_link") + link_entry("test_link"));
  const TempCatalog b("dup-b", kHeader + "links:\n" + link_entry("test_link"));
  const InputError e = input_error_of([&] { (void)Catalog::load({a.path, b.path}); });
  // Reported at the second definition (file b), naming the first (file a, the second entry).
  CHECK(e.where().file == b.path);
  CHECK(e.where().line == b.line_of("- id: test_link"));
  CHECK(e.where().key == "links[0].id");
  CHECK_THAT(e.what(), Contains(fmt::format("link id 'test_link' is already defined at {}:{}; choose another id", a.path,
                                            a.line_of("- id: test_link"))));
}

TEST_CASE("catalog reader: an id defined twice in one file names both lines", "[catalog][reader]") {
  const TempCatalog f("dup-one", kHeader + "links:\n" + link_entry("test_link") + link_entry("test_link"));
  const InputError e = input_error_of([&] { (void)Catalog::load({f.path}); });
  // An entry is 4 lines, so the second starts 4 lines below the first; the error is there.
  const int first = f.line_of("- id: test_link");
  CHECK(e.where().line == first + 4);
  CHECK(e.where().key == "links[1].id");
  CHECK_THAT(e.what(), Contains(fmt::format("link id 'test_link' is already defined at {}:{}", f.path, first)));
}

TEST_CASE("catalog reader: ids are unique per entry type, not across types", "[catalog][reader]") {
  // A coolant and an inlet class may share an id: a reference always says which kind it means.
  const TempCatalog f("same-id", kHeader +
                                     "coolants:\n"
                                     "  - id: shared\n"
                                     "    name: Test coolant\n"
                                     "    density: {value: 1 kg/L, kind: spec, source: T1}\n"
                                     "    specific_heat: {value: 4.2 kJ/kg/K, kind: spec, source: T1}\n"
                                     "inlet_classes:\n"
                                     "  - id: shared\n"
                                     "    temperature: {value: 30 C, kind: spec, source: T1}\n");
  const Catalog c = Catalog::load({f.path});
  CHECK(c.find_coolant("shared") != nullptr);
  REQUIRE(c.find_inlet_class("shared") != nullptr);
  CHECK(c.find_inlet_class("shared")->temperature.value() == 30.0);
}

// ---- keys of an entry -------------------------------------------------------------------------

TEST_CASE("catalog reader: an unknown key in an entry lists that entry type's keys", "[catalog][reader]") {
  struct Case {
    const char* name;
    std::string body;
    const char* key;
    const char* message;
  };
  // The valid keys are each type's keys in the order its reader reads them (id first).
  const std::vector<Case> cases = {
      {"link", "links:\n" + link_entry("test_link", "    colour: red\n"), "links[0].colour",
       "unknown key 'colour' in link entry; valid keys: id, name, bandwidth, latency, usable_fraction"},
      {"cdu",
       "cdus:\n"
       "  - id: test_cdu\n"
       "    name: Test CDU\n"
       "    capacity: {value: 100 kW, kind: estimate, source: T1, note: test}\n"
       "    racks: 2\n"
       "    colour: red\n",
       "cdus[0].colour", "unknown key 'colour' in CDU entry; valid keys: id, name, capacity, racks"},
      {"inlet",
       "inlet_classes:\n"
       "  - id: W99\n"
       "    temperature: {value: 30 C, kind: spec, source: T1}\n"
       "    colour: red\n",
       "inlet_classes[0].colour", "unknown key 'colour' in inlet class entry; valid keys: id, temperature"},
  };
  for (const auto& k : cases) {
    INFO(k.name);
    const TempCatalog f(std::string("key-") + k.name, kHeader + k.body);
    const InputError e = input_error_of([&] { (void)Catalog::load({f.path}); });
    CHECK(e.where().file == f.path);
    CHECK(e.where().line == f.line_of("colour: red"));
    CHECK(e.where().key == k.key);
    CHECK_THAT(e.what(), EndsWith(k.message));
  }
}

// ---- the shipped catalog ----------------------------------------------------------------------

TEST_CASE("catalog reader: the shipped catalog has every entry of models/catalog/*.yaml", "[catalog][reader]") {
  const Catalog& c = shipped();
  // Counted by hand from the list items ("  - id:" / "  - gpu:") of each section:
  CHECK(c.gpu_ids().size() == 9);           // gpus.yaml: mi300x mi325x mi355x mi455x h100 h200 a100 b200 mi250x
  CHECK(c.nic_ids().size() == 4);           // nics.yaml: pollara_400 vulcano_800 connectx7_400 connectx6_hdr_200
  CHECK(c.switch_ids().size() == 7);        // switches.yaml: tomahawk5/6/_ultra ualink_switch nvswitch3/2 nvlink5_switch
  CHECK(c.link_ids().size() == 9);          // links.yaml: ualoe_lane_200g xgmi infinity_fabric nvlink4/3/5
                                            //   ethernet_800g/400g pcie_gen5_x16
  CHECK(c.library_ids().size() == 2);       // collectives.yaml: nccl rccl
  CHECK(c.system_ids().size() == 7);        // systems.yaml: helios mi300x-/mi355x-platform hgx-h100/h200 dgx-a100 nvl72
  CHECK(c.rack_ids().size() == 7);          // power.yaml racks: the same 7 ids as the systems
  CHECK(c.coolant_ids().size() == 3);       // cooling.yaml: water pg25 air
  CHECK(c.cold_plate_ids().size() == 3);    // cooling.yaml: cp-liquid-1800w cp-liquid-1000w hs-air-oam
  CHECK(c.cdu_ids().size() == 4);           // cooling.yaml: inrow-1500kw-8racks/-12racks inrack-150kw-8nodes room-air-12kw
  CHECK(c.cooling_loop_ids().size() == 6);  // cooling.yaml: helios-loop mi355x-liquid nvl72-loop mi300x-air hgx-air
                                            //   dgx-a100-air
  CHECK(c.inlet_class_ids().size() == 5);   // cooling.yaml: W17 W27 W32 W40 W45
  // power.yaml gpu_power: one entry per GPU of gpus.yaml, 9 in all.
  int with_power = 0;
  for (const auto& id : c.gpu_ids()) with_power += c.find_gpu_power(id) != nullptr ? 1 : 0;
  CHECK(with_power == 9);
}
