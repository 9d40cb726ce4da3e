#include "sim/output/svg_plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

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

}  // namespace

Ticks nice_ticks(double lo, double hi, int max_ticks) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) {
    lo = 0.0;
    hi = 1.0;
  }
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) {
    if (lo == 0.0) {
      hi = 1.0;
    } else {
      const double d = std::fabs(lo) * 0.1;
      lo -= d;
      hi += d;
    }
  }
  max_ticks = std::max(max_ticks, 2);
  const double span = hi - lo;
  int p = static_cast<int>(std::floor(std::log10(span / max_ticks))) - 1;
  for (;; ++p) {
    for (const double m : {1.0, 2.0, 5.0}) {
      // step = m x 10^p, computed so that i x step is the closest double to the decimal value
      const double scale = std::pow(10.0, std::abs(p));
      const double step = p < 0 ? m / scale : m * scale;
      const double a = std::floor(lo / step + 1e-9);
      const double b = std::ceil(hi / step - 1e-9);
      if (b - a + 1.0 > max_ticks) continue;
      Ticks t;
      t.step = step;
      for (double i = a; i <= b; i += 1.0) t.values.push_back(p < 0 ? i * m / scale : i * m * scale);
      return t;
    }
  }
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

  const double left = 76.0;
  const double right = kWidth - kLegendWidth - 10.0;
  const double width = right - left;
  const double bottom = kTop + kPlotHeight;
  const double height =
      std::max(bottom + kBottom, kTop + 16.0 + kLegendRow * static_cast<double>(series.size()));
  std::string s = svg_open(p.id, height, p.title);

  const bool categorical = !p.x_categories.empty();
  double xmin = std::numeric_limits<double>::infinity();
  double xmax = -xmin;
  double ymin = xmin;
  double ymax = -xmin;
  for (const auto& se : series)
    for (std::size_t i = 0; i < std::min(se.x.size(), se.y.size()); ++i) {
      if (!std::isfinite(se.y[i]) || !std::isfinite(se.x[i])) continue;
      xmin = std::min(xmin, se.x[i]);
      xmax = std::max(xmax, se.x[i]);
      ymin = std::min(ymin, se.y[i]);
      ymax = std::max(ymax, se.y[i]);
    }
  for (const auto& [x, tip] : p.x_marks) {
    (void)tip;
    if (!std::isfinite(x)) continue;
    xmin = std::min(xmin, x);
    xmax = std::max(xmax, x);
  }
  if (ymin > ymax) {  // no finite point at all
    s += no_data(left, kTop, width, kPlotHeight);
    return s + "</svg>\n";
  }
  if (p.y_from_zero) {
    ymin = std::min(ymin, 0.0);
    ymax = std::max(ymax, 0.0);
  }
  const Ticks yt = nice_ticks(ymin, ymax);
  const double y0 = yt.values.front();
  const double y1 = yt.values.back();
  double x0 = -0.5;
  double x1 = static_cast<double>(p.x_categories.size()) - 0.5;
  s += y_axis(yt, left, right, kTop, kPlotHeight, p.y_label);
  if (categorical) {
    s += x_categories(p.x_categories, left, width, bottom, p.x_label);
  } else {
    const Ticks xt = nice_ticks(xmin, xmax);
    x0 = xt.values.front();
    x1 = xt.values.back();
    s += x_axis(xt, left, width, bottom, p.x_label);
  }
  s += fmt::format("<path class=\"axis\" d=\"M{} {}V{}H{}\" stroke=\"#333\" fill=\"none\"/>\n", num(left), num(kTop),
                   num(bottom), num(right));
  const auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * width; };
  const auto py = [&](double y) { return bottom - (y - y0) / (y1 - y0) * kPlotHeight; };
  const auto x_text = [&](double x) {
    if (categorical) {
      const auto i = static_cast<std::size_t>(std::llround(x));
      return i < p.x_categories.size() ? p.x_categories[i] : fmt::format("{:.4g}", x);
    }
    return fmt::format("{:.4g}", x);
  };

  for (std::size_t k = 0; k < series.size(); ++k) {
    const auto& se = series[k];
    const std::string color = se.color.empty() ? palette(k) : se.color;
    std::string d;
    bool pen = false;
    std::size_t finite = 0;
    const std::size_t n = std::min(se.x.size(), se.y.size());
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isfinite(se.y[i]) || !std::isfinite(se.x[i])) {
        pen = false;
        continue;
      }
      d += fmt::format("{}{} {}", pen ? "L" : "M", num(px(se.x[i])), num(py(se.y[i])));
      pen = true;
      ++finite;
    }
    s += fmt::format("<g class=\"series\"><title>{}</title>", escape(se.name));
    if (!d.empty())
      s += fmt::format("<path d=\"{}\" stroke=\"{}\" stroke-width=\"1.6\" fill=\"none\"{}/>", d, color, dash(k));
    if (p.points || finite <= 1)
      for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(se.y[i]) || !std::isfinite(se.x[i])) continue;
        s += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{}\"><title>{}: {} = {}</title></circle>",
                         num(px(se.x[i])), num(py(se.y[i])), color, escape(se.name), escape(x_text(se.x[i])),
                         escape(value_text(se.y[i], p.unit)));
      }
    s += "</g>\n";
    s += legend_entry(k, right + 16.0, se.name, color, dash(k), false);
  }
  for (const auto& [x, tip] : p.x_marks) {
    if (!std::isfinite(x)) continue;
    const double cx = px(x);
    s += fmt::format("<g class=\"failed\"><title>{}</title><path d=\"M{} {}l8 8m0 -8l-8 8\" stroke=\"#d62728\" "
                     "stroke-width=\"2\"/></g>\n",
                     escape(tip), num(cx - 4.0), num(bottom - 12.0));
  }
  return s + "</svg>\n";
}

