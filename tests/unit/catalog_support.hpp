// Helpers for unit tests that need the shipped hardware catalog (models/ and above).
#pragma once

#include "models/catalog.hpp"
#include "test_support.hpp"

#include <stdexcept>
#include <string>

namespace racksim::test {

// The shipped catalog, loaded once per test process.
inline const Catalog& shipped() {
  static const Catalog c = Catalog::load(shipped_catalog_files(RACKSIM_SOURCE_DIR));
  return c;
}

// A GPU of the shipped catalog; a missing id fails the test with its name.
inline const GpuSpec& gpu(const std::string& id) {
  const GpuSpec* g = shipped().find_gpu(id);
  if (g == nullptr) throw std::runtime_error("GPU '" + id + "' is not in the shipped catalog");
  return *g;
}

}  // namespace racksim::test
