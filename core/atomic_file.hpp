// racksim sim: writing result files so that none is ever half-written.
#pragma once

#include <filesystem>
#include <string>

namespace racksim {

// Writes `content` to `path` through a temporary file beside it and a rename. Throws
// OutputError naming the file when it cannot.
void write_atomic(const std::filesystem::path& path, const std::string& content);

}  // namespace racksim
