// racksim fuzz: the measurements reader (models/measurements). The input is a YAML document
// (the format of validation/measured/*.yaml), read as measured on the H100.
#include "core/error.hpp"
#include "core/yaml_doc.hpp"
#include "models/measurements.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace racksim;
  try {
    const ConfigDoc doc = ConfigDoc::load_string(fuzz::as_text(data, size), "fuzz-measurements.yaml");
    (void)is_racksim_measurements(doc.root());
    MeasurementProvenance prov;
    (void)read_racksim_measurements(doc, "h100", "H100", &prov);
  } catch (const Error&) {
  } catch (const UnitError&) {
  }
  return 0;
}
