// racksim sim: progress on a terminal — a one-line meter for long runs and sweeps.
//
// It writes "\r<what>  <done>/<total> <unit>  <rate>/s  ETA <t>" at most every 0.25 s of wall
// time to `tty`, and nothing at all when `tty` is null (the CLI passes null when stderr is not
// a terminal, so logs and CI output stay clean). It reads the wall clock only to pace itself and
// to estimate the rate; nothing it measures reaches any result file.
#pragma once

#include <chrono>
#include <iosfwd>
#include <string>

namespace racksim {

class ProgressMeter {
public:
  // `total` > 0 in `unit`s ("points", "ops"); `what` starts the line ("sweep", "simulating").
  ProgressMeter(std::ostream* tty, std::string what, double total, std::string unit);
  ~ProgressMeter();
  ProgressMeter(const ProgressMeter&) = delete;
  ProgressMeter& operator=(const ProgressMeter&) = delete;

  // `done` units so far; `note` is appended (e.g. the simulated time). Cheap when not printing.
  void update(double done, const std::string& note = "");
  // Changes the total (a run learns its op count once it starts).
  void set_total(double total) { total_ = total; }
  // Clears the line (call before printing results).
  void finish();

  // "1 h 02 min", "3 min 05 s", "42 s": how ETAs are shown.
  [[nodiscard]] static std::string format_duration(double seconds);

private:
  using Clock = std::chrono::steady_clock;
  std::ostream* tty_;
  std::string what_;
  double total_;
  std::string unit_;
  Clock::time_point start_;
  Clock::time_point last_;
  std::size_t width_ = 0;  // of the last line written, to blank it
  bool printed_ = false;
};

}  // namespace racksim
