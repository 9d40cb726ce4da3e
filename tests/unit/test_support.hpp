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
#include <vector>

namespace racksim::test {

// A Markdown table cell's text without its surrounding blanks.
inline std::string trim_cell(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// The cells of a Markdown table line "| a | b \\| c |" (an escaped bar stays in its cell,
// unescaped): what the docs-against-key-table tests read.
inline std::vector<std::string> cells_of(const std::string& line) {
  std::vector<std::string> cells;
  std::string cur;
  for (std::size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
      cur += '|';
      ++i;
    } else if (line[i] == '|') {
      cells.push_back(trim_cell(cur));
      cur.clear();
    } else {
      cur += line[i];
    }
  }
  return cells;
}

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
