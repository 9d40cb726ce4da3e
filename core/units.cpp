// racksim core: the one parser and formatter for quantities with units. See core/units.hpp and
// docs/units.md (the reference of every accepted spelling; keep it in sync with the tables below).
#include "core/units.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

namespace racksim {
namespace {

// One accepted spelling: value_in_si = number * mul / div + offset. Sub-unit prefixes divide
// (20 ms = 20 / 1e3 s) so that decimal literals round-trip exactly ("20 ms" == Seconds(0.02)).
struct UnitSpec {
  std::string_view name;
  double mul;
  double div;
  double offset;
};

constexpr double kKi = 1024.0;
constexpr double kMi = kKi * 1024.0;
constexpr double kGi = kMi * 1024.0;
constexpr double kTi = kGi * 1024.0;
constexpr double kPi = kTi * 1024.0;
constexpr double kZeroCelsiusInKelvin = 273.15;

// UTF-8 spellings, written as escapes so this file stays ASCII. Note "\xB0" "C" is split on
// purpose: "\xB0C" would be read as one hex escape.
constexpr std::string_view kMicroSignS = "\xC2\xB5s";  // U+00B5 MICRO SIGN + s
constexpr std::string_view kGreekMuS = "\xCE\xBCs";    // U+03BC GREEK SMALL LETTER MU + s
constexpr std::string_view kDegreeC = "\xC2\xB0" "C";  // U+00B0 DEGREE SIGN + C

constexpr std::array kBytesUnits{
    UnitSpec{"B", 1.0, 1.0, 0.0},    UnitSpec{"kB", 1e3, 1.0, 0.0},   UnitSpec{"MB", 1e6, 1.0, 0.0},
    UnitSpec{"GB", 1e9, 1.0, 0.0},   UnitSpec{"TB", 1e12, 1.0, 0.0},  UnitSpec{"PB", 1e15, 1.0, 0.0},
    UnitSpec{"KiB", kKi, 1.0, 0.0},  UnitSpec{"MiB", kMi, 1.0, 0.0},  UnitSpec{"GiB", kGi, 1.0, 0.0},
    UnitSpec{"TiB", kTi, 1.0, 0.0},  UnitSpec{"PiB", kPi, 1.0, 0.0},
};

constexpr std::array kSecondsUnits{
    UnitSpec{"s", 1.0, 1.0, 0.0},        UnitSpec{"ms", 1.0, 1e3, 0.0},
    UnitSpec{"us", 1.0, 1e6, 0.0},       UnitSpec{kMicroSignS, 1.0, 1e6, 0.0},
    UnitSpec{kGreekMuS, 1.0, 1e6, 0.0},  UnitSpec{"ns", 1.0, 1e9, 0.0},
    UnitSpec{"ps", 1.0, 1e12, 0.0},      UnitSpec{"min", 60.0, 1.0, 0.0},
    UnitSpec{"h", 3600.0, 1.0, 0.0},
};

// Capital B = bytes, lowercase b = bits (8 b = 1 B), always.
constexpr std::array kRateUnits{
    UnitSpec{"bps", 1.0, 8.0, 0.0},     UnitSpec{"kbps", 1e3, 8.0, 0.0},
    UnitSpec{"Mbps", 1e6, 8.0, 0.0},    UnitSpec{"Gbps", 1e9, 8.0, 0.0},
    UnitSpec{"Tbps", 1e12, 8.0, 0.0},   UnitSpec{"b/s", 1.0, 8.0, 0.0},
    UnitSpec{"kb/s", 1e3, 8.0, 0.0},    UnitSpec{"Mb/s", 1e6, 8.0, 0.0},
    UnitSpec{"Gb/s", 1e9, 8.0, 0.0},    UnitSpec{"Tb/s", 1e12, 8.0, 0.0},
    UnitSpec{"B/s", 1.0, 1.0, 0.0},     UnitSpec{"kB/s", 1e3, 1.0, 0.0},
    UnitSpec{"MB/s", 1e6, 1.0, 0.0},    UnitSpec{"GB/s", 1e9, 1.0, 0.0},
    UnitSpec{"TB/s", 1e12, 1.0, 0.0},   UnitSpec{"PB/s", 1e15, 1.0, 0.0},
    UnitSpec{"Bps", 1.0, 1.0, 0.0},     UnitSpec{"kBps", 1e3, 1.0, 0.0},
    UnitSpec{"MBps", 1e6, 1.0, 0.0},    UnitSpec{"GBps", 1e9, 1.0, 0.0},
    UnitSpec{"TBps", 1e12, 1.0, 0.0},   UnitSpec{"KiB/s", kKi, 1.0, 0.0},
    UnitSpec{"MiB/s", kMi, 1.0, 0.0},   UnitSpec{"GiB/s", kGi, 1.0, 0.0},
    UnitSpec{"TiB/s", kTi, 1.0, 0.0},
};

constexpr std::array kFlopsUnits{
    UnitSpec{"FLOP", 1.0, 1.0, 0.0},   UnitSpec{"kFLOP", 1e3, 1.0, 0.0},
    UnitSpec{"MFLOP", 1e6, 1.0, 0.0},  UnitSpec{"GFLOP", 1e9, 1.0, 0.0},
    UnitSpec{"TFLOP", 1e12, 1.0, 0.0}, UnitSpec{"PFLOP", 1e15, 1.0, 0.0},
    UnitSpec{"EFLOP", 1e18, 1.0, 0.0},
};

constexpr std::array kFlopRateUnits{
    UnitSpec{"FLOP/s", 1.0, 1.0, 0.0},   UnitSpec{"kFLOP/s", 1e3, 1.0, 0.0},
    UnitSpec{"MFLOP/s", 1e6, 1.0, 0.0},  UnitSpec{"GFLOP/s", 1e9, 1.0, 0.0},
    UnitSpec{"TFLOP/s", 1e12, 1.0, 0.0}, UnitSpec{"PFLOP/s", 1e15, 1.0, 0.0},
    UnitSpec{"EFLOP/s", 1e18, 1.0, 0.0}, UnitSpec{"FLOPS", 1.0, 1.0, 0.0},
    UnitSpec{"kFLOPS", 1e3, 1.0, 0.0},   UnitSpec{"MFLOPS", 1e6, 1.0, 0.0},
    UnitSpec{"GFLOPS", 1e9, 1.0, 0.0},   UnitSpec{"TFLOPS", 1e12, 1.0, 0.0},
    UnitSpec{"PFLOPS", 1e15, 1.0, 0.0},  UnitSpec{"EFLOPS", 1e18, 1.0, 0.0},
};

constexpr std::array kWattsUnits{
    UnitSpec{"W", 1.0, 1.0, 0.0},
    UnitSpec{"kW", 1e3, 1.0, 0.0},
    UnitSpec{"MW", 1e6, 1.0, 0.0},
    UnitSpec{"mW", 1.0, 1e3, 0.0},
};

constexpr std::array kJoulesUnits{
    UnitSpec{"J", 1.0, 1.0, 0.0},     UnitSpec{"kJ", 1e3, 1.0, 0.0},
    UnitSpec{"MJ", 1e6, 1.0, 0.0},    UnitSpec{"GJ", 1e9, 1.0, 0.0},
    UnitSpec{"Wh", 3600.0, 1.0, 0.0}, UnitSpec{"kWh", 3.6e6, 1.0, 0.0},
    UnitSpec{"MWh", 3.6e9, 1.0, 0.0},
};

constexpr std::array kHertzUnits{
    UnitSpec{"Hz", 1.0, 1.0, 0.0},
    UnitSpec{"kHz", 1e3, 1.0, 0.0},
    UnitSpec{"MHz", 1e6, 1.0, 0.0},
    UnitSpec{"GHz", 1e9, 1.0, 0.0},
};

// Result in degrees Celsius; kelvin is shifted by -273.15.
constexpr std::array kCelsiusUnits{
    UnitSpec{"C", 1.0, 1.0, 0.0},
    UnitSpec{kDegreeC, 1.0, 1.0, 0.0},
    UnitSpec{"degC", 1.0, 1.0, 0.0},
    UnitSpec{"K", 1.0, 1.0, -kZeroCelsiusInKelvin},
};

// Thermal and coolant quantities. A kelvin and a degree Celsius are the same size, so
// K/W and C/W are one unit.
constexpr std::array kThermalResistanceUnits{
    UnitSpec{"K/W", 1.0, 1.0, 0.0},
    UnitSpec{"C/W", 1.0, 1.0, 0.0},
    UnitSpec{"mK/W", 1.0, 1e3, 0.0},
};

constexpr std::array kHeatCapacityUnits{
    UnitSpec{"J/K", 1.0, 1.0, 0.0},
    UnitSpec{"kJ/K", 1e3, 1.0, 0.0},
};

// SI base: m^3/s. 1 L/min = 1e-3 / 60 m^3/s; 1 US gpm = 3.785411784 L/min.
constexpr std::array kVolumeFlowUnits{
    UnitSpec{"L/min", 1e-3, 60.0, 0.0},
    UnitSpec{"L/s", 1e-3, 1.0, 0.0},
    UnitSpec{"m3/h", 1.0, 3600.0, 0.0},
    UnitSpec{"m3/s", 1.0, 1.0, 0.0},
    UnitSpec{"gpm", 3.785411784e-3, 60.0, 0.0},
};

// SI base: J/(kg K).
constexpr std::array kSpecificHeatUnits{
    UnitSpec{"J/(kg K)", 1.0, 1.0, 0.0},
    UnitSpec{"J/kg/K", 1.0, 1.0, 0.0},
    UnitSpec{"kJ/(kg K)", 1e3, 1.0, 0.0},
    UnitSpec{"kJ/kg/K", 1e3, 1.0, 0.0},
};

// SI base: kg/m^3.
constexpr std::array kDensityUnits{
    UnitSpec{"kg/m3", 1.0, 1.0, 0.0},
    UnitSpec{"kg/L", 1e3, 1.0, 0.0},
    UnitSpec{"g/cm3", 1e3, 1.0, 0.0},
};

struct UnitTable {
  const UnitSpec* begin;
  std::size_t size;
  [[nodiscard]] const UnitSpec* end() const { return begin + size; }
};

template <std::size_t N>
constexpr UnitTable table_of(const std::array<UnitSpec, N>& a) {
  return UnitTable{a.data(), N};
}

constexpr std::array kAllFamilies{UnitFamily::Bytes,  UnitFamily::Seconds,  UnitFamily::BytesPerSecond,
                                  UnitFamily::Flops,  UnitFamily::FlopRate, UnitFamily::Watts,
                                  UnitFamily::Joules, UnitFamily::Hertz,    UnitFamily::Celsius,
                                  UnitFamily::ThermalResistance, UnitFamily::HeatCapacity,
                                  UnitFamily::VolumeFlow, UnitFamily::SpecificHeat, UnitFamily::Density};

UnitTable units_of(UnitFamily f) {
  switch (f) {
    case UnitFamily::Bytes: return table_of(kBytesUnits);
    case UnitFamily::Seconds: return table_of(kSecondsUnits);
    case UnitFamily::BytesPerSecond: return table_of(kRateUnits);
    case UnitFamily::Flops: return table_of(kFlopsUnits);
    case UnitFamily::FlopRate: return table_of(kFlopRateUnits);
    case UnitFamily::Watts: return table_of(kWattsUnits);
    case UnitFamily::Joules: return table_of(kJoulesUnits);
    case UnitFamily::Hertz: return table_of(kHertzUnits);
    case UnitFamily::Celsius: return table_of(kCelsiusUnits);
    case UnitFamily::ThermalResistance: return table_of(kThermalResistanceUnits);
    case UnitFamily::HeatCapacity: return table_of(kHeatCapacityUnits);
    case UnitFamily::VolumeFlow: return table_of(kVolumeFlowUnits);
    case UnitFamily::SpecificHeat: return table_of(kSpecificHeatUnits);
    case UnitFamily::Density: return table_of(kDensityUnits);
  }
  return table_of(kBytesUnits);  // unreachable for valid enum values
}

// A well-formed example of each family, used in messages.
std::string_view example_of(UnitFamily f) {
  switch (f) {
    case UnitFamily::Bytes: return "1.5 GB";
    case UnitFamily::Seconds: return "20 ms";
    case UnitFamily::BytesPerSecond: return "400 Gbps";
    case UnitFamily::Flops: return "2 TFLOP";
    case UnitFamily::FlopRate: return "989 TFLOP/s";
    case UnitFamily::Watts: return "700 W";
    case UnitFamily::Joules: return "2 kWh";
    case UnitFamily::Hertz: return "1.98 GHz";
    case UnitFamily::Celsius: return "45 C";
    case UnitFamily::ThermalResistance: return "0.03 K/W";
    case UnitFamily::HeatCapacity: return "150 J/K";
    case UnitFamily::VolumeFlow: return "240 L/min";
    case UnitFamily::SpecificHeat: return "4.18 kJ/kg/K";
    case UnitFamily::Density: return "1.0 kg/L";
  }
  return "1 B";
}

// "a data size", "an energy".
std::string with_article(UnitFamily f) {
  const std::string_view name = family_name(f);
  const bool vowel = !name.empty() && std::string_view("aeiouAEIOU").find(name.front()) != std::string_view::npos;
  return fmt::format("{} {}", vowel ? "an" : "a", name);
}

const UnitSpec* find_unit(UnitFamily f, std::string_view unit) {
  const UnitTable t = units_of(f);
  for (const UnitSpec* u = t.begin; u != t.end(); ++u) {
    if (u->name == unit) return u;
  }
  return nullptr;
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Hints for spellings people commonly write. Empty when there is nothing specific to say.
std::string specific_hint(UnitFamily f, std::string_view unit) {
  if (f == UnitFamily::Bytes) {
    if (unit == "KB") return "'KB' is ambiguous: use kB (1000 B) or KiB (1024 B)";
    if (!unit.empty() && unit.back() == 'b') {
      const std::string_view prefix = unit.substr(0, unit.size() - 1);
      constexpr std::array<std::string_view, 12> kPrefixes{"", "k", "K", "M", "G", "T", "P", "Ki", "Mi", "Gi",
                                                           "Ti", "Pi"};
      for (std::string_view p : kPrefixes) {
        if (p != prefix) continue;
        std::string use;
        if (p.empty()) use = "B";
        else if (p == "k" || p == "K") use = "kB or KiB";
        else use = fmt::format("{}B", p);
        return fmt::format("a lowercase b means bits, and data sizes are in bytes: use {}", use);
      }
    }
  }
  if (f == UnitFamily::BytesPerSecond) {
    if (unit == "KB/s" || unit == "KBps") {
      return fmt::format("'{}' is ambiguous: use kB/s (1000 B/s) or KiB/s (1024 B/s)", unit);
    }
    if (unit == "Kbps" || unit == "Kb/s") {
      return fmt::format("'{}' is ambiguous: use kbps (1000 bits/s)", unit);
    }
  }
  if ((f == UnitFamily::Flops || f == UnitFamily::FlopRate) && unit.size() >= 5 &&
      unit.substr(unit.size() - 5) == "FLOPs") {
    const std::string_view prefix = unit.substr(0, unit.size() - 5);
    return fmt::format("'{}' is ambiguous (a plural count or a rate): use {}FLOP for a count, {}FLOP/s or "
                       "{}FLOPS for a rate",
                       unit, prefix, prefix, prefix);
  }
  if (f == UnitFamily::Seconds) {
    if (unit == "m") return "'m' is ambiguous: use min for minutes or ms for milliseconds";
    if (unit == "sec" || unit == "secs" || unit == "second" || unit == "seconds") return "use s for seconds";
  }
  return {};
}

std::string hint_for(UnitFamily f, std::string_view unit) {
  std::string hint = specific_hint(f, unit);
  if (!hint.empty()) return hint;

  // Same letters, wrong case: units are case-sensitive (B is bytes, b is bits).
  std::string candidates;
  const UnitTable t = units_of(f);
  for (const UnitSpec* u = t.begin; u != t.end(); ++u) {
    if (iequals(u->name, unit)) {
      if (!candidates.empty()) candidates += " or ";
      candidates += u->name;
    }
  }
  if (!candidates.empty()) {
    return fmt::format("units are case-sensitive (B is bytes, b is bits): did you mean {}?", candidates);
  }

  // A size or count where a rate is expected: "50 GB" for "50 GB/s".
  if (f == UnitFamily::BytesPerSecond || f == UnitFamily::FlopRate) {
    const std::string per_second = fmt::format("{}/s", unit);
    if (find_unit(f, per_second) != nullptr) {
      return fmt::format("a rate needs a per-second unit: did you mean {}?", per_second);
    }
  }

  // A valid unit of another family.
  for (UnitFamily other : kAllFamilies) {
    if (other != f && find_unit(other, unit) != nullptr) {
      return fmt::format("'{}' is a unit of {}, not of {}", unit, family_name(other), family_name(f));
    }
  }
  return {};
}

[[noreturn]] void fail(UnitFamily f, const std::string& what) {
  throw UnitError(fmt::format("{}; accepted: {}", what, accepted_units(f)));
}

// First few spellings, for "(B, kB, MB, ...)".
std::string short_list(UnitFamily f) {
  const UnitTable t = units_of(f);
  std::string out;
  for (std::size_t i = 0; i < t.size && i < 3; ++i) {
    out += t.begin[i].name;
    out += ", ";
  }
  out += "...";
  return out;
}

// ---- formatting ------------------------------------------------------------------------------

// |x| rounded to 4 significant digits, half away from zero, on its shortest decimal form (so
// 0.020005 rounds to 2.001e-2 even though the double is slightly below it): x ~ d.ddd * 10^exp.
struct Sig4 {
  std::string digits;  // exactly 4 digits, first one non-zero
  int exp = 0;
};

Sig4 round_sig4(double x) {
  std::array<char, 64> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), std::fabs(x), std::chars_format::scientific);
  const std::string_view s(buf.data(), static_cast<std::size_t>(res.ptr - buf.data()));
  const std::size_t e_pos = s.find('e');
  Sig4 out;
  for (char c : s.substr(0, e_pos)) {
    if (is_digit(c)) out.digits += c;
  }
  std::string_view exp_text = s.substr(e_pos + 1);
  if (!exp_text.empty() && exp_text.front() == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), out.exp);

