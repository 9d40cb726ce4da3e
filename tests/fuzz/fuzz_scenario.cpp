// racksim fuzz: the scenario reader (sim/scenario) with `--set` overrides. The input is a YAML
// scenario, optionally followed by a line "#--set" and KEY=VALUE lines; it goes through
// load_scenario_text, which applies the overrides through ConfigDoc::apply_override and the key
// table check exactly as `racksim run --set` does. Relative paths resolve from scenarios/ of the
// source tree, so the shipped scenarios' traces are found. The catalog and calibration files are
// read once per process (ScenarioFileCache, as sweep and plan do), so an execution costs what the
// input costs, not a parse of the whole shipped catalog.
#include "core/error.hpp"
#include "sim/scenario/scenario.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static racksim::ScenarioFileCache cache;
  const auto in = racksim::fuzz::split_sets(racksim::fuzz::as_text(data, size));
  try {
    (void)racksim::load_scenario_text(in.doc, RACKSIM_DATA_DIR "/scenarios/fuzz-input.yaml", in.sets, RACKSIM_DATA_DIR,
                                      &cache);
  } catch (const racksim::Error&) {
  } catch (const racksim::UnitError&) {
  }
  return 0;
}
