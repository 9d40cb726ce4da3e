// racksim output: the SVG plotter of svg_plot.hpp — ticks, axes, legends, line and stacked bar
// plots. Every coordinate is printed with one decimal, so the same inputs give the same bytes.
#include "sim/output/svg_plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace racksim::svg {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Layout, in SVG user units (pixels at 100 %).
constexpr double kWidth = 760.0;
constexpr double kTop = 40.0;          // title above
constexpr double kPlotHeight = 240.0;
constexpr double kBottom = 56.0;       // tick labels and the x label
constexpr double kLegendWidth = 200.0; // right of the plot area
constexpr double kLegendRow = 18.0;
constexpr std::size_t kLegendChars = 28;

std::string num(double v) { return fmt::format("{:.1f}", v); }

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U; }

// At most `n` characters (UTF-8 code points), the last an ellipsis when cut.
std::string shorten(const std::string& s, std::size_t n) {
  std::size_t chars = 0;
  for (const char c : s) chars += continuation(c) ? 0 : 1;
  if (chars <= n || n == 0) return s;
  std::size_t cut = 0;
  for (std::size_t kept = 0; cut < s.size(); ++cut) {
    if (continuation(s[cut])) continue;
    if (kept == n - 1) break;
    ++kept;
  }
  return s.substr(0, cut) + "\u2026";
}

std::string dash(std::size_t i) {
  static const std::array<const char*, 4> d = {"", "6 3", "2 3", "8 3 2 3"};
  const char* a = d[(i / 10) % d.size()];
  return *a == '\0' ? std::string() : fmt::format(" stroke-dasharray=\"{}\"", a);
}

std::string value_text(double v, const std::string& unit) {
  return unit.empty() ? fmt::format("{:.4g}", v) : fmt::format("{:.4g} {}", v, unit);
}

std::string svg_open(const std::string& id, double height, const std::string& title) {
  return fmt::format("<svg class=\"plot\" id=\"{}\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" role=\"img\" "
                     "aria-label=\"{}\" font-family=\"sans-serif\" font-size=\"11\">\n"
                     "<text class=\"plot-title\" x=\"{}\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
                     escape(id), num(kWidth), num(height), num(kWidth), num(height), escape(title), num(10.0),
                     escape(title));
}

// A legend entry: a swatch (line or box) and the (shortened) name, full name as tooltip.
std::string legend_entry(std::size_t row, double x0, const std::string& name, const std::string& color,
                         const std::string& dash_attr, bool box) {
  const double y = kTop + 6.0 + kLegendRow * static_cast<double>(row);
  std::string s = fmt::format("<g class=\"legend\"><title>{}</title>", escape(name));
  if (box)
    s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"10\" fill=\"{}\"/>", num(x0), num(y - 8.0), color);
  else
    s += fmt::format("<path d=\"M{} {}H{}\" stroke=\"{}\" stroke-width=\"2\" fill=\"none\"{}/>", num(x0), num(y - 3.0),
                     num(x0 + 22.0), color, dash_attr);
  s += fmt::format("<text x=\"{}\" y=\"{}\">{}</text></g>\n", num(x0 + 28.0), num(y), escape(shorten(name, kLegendChars)));
  return s;
}

// An axis' name: under the x axis (centred at x), or along the y axis (centred at y); none when empty.
std::string x_name(double x, double bottom, const std::string& label) {
  if (label.empty()) return "";
  return fmt::format("<text class=\"axis-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", num(x),
                     num(bottom + 38.0), escape(label));
}
std::string y_name(double y, const std::string& label) {
  if (label.empty()) return "";
  return fmt::format("<text class=\"axis-label\" transform=\"translate(14 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
                     num(y), escape(label));
}

