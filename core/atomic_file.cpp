#include "core/atomic_file.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <fstream>

namespace racksim {

void write_atomic(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::path tmp = path;
  tmp.replace_filename("." + path.filename().string() + ".tmp");
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw OutputError(fmt::format("cannot write {}", tmp.string()));
    f << content;
    f.flush();
    if (!f) throw OutputError(fmt::format("cannot write {}", tmp.string()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw OutputError(fmt::format("cannot rename {} to {}: {}", tmp.string(), path.string(), ec.message()));
}

}  // namespace racksim
