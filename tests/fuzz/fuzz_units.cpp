// racksim fuzz: the unit parser (core/units): the input text through one of the parse_* entry
// points or parse_quantity of one family (chosen by the first byte); what parses is formatted back.
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
  // The first byte picks the entry point (one per input keeps the run fast: every rejection
  // throws), the rest is the text.
  if (size == 0) return 0;
  const std::string text = fuzz::as_text(data + 1, size - 1);
  constexpr int kFamilies = static_cast<int>(UnitFamily::Density) + 1;
  const int pick = data[0] % (9 + kFamilies);
  switch (pick) {
    case 0: attempt([&] { (void)format_bytes(parse_bytes(text)); }); break;
    case 1: attempt([&] { (void)format_seconds(parse_seconds(text)); }); break;
    case 2: attempt([&] { (void)format_rate(parse_rate(text)); }); break;
    case 3: attempt([&] { (void)parse_flops(text); }); break;
    case 4: attempt([&] { (void)format_flop_rate(parse_flop_rate(text)); }); break;
    case 5: attempt([&] { (void)parse_watts(text); }); break;
    case 6: attempt([&] { (void)parse_joules(text); }); break;
    case 7: attempt([&] { (void)parse_hertz(text); }); break;
    case 8: attempt([&] { (void)parse_celsius(text); }); break;
    default: {
      const auto family = static_cast<UnitFamily>(pick - 9);
      (void)family_name(family);
      attempt([&] {
        // A parsed quantity is a number: the parser never returns NaN or an infinity.
        if (!std::isfinite(parse_quantity(text, family))) std::abort();
      });
    }
  }
  return 0;
}