// The frame, horizontal grid lines and labels of a value axis along y.
std::string y_axis(const Ticks& t, double left, double right, double top, double height, const std::string& label) {
  const auto labels = tick_labels(t);
  const double lo = t.values.front();
  const double hi = t.values.back();
  std::string s;
  for (std::size_t i = 0; i < t.values.size(); ++i) {
    const double y = top + height - (t.values[i] - lo) / (hi - lo) * height;
    s += fmt::format("<path class=\"grid\" d=\"M{} {}H{}\" stroke=\"#ddd\"/>"
                     "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                     num(left), num(y), num(right), num(left - 6.0), num(y + 4.0), escape(labels[i]));
  }
  s += y_name(top + height / 2.0, label);
  return s;
}

// Ticks and labels of a numeric axis along x.
std::string x_axis(const Ticks& t, double left, double width, double bottom, const std::string& label) {
  const auto labels = tick_labels(t);
  const double lo = t.values.front();
  const double hi = t.values.back();
  std::string s;
  for (std::size_t i = 0; i < t.values.size(); ++i) {
    const double x = left + (t.values[i] - lo) / (hi - lo) * width;
    s += fmt::format("<path d=\"M{} {}v5\" stroke=\"#333\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                     num(x), num(bottom), num(x), num(bottom + 17.0), escape(labels[i]));
  }
  s += x_name(left + width / 2.0, bottom, label);
  return s;
}

// Category labels along x at slot centres; when there are many, every k-th.
std::string x_categories(const std::vector<std::string>& cats, double left, double width, double bottom,
                         const std::string& label) {
  std::string s;
  const std::size_t n = cats.size();
  const std::size_t every = n <= 16 ? 1 : (n + 15) / 16;
  const std::size_t shown = (n + every - 1) / every;
  const std::size_t chars = std::max<std::size_t>(4, static_cast<std::size_t>(width / static_cast<double>(shown) / 6.5));
  for (std::size_t i = 0; i < n; i += every) {
    const double x = left + (static_cast<double>(i) + 0.5) / static_cast<double>(n) * width;
    s += fmt::format("<g><title>{}</title><path d=\"M{} {}v5\" stroke=\"#333\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>\n",
                     escape(cats[i]), num(x), num(bottom), num(x), num(bottom + 17.0), escape(shorten(cats[i], chars)));
  }
  s += x_name(left + width / 2.0, bottom, label);
  return s;
}

std::string no_data(double left, double top, double width, double height) {
  return fmt::format("<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>"
                     "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#666\">no data</text>\n",
                     num(left), num(top), num(width), num(height), num(left + width / 2.0), num(top + height / 2.0));
}

// The lowest and highest finite value of each of kMaxLinePoints / 2 buckets, in order.
Series thin(const Series& s) {
  const std::size_t n = std::min(s.x.size(), s.y.size());
  if (n <= kMaxLinePoints) return s;
  Series out{s.name, {}, {}, s.color};
  const std::size_t buckets = kMaxLinePoints / 2;
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::size_t i0 = b * n / buckets;
    const std::size_t i1 = (b + 1) * n / buckets;
    std::size_t lo = n;
    std::size_t hi = n;
    for (std::size_t i = i0; i < i1; ++i) {
      if (!std::isfinite(s.y[i])) continue;
      if (lo == n || s.y[i] < s.y[lo]) lo = i;
      if (hi == n || s.y[i] > s.y[hi]) hi = i;
    }
    if (lo == n) {
      out.x.push_back(s.x[i0]);
      out.y.push_back(kNaN);
      continue;
    }
    const std::size_t first = std::min(lo, hi);
    const std::size_t second = std::max(lo, hi);
    out.x.push_back(s.x[first]);
    out.y.push_back(s.y[first]);
    if (second != first) {
      out.x.push_back(s.x[second]);
      out.y.push_back(s.y[second]);
    }
  }
  return out;
}

// The plot area: from `left` to `right` (`width` wide) and from kTop down to `bottom`
// (`height` high); the legend is right of it.
struct PlotArea {
  double left = 0.0, right = 0.0, width = 0.0, height = 0.0, bottom = 0.0;
};

PlotArea plot_area(double left, double height) {
  PlotArea a;
  a.left = left;
  a.right = kWidth - kLegendWidth - 10.0;
  a.width = a.right - a.left;
  a.height = height;
  a.bottom = kTop + height;
  return a;
}

// The SVG's height: the plot area and its x labels, or the legend's `legend_rows` if longer.
double svg_height(const PlotArea& a, std::size_t legend_rows) {
  return std::max(a.bottom + kBottom, kTop + 16.0 + kLegendRow * static_cast<double>(legend_rows));
}

std::string axis_lines(const PlotArea& a) {
  return fmt::format("<path class=\"axis\" d=\"M{} {}V{}H{}\" stroke=\"#333\" fill=\"none\"/>\n", num(a.left), num(kTop),
                     num(a.bottom), num(a.right));
}

// The smallest and largest finite coordinates of the series' points (x also of the marks);
// ymin > ymax when there is no finite point.
struct DataRange {
  double xmin = std::numeric_limits<double>::infinity();
  double xmax = -std::numeric_limits<double>::infinity();
  double ymin = std::numeric_limits<double>::infinity();
  double ymax = -std::numeric_limits<double>::infinity();
};

DataRange data_range(const std::vector<Series>& series, const std::vector<std::pair<double, std::string>>& x_marks) {
  DataRange r;
  for (const auto& se : series)
    for (std::size_t i = 0; i < std::min(se.x.size(), se.y.size()); ++i) {
      if (!std::isfinite(se.y[i]) || !std::isfinite(se.x[i])) continue;
      r.xmin = std::min(r.xmin, se.x[i]);
      r.xmax = std::max(r.xmax, se.x[i]);
      r.ymin = std::min(r.ymin, se.y[i]);
      r.ymax = std::max(r.ymax, se.y[i]);
    }
  for (const auto& [x, tip] : x_marks) {
    (void)tip;
    if (!std::isfinite(x)) continue;
    r.xmin = std::min(r.xmin, x);
    r.xmax = std::max(r.xmax, x);
  }
  return r;
}

// Data coordinates to SVG ones: [x0, x1] onto the area's width, [y0, y1] onto its height.
struct Mapping {
  PlotArea area;
  double x0 = 0.0, x1 = 1.0, y0 = 0.0, y1 = 1.0;
  [[nodiscard]] double px(double x) const { return area.left + (x - x0) / (x1 - x0) * area.width; }
  [[nodiscard]] double py(double y) const { return area.bottom - (y - y0) / (y1 - y0) * area.height; }
};

// An x value as a tooltip shows it: its category's name on a categorical axis, else the number.
std::string x_text(const LinePlot& p, double x) {
  if (!p.x_categories.empty()) {
    const auto i = static_cast<std::size_t>(std::llround(x));
    return i < p.x_categories.size() ? p.x_categories[i] : fmt::format("{:.4g}", x);
  }
  return fmt::format("{:.4g}", x);
}

// Series number `k` of `p`: its line (broken at non-finite points) and, when the plot asks or the
// series has at most one point, a marker with a tooltip at every point.
std::string series_lines(const LinePlot& p, const Series& se, std::size_t k, const std::string& color, const Mapping& m) {
  std::string d;
  bool pen = false;
  std::size_t finite = 0;
  const std::size_t n = std::min(se.x.size(), se.y.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(se.y[i]) || !std::isfinite(se.x[i])) {
      pen = false;
      continue;
    }
    d += fmt::format("{}{} {}", pen ? "L" : "M", num(m.px(se.x[i])), num(m.py(se.y[i])));
    pen = true;
    ++finite;
  }
  std::string s = fmt::format("<g class=\"series\"><title>{}</title>", escape(se.name));
  if (!d.empty())
    s += fmt::format("<path d=\"{}\" stroke=\"{}\" stroke-width=\"1.6\" fill=\"none\"{}/>", d, color, dash(k));
  if (p.points || finite <= 1)
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isfinite(se.y[i]) || !std::isfinite(se.x[i])) continue;
      s += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{}\"><title>{}: {} = {}</title></circle>",
                       num(m.px(se.x[i])), num(m.py(se.y[i])), color, escape(se.name), escape(x_text(p, se.x[i])),
                       escape(value_text(se.y[i], p.unit)));
    }
  return s + "</g>\n";
}

