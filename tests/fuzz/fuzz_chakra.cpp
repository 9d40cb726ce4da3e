// racksim fuzz: the Chakra ET reader (sim/workload/chakra.cpp). The input is one rank's .et file,
// written as <scratch>/trace.0.et; it is read as a one-rank trace on the MI300X, and, when its
// first byte is odd, also replicated to 4 ranks with ctrl_deps ignored (the other paths of the
// reader). Files racksim wrote and foreign files take different paths; the seed corpus has both.
#include "core/error.hpp"
#include "core/units.hpp"
#include "models/catalog.hpp"
#include "sim/workload/chakra.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

const racksim::Catalog& catalog() {
  static const racksim::Catalog c = racksim::Catalog::load(racksim::shipped_catalog_files(RACKSIM_DATA_DIR));
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace racksim;
  const std::string prefix = fuzz::scratch_dir() + "/trace";
  fuzz::write_file(prefix + ".0.et", data, size);
  const GpuSpec& gpu = *catalog().find_gpu("mi300x");
  ChakraSpec spec;
  spec.prefix = prefix;
  spec.files = 1;
  spec.ranks = 1;
  try {
    (void)load_chakra(spec, gpu);
  } catch (const Error&) {
  } catch (const UnitError&) {
  }
  if (size > 0 && (data[0] & 1U) != 0) {
    spec.ranks = 4;
    spec.replicate = 4;
    spec.ctrl_deps = ChakraCtrlDeps::Ignore;
    spec.p2p = ChakraP2p::Rendezvous;
    spec.recorded_on = *catalog().find_gpu("h100");
    try {
      (void)load_chakra(spec, gpu);
    } catch (const Error&) {
    } catch (const UnitError&) {
    }
  }
  return 0;
}
