// racksim fuzz: the unit parser (core/units): the input text through every parse_* entry point
// and parse_quantity of every family; what parses is formatted back.
#include "core/error.hpp"
#include "core/units.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <cmath>
#include <cstdlib>

namespace {

template <class F>
void attempt(F&& f) {
  try {
    f();
  } catch (const racksim::UnitError&) {
  } catch (const racksim::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace racksim;
  const std::string text = fuzz::as_text(data, size);
  attempt([&] { (void)format_bytes(parse_bytes(text)); });
  attempt([&] { (void)format_seconds(parse_seconds(text)); });
  attempt([&] { (void)format_rate(parse_rate(text)); });
  attempt([&] { (void)parse_flops(text); });
  attempt([&] { (void)format_flop_rate(parse_flop_rate(text)); });
  attempt([&] { (void)parse_watts(text); });
  attempt([&] { (void)parse_joules(text); });
  attempt([&] { (void)parse_hertz(text); });
  attempt([&] { (void)parse_celsius(text); });
  for (int f = 0; f <= static_cast<int>(UnitFamily::Density); ++f) {
    const auto family = static_cast<UnitFamily>(f);
    attempt([&] {
      const double v = parse_quantity(text, family);
      // A parsed quantity is a number: the parser never returns NaN or an infinity.
      if (!std::isfinite(v)) std::abort();
    });
    (void)family_name(family);
  }
  return 0;
}
