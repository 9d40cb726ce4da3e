// racksim core: atomic file writes through a temporary beside the target (atomic_file.hpp).
#include "core/atomic_file.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace racksim {

namespace fs = std::filesystem;

namespace {

// Throws OutputError when `path` cannot be a file: no file name ("dir/", ".", "..") or a folder.
void check_target(const fs::path& path) {
  const std::string name = path.filename().string();
  std::error_code ec;
  if (name.empty() || name == "." || name == ".." || fs::is_directory(path, ec))
    throw OutputError(fmt::format("cannot write {}: it is a folder, not a file; name a file", path.string()));
}

// Removes the temporary, ignoring a failure (it may not exist yet).
void remove_temp(const fs::path& tmp) {
  std::error_code ec;
  fs::remove(tmp, ec);
}

}  // namespace

fs::path atomic_temp_path(const fs::path& path) {
  return path.parent_path() / fmt::format(".{}.{}.tmp", path.filename().string(), ::getpid());
}

void write_atomic(const fs::path& path, const std::function<void(std::ostream&)>& write) {
  check_target(path);
  const fs::path tmp = atomic_temp_path(path);
  try {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw OutputError(fmt::format("cannot write {}: cannot create {}: {}", path.string(), tmp.string(), std::strerror(errno)));
    // What the stream failed with, if it did (a full disk: ENOSPC), taken at the first failure.
    errno = 0;
    write(f);
    int why = f ? 0 : errno;
    if (f) {
      f.flush();
      why = f ? 0 : errno;
    }
    errno = 0;
    f.close();
    if (why == 0) why = errno;
    if (!f)
      throw OutputError(fmt::format("cannot write {}: writing {} failed{}", path.string(), tmp.string(),
                                    why != 0 ? std::string(": ") + std::strerror(why) : std::string()));
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) throw OutputError(fmt::format("cannot rename {} to {}: {}", tmp.string(), path.string(), ec.message()));
  } catch (...) {
    remove_temp(tmp);
    throw;
  }
}

void write_atomic(const fs::path& path, const std::string& content) {
  write_atomic(path, [&content](std::ostream& out) { out << content; });
}

}  // namespace racksim
