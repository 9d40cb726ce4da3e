#include "sim/cli/progress.hpp"

#include <fmt/format.h>

#include <cmath>
#include <ostream>

namespace racksim {

ProgressMeter::ProgressMeter(std::ostream* tty, std::string what, double total, std::string unit)
    : tty_(tty), what_(std::move(what)), total_(total), unit_(std::move(unit)), start_(Clock::now()), last_(start_) {}

ProgressMeter::~ProgressMeter() { finish(); }

std::string ProgressMeter::format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const auto t = static_cast<long long>(std::llround(s));
  if (t >= 3600) return fmt::format("{} h {:02} min", t / 3600, (t % 3600) / 60);
  if (t >= 60) return fmt::format("{} min {:02} s", t / 60, t % 60);
  return fmt::format("{} s", t);
}

void ProgressMeter::update(double done, const std::string& note) {
  if (!tty_) return;
  const auto now = Clock::now();
  if (printed_ && now - last_ < std::chrono::milliseconds(250) && done < total_) return;
  last_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? done / elapsed : 0.0;
  std::string line = fmt::format("{}  {:.0f}/{:.0f} {}", what_, done, total_, unit_);
  if (total_ > 0) line += fmt::format(" ({:.0f}%)", 100.0 * done / total_);
  if (rate > 0) {
    line += rate >= 10 ? fmt::format("  {:.0f} {}/s", rate, unit_) : fmt::format("  {:.2g} {}/s", rate, unit_);
    line += "  ETA " + format_duration((total_ - done) / rate);
  }
  if (!note.empty()) line += "  " + note;
  const std::size_t pad = width_ > line.size() ? width_ - line.size() : 0;
  *tty_ << '\r' << line << std::string(pad, ' ') << std::flush;
  width_ = line.size();
  printed_ = true;
}

void ProgressMeter::finish() {
  if (!tty_ || !printed_) return;
  *tty_ << '\r' << std::string(width_, ' ') << '\r' << std::flush;
  printed_ = false;
  width_ = 0;
}

}  // namespace racksim
