// Helpers shared by racksim's unit tests.
#pragma once

#include "core/error.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

namespace racksim::test {

// Runs `f`, which must throw InputError, and returns that error for inspection.
template <class F>
InputError input_error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e;
  }
  throw std::runtime_error("expected an InputError, but none was thrown");
}

// A file of tests/data/unit.
inline std::string unit_data(const std::string& name) { return std::string(RACKSIM_TEST_DATA) + "/unit/" + name; }

// Decimal values such as 1307.4 * 1e12 are not exact in binary; compare to 1e-12 relative.
inline Approx near(double v) { return Approx(v).epsilon(1e-12); }

}  // namespace racksim::test