  if (out.digits.size() > 4) {
    const bool round_up = out.digits[4] >= '5';
    out.digits.resize(4);
    if (round_up) {
      int i = 3;
      while (i >= 0 && out.digits[static_cast<std::size_t>(i)] == '9') {
        out.digits[static_cast<std::size_t>(i)] = '0';
        --i;
      }
      if (i >= 0) {
        ++out.digits[static_cast<std::size_t>(i)];
      } else {
        out.digits = "1000";
        ++out.exp;
      }
    }
  }
  while (out.digits.size() < 4) out.digits += '0';
  return out;
}

// Writes d.ddd * 10^shift in plain decimal notation, without trailing zeros.
std::string place_decimal(const std::string& digits, int shift) {
  const int int_len = 1 + shift;  // digits before the decimal point
  std::string out;
  if (int_len <= 0) {
    out = "0." + std::string(static_cast<std::size_t>(-int_len), '0') + digits;
  } else if (int_len >= static_cast<int>(digits.size())) {
    out = digits + std::string(static_cast<std::size_t>(int_len) - digits.size(), '0');
  } else {
    out = digits.substr(0, static_cast<std::size_t>(int_len)) + "." + digits.substr(static_cast<std::size_t>(int_len));
  }
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  return out;
}

int floor_div3(int e) { return e >= 0 ? e / 3 : -((-e + 2) / 3); }