std::string stacked_bar_plot(const BarPlot& p) {
  const std::size_t n = p.bars.size();
  const auto value = [&](std::size_t b, std::size_t g) {
    if (b >= p.values.size() || g >= p.values[b].size()) return 0.0;
    const double v = p.values[b][g];
    return std::isfinite(v) && v > 0.0 ? v : 0.0;
  };
  const auto color = [&](std::size_t g) { return g < p.colors.size() && !p.colors[g].empty() ? p.colors[g] : palette(g); };
  double vmax = 0.0;
  std::vector<bool> used(p.segments.size(), false);
  for (std::size_t b = 0; b < n; ++b) {
    double sum = 0.0;
    for (std::size_t g = 0; g < p.segments.size(); ++g) {
      sum += value(b, g);
      if (value(b, g) > 0.0) used[g] = true;
    }
    vmax = std::max(vmax, sum);
  }
  std::size_t legend_rows = 0;
  for (const bool u : used) legend_rows += u ? 1 : 0;

  const double left = p.horizontal ? 190.0 : 76.0;
  const double right = kWidth - kLegendWidth - 10.0;
  const double width = right - left;
  const double plot_h = p.horizontal ? std::max(60.0, 30.0 * static_cast<double>(n)) : kPlotHeight;
  const double bottom = kTop + plot_h;
  const double height = std::max(bottom + kBottom, kTop + 16.0 + kLegendRow * static_cast<double>(legend_rows));
  std::string s = svg_open(p.id, height, p.title);
  if (n == 0 || vmax <= 0.0) {
    s += no_data(left, kTop, width, plot_h);
    return s + "</svg>\n";
  }
  const Ticks t = nice_ticks(0.0, vmax);
  const double hi = t.values.back();
  if (p.horizontal) {
    // values along x: vertical grid lines; bars along y with their labels on the left
    const auto labels = tick_labels(t);
    for (std::size_t i = 0; i < t.values.size(); ++i) {
      const double x = left + t.values[i] / hi * width;
      s += fmt::format("<path class=\"grid\" d=\"M{} {}V{}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{}\" "
                       "text-anchor=\"middle\">{}</text>\n",
                       num(x), num(kTop), num(bottom + 5.0), num(x), num(bottom + 17.0), escape(labels[i]));
    }
    s += x_name(left + width / 2.0, bottom, p.value_label);
    s += y_name(kTop + plot_h / 2.0, p.category_label);
    const double slot = plot_h / static_cast<double>(n);
    for (std::size_t b = 0; b < n; ++b) {
      const double y = kTop + slot * static_cast<double>(b) + slot * 0.15;
      s += fmt::format("<g><title>{}</title><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text></g>\n", escape(p.bars[b]),
                       num(left - 6.0), num(y + slot * 0.35 + 4.0), escape(shorten(p.bars[b], 28)));
      double acc = 0.0;
      for (std::size_t g = 0; g < p.segments.size(); ++g) {
        const double v = value(b, g);
        if (v <= 0.0) continue;
        s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{} \u2014 {}: {}</title></rect>\n",
                         num(left + acc / hi * width), num(y), num(v / hi * width), num(slot * 0.7), color(g),
                         escape(p.bars[b]), escape(p.segments[g]), escape(value_text(v, p.unit)));
        acc += v;
      }
    }
  } else {
    s += y_axis(t, left, right, kTop, plot_h, p.value_label);
    s += x_categories(p.bars, left, width, bottom, p.category_label);
    const double slot = width / static_cast<double>(n);
    for (std::size_t b = 0; b < n; ++b) {
      const double x = left + slot * static_cast<double>(b) + slot * 0.15;
      double acc = 0.0;
      for (std::size_t g = 0; g < p.segments.size(); ++g) {
        const double v = value(b, g);
        if (v <= 0.0) continue;
        const double y_top = bottom - (acc + v) / hi * plot_h;
        s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{} \u2014 {}: {}</title></rect>\n",
                         num(x), num(y_top), num(slot * 0.7), num(v / hi * plot_h), color(g), escape(p.bars[b]),
                         escape(p.segments[g]), escape(value_text(v, p.unit)));
        acc += v;
      }
    }
  }
  s += fmt::format("<path class=\"axis\" d=\"M{} {}V{}H{}\" stroke=\"#333\" fill=\"none\"/>\n", num(left), num(kTop),
                   num(bottom), num(right));
  std::size_t row = 0;
  for (std::size_t g = 0; g < p.segments.size(); ++g)
    if (used[g]) s += legend_entry(row++, right + 16.0, p.segments[g], color(g), "", true);
  return s + "</svg>\n";
}

}  // namespace racksim::svg