// A red cross on the x axis for each mark, its text as the tooltip.
std::string x_mark_crosses(const std::vector<std::pair<double, std::string>>& x_marks, const Mapping& m) {
  std::string s;
  for (const auto& [x, tip] : x_marks) {
    if (!std::isfinite(x)) continue;
    const double cx = m.px(x);
    s += fmt::format("<g class=\"failed\"><title>{}</title><path d=\"M{} {}l8 8m0 -8l-8 8\" stroke=\"#d62728\" "
                     "stroke-width=\"2\"/></g>\n",
                     escape(tip), num(cx - 4.0), num(m.area.bottom - 12.0));
  }
  return s;
}

// A bar plot's value of bar b, segment g: 0 when missing, not finite or not positive.
double bar_value(const BarPlot& p, std::size_t b, std::size_t g) {
  if (b >= p.values.size() || g >= p.values[b].size()) return 0.0;
  const double v = p.values[b][g];
  return std::isfinite(v) && v > 0.0 ? v : 0.0;
}

std::string segment_color(const BarPlot& p, std::size_t g) {
  return g < p.colors.size() && !p.colors[g].empty() ? p.colors[g] : palette(g);
}

// One stacked segment's rectangle with its tooltip.
std::string segment_rect(const BarPlot& p, std::size_t b, std::size_t g, double x, double y, double w, double h) {
  return fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{} \u2014 {}: {}</title></rect>\n",
                     num(x), num(y), num(w), num(h), segment_color(p, g), escape(p.bars[b]), escape(p.segments[g]),
                     escape(value_text(bar_value(p, b, g), p.unit)));
}