// names[i] is the unit for 10^(3 * (i - base)). Picks the prefix that puts the rounded value in
// [1, 1000) where one exists; beyond the ends the number is written out in plain decimal.
template <std::size_t N>
std::string format_prefixed(double v, const std::array<std::string_view, N>& names, int base) {
  if (!std::isfinite(v)) return fmt::format("{} {}", v, names[static_cast<std::size_t>(base)]);
  if (v == 0.0) return fmt::format("0 {}", names[static_cast<std::size_t>(base)]);
  const Sig4 sig = round_sig4(v);
  int idx = base + floor_div3(sig.exp);
  if (idx < 0) idx = 0;
  if (idx > static_cast<int>(N) - 1) idx = static_cast<int>(N) - 1;
  const int shift = sig.exp - 3 * (idx - base);
  return fmt::format("{}{} {}", v < 0 ? "-" : "", place_decimal(sig.digits, shift),
                     names[static_cast<std::size_t>(idx)]);
}

std::string format_plain(double v, std::string_view unit) {
  const Sig4 sig = round_sig4(v);
  return fmt::format("{}{} {}", v < 0 ? "-" : "", place_decimal(sig.digits, sig.exp), unit);
}

}  // namespace

std::string_view family_name(UnitFamily f) {
  switch (f) {
    case UnitFamily::Bytes: return "data size";
    case UnitFamily::Seconds: return "duration";
    case UnitFamily::BytesPerSecond: return "data rate";
    case UnitFamily::Flops: return "FLOP count";
    case UnitFamily::FlopRate: return "FLOP rate";
    case UnitFamily::Watts: return "power";
    case UnitFamily::Joules: return "energy";
    case UnitFamily::Hertz: return "frequency";
    case UnitFamily::Celsius: return "temperature";
    case UnitFamily::ThermalResistance: return "thermal resistance";
    case UnitFamily::HeatCapacity: return "heat capacity";
    case UnitFamily::VolumeFlow: return "volume flow";
    case UnitFamily::SpecificHeat: return "specific heat";
    case UnitFamily::Density: return "density";
  }
  return "quantity";
}

