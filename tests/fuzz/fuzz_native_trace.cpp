// racksim fuzz: the native trace reader (sim/workload/workload.cpp, docs/trace-format.md). The
// input is written to a scratch file and read with load_native_trace, which also validates it.
#include "core/error.hpp"
#include "core/units.hpp"
#include "sim/workload/workload.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = racksim::fuzz::scratch_dir() + "/trace.yaml";
  racksim::fuzz::write_file(path, data, size);
  try {
    (void)racksim::load_native_trace(path);
  } catch (const racksim::Error&) {
  } catch (const racksim::UnitError&) {
  }
  return 0;
}