// Values along x (vertical grid lines), bars along y with their labels on the left.
std::string horizontal_bars(const BarPlot& p, const Ticks& t, const PlotArea& a) {
  const std::size_t n = p.bars.size();
  const double hi = t.values.back();
  const auto labels = tick_labels(t);
  std::string s;
  for (std::size_t i = 0; i < t.values.size(); ++i) {
    const double x = a.left + t.values[i] / hi * a.width;
    s += fmt::format("<path class=\"grid\" d=\"M{} {}V{}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{}\" "
                     "text-anchor=\"middle\">{}</text>\n",
                     num(x), num(kTop), num(a.bottom + 5.0), num(x), num(a.bottom + 17.0), escape(labels[i]));
  }
  s += x_name(a.left + a.width / 2.0, a.bottom, p.value_label);
  s += y_name(kTop + a.height / 2.0, p.category_label);
  const double slot = a.height / static_cast<double>(n);
  for (std::size_t b = 0; b < n; ++b) {
    const double y = kTop + slot * static_cast<double>(b) + slot * 0.15;
    s += fmt::format("<g><title>{}</title><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text></g>\n", escape(p.bars[b]),
                     num(a.left - 6.0), num(y + slot * 0.35 + 4.0), escape(shorten(p.bars[b], 28)));
    double acc = 0.0;
    for (std::size_t g = 0; g < p.segments.size(); ++g) {
      const double v = bar_value(p, b, g);
      if (v <= 0.0) continue;
      s += segment_rect(p, b, g, a.left + acc / hi * a.width, y, v / hi * a.width, slot * 0.7);
      acc += v;
    }
  }
  return s;
}

// Values along y, bars along x with their labels below.
std::string vertical_bars(const BarPlot& p, const Ticks& t, const PlotArea& a) {
  const std::size_t n = p.bars.size();
  const double hi = t.values.back();
  std::string s = y_axis(t, a.left, a.right, kTop, a.height, p.value_label);
  s += x_categories(p.bars, a.left, a.width, a.bottom, p.category_label);
  const double slot = a.width / static_cast<double>(n);
  for (std::size_t b = 0; b < n; ++b) {
    const double x = a.left + slot * static_cast<double>(b) + slot * 0.15;
    double acc = 0.0;
    for (std::size_t g = 0; g < p.segments.size(); ++g) {
      const double v = bar_value(p, b, g);
      if (v <= 0.0) continue;
      const double y_top = a.bottom - (acc + v) / hi * a.height;
      s += segment_rect(p, b, g, x, y_top, slot * 0.7, v / hi * a.height);
      acc += v;
    }
  }
  return s;
}

}  // namespace