std::string accepted_units(UnitFamily f) {
  const UnitTable t = units_of(f);
  std::string out;
  for (const UnitSpec* u = t.begin; u != t.end(); ++u) {
    if (!out.empty()) out += ", ";
    out += u->name;
  }
  return out;
}

double parse_quantity(std::string_view text, UnitFamily family) {
  const std::string_view s = trim(text);
  if (s.empty()) {
    fail(family, fmt::format("expected {} with a unit ({}), got an empty value", with_article(family),
                             short_list(family)));
  }

  // Number: [+-] (digits [. digits*] | . digits) [(e|E) [+-] digits]
  std::size_t pos = 0;
  if (s[pos] == '+' || s[pos] == '-') ++pos;
  const std::size_t mantissa_start = pos;
  std::size_t n_digits = 0;
  while (pos < s.size() && is_digit(s[pos])) { ++pos; ++n_digits; }
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    while (pos < s.size() && is_digit(s[pos])) { ++pos; ++n_digits; }
  }
  if (n_digits == 0) {
    const std::string_view word = s.substr(mantissa_start, 3);
    if (iequals(word, "inf") || iequals(word, "nan")) {
      fail(family, fmt::format("'{}' is not a finite number in '{}'; expected {} like '{}'", word, text,
                               with_article(family), example_of(family)));
    }
    fail(family, fmt::format("expected a number before the unit in '{}' ({} is written like '{}')", text,
                             with_article(family), example_of(family)));
  }
  if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
    std::size_t p = pos + 1;
    if (p < s.size() && (s[p] == '+' || s[p] == '-')) ++p;
    if (p < s.size() && is_digit(s[p])) {
      while (p < s.size() && is_digit(s[p])) ++p;
      pos = p;
    }
  }
  const std::string_view number = s.substr(0, pos);
  if (pos < s.size()) {
    const char next = s[pos];
    if ((next == 'x' || next == 'X') && (number == "0" || number == "+0" || number == "-0")) {
      fail(family, fmt::format("hexadecimal numbers are not accepted in '{}'; expected {} like '{}'", text,
                               with_article(family), example_of(family)));
    }
    if (is_digit(next) || next == '.' || next == ',' || next == '+' || next == '-') {
      fail(family, fmt::format("malformed number in '{}' (use one '.' as the decimal point, no thousands "
                               "separators); expected {} like '{}'",
                               text, with_article(family), example_of(family)));
    }
  }

  // Convert with from_chars (locale-independent). It takes no leading '+'.
  std::string_view digits_text = number;
  if (!digits_text.empty() && digits_text.front() == '+') digits_text.remove_prefix(1);
  double value = 0.0;
  const auto res = std::from_chars(digits_text.data(), digits_text.data() + digits_text.size(), value);
  if (res.ec == std::errc::result_out_of_range) {
    fail(family, fmt::format("number out of range in '{}'", text));
  }
  if (res.ec != std::errc() || res.ptr != digits_text.data() + digits_text.size()) {
    fail(family, fmt::format("malformed number in '{}'; expected {} like '{}'", text, with_article(family),
                             example_of(family)));
  }

  // Unit.
  std::size_t unit_start = pos;
  while (unit_start < s.size() && is_space(s[unit_start])) ++unit_start;
  const std::string_view unit = s.substr(unit_start);
  if (unit.empty()) {
    fail(family, fmt::format("expected {} with a unit ({}), got '{}' (a bare number has no unit)",
                             with_article(family), short_list(family), text));
  }
  const UnitSpec* spec = find_unit(family, unit);
  if (spec == nullptr) {
    const std::string hint = hint_for(family, unit);
    fail(family, fmt::format("unknown unit '{}' for {} in '{}'{}{}", unit, with_article(family), text,
                             hint.empty() ? "" : ": ", hint));
  }

  const double result = value * spec->mul / spec->div + spec->offset;
  if (!std::isfinite(result)) {
    fail(family, fmt::format("value out of range in '{}'", text));
  }
  if (family == UnitFamily::Celsius && result < -kZeroCelsiusInKelvin) {
    throw UnitError(fmt::format("temperature '{}' is below absolute zero (0 K = -273.15 C)", text));
  }
  return result;
}

