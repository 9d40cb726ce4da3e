// racksim fuzz: the sweep-axis parser (sim/studies/sweep: parse_axis, parse_axes). Each input
// line is one --axis argument: each line is parsed alone (at most 1,000 values), then all of them
// as `racksim sweep` parses its --axis options (parse_axes, a grid of at most 1,000 points), and
// every point's values and --set assignments are built.
#include "core/error.hpp"
#include "core/units.hpp"
#include "sim/studies/sweep.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace racksim;
  constexpr std::size_t kPoints = 1000;
  const std::string text = fuzz::as_text(data, size);
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  for (const auto& line : lines) {
    try {
      (void)parse_axis(line, kPoints);
    } catch (const Error&) {
    } catch (const UnitError&) {
    }
  }
  try {
    const std::vector<SweepAxis> axes = parse_axes(lines, kPoints);
    const std::size_t n = grid_size(axes, kPoints);
    for (std::size_t p = 0; p < n; ++p) {
      (void)point_values(axes, p);
      (void)point_overrides(axes, p);
    }
  } catch (const Error&) {
  } catch (const UnitError&) {
  }
  return 0;
}
