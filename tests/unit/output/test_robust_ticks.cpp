// Unit tests: nice_ticks (sim/output/svg_plot) on the bounds a fuzzer or a sweep can give it —
// near-equal, huge, tiny, negative and non-finite — always a short ascending list that covers
// the range (issue 19, item 1: 1200 vs 1199.9999999999998 never terminated).
#include "sim/output/svg_plot.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace racksim;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_sane(const svg::Ticks& t, std::size_t max_ticks) {
  REQUIRE(!t.values.empty());
  CHECK(t.values.size() <= max_ticks);
  CHECK(t.step > 0.0);
  CHECK(std::isfinite(t.step));
  for (std::size_t i = 1; i < t.values.size(); ++i) CHECK(t.values[i] > t.values[i - 1]);
  CHECK(svg::tick_labels(t).size() == t.values.size());
}

}  // namespace

TEST_CASE("ticks: bounds equal but for rounding are one value, widened by 10 %", "[report][svg][robust]") {
  // 1200 and 1199.9999999999998 (a sweep's clock average summed in two orders) differ by one
  // ulp. They are one value, 1200: [1080, 1320]. Step 50 needs 1050..1350 = 7 ticks (> 6);
  // step 100 covers 1000..1400 with 5.
  const auto t = svg::nice_ticks(1199.9999999999998, 1200.0);
  check_sane(t, 6);
  CHECK(t.step == Approx(100.0));
  REQUIRE(t.values.size() == 5);
  CHECK(t.values.front() == Approx(1000.0));
  CHECK(t.values.back() == Approx(1400.0));
  // The same with the bounds swapped, and in the negative.
  CHECK(svg::nice_ticks(1200.0, 1199.9999999999998).values == t.values);
  const auto n = svg::nice_ticks(-1200.0, -1199.9999999999998);
  check_sane(n, 6);
  CHECK(n.values.front() == Approx(-1400.0));
  CHECK(n.values.back() == Approx(-1000.0));
}

TEST_CASE("ticks: huge, tiny and non-finite bounds give a few finite ticks", "[report][svg][robust]") {
  // The whole double range: drawn at +-1e200, so the step is 1e200 x {1, 2, 5}: 5e199 needs
  // -1e200..1e200 = 5 ticks.
  const double big = std::numeric_limits<double>::max();
  auto t = svg::nice_ticks(-big, big);
  check_sane(t, 6);
  CHECK(t.values.front() == Approx(-1e200));
  CHECK(t.values.back() == Approx(1e200));
  // Subnormal bounds are zero: the ticks of [0, 1].
  t = svg::nice_ticks(4.9e-324, 1e-320);
  check_sane(t, 6);
  CHECK(t.values.front() == 0.0);
  CHECK(t.values.back() == Approx(1.0));
  // Tiny but normal: 1e-150..3e-150, step 5e-151 covers 1e-150..3e-150 with 5 ticks.
  t = svg::nice_ticks(1e-150, 3e-150);
  check_sane(t, 6);
  CHECK(t.step == Approx(5e-151));
  // Infinities and NaN: [0, 1].
  for (const auto& [lo, hi] : {std::pair{-kInf, kInf}, std::pair{kNaN, kNaN}, std::pair{0.0, kInf}, std::pair{kNaN, 1.0}}) {
    t = svg::nice_ticks(lo, hi);
    check_sane(t, 6);
    CHECK(t.values.front() == 0.0);
    CHECK(t.values.back() == Approx(1.0));
  }
}

TEST_CASE("ticks: the tick count is clamped to 3..1000", "[report][svg][robust]") {
  // max_ticks below 3 is 3: a range across zero needs -1, 0 and 1 step whatever the step (with 2
  // the search never ended). -3..2: step 5 gives -5, 0, 5.
  auto t = svg::nice_ticks(-3.0, 2.0, 1);
  check_sane(t, 3);
  CHECK(t.step == Approx(5.0));
  // 0..7.3 with at most 3 ticks: step 2 needs 0..8 = 5; step 5 gives 0, 5, 10.
  t = svg::nice_ticks(0.0, 7.3, -5);
  check_sane(t, 3);
  CHECK(t.step == Approx(5.0));
  // A huge max_ticks is 1000: 0..1 with step 0.001 gives 1001 ticks (> 1000), so step 0.002: 501.
  t = svg::nice_ticks(0.0, 1.0, std::numeric_limits<int>::max());
  check_sane(t, 1000);
  CHECK(t.values.size() == 501);
}
