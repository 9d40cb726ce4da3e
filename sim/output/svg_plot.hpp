// racksim output: a small, pure SVG plotter for report.html (sim/output/report.cpp) — line plots and
// stacked bar charts with 1-2-5 ticks, axis labels with units, a legend and <title> tooltips.
//
// What it draws. Each function returns one <svg class="plot" id="..."> element, ready to be
// inlined into an HTML page: no xmlns (the HTML parser supplies it), no scripts, no external
// references, every text escaped. The output depends only on the arguments (numbers are
// printed with fixed precision), so the same inputs give byte-identical SVG.
//
// Ticks. nice_ticks() picks the smallest step of the form {1, 2, 5} x 10^k whose multiples
// cover [lo, hi] with at most `max_ticks` ticks (0..7.3 -> 0, 2, 4, 6, 8); the axis then runs
// from the first tick to the last. tick_labels() prints a whole axis with one precision (the
// step's decimals) and one SI suffix (k, M, G, T) for large values.
//
// Size. A line series longer than kMaxLinePoints is thinned to the lowest and highest value of
// each of kMaxLinePoints / 2 buckets of consecutive points, so peaks survive and the SVG stays
// small whatever the run's length.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace racksim::svg {

inline constexpr std::size_t kMaxLinePoints = 800;

struct Ticks {
  double step = 1.0;
  std::vector<double> values;  // ascending, first <= lo, last >= hi
};

// Ticks at multiples of a 1-2-5 step covering [lo, hi] (swapped when hi < lo), at most
// max_ticks of them (clamped to 3..1000: a range across zero needs 3), whatever the bounds. An
// empty span, or one below a billionth of the bounds (1200 vs 1199.9999999999998), is widened
// (0 -> [0, 1]; v -> v +- 10 %); non-finite bounds give the ticks of [0, 1]; bounds beyond
// +-1e200 are drawn at +-1e200 and those within +-1e-200 of zero at zero.
[[nodiscard]] Ticks nice_ticks(double lo, double hi, int max_ticks = 6);
// One label per tick: zero is "0"; the others have the step's decimals and, when the largest
// tick is at least 10^5, a k/M/G/T suffix (0, 0.5M, 1.0M, 1.5M).
[[nodiscard]] std::vector<std::string> tick_labels(const Ticks& t);

// `s` with & < > " ' replaced by character references: safe as HTML/SVG text and attribute.
[[nodiscard]] std::string escape(std::string_view s);

// A display unit for values up to `max_abs` of `unit`: s -> s, ms, us, ns; W, J, B, FLOP/s ->
// k, M, G, T, P prefixes. Other units are kept as they are (factor 1). Values are multiplied by
// `factor` to be shown in `unit`.
struct Scale {
  double factor = 1.0;
  std::string unit;
};
[[nodiscard]] Scale display_scale(const std::string& unit, double max_abs);
// `v` in the display unit suited to it, 4 significant digits: "12.35 ms", "1.2 kW".
[[nodiscard]] std::string with_unit(double v, const std::string& unit);

struct Series {
  std::string name;
  std::vector<double> x, y;  // same length; a NaN y breaks the line
  std::string color;         // "": the palette's colour for the series' index
};

struct LinePlot {
  std::string id;
  std::string title;
  std::string x_label, y_label;   // with their units
  std::string unit;               // of y, for tooltips
  // Non-empty: a categorical x axis, evenly spaced; the series' x are indices into it.
  std::vector<std::string> x_categories;
  bool y_from_zero = false;
  bool points = false;            // draw a marker with a tooltip at every point
  std::vector<Series> series;
  // Marked with a red cross on the x axis, with the tooltip (a sweep's failed points).
  std::vector<std::pair<double, std::string>> x_marks;
};
[[nodiscard]] std::string line_plot(const LinePlot& p);

struct BarPlot {
  std::string id;
  std::string title;
  std::string category_label;     // the bars' axis
  std::string value_label;        // the values' axis, with its unit
  std::string unit;               // of the values, for tooltips
  bool horizontal = false;        // bars along y, values along x
  std::vector<std::string> bars;  // one label per bar
  std::vector<std::string> segments;                // stacked parts, bottom (left) first: the legend
  std::vector<std::string> colors;                  // per segment; "" or missing: the palette
  std::vector<std::vector<double>> values;          // values[bar][segment]; <= 0 or NaN: nothing
};
[[nodiscard]] std::string stacked_bar_plot(const BarPlot& p);

// The palette's colour number i (cycles through 10 colours).
[[nodiscard]] std::string palette(std::size_t i);

}  // namespace racksim::svg
