// Helpers shared by racksim's unit tests.
#pragma once

#include "core/error.hpp"

#include <stdexcept>

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

}  // namespace racksim::test
