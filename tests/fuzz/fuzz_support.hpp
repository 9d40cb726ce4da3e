// racksim fuzz: what the libFuzzer harnesses share — the input as text, its split into a document
// and KEY=VALUE lines, and a per-process scratch file for the readers that take a path.
//
// A harness calls a reader; the project's own errors (racksim::Error and its subclasses, and
// UnitError from the unit parser) are a clean rejection and count as success. Anything else
// (another exception, a crash, a sanitizer report, a hang, memory beyond -rss_limit_mb) is a bug.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace racksim::fuzz {

inline std::string as_text(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// The separator between a document and its overrides: a YAML comment line, so that the part
// before it is the document exactly as a file would hold it.
inline constexpr std::string_view kSetSeparator = "\n#--set\n";

struct DocAndSets {
  std::string doc;
  std::vector<std::string> sets;  // one KEY=VALUE per non-empty line after the separator
};

inline DocAndSets split_sets(const std::string& text) {
  DocAndSets out;
  const auto sep = text.find(kSetSeparator);
  out.doc = text.substr(0, sep);
  if (sep == std::string::npos) return out;
  std::size_t start = sep + kSetSeparator.size();
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.sets.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// A folder of this process's own under $TMPDIR (or /tmp), made once; the harnesses write their
// input there for readers that take a path.
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string d = std::string(tmp && *tmp ? tmp : "/tmp") + "/racksim-fuzz-" + std::to_string(::getpid());
    ::mkdir(d.c_str(), 0700);
    return d;
  }();
  return dir;
}

inline void write_file(const std::string& path, const std::uint8_t* data, std::size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

}  // namespace racksim::fuzz