Ticks nice_ticks(double lo, double hi, int max_ticks) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) {
    lo = 0.0;
    hi = 1.0;
  }
  // Values beyond +-kHuge are drawn at +-kHuge, values within +-kTiny of zero at zero, so that
  // every step, multiple and span below is a finite double.
  constexpr double kHuge = 1e200;
  constexpr double kTiny = 1e-200;
  const auto bounded = [&](double v) { return std::fabs(v) < kTiny ? 0.0 : std::clamp(v, -kHuge, kHuge); };
  lo = bounded(lo);
  hi = bounded(hi);
  if (hi < lo) std::swap(lo, hi);
  // Bounds that differ only in their last few digits (1200 and 1199.9999999999998, from two
  // sums in another order) are one value: a step that small is below the doubles' resolution
  // there, and its multiples would not advance.
  const double magnitude = std::max(std::fabs(lo), std::fabs(hi));
  if (hi - lo <= magnitude * 1e-9) {
    if (magnitude == 0.0) {
      lo = 0.0;
      hi = 1.0;
    } else {
      const double mid = lo + (hi - lo) / 2.0;
      const double d = std::fabs(mid) * 0.1;
      lo = mid - d;
      hi = mid + d;
    }
  }
  // At least 3: a range across zero needs -1, 0 and 1 step whatever the step.
  max_ticks = std::clamp(max_ticks, 3, 1000);
  const double span = hi - lo;
  // The first candidate step is at most span / max_ticks / 10; each round multiplies it by 10, so
  // at most a few rounds pass before a step of at least span / (max_ticks - 1) fits.
  const int p0 = static_cast<int>(std::floor(std::log10(span / max_ticks))) - 1;
  for (int p = p0; p <= p0 + 8; ++p) {
    for (const double m : {1.0, 2.0, 5.0}) {
      // step = m x 10^p, computed so that i x step is the closest double to the decimal value
      const double scale = std::pow(10.0, std::abs(p));
      const double step = p < 0 ? m / scale : m * scale;
      const double a = std::floor(lo / step + 1e-9);
      const double b = std::ceil(hi / step - 1e-9);
      if (b - a + 1.0 > max_ticks) continue;
      Ticks t;
      t.step = step;
      const int n = static_cast<int>(b - a);  // at most max_ticks - 1: a and b are within 2^53
      for (int k = 0; k <= n; ++k) {
        const double i = a + k;
        t.values.push_back(p < 0 ? i * m / scale : i * m * scale);
      }
      return t;
    }
  }
  throw std::logic_error("nice_ticks: no 1-2-5 step fits");  // unreachable: the span is finite and positive
}

std::vector<std::string> tick_labels(const Ticks& t) {
  double max_abs = 0.0;
  for (const double v : t.values) max_abs = std::max(max_abs, std::fabs(v));
  double div = 1.0;
  std::string suffix;
  if (max_abs >= 1e5) {
    const int e3 = std::clamp(static_cast<int>(std::floor(std::log10(max_abs) / 3.0)), 1, 4);
    div = std::pow(10.0, 3 * e3);
    suffix = std::string(1, "kMGT"[e3 - 1]);
  }
  const bool tiny = max_abs > 0.0 && max_abs < 1e-3;
  const int step_exp = static_cast<int>(std::floor(std::log10(t.step / div) + 1e-9));
  const int decimals = std::max(0, -step_exp);
  const int sci_digits = tiny ? std::max(0, static_cast<int>(std::floor(std::log10(max_abs) + 1e-9)) - step_exp) : 0;
  std::vector<std::string> out;
  for (const double v : t.values) {
    if (std::fabs(v) < t.step * 1e-9) out.emplace_back("0");
    else if (tiny) out.push_back(fmt::format("{:.{}e}", v, sci_digits));
    else out.push_back(fmt::format("{:.{}f}{}", v / div, decimals, suffix));
  }
  return out;
}

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

Scale display_scale(const std::string& unit, double max_abs) {
  if (!std::isfinite(max_abs)) max_abs = 0.0;
  if (unit == "s") {
    if (max_abs >= 1.0 || max_abs == 0.0) return {1.0, "s"};
    if (max_abs >= 1e-3) return {1e3, "ms"};
    if (max_abs >= 1e-6) return {1e6, "\u00b5s"};
    return {1e9, "ns"};
  }
  if (unit == "W" || unit == "J" || unit == "B" || unit == "FLOP/s") {
    static const std::array<std::pair<double, const char*>, 5> prefixes = {
        {{1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}}};
    for (const auto& [f, p] : prefixes)
      if (max_abs >= f) return {1.0 / f, p + unit};
  }
  return {1.0, unit};
}

