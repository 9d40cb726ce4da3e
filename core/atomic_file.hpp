// racksim core: writing result files so that none is ever half-written.
//
// A file is written to a temporary beside it (same folder: ".NAME.<pid>.tmp", the process id
// keeping two processes that write the same file at once apart) and renamed over the target only
// once every byte reached the disk. Whatever fails (the folder is missing, the disk is full, the
// writer throws, the rename is refused), the temporary is removed before the error leaves, so
// neither a half-written target nor a stray temporary is ever left. A target that is a folder
// (or a path without a file name, "dir/") is refused, naming it.
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <string>

namespace racksim {

// Writes `content` to `path` atomically (see above). Throws OutputError naming the file.
void write_atomic(const std::filesystem::path& path, const std::string& content);

// Writes what `write` streams to `path` atomically. A stream left bad by `write` is an
// OutputError; anything `write` throws is passed on as it is (the temporary removed first).
void write_atomic(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write);

// The temporary write_atomic uses for `path` in this process: ".NAME.<pid>.tmp" beside it.
[[nodiscard]] std::filesystem::path atomic_temp_path(const std::filesystem::path& path);

}  // namespace racksim
