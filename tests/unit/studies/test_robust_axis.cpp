// Unit tests: the sweep-axis parser (sim/studies/sweep: parse_axis) on integer ranges at the ends
// of the 64-bit range (issue 19, found while fuzzing): no overflow, no endless loop.
#include "core/error.hpp"
#include "sim/studies/sweep.hpp"

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;

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
