// racksim fuzz: the capacity plan reader (sim/studies/capacity_plan). The input is a plan YAML,
// optionally followed by "#--set" and KEY=VALUE lines (racksim plan --set).
#include "core/error.hpp"
#include "core/units.hpp"
#include "sim/studies/capacity_plan.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = racksim::fuzz::split_sets(racksim::fuzz::as_text(data, size));
  try {
    (void)racksim::load_plan_text(in.doc, RACKSIM_DATA_DIR "/scenarios/fuzz-plan.yaml", in.sets);
  } catch (const racksim::Error&) {
  } catch (const racksim::UnitError&) {
  }
  return 0;
}
