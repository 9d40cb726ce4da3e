// Unit tests for core/atomic_file: the temporary sits beside the target, a folder as target is
// refused, and every failed write (a writer that throws, a stream gone bad, a full disk, a
// refused rename) removes its temporary and leaves the target as it was.
#include "core/atomic_file.hpp"
#include "core/error.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

using namespace racksim;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// A fresh empty folder under the system's temporary folder, removed with its contents at the end.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / fmt::format("racksim-atomic-{}-{}", ::getpid(), name)) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The names in `dir`, sorted and joined by spaces: what a write left behind.
std::string listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : " ") + n;
  return s;
}

}  // namespace

TEST_CASE("atomic_file: the temporary is .NAME.<pid>.tmp in the target's own folder", "[atomic_file]") {
  const std::string pid = std::to_string(::getpid());
  CHECK(atomic_temp_path("out/summary.json") == fs::path("out/.summary.json." + pid + ".tmp"));
  // No folder part: the current folder, never the filesystem root (calibrate --out /tmp wrote /.tmp.tmp).
  CHECK(atomic_temp_path("cal.yaml") == fs::path(".cal.yaml." + pid + ".tmp"));
  CHECK(atomic_temp_path("/tmp/x/cal.yaml") == fs::path("/tmp/x/.cal.yaml." + pid + ".tmp"));
}

TEST_CASE("atomic_file: a write replaces the target and leaves nothing else", "[atomic_file]") {
  TempDir d("ok");
  write_atomic(d.path / "a.json", std::string("old"));
  write_atomic(d.path / "a.json", std::string("new\n"));
  CHECK(slurp(d.path / "a.json") == "new\n");
  CHECK(listing(d.path) == "a.json");
}

TEST_CASE("atomic_file: a folder as target is refused, naming it, and nothing is written", "[atomic_file]") {
  TempDir d("folder");
  fs::create_directories(d.path / "sub");
  try {
    write_atomic(d.path / "sub", std::string("x"));
    FAIL("expected an OutputError");
  } catch (const OutputError& e) {
    CHECK_THAT(e.what(), Contains((d.path / "sub").string() + ": it is a folder, not a file"));
  }
  CHECK_THROWS_AS(write_atomic(d.path / "sub" / "", std::string("x")), OutputError);  // "sub/": no file name
  CHECK(listing(d.path) == "sub");
  CHECK(listing(d.path / "sub").empty());
}

TEST_CASE("atomic_file: a writer that throws midway leaves no temporary and the old target", "[atomic_file]") {
  TempDir d("throws");
  write_atomic(d.path / "t.json", std::string("before"));
  CHECK_THROWS_WITH(write_atomic(d.path / "t.json",
                                 [](std::ostream& out) {
                                   out << std::string(100000, 'x');  // 100 kB already written to the temporary
                                   throw std::runtime_error("the writer failed");
                                 }),
                    "the writer failed");
  CHECK(slurp(d.path / "t.json") == "before");
  CHECK(listing(d.path) == "t.json");
}

TEST_CASE("atomic_file: a stream gone bad is an OutputError naming the file; no temporary is left", "[atomic_file]") {
  TempDir d("bad");
  try {
    write_atomic(d.path / "bad.csv", [](std::ostream& out) {
      out << "a,b\n";
      out.setstate(std::ios::badbit);
    });
    FAIL("expected an OutputError");
  } catch (const OutputError& e) {
    CHECK_THAT(e.what(), Contains("cannot write " + (d.path / "bad.csv").string()));
  }
  CHECK(listing(d.path).empty());
}

TEST_CASE("atomic_file: a full disk (the temporary is /dev/full) fails, naming the file, and removes the temporary",
          "[atomic_file]") {
  if (!fs::exists("/dev/full")) return;  // Linux only; nothing to check elsewhere
  TempDir d("full");
  // The temporary's name made a link to /dev/full: every write to it fails with ENOSPC, as on a
  // full disk (a 100 kB .timeline.json.tmp was left behind that way).
  fs::create_symlink("/dev/full", atomic_temp_path(d.path / "timeline.json"));
  try {
    write_atomic(d.path / "timeline.json", std::string(100000, 'x'));
    FAIL("expected an OutputError");
  } catch (const OutputError& e) {
    CHECK_THAT(e.what(), Contains("cannot write " + (d.path / "timeline.json").string()));
    CHECK_THAT(e.what(), Contains("No space left on device"));
  }
  CHECK(listing(d.path).empty());
}

TEST_CASE("atomic_file: a missing folder is an OutputError and creates nothing", "[atomic_file]") {
  TempDir d("missing");
  CHECK_THROWS_AS(write_atomic(d.path / "no" / "such" / "f.json", std::string("x")), OutputError);
  CHECK(listing(d.path).empty());
}
