// racksim core: small text helpers shared by the readers' messages.
#pragma once

#include <cstddef>
#include <string>

namespace racksim {

// Levenshtein distance, for "did you mean" hints on misspelt keys and names.
[[nodiscard]] std::size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace racksim