std::string with_unit(double v, const std::string& unit) {
  if (!std::isfinite(v)) return "n/a";
  const Scale s = display_scale(unit, std::fabs(v));
  return value_text(v * s.factor, s.unit);
}

std::string palette(std::size_t i) {
  // Tableau 10
  static const std::array<const char*, 10> colors = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                                      "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  return colors[i % colors.size()];
}

std::string line_plot(const LinePlot& p) {
  std::vector<Series> series;
  series.reserve(p.series.size());
  for (const auto& s : p.series) series.push_back(thin(s));

  const PlotArea a = plot_area(76.0, kPlotHeight);
  std::string s = svg_open(p.id, svg_height(a, series.size()), p.title);
  DataRange r = data_range(series, p.x_marks);
  if (r.ymin > r.ymax) {  // no finite point at all
    s += no_data(a.left, kTop, a.width, a.height);
    return s + "</svg>\n";
  }
  if (p.y_from_zero) {
    r.ymin = std::min(r.ymin, 0.0);
    r.ymax = std::max(r.ymax, 0.0);
  }
  const Ticks yt = nice_ticks(r.ymin, r.ymax);
  Mapping m;
  m.area = a;
  m.y0 = yt.values.front();
  m.y1 = yt.values.back();
  m.x0 = -0.5;
  m.x1 = static_cast<double>(p.x_categories.size()) - 0.5;
  s += y_axis(yt, a.left, a.right, kTop, a.height, p.y_label);
  if (!p.x_categories.empty()) {
    s += x_categories(p.x_categories, a.left, a.width, a.bottom, p.x_label);
  } else {
    const Ticks xt = nice_ticks(r.xmin, r.xmax);
    m.x0 = xt.values.front();
    m.x1 = xt.values.back();
    s += x_axis(xt, a.left, a.width, a.bottom, p.x_label);
  }
  s += axis_lines(a);
  for (std::size_t k = 0; k < series.size(); ++k) {
    const std::string color = series[k].color.empty() ? palette(k) : series[k].color;
    s += series_lines(p, series[k], k, color, m);
    s += legend_entry(k, a.right + 16.0, series[k].name, color, dash(k), false);
  }
  s += x_mark_crosses(p.x_marks, m);
  return s + "</svg>\n";
}

std::string stacked_bar_plot(const BarPlot& p) {
  const std::size_t n = p.bars.size();
  double vmax = 0.0;
  std::vector<bool> used(p.segments.size(), false);
  for (std::size_t b = 0; b < n; ++b) {
    double sum = 0.0;
    for (std::size_t g = 0; g < p.segments.size(); ++g) {
      sum += bar_value(p, b, g);
      if (bar_value(p, b, g) > 0.0) used[g] = true;
    }
    vmax = std::max(vmax, sum);
  }
  std::size_t legend_rows = 0;
  for (const bool u : used) legend_rows += u ? 1 : 0;

  const PlotArea a = plot_area(p.horizontal ? 190.0 : 76.0,
                               p.horizontal ? std::max(60.0, 30.0 * static_cast<double>(n)) : kPlotHeight);
  std::string s = svg_open(p.id, svg_height(a, legend_rows), p.title);
  if (n == 0 || vmax <= 0.0) {
    s += no_data(a.left, kTop, a.width, a.height);
    return s + "</svg>\n";
  }
  const Ticks t = nice_ticks(0.0, vmax);
  s += p.horizontal ? horizontal_bars(p, t, a) : vertical_bars(p, t, a);
  s += axis_lines(a);
  std::size_t row = 0;
  for (std::size_t g = 0; g < p.segments.size(); ++g)
    if (used[g]) s += legend_entry(row++, a.right + 16.0, p.segments[g], segment_color(p, g), "", true);
  return s + "</svg>\n";
}

}  // namespace racksim::svg
