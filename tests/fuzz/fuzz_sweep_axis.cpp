// racksim fuzz: the sweep-axis parser (sim/studies/sweep: parse_axis). Each input line is one
// --axis argument; the axes that parse are sized as a grid (grid_size) and, when the grid is
// small, every point's values and --set assignments are built.
#include "core/error.hpp"
#include "core/units.hpp"
#include "sim/studies/sweep.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace racksim;
  const std::string text = fuzz::as_text(data, size);
  std::vector<SweepAxis> axes;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    try {
      axes.push_back(parse_axis(text.substr(start, end - start)));
    } catch (const Error&) {
    } catch (const UnitError&) {
    }
    start = end + 1;
  }
  try {
    const std::size_t n = grid_size(axes, 1000);
    for (std::size_t p = 0; p < n; ++p) {
      (void)point_values(axes, p);
      (void)point_overrides(axes, p);
    }
  } catch (const Error&) {
  }
  return 0;
}
