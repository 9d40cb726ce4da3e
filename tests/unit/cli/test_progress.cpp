// The terminal progress meter (sim/cli/progress.hpp). Only what does not depend on the wall clock
// is checked: the line's counts, its clearing, silence without a terminal, duration format.
#include "sim/cli/progress.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace racksim;
using Catch::Matchers::Contains;

TEST_CASE("the progress meter writes one rewritten line and clears it", "[progress]") {
  std::ostringstream tty;
  {
    ProgressMeter m(&tty, "sweep", 4, "points");
    m.update(1);  // the first update always prints
    const std::string first = tty.str();
    CHECK(first.rfind("\rsweep  1/4 points (25%)", 0) == 0);  // 1 of 4 = 25%
    CHECK(first.find('\n') == std::string::npos);             // never a new line: the line is rewritten
    m.update(4, "t = 1 s");  // the last update prints whatever the pace
    CHECK_THAT(tty.str(), Contains("\rsweep  4/4 points (100%)"));
    CHECK_THAT(tty.str(), Contains("t = 1 s"));
    m.finish();
    // Cleared: a carriage return, blanks over the last line, a carriage return.
    const std::string all = tty.str();
    CHECK(all.back() == '\r');
  }
  std::ostringstream none;
  ProgressMeter quiet(nullptr, "sweep", 4, "points");
  quiet.update(2);
  quiet.finish();
  CHECK(none.str().empty());
}

TEST_CASE("durations are shown in h/min/s", "[progress]") {
  CHECK(ProgressMeter::format_duration(42.4) == "42 s");
  CHECK(ProgressMeter::format_duration(185) == "3 min 05 s");     // 3 x 60 + 5
  CHECK(ProgressMeter::format_duration(3720) == "1 h 02 min");    // 3600 + 2 x 60
  CHECK(ProgressMeter::format_duration(-1) == "?");
}
