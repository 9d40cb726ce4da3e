// racksim fuzz: the SVG plotter's ticks and scales (sim/output/svg_plot). The input's bytes are
// two doubles (lo, hi), a tick count and a unit choice; nice_ticks must return a bounded number
// of ascending ticks that cover a finite [lo, hi], tick_labels one label per tick, and a small
// line plot over the two values must render. Inputs shorter than 17 bytes are padded with zeros.
#include "sim/output/svg_plot.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace {

// nice_ticks returns at most max_ticks ticks, clamped to 3..1000 (svg_plot.hpp).
void check_ticks(const racksim::svg::Ticks& t, double lo, double hi, int max_ticks) {
  const std::size_t bound = static_cast<std::size_t>(std::clamp(max_ticks, 3, 1000));
  if (t.values.empty() || t.values.size() > bound) std::abort();
  if (!(t.step > 0.0) || !std::isfinite(t.step)) std::abort();
  for (std::size_t i = 0; i < t.values.size(); ++i) {
    if (!std::isfinite(t.values[i])) std::abort();
    if (i > 0 && !(t.values[i] > t.values[i - 1])) std::abort();
  }
  const auto drawn_as_is = [](double v) { return std::isfinite(v) && std::fabs(v) <= 1e200 && (v == 0.0 || std::fabs(v) >= 1e-200); };
  if (drawn_as_is(lo) && drawn_as_is(hi)) {
    const double slack = t.step * 1e-6;  // a and b are rounded with a 1e-9 tolerance
    if (t.values.front() > std::min(lo, hi) + slack || t.values.back() < std::max(lo, hi) - slack) std::abort();
  }
  if (racksim::svg::tick_labels(t).size() != t.values.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace racksim::svg;
  std::array<std::uint8_t, 18> buf{};
  std::memcpy(buf.data(), data, std::min(size, buf.size()));
  double lo = 0.0;
  double hi = 0.0;
  std::memcpy(&lo, buf.data(), sizeof lo);
  std::memcpy(&hi, buf.data() + 8, sizeof hi);
  const int max_ticks = static_cast<int>(buf[16] % 16);
  static const std::array<const char*, 6> units = {"s", "W", "J", "B", "FLOP/s", "%"};
  const std::string unit = units[buf[17] % units.size()];

  check_ticks(nice_ticks(lo, hi, max_ticks), lo, hi, max_ticks);
  check_ticks(nice_ticks(lo, hi), lo, hi, 6);
  (void)display_scale(unit, std::fabs(hi));
  (void)with_unit(lo, unit);
  (void)with_unit(hi, unit);

  LinePlot p;
  p.id = "fuzz";
  p.unit = unit;
  p.points = true;
  p.y_from_zero = (buf[16] & 0x10U) != 0;
  Series s;
  s.name = "s";
  s.x = {lo, hi, hi};
  s.y = {hi, lo, lo};
  p.series.push_back(s);
  p.x_marks.emplace_back(lo, "mark");
  (void)line_plot(p);

  BarPlot b;
  b.id = "fuzz-bars";
  b.unit = unit;
  b.horizontal = (buf[16] & 0x20U) != 0;
  b.bars = {"a", "b"};
  b.segments = {"x", "y"};
  b.values = {{lo, hi}, {hi, lo}};
  (void)stacked_bar_plot(b);
  return 0;
}
