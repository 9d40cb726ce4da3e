// Unit tests: the sweep-axis parser (sim/studies/sweep: parse_axis) on integer ranges at the ends
// of the 64-bit range (issue 19, found while fuzzing): no overflow, no endless loop.
#include "core/error.hpp"
#include "sim/studies/sweep.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;
using racksim::test::input_error_of;

TEST_CASE("axis ranges: values near the largest integer end at the range's end", "[sweep][robust]") {
  // 9223372036854775806..9223372036854775807 is two values; the old loop added the step to the
  // last one, overflowed and never ended.
  const SweepAxis a = parse_axis("k=9223372036854775806..9223372036854775807");
  CHECK(a.values == std::vector<std::string>{"9223372036854775806", "9223372036854775807"});
  // A step past the end: one value.
  CHECK(parse_axis("k=9223372036854775807..9223372036854775807:5").values == std::vector<std::string>{"9223372036854775807"});
  // -2..2 by 2: -2, 0, 2.
  CHECK(parse_axis("k=-2..2:2").values == std::vector<std::string>{"-2", "0", "2"});
}

TEST_CASE("axis ranges: a span wider than the largest integer is counted, not overflowed", "[sweep][robust]") {
  // hi - lo = 2^64 - 1 does not fit a long long: it has more than a million values.
  try {
    (void)parse_axis("k=-9223372036854775808..9223372036854775807");
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), Contains("has more than a million values"));
  }
  // The same span in 2^62 steps: -2^63, -2^62, 0, 2^62 (2^63 - 1 is not reached).
  CHECK(parse_axis("k=-9223372036854775808..9223372036854775807:4611686018427387904").values ==
        std::vector<std::string>{"-9223372036854775808", "-4611686018427387904", "0", "4611686018427387904"});
}

TEST_CASE("sweep axes: a grid too large is refused before its values are built", "[sweep][robust]") {
  // Each range has 999,999 values, under the million a range may have; two of them on one axis
  // make 1,999,998 values, past an axis' million; and three axes of 999,999 values make a grid of
  // ~10^18 points, past the 10^7 limit at the second axis, whose values are never built (before
  // this check every axis was expanded first: n such axes held n million strings, hundreds of MB
  // of them, before the grid was refused).
  const std::string r = "0..999998";
  const InputError one = input_error_of([&] { (void)parse_axis("k=" + r + ",1000000..1999998"); });
  CHECK_THAT(one.what(), Contains("the axis has more than 1000000 values"));
  const InputError grid = input_error_of([&] { (void)parse_axes({"a=" + r, "b=" + r, "c=" + r}); });
  CHECK_THAT(grid.what(), Contains("the sweep has more than 10000000 points; split it"));
  // Within the limit the axes are those parse_axis gives: 1,000 x 10 = 10,000 points.
  const std::vector<SweepAxis> ok = parse_axes({"a=1..1000", "b=x,y,z,0..6"}, 10'000);
  REQUIRE(ok.size() == 2u);
  CHECK(ok[0].values.size() == 1000u);
  CHECK(ok[1].values.size() == 10u);
  CHECK(grid_size(ok, 10'000) == 10'000u);
  // One point more than the limit is refused at the axis that passes it.
  CHECK_THROWS_AS(parse_axes({"a=1..1000", "b=0..10"}, 10'000), InputError);
}
