#include "core/error.hpp"

#include <fmt/format.h>

namespace racksim {

std::string Location::str() const {
  std::string s = file.empty() ? std::string("<input>") : file;
  if (line > 0) {
    s += fmt::format(":{}", line);
    if (column > 0) s += fmt::format(":{}", column);
  }
  if (!key.empty()) s += fmt::format(": key '{}'", key);
  return s;
}

InputError::InputError(Location where, const std::string& what_expected)
    : Error(fmt::format("{}: {}", where.str(), what_expected)), where_(std::move(where)), expected_(what_expected) {}

}  // namespace racksim
