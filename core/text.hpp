// racksim core: small text helpers shared by the readers' messages.
#pragma once

#include <cstddef>
#include <string>

namespace racksim {

// `name` as a file or folder name: letters, digits, '-' and '_' kept, every other character
// '_'; `fallback` when `name` is empty.
[[nodiscard]] std::string safe_file_name(const std::string& name, const std::string& fallback);

// Levenshtein distance, for "did you mean" hints on misspelt keys and names.
[[nodiscard]] std::size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace racksim