Bytes parse_bytes(std::string_view text) { return Bytes(parse_quantity(text, UnitFamily::Bytes)); }
Seconds parse_seconds(std::string_view text) { return Seconds(parse_quantity(text, UnitFamily::Seconds)); }
BytesPerSecond parse_rate(std::string_view text) {
  return BytesPerSecond(parse_quantity(text, UnitFamily::BytesPerSecond));
}
Flops parse_flops(std::string_view text) { return Flops(parse_quantity(text, UnitFamily::Flops)); }
FlopRate parse_flop_rate(std::string_view text) { return FlopRate(parse_quantity(text, UnitFamily::FlopRate)); }
Watts parse_watts(std::string_view text) { return Watts(parse_quantity(text, UnitFamily::Watts)); }
Joules parse_joules(std::string_view text) { return Joules(parse_quantity(text, UnitFamily::Joules)); }
Hertz parse_hertz(std::string_view text) { return Hertz(parse_quantity(text, UnitFamily::Hertz)); }
Celsius parse_celsius(std::string_view text) { return Celsius(parse_quantity(text, UnitFamily::Celsius)); }

std::string format_bytes(Bytes b) {
  constexpr std::array<std::string_view, 6> kNames{"B", "kB", "MB", "GB", "TB", "PB"};
  return format_prefixed(b.value(), kNames, 0);
}

std::string format_seconds(Seconds s) {
  const double v = s.value();
  if (std::isfinite(v) && std::fabs(v) >= 3600.0) return format_plain(v / 3600.0, "h");
  if (std::isfinite(v) && std::fabs(v) >= 60.0) return format_plain(v / 60.0, "min");
  constexpr std::array<std::string_view, 5> kNames{"ps", "ns", "us", "ms", "s"};
  return format_prefixed(v, kNames, 4);
}

std::string format_rate(BytesPerSecond r) {
  constexpr std::array<std::string_view, 6> kNames{"B/s", "kB/s", "MB/s", "GB/s", "TB/s", "PB/s"};
  return format_prefixed(r.value(), kNames, 0);
}

std::string format_flop_rate(FlopRate r) {
  constexpr std::array<std::string_view, 7> kNames{"FLOP/s",  "kFLOP/s", "MFLOP/s", "GFLOP/s",
                                                   "TFLOP/s", "PFLOP/s", "EFLOP/s"};
  return format_prefixed(r.value(), kNames, 0);
}

}  // namespace racksim
