// racksim core: an output folder checked writable before the run (output_folder.hpp).
#include "core/output_folder.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include <unistd.h>

namespace racksim {

void check_output_folder(const std::filesystem::path& dir, const std::string& named_by) {
  namespace fs = std::filesystem;
  const Location where{named_by, 0, 0, ""};
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw InputError(where, fmt::format("cannot create the output folder {}: {}", dir.string(), ec.message()));
  if (!fs::is_directory(dir, ec))
    throw InputError(where, fmt::format("the output folder {} is not a folder", dir.string()));
  // The probe's name is this process's own, so two runs writing into one folder never share it.
  const fs::path probe = dir / fmt::format(".racksim-probe-{}", static_cast<long>(::getpid()));
  std::FILE* f = std::fopen(probe.c_str(), "wb");
  int err = f ? 0 : errno;
  if (f) {
    if (std::fputs("probe\n", f) < 0) err = errno;
    if (std::fclose(f) != 0 && err == 0) err = errno;
    fs::remove(probe, ec);
  }
  if (err != 0)
    throw InputError(where, fmt::format("cannot write into the output folder {}: {}", dir.string(), std::strerror(err)));
}

}  // namespace racksim
