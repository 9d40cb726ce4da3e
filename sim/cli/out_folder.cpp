// racksim cli: results folders — their kind and their lock (out_folder.hpp).
#include "sim/cli/out_folder.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace racksim {

namespace fs = std::filesystem;

namespace {

// The files in `dir` that show a kind's results (sorted names; none when `dir` is no folder).
std::vector<std::string> marker_files(const fs::path& dir, FolderKind k) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    bool marks = false;
    switch (k) {
      case FolderKind::Run: marks = n == "summary.json"; break;
      case FolderKind::Sweep:
        marks = n == "sweep.json" || n == "results.jsonl" ||
                (n.rfind("shard-", 0) == 0 && n.size() > 6 && n.compare(n.size() - 6, 6, ".jsonl") == 0);
        break;
      case FolderKind::Plan: marks = n == "plan.json" || n == "plan.txt"; break;
    }
    if (marks) found.push_back(n);
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// What `path` (a lock file) says its holder is: "process 1234", or "another process".
std::string holder_of(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string text = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  const bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  return digits ? "process " + text : "another process";
}

}  // namespace

std::string folder_kind_name(FolderKind k) {
  switch (k) {
    case FolderKind::Run: return "a run";
    case FolderKind::Sweep: return "a sweep";
    case FolderKind::Plan: return "a plan";
  }
  return "a command";
}

void require_folder_for(const fs::path& dir, FolderKind kind, const std::string& option) {
  for (const FolderKind other : {FolderKind::Run, FolderKind::Sweep, FolderKind::Plan}) {
    if (other == kind) continue;
    const std::vector<std::string> files = marker_files(dir, other);
    if (files.empty()) continue;
    throw InputError(Location{option, 0, 0, ""},
                     fmt::format("the folder {} holds {}'s results ({}); {} writes its own files there and would mix "
                                 "them with or overwrite those. Give another folder",
                                 dir.string(), folder_kind_name(other), join(files), folder_kind_name(kind)));
  }
}

FolderLock::FolderLock(const fs::path& dir, const std::string& lock_name) : path_(dir / lock_name) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw OutputError(fmt::format("cannot create the lock file {}: {}", path_.string(), std::strerror(errno)));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int why = errno;
    const std::string holder = why == EWOULDBLOCK ? holder_of(fd_) : std::string();
    ::close(fd_);
    fd_ = -1;
    if (why != EWOULDBLOCK) throw OutputError(fmt::format("cannot lock {}: {}", path_.string(), std::strerror(why)));
    throw InputError(Location{dir.string(), 0, 0, ""},
                     fmt::format("the folder is in use by another racksim sweep, merge or plan ({} holds {}); wait for "
                                 "it to end, or give another folder",
                                 holder, path_.filename().string()));
  }
  const std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int why = errno;
    ::close(fd_);
    fd_ = -1;
    throw OutputError(fmt::format("cannot write the lock file {}: {}", path_.string(), std::strerror(why)));
  }
}

FolderLock::FolderLock(FolderLock&& other) noexcept : path_(std::move(other.path_)), fd_(other.fd_) { other.fd_ = -1; }

FolderLock::~FolderLock() {
  if (fd_ < 0) return;
  // Emptied first, so that the file never names a process that no longer holds it.
  if (::ftruncate(fd_, 0) != 0) {
    // Nothing to do: the lock is released by the close below all the same.
  }
  ::close(fd_);
}

}  // namespace racksim
