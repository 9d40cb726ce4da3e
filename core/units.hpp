// racksim core: strong unit types and the one parser for quantities with units.
//
// Every physical quantity in racksim carries its unit in its type. Values are stored in SI base
// units (bytes, seconds, bytes per second, FLOP, FLOP per second, watts, joules, hertz, kelvin
// offsets in degrees Celsius) as double. Only arithmetic that makes physical sense compiles:
//   Bytes / BytesPerSecond -> Seconds,  Flops / FlopRate -> Seconds,  Watts * Seconds -> Joules,
//   BytesPerSecond * Seconds -> Bytes,  FlopRate * Seconds -> Flops,  X / X -> double.
//
// Text form (YAML and --set): a decimal number, optional whitespace, then a unit. Accepted
// spellings are listed in docs/units.md and in units.cpp; anything else, including a bare number
// where a unit is required, is rejected with a message that lists the valid units.
#pragma once

#include <string>
#include <string_view>

namespace racksim {

template <class Tag>
class Quantity {
public:
  constexpr Quantity() = default;
  constexpr explicit Quantity(double si_value) : value_(si_value) {}
  [[nodiscard]] constexpr double value() const { return value_; }

  constexpr Quantity operator+(Quantity o) const { return Quantity(value_ + o.value_); }
  constexpr Quantity operator-(Quantity o) const { return Quantity(value_ - o.value_); }
  constexpr Quantity& operator+=(Quantity o) { value_ += o.value_; return *this; }
  constexpr Quantity& operator-=(Quantity o) { value_ -= o.value_; return *this; }
  constexpr Quantity operator*(double k) const { return Quantity(value_ * k); }
  constexpr Quantity operator/(double k) const { return Quantity(value_ / k); }
  constexpr double operator/(Quantity o) const { return value_ / o.value_; }
  constexpr bool operator<(Quantity o) const { return value_ < o.value_; }
  constexpr bool operator>(Quantity o) const { return value_ > o.value_; }
  constexpr bool operator<=(Quantity o) const { return value_ <= o.value_; }
  constexpr bool operator>=(Quantity o) const { return value_ >= o.value_; }
  constexpr bool operator==(Quantity o) const { return value_ == o.value_; }
  constexpr bool operator!=(Quantity o) const { return value_ != o.value_; }

private:
  double value_ = 0.0;
};

template <class Tag>
constexpr Quantity<Tag> operator*(double k, Quantity<Tag> q) { return q * k; }

struct BytesTag {};
struct SecondsTag {};
struct BytesPerSecondTag {};
struct FlopsTag {};
struct FlopRateTag {};
struct WattsTag {};
struct JoulesTag {};
struct HertzTag {};

using Bytes = Quantity<BytesTag>;                    // B
using Seconds = Quantity<SecondsTag>;                // s
using BytesPerSecond = Quantity<BytesPerSecondTag>;  // B/s (bit rates are converted: 8 b = 1 B)
using Flops = Quantity<FlopsTag>;                    // FLOP (a count of operations)
using FlopRate = Quantity<FlopRateTag>;              // FLOP/s
using Watts = Quantity<WattsTag>;                    // W
using Joules = Quantity<JoulesTag>;                  // J
using Hertz = Quantity<HertzTag>;                    // Hz

constexpr Seconds operator/(Bytes b, BytesPerSecond r) { return Seconds(b.value() / r.value()); }
constexpr Bytes operator*(BytesPerSecond r, Seconds t) { return Bytes(r.value() * t.value()); }
constexpr Bytes operator*(Seconds t, BytesPerSecond r) { return r * t; }
constexpr Seconds operator/(Flops f, FlopRate r) { return Seconds(f.value() / r.value()); }
constexpr Flops operator*(FlopRate r, Seconds t) { return Flops(r.value() * t.value()); }
constexpr Flops operator*(Seconds t, FlopRate r) { return r * t; }
constexpr Joules operator*(Watts p, Seconds t) { return Joules(p.value() * t.value()); }
constexpr Joules operator*(Seconds t, Watts p) { return p * t; }
constexpr Watts operator/(Joules e, Seconds t) { return Watts(e.value() / t.value()); }

// Temperature is affine: differences are plain doubles (kelvin), there is no Celsius + Celsius.
class Celsius {
public:
  constexpr Celsius() = default;
  constexpr explicit Celsius(double c) : c_(c) {}
  [[nodiscard]] constexpr double value() const { return c_; }
  constexpr Celsius operator+(double delta_k) const { return Celsius(c_ + delta_k); }
  constexpr double operator-(Celsius o) const { return c_ - o.c_; }
  constexpr bool operator<(Celsius o) const { return c_ < o.c_; }
  constexpr bool operator==(Celsius o) const { return c_ == o.c_; }

private:
  double c_ = 0.0;
};

// Literals for code and tests: 1_GB, 50_GBps, 5_us ...
namespace literals {
constexpr Bytes operator""_B(long double v) { return Bytes(static_cast<double>(v)); }
constexpr Bytes operator""_B(unsigned long long v) { return Bytes(static_cast<double>(v)); }
constexpr Bytes operator""_GB(long double v) { return Bytes(static_cast<double>(v) * 1e9); }
constexpr Bytes operator""_GB(unsigned long long v) { return Bytes(static_cast<double>(v) * 1e9); }
constexpr Bytes operator""_GiB(unsigned long long v) { return Bytes(static_cast<double>(v) * 1073741824.0); }
constexpr Bytes operator""_MB(unsigned long long v) { return Bytes(static_cast<double>(v) * 1e6); }
constexpr Bytes operator""_MiB(unsigned long long v) { return Bytes(static_cast<double>(v) * 1048576.0); }
constexpr BytesPerSecond operator""_GBps(long double v) { return BytesPerSecond(static_cast<double>(v) * 1e9); }
constexpr BytesPerSecond operator""_GBps(unsigned long long v) { return BytesPerSecond(static_cast<double>(v) * 1e9); }
constexpr BytesPerSecond operator""_Gbps(unsigned long long v) { return BytesPerSecond(static_cast<double>(v) * 1e9 / 8.0); }
constexpr Seconds operator""_s(long double v) { return Seconds(static_cast<double>(v)); }
constexpr Seconds operator""_s(unsigned long long v) { return Seconds(static_cast<double>(v)); }
constexpr Seconds operator""_ms(long double v) { return Seconds(static_cast<double>(v) * 1e-3); }
constexpr Seconds operator""_ms(unsigned long long v) { return Seconds(static_cast<double>(v) * 1e-3); }
constexpr Seconds operator""_us(long double v) { return Seconds(static_cast<double>(v) * 1e-6); }
constexpr Seconds operator""_us(unsigned long long v) { return Seconds(static_cast<double>(v) * 1e-6); }
constexpr Seconds operator""_ns(unsigned long long v) { return Seconds(static_cast<double>(v) * 1e-9); }
constexpr FlopRate operator""_TFLOPs(long double v) { return FlopRate(static_cast<double>(v) * 1e12); }
constexpr FlopRate operator""_TFLOPs(unsigned long long v) { return FlopRate(static_cast<double>(v) * 1e12); }
constexpr Flops operator""_TFLOP(unsigned long long v) { return Flops(static_cast<double>(v) * 1e12); }
constexpr Watts operator""_W(unsigned long long v) { return Watts(static_cast<double>(v)); }
constexpr Watts operator""_kW(unsigned long long v) { return Watts(static_cast<double>(v) * 1e3); }
}  // namespace literals

// The quantity families the parser knows. `parse_*` throw UnitError (see below) on bad text.
// The enumerators deliberately share the names of the types above; g++ -Wshadow flags that.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
enum class UnitFamily {
  Bytes, Seconds, BytesPerSecond, Flops, FlopRate, Watts, Joules, Hertz, Celsius,
  // Thermal and coolant quantities, parsed to plain doubles in SI units: K/W, J/K, m^3/s,
  // J/(kg K), kg/m^3 (models/thermal.hpp keeps them in named fields).
  ThermalResistance, HeatCapacity, VolumeFlow, SpecificHeat, Density
};
#pragma GCC diagnostic pop

[[nodiscard]] std::string_view family_name(UnitFamily f);
// The accepted unit spellings of a family, for error messages and docs ("B, kB, MB, ...").
[[nodiscard]] std::string accepted_units(UnitFamily f);

// Thrown by the parsers. The message says what was read, what was expected and the valid units;
// the configuration layer adds file, line and key.
class UnitError : public std::exception {
public:
  explicit UnitError(std::string msg) : msg_(std::move(msg)) {}
  [[nodiscard]] const char* what() const noexcept override { return msg_.c_str(); }

private:
  std::string msg_;
};

// Parses "<number>[ ]<unit>" and returns the value in the family's SI base unit.
[[nodiscard]] double parse_quantity(std::string_view text, UnitFamily family);

[[nodiscard]] Bytes parse_bytes(std::string_view text);
[[nodiscard]] Seconds parse_seconds(std::string_view text);
[[nodiscard]] BytesPerSecond parse_rate(std::string_view text);
[[nodiscard]] Flops parse_flops(std::string_view text);
[[nodiscard]] FlopRate parse_flop_rate(std::string_view text);
[[nodiscard]] Watts parse_watts(std::string_view text);
[[nodiscard]] Joules parse_joules(std::string_view text);
[[nodiscard]] Hertz parse_hertz(std::string_view text);
[[nodiscard]] Celsius parse_celsius(std::string_view text);

// Human-readable forms, 4 significant digits ("1.5 GB", "20.01 ms", "1.8 TB/s").
[[nodiscard]] std::string format_bytes(Bytes b);
[[nodiscard]] std::string format_seconds(Seconds s);
[[nodiscard]] std::string format_rate(BytesPerSecond r);
[[nodiscard]] std::string format_flop_rate(FlopRate r);

}  // namespace racksim
