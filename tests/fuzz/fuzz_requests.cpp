// racksim fuzz: the serving request trace readers (sim/workload/requests.cpp, docs/inference.md
// "Trace files"). The input's first byte picks the format (csv, jsonl or azure, by its value
// modulo 3); the rest is written to a scratch file and read with make_requests, which parses,
// checks every row against the limits, sorts and numbers the requests.
#include "core/error.hpp"
#include "core/units.hpp"
#include "sim/workload/requests.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const char* const formats[] = {"csv", "jsonl", "azure"};
  racksim::RequestSpec spec;
  spec.format = formats[data[0] % 3];
  spec.file = racksim::fuzz::scratch_dir() + "/requests." + spec.format;
  spec.max_requests = 100000;  // the real cap is 10 million rows; a fuzz input is far smaller
  racksim::fuzz::write_file(spec.file, data + 1, size - 1);
  try {
    (void)racksim::make_requests(spec);
  } catch (const racksim::Error&) {
  } catch (const racksim::UnitError&) {
  }
  return 0;
}
