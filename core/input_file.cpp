// racksim core: read_input_file (input_file.hpp) with POSIX open/fstat/read, so that the file's
// type is known before a byte is read.
#include "core/input_file.hpp"

#include "core/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace racksim {

namespace {

std::string file_type(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Closes the descriptor on every path out.
class Fd {
public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }

private:
  int fd_;
};

}  // namespace

std::string binary_size(std::uint64_t bytes) {
  if (bytes >= (std::uint64_t{1} << 30) && bytes % (std::uint64_t{1} << 30) == 0) return fmt::format("{} GiB", bytes >> 30);
  if (bytes >= (std::uint64_t{1} << 20) && bytes % (std::uint64_t{1} << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  if (bytes >= (std::uint64_t{1} << 10) && bytes % (std::uint64_t{1} << 10) == 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} B", bytes);
}

std::string read_input_file(const std::string& path, std::uint64_t max_bytes, const std::string& what) {
  const Location where{path, 0, 0, ""};
  // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one.
  const Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0)
    throw InputError(where, fmt::format("cannot open file ({}; does it exist and is it readable?)", std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw InputError(where, fmt::format("cannot read the {} ({})", what, std::strerror(errno)));
  if (!S_ISREG(st.st_mode))
    throw InputError(where, fmt::format("the {} is {}; racksim reads only regular files", what, file_type(st.st_mode)));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > max_bytes)
    throw InputError(where, fmt::format("the {} has {} bytes; racksim reads {}s of at most {} ({} bytes; docs/limits.md)", what,
                                        size, what, binary_size(max_bytes), max_bytes));
  std::string data;
  data.reserve(static_cast<std::size_t>(size));
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw InputError(where, fmt::format("cannot read the {} ({})", what, std::strerror(errno)));
    }
    if (n == 0) break;
    if (data.size() + static_cast<std::size_t>(n) > max_bytes)
      throw InputError(where, fmt::format("the {} grew past {} bytes while it was read; racksim reads {}s of at most {} "
                                          "(docs/limits.md)",
                                          what, max_bytes, what, binary_size(max_bytes)));
    data.append(buf, static_cast<std::size_t>(n));
  }
  return data;
}

}  // namespace racksim
