// Helpers shared by racksim's unit tests.
#pragma once

#include "core/error.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>

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

// A file in the system's temporary folder holding `body`, removed when the test ends. The
// process id in its name keeps tests that run at once apart.
struct TempFile {
  std::string path;
  std::string text;
  TempFile(const std::string& name, std::string body)
      : path((std::filesystem::temp_directory_path() / fmt::format("racksim-test-{}-{}.yaml", ::getpid(), name)).string()),
        text(std::move(body)) {
    std::ofstream out(path);
    out << text;
  }
  ~TempFile() { std::remove(path.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  // 1-based number of the first line containing `needle` (0 if none).
  [[nodiscard]] int line_of(const std::string& needle) const {
    const auto at = text.find(needle);
    if (at == std::string::npos) return 0;
    int line = 1;
    for (std::size_t i = 0; i < at; ++i) line += (text[i] == '\n') ? 1 : 0;
    return line;
  }
};

// A file of tests/data/unit.
inline std::string unit_data(const std::string& name) { return std::string(RACKSIM_TEST_DATA) + "/unit/" + name; }

// Decimal values such as 1307.4 * 1e12 are not exact in binary; compare to 1e-12 relative.
inline Approx near(double v) { return Approx(v).epsilon(1e-12); }

}  // namespace racksim::test
