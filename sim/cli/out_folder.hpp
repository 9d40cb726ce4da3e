// racksim cli: results folders — what one holds, and one command at a time in it.
//
// A folder of results belongs to one kind of command, known by the files it writes there:
//   a run     summary.json (beside timeline.json, timeseries.csv, report.html)
//   a sweep   sweep.json (its manifest), results.jsonl or shard-I-of-N.jsonl (its rows)
//   a plan    plan.json, plan.txt (beside points/<id>/summary.json)
// A command refuses a folder that holds another kind's results (InputError, exit 3, naming the
// folder and what it holds): `run --out <a sweep folder>` used to overwrite the sweep's
// report.html.
//
// A sweep, a merge and a plan hold an exclusive lock on their folder while they work (flock on
// DIR/.lock, not waiting; a shard I/N of a sweep locks DIR/.shard-I-of-N.lock instead, so that
// the shards of one sweep run side by side). The holder's process id is written into the lock
// file; a second command on the same folder exits 3 at once naming the folder and that process.
// The lock is released when the holder ends, however it ends (the kernel drops it with the last
// open descriptor); the empty lock file stays.
#pragma once

#include <filesystem>
#include <string>

namespace racksim {

enum class FolderKind { Run, Sweep, Plan };

// "a run", "a sweep", "a plan".
[[nodiscard]] std::string folder_kind_name(FolderKind k);

// Throws InputError at `option` (e.g. "--out DIR") when `dir` holds the results of another kind
// of command than `kind`, naming the folder, what it holds and the files that show it. A missing
// or empty folder, or one holding only `kind`'s results, passes.
void require_folder_for(const std::filesystem::path& dir, FolderKind kind, const std::string& option);

// An exclusive lock on a results folder, held until destroyed (see above). Throws InputError
// naming the folder and the holder's process id when another process holds it, OutputError when
// the lock file cannot be created.
class FolderLock {
public:
  // `lock_name` is the lock file's name in `dir` (".lock").
  FolderLock(const std::filesystem::path& dir, const std::string& lock_name);
  ~FolderLock();
  FolderLock(FolderLock&& other) noexcept;
  FolderLock& operator=(FolderLock&&) = delete;
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace racksim
