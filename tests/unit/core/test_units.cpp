// Unit tests for core/units: the strong types, the quantity parser and the formatters.
// Expected values are derived in the comments next to them; see docs/units.md for the spellings.
//
#include "core/units.hpp"

#include <exception>
#include <string>
#include <type_traits>

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;

// UTF-8 spellings as escapes, so this file stays ASCII ("\xB0" "C" is split on purpose).
#define MICRO_SIGN "\xC2\xB5"  // U+00B5
#define GREEK_MU "\xCE\xBC"    // U+03BC
#define DEGREE "\xC2\xB0"      // U+00B0

// ---- data sizes ------------------------------------------------------------------------------

TEST_CASE("bytes: plain B", "[units]") {
  CHECK(parse_bytes("1 B").value() == 1.0);
  CHECK(parse_bytes("4096 B").value() == 4096.0);
}

TEST_CASE("bytes: decimal prefixes are powers of 1000", "[units]") {
  CHECK(parse_bytes("1 kB").value() == 1e3);
  CHECK(parse_bytes("1 MB").value() == 1e6);
  CHECK(parse_bytes("1 GB").value() == 1e9);    // 1 GB = 10^9 B
  CHECK(parse_bytes("1 TB").value() == 1e12);
  CHECK(parse_bytes("1 PB").value() == 1e15);
  CHECK(parse_bytes("1.5 GB").value() == 1.5e9);  // 1.5 * 10^9
}

TEST_CASE("bytes: binary prefixes are powers of 1024", "[units]") {
  CHECK(parse_bytes("1 KiB").value() == 1024.0);                  // 2^10
  CHECK(parse_bytes("1 MiB").value() == 1048576.0);               // 2^20
  CHECK(parse_bytes("1 GiB").value() == 1073741824.0);            // 2^30
  CHECK(parse_bytes("1 TiB").value() == 1099511627776.0);         // 2^40
  CHECK(parse_bytes("1 PiB").value() == 1125899906842624.0);      // 2^50
  CHECK(parse_bytes("80 GiB").value() == 80.0 * 1073741824.0);    // 80 * 2^30 = 85899345920
}

TEST_CASE("bytes: GiB and GB are different sizes", "[units]") {
  // 2^30 / 10^9 = 1.073741824
  CHECK(parse_bytes("1 GiB") / parse_bytes("1 GB") == Approx(1.073741824));
  CHECK(parse_bytes("1 GiB") > parse_bytes("1 GB"));
}

TEST_CASE("parser: whitespace around and between number and unit is optional", "[units]") {
  CHECK(parse_bytes("1.5GB").value() == 1.5e9);
  CHECK(parse_bytes(" 1.5 GB ").value() == 1.5e9);
  CHECK(parse_bytes("\t1.5  GB\n").value() == 1.5e9);
  CHECK(parse_seconds("20ms").value() == 0.02);  // 20 / 1000
}

TEST_CASE("parser: exponents", "[units]") {
  CHECK(parse_bytes("2e3 MB").value() == 2e9);    // 2000 * 10^6
  CHECK(parse_bytes("1.5E3 kB").value() == 1.5e6);  // 1500 * 10^3
  CHECK(parse_seconds("5e-3 s").value() == 0.005);
  CHECK(parse_bytes("2e+3 B").value() == 2000.0);
}

TEST_CASE("parser: sign and fraction forms", "[units]") {
  CHECK(parse_bytes("+3 kB").value() == 3000.0);
  CHECK(parse_bytes(".5 kB").value() == 500.0);  // 0.5 * 1000
  CHECK(parse_bytes("5. kB").value() == 5000.0);
}

TEST_CASE("parser: negative values parse (range checks belong to the config layer)", "[units]") {
  CHECK(parse_bytes("-1 GB").value() == -1e9);
  CHECK(parse_seconds("-20 ms").value() == -0.02);
  CHECK(parse_watts("-5 W").value() == -5.0);
  CHECK(parse_celsius("-40 C").value() == -40.0);
}

TEST_CASE("parser: a unit glued to a number that ends in E is not an exponent", "[units]") {
  CHECK(parse_flops("5EFLOP").value() == 5e18);  // 5 * 10^18, "E" is the exa prefix here
}

// ---- data rates ------------------------------------------------------------------------------

TEST_CASE("rate: bit rates divide by 8", "[units]") {
  CHECK(parse_rate("400 Gbps").value() == 50e9);  // 400 Gb/s / 8 bits per byte = 50 GB/s
  CHECK(parse_rate("400 Gb/s").value() == 50e9);  // same rate, slash spelling
  CHECK(parse_rate("8 bps").value() == 1.0);      // 8 b/s = 1 B/s
  CHECK(parse_rate("8 b/s").value() == 1.0);
  CHECK(parse_rate("100 kbps").value() == 12500.0);   // 100e3 / 8
  CHECK(parse_rate("100 kb/s").value() == 12500.0);
  CHECK(parse_rate("200 Mbps").value() == 25e6);      // 200e6 / 8
  CHECK(parse_rate("200 Mb/s").value() == 25e6);
  CHECK(parse_rate("1.6 Tbps").value() == Approx(200e9));  // 1.6e12 / 8; 1.6 is inexact
  CHECK(parse_rate("1.6 Tb/s").value() == Approx(200e9));
}

TEST_CASE("rate: byte rates in B/s and Bps spellings agree", "[units]") {
  CHECK(parse_rate("50 GBps").value() == 50e9);  // 50 * 10^9 B/s
  CHECK(parse_rate("50 GB/s").value() == 50e9);
  CHECK(parse_rate("1 B/s").value() == 1.0);
  CHECK(parse_rate("1 Bps").value() == 1.0);
  CHECK(parse_rate("1 kB/s").value() == 1e3);
  CHECK(parse_rate("1 kBps").value() == 1e3);
  CHECK(parse_rate("1 MB/s").value() == 1e6);
  CHECK(parse_rate("1 MBps").value() == 1e6);
  CHECK(parse_rate("1.8 TB/s").value() == 1.8e12);  // 1.8 * 10^12, both sides round the same way
  CHECK(parse_rate("2 TBps").value() == 2e12);
  CHECK(parse_rate("1 PB/s").value() == 1e15);
}

TEST_CASE("rate: bits and bytes differ by exactly 8", "[units]") {
  CHECK(parse_rate("1 GB/s") / parse_rate("1 Gb/s") == 8.0);
  CHECK(parse_rate("400 Gbps") == parse_rate("50 GBps"));  // 400 / 8 = 50
}

TEST_CASE("rate: binary byte rates", "[units]") {
  CHECK(parse_rate("1 KiB/s").value() == 1024.0);
  CHECK(parse_rate("1 MiB/s").value() == 1048576.0);
  CHECK(parse_rate("1 GiB/s").value() == 1073741824.0);
  CHECK(parse_rate("1 TiB/s").value() == 1099511627776.0);
}

// ---- durations -------------------------------------------------------------------------------

TEST_CASE("duration: SI sub-second prefixes", "[units]") {
  CHECK(parse_seconds("2 s").value() == 2.0);
  CHECK(parse_seconds("20 ms").value() == 0.02);
  CHECK(parse_seconds("5 us").value() == 5e-6);
  CHECK(parse_seconds("300 ns").value() == 300e-9);  // 300 / 10^9 = 3e-7
  CHECK(parse_seconds("1.5 ns").value() == 1.5e-9);
  CHECK(parse_seconds("250 ps").value() == 250e-12);
}

TEST_CASE("duration: micro sign and Greek mu both mean microseconds", "[units]") {
  CHECK(parse_seconds("5 " MICRO_SIGN "s").value() == 5e-6);
  CHECK(parse_seconds("5 " GREEK_MU "s").value() == 5e-6);
  CHECK(parse_seconds("5" MICRO_SIGN "s") == parse_seconds("5 us"));
}

TEST_CASE("duration: minutes and hours", "[units]") {
  CHECK(parse_seconds("2 min").value() == 120.0);  // 2 * 60
  CHECK(parse_seconds("1.5 h").value() == 5400.0);  // 1.5 * 3600
}

// ---- FLOP counts and rates -------------------------------------------------------------------

TEST_CASE("flops: counts with every prefix", "[units]") {
  CHECK(parse_flops("1 FLOP").value() == 1.0);
  CHECK(parse_flops("1 kFLOP").value() == 1e3);
  CHECK(parse_flops("1 MFLOP").value() == 1e6);
  CHECK(parse_flops("1 GFLOP").value() == 1e9);
  CHECK(parse_flops("2 TFLOP").value() == 2e12);
  CHECK(parse_flops("3 PFLOP").value() == 3e15);
  CHECK(parse_flops("1 EFLOP").value() == 1e18);
}

TEST_CASE("flop rate: FLOP/s spelling", "[units]") {
  CHECK(parse_flop_rate("1 FLOP/s").value() == 1.0);
  CHECK(parse_flop_rate("1 kFLOP/s").value() == 1e3);
  CHECK(parse_flop_rate("1 MFLOP/s").value() == 1e6);
  CHECK(parse_flop_rate("1 GFLOP/s").value() == 1e9);
  CHECK(parse_flop_rate("989 TFLOP/s").value() == 989e12);  // 989 * 10^12
  CHECK(parse_flop_rate("2 PFLOP/s").value() == 2e15);
  CHECK(parse_flop_rate("1 EFLOP/s").value() == 1e18);
}

TEST_CASE("flop rate: FLOPS spelling means the same", "[units]") {
  CHECK(parse_flop_rate("1 FLOPS").value() == 1.0);
  CHECK(parse_flop_rate("1 kFLOPS").value() == 1e3);
  CHECK(parse_flop_rate("1 MFLOPS").value() == 1e6);
  CHECK(parse_flop_rate("1 GFLOPS").value() == 1e9);
  CHECK(parse_flop_rate("989 TFLOPS") == parse_flop_rate("989 TFLOP/s"));
  CHECK(parse_flop_rate("2 PFLOPS").value() == 2e15);
  CHECK(parse_flop_rate("1 EFLOPS").value() == 1e18);
}

// ---- power, energy, frequency ----------------------------------------------------------------

TEST_CASE("power: W kW MW mW", "[units]") {
  CHECK(parse_watts("700 W").value() == 700.0);
  CHECK(parse_watts("120 kW").value() == 120e3);
  CHECK(parse_watts("1.5 MW").value() == 1.5e6);
  CHECK(parse_watts("250 mW").value() == 0.25);  // 250 / 1000
}

TEST_CASE("energy: joules and watt-hours", "[units]") {
  CHECK(parse_joules("1 J").value() == 1.0);
  CHECK(parse_joules("1 kJ").value() == 1e3);
  CHECK(parse_joules("1 MJ").value() == 1e6);
  CHECK(parse_joules("1 GJ").value() == 1e9);
  CHECK(parse_joules("1 Wh").value() == 3600.0);    // 1 W * 3600 s
  CHECK(parse_joules("2 kWh").value() == 7.2e6);    // 2 * 1000 W * 3600 s
  CHECK(parse_joules("1 MWh").value() == 3.6e9);    // 10^6 W * 3600 s
}

TEST_CASE("frequency: Hz kHz MHz GHz", "[units]") {
  CHECK(parse_hertz("50 Hz").value() == 50.0);
  CHECK(parse_hertz("32 kHz").value() == 32e3);
  CHECK(parse_hertz("100 MHz").value() == 100e6);
  CHECK(parse_hertz("1.98 GHz").value() == 1.98e9);
}

// ---- temperature -----------------------------------------------------------------------------

TEST_CASE("temperature: C and degree-sign C and degC are degrees Celsius", "[units]") {
  CHECK(parse_celsius("45 C").value() == 45.0);
  CHECK(parse_celsius("45 " DEGREE "C").value() == 45.0);
  CHECK(parse_celsius("45" DEGREE "C").value() == 45.0);
  CHECK(parse_celsius("45 degC").value() == 45.0);
}

TEST_CASE("temperature: kelvin converts to Celsius", "[units]") {
  CHECK(parse_celsius("273.15 K").value() == 0.0);      // 273.15 - 273.15
  CHECK(parse_celsius("0 K").value() == -273.15);        // absolute zero itself is accepted
  CHECK(parse_celsius("300 K").value() == Approx(26.85));  // 300 - 273.15
  CHECK(parse_quantity("300 K", UnitFamily::Celsius) == Approx(26.85));  // the family result is in C
}

// ---- rejected text ---------------------------------------------------------------------------

TEST_CASE("reject: a bare number has no unit", "[units]") {
  REQUIRE_THROWS_AS(parse_bytes("12"), UnitError);
  REQUIRE_THROWS_WITH(parse_bytes("12"), Contains("a bare number has no unit"));
  REQUIRE_THROWS_WITH(parse_bytes("12"), Contains("expected a data size with a unit (B, kB, MB, ...), got '12'"));
  REQUIRE_THROWS_WITH(parse_bytes("12"), Contains("accepted: B, kB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, PiB"));
}

TEST_CASE("reject: a bare number in every family", "[units]") {
  REQUIRE_THROWS_WITH(parse_seconds("5"), Contains("expected a duration with a unit"));
  REQUIRE_THROWS_WITH(parse_rate("400"), Contains("expected a data rate with a unit"));
  REQUIRE_THROWS_WITH(parse_flops("2"), Contains("expected a FLOP count with a unit"));
  REQUIRE_THROWS_WITH(parse_flop_rate("989"), Contains("expected a FLOP rate with a unit"));
  REQUIRE_THROWS_WITH(parse_watts("700"), Contains("expected a power with a unit"));
  REQUIRE_THROWS_WITH(parse_joules("3"), Contains("expected an energy with a unit"));
  REQUIRE_THROWS_WITH(parse_hertz("2"), Contains("expected a frequency with a unit"));
  REQUIRE_THROWS_WITH(parse_celsius("45"), Contains("expected a temperature with a unit"));
}

TEST_CASE("reject: KB is ambiguous", "[units]") {
  REQUIRE_THROWS_WITH(parse_bytes("4 KB"), Contains("'KB' is ambiguous: use kB (1000 B) or KiB (1024 B)"));
}

TEST_CASE("reject: KB/s and Kbps are ambiguous", "[units]") {
  REQUIRE_THROWS_WITH(parse_rate("4 KB/s"), Contains("ambiguous"));
  REQUIRE_THROWS_WITH(parse_rate("4 KBps"), Contains("ambiguous"));
  REQUIRE_THROWS_WITH(parse_rate("4 Kbps"), Contains("ambiguous"));
}

TEST_CASE("reject: bits are not a data size", "[units]") {
  REQUIRE_THROWS_WITH(parse_bytes("5 Mb"), Contains("unknown unit 'Mb'"));
  REQUIRE_THROWS_WITH(parse_bytes("5 Mb"), Contains("data sizes are in bytes: use MB"));
  REQUIRE_THROWS_WITH(parse_bytes("8 b"), Contains("lowercase b means bits"));
  REQUIRE_THROWS_WITH(parse_bytes("4 Kb"), Contains("use kB or KiB"));
}

TEST_CASE("reject: rate units are case-sensitive (gbps and GBPS)", "[units]") {
  REQUIRE_THROWS_WITH(parse_rate("400 gbps"), Contains("case-sensitive"));
  REQUIRE_THROWS_WITH(parse_rate("400 gbps"), Contains("did you mean Gbps or GBps?"));
  REQUIRE_THROWS_WITH(parse_rate("400 GBPS"), Contains("accepted: bps, kbps, Mbps"));
}

TEST_CASE("reject: 10 GB/S (capital S)", "[units]") {
  REQUIRE_THROWS_WITH(parse_rate("10 GB/S"), Contains("unknown unit 'GB/S' for a data rate in '10 GB/S'"));
  REQUIRE_THROWS_WITH(parse_rate("10 GB/S"), Contains("GB/s"));
}

TEST_CASE("reject: unknown unit lists the accepted spellings", "[units]") {
  REQUIRE_THROWS_WITH(parse_rate("400 Gbs"),
                      Contains("unknown unit 'Gbs' for a data rate in '400 Gbs'; accepted: bps, kbps, "));
}

TEST_CASE("reject: malformed number 1.2.3 GB", "[units]") {
  REQUIRE_THROWS_WITH(parse_bytes("1.2.3 GB"), Contains("malformed number in '1.2.3 GB'"));
  REQUIRE_THROWS_WITH(parse_bytes("1,5 GB"), Contains("malformed number"));
  REQUIRE_THROWS_WITH(parse_bytes("1e5e3 GB"), Contains("unknown unit"));  // "e3 GB" is not a unit
}

TEST_CASE("reject: a unit without a number", "[units]") {
  REQUIRE_THROWS_WITH(parse_bytes("GB"), Contains("expected a number before the unit in 'GB'"));
  REQUIRE_THROWS_WITH(parse_bytes("- 5 GB"), Contains("expected a number"));
  REQUIRE_THROWS_WITH(parse_bytes(". GB"), Contains("expected a number"));
}

TEST_CASE("reject: empty and blank text", "[units]") {
  REQUIRE_THROWS_WITH(parse_bytes(""), Contains("got an empty value"));
  REQUIRE_THROWS_WITH(parse_seconds("   "), Contains("expected a duration with a unit"));
}

TEST_CASE("reject: nan and inf", "[units]") {
  REQUIRE_THROWS_WITH(parse_bytes("nan GB"), Contains("'nan' is not a finite number"));
  REQUIRE_THROWS_WITH(parse_seconds("inf s"), Contains("'inf' is not a finite number"));
  REQUIRE_THROWS_WITH(parse_seconds("-INF s"), Contains("not a finite number"));
  REQUIRE_THROWS_WITH(parse_seconds("infinity s"), Contains("not a finite number"));
}

TEST_CASE("reject: hexadecimal numbers", "[units]") {
  REQUIRE_THROWS_WITH(parse_bytes("0x10 GB"), Contains("hexadecimal"));
}

TEST_CASE("reject: out-of-range numbers", "[units]") {
  REQUIRE_THROWS_WITH(parse_bytes("1e400 GB"), Contains("out of range"));
  REQUIRE_THROWS_WITH(parse_flop_rate("1e300 EFLOP/s"), Contains("out of range"));  // 1e318 overflows a double
}

TEST_CASE("reject: 12 parsecs", "[units]") {
  REQUIRE_THROWS_WITH(parse_seconds("12 parsecs"), Contains("unknown unit 'parsecs' for a duration"));
  REQUIRE_THROWS_WITH(parse_seconds("12 parsecs"), Contains("accepted: s, ms, us, " MICRO_SIGN "s"));
}

TEST_CASE("reject: trailing garbage after the unit", "[units]") {
  REQUIRE_THROWS_WITH(parse_bytes("10 GB extra"), Contains("unknown unit 'GB extra'"));
}

TEST_CASE("reject: below absolute zero", "[units]") {
  REQUIRE_THROWS_WITH(parse_celsius("-300 K"), Contains("below absolute zero"));
  REQUIRE_THROWS_WITH(parse_celsius("-274 C"), Contains("below absolute zero"));  // -274 < -273.15
}

TEST_CASE("reject: a unit of another family", "[units]") {
  REQUIRE_THROWS_WITH(parse_rate("50 GB"), Contains("did you mean GB/s?"));
  REQUIRE_THROWS_WITH(parse_seconds("50 GB"), Contains("'GB' is a unit of data size, not of duration"));
  REQUIRE_THROWS_WITH(parse_flops("2 TFLOPS"), Contains("'TFLOPS' is a unit of FLOP rate, not of FLOP count"));
}

TEST_CASE("reject: TFLOPs is ambiguous", "[units]") {
  REQUIRE_THROWS_WITH(parse_flop_rate("989 TFLOPs"), Contains("'TFLOPs' is ambiguous"));
  REQUIRE_THROWS_WITH(parse_flops("2 TFLOPs"), Contains("use TFLOP for a count"));
}

TEST_CASE("reject: lowercase flop spellings", "[units]") {
  REQUIRE_THROWS_WITH(parse_flops("2 tflop"), Contains("case-sensitive"));
  REQUIRE_THROWS_WITH(parse_flop_rate("2 Tflops"), Contains("did you mean TFLOPS?"));
}

TEST_CASE("reject: ambiguous minute", "[units]") {
  REQUIRE_THROWS_WITH(parse_seconds("5 m"), Contains("use min for minutes or ms for milliseconds"));
}

TEST_CASE("UnitError is a std::exception", "[units]") {
  STATIC_REQUIRE(std::is_base_of<std::exception, UnitError>::value);
  try {
    (void)parse_bytes("12");
    FAIL("expected a UnitError");
  } catch (const std::exception& e) {
    CHECK(std::string(e.what()).find("bare number") != std::string::npos);
  }
}

// ---- family names and lists ------------------------------------------------------------------

TEST_CASE("family_name names every family", "[units]") {
  CHECK(family_name(UnitFamily::Bytes) == "data size");
  CHECK(family_name(UnitFamily::Seconds) == "duration");
  CHECK(family_name(UnitFamily::BytesPerSecond) == "data rate");
  CHECK(family_name(UnitFamily::Flops) == "FLOP count");
  CHECK(family_name(UnitFamily::FlopRate) == "FLOP rate");
  CHECK(family_name(UnitFamily::Watts) == "power");
  CHECK(family_name(UnitFamily::Joules) == "energy");
  CHECK(family_name(UnitFamily::Hertz) == "frequency");
  CHECK(family_name(UnitFamily::Celsius) == "temperature");
}

TEST_CASE("accepted_units lists the exact spellings", "[units]") {
  CHECK(accepted_units(UnitFamily::Bytes) == "B, kB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, PiB");
  CHECK(accepted_units(UnitFamily::Seconds) == "s, ms, us, " MICRO_SIGN "s, " GREEK_MU "s, ns, ps, min, h");
  CHECK(accepted_units(UnitFamily::Watts) == "W, kW, MW, mW");
  CHECK(accepted_units(UnitFamily::Joules) == "J, kJ, MJ, GJ, Wh, kWh, MWh");
  CHECK(accepted_units(UnitFamily::Hertz) == "Hz, kHz, MHz, GHz");
  CHECK(accepted_units(UnitFamily::Celsius) == "C, " DEGREE "C, degC, K");
  CHECK_THAT(accepted_units(UnitFamily::BytesPerSecond), Contains("Gbps") && Contains("GB/s") && Contains("GBps"));
  CHECK_THAT(accepted_units(UnitFamily::FlopRate), Contains("TFLOP/s") && Contains("TFLOPS"));
  CHECK_THAT(accepted_units(UnitFamily::Flops), Contains("EFLOP"));
}

TEST_CASE("every accepted spelling parses in its own family", "[units]") {
  for (UnitFamily f : {UnitFamily::Bytes, UnitFamily::Seconds, UnitFamily::BytesPerSecond, UnitFamily::Flops,
                       UnitFamily::FlopRate, UnitFamily::Watts, UnitFamily::Joules, UnitFamily::Hertz,
                       UnitFamily::Celsius}) {
    const std::string list = accepted_units(f);
    std::string::size_type start = 0;
    while (start <= list.size()) {
      const std::string::size_type comma = list.find(", ", start);
      const std::string unit = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      INFO(unit);
      CHECK_NOTHROW((void)parse_quantity("1 " + unit, f));
      if (comma == std::string::npos) break;
      start = comma + 2;
    }
  }
}

// ---- strong-type arithmetic ------------------------------------------------------------------

TEST_CASE("arithmetic: bytes over a rate is a duration", "[units]") {
  const Seconds t = Bytes(1e9) / BytesPerSecond(50e9);  // 1 GB / 50 GB/s = 20 ms
  CHECK(t == Seconds(0.02));
  const Bytes moved = BytesPerSecond(50e9) * Seconds(0.02);  // 50 GB/s * 20 ms = 1 GB
  CHECK(moved.value() == 1e9);
  CHECK((Seconds(0.02) * BytesPerSecond(50e9)) == moved);
}

TEST_CASE("arithmetic: FLOPs over a FLOP rate is a duration", "[units]") {
  const Seconds t = Flops(2e12) / FlopRate(1e15);  // 2 TFLOP / 1 PFLOP/s = 2 ms
  CHECK(t.value() == 0.002);
  const Flops done = FlopRate(1e15) * Seconds(0.002);  // 1 PFLOP/s * 2 ms = 2 TFLOP
  CHECK(done.value() == 2e12);
  CHECK((Seconds(0.002) * FlopRate(1e15)) == done);
}

TEST_CASE("arithmetic: watts times seconds is joules and back", "[units]") {
  const Joules e = Watts(700.0) * Seconds(3600.0);  // 700 W for 1 h = 2.52 MJ = 0.7 kWh
  CHECK(e.value() == 2.52e6);
  CHECK((Seconds(3600.0) * Watts(700.0)) == e);
  CHECK(e / parse_joules("1 kWh") == Approx(0.7));
  const Watts p = e / Seconds(3600.0);
  CHECK(p.value() == 700.0);
}

TEST_CASE("arithmetic: a ratio of like quantities is a plain double", "[units]") {
  const double r = Bytes(3e9) / Bytes(1e9);
  STATIC_REQUIRE(std::is_same<decltype(Bytes(3e9) / Bytes(1e9)), double>::value);
  CHECK(r == 3.0);
  CHECK(Seconds(1.0) / Seconds(0.25) == 4.0);
}

TEST_CASE("arithmetic: the types are distinct", "[units]") {
  STATIC_REQUIRE(std::is_same<decltype(Bytes(1.0) / BytesPerSecond(1.0)), Seconds>::value);
  STATIC_REQUIRE(std::is_same<decltype(Watts(1.0) * Seconds(1.0)), Joules>::value);
  STATIC_REQUIRE(!std::is_convertible<Bytes, Seconds>::value);
  STATIC_REQUIRE(!std::is_convertible<double, Bytes>::value);  // the constructor is explicit
}

TEST_CASE("arithmetic: sums and scaling and comparisons", "[units]") {
  Bytes b = Bytes(1e9) + Bytes(5e8);  // 1 GB + 0.5 GB = 1.5 GB
  CHECK(b.value() == 1.5e9);
  b -= Bytes(5e8);
  CHECK(b == Bytes(1e9));
  CHECK((2.0 * b).value() == 2e9);
  CHECK((b / 4.0).value() == 2.5e8);
  CHECK(Bytes(1.0) < Bytes(2.0));
  CHECK(Bytes(1.0) != Bytes(2.0));
}

TEST_CASE("arithmetic: temperatures are affine", "[units]") {
  const Celsius inlet(25.0);
  const Celsius outlet = inlet + 15.0;  // a rise of 15 K
  CHECK(outlet.value() == 40.0);
  CHECK(outlet - inlet == 15.0);
  CHECK(inlet < outlet);
}

TEST_CASE("literals agree with the parser", "[units]") {
  using namespace racksim::literals;
  CHECK(1_GB == parse_bytes("1 GB"));
  CHECK(1_GiB == parse_bytes("1 GiB"));
  CHECK(50_GBps == parse_rate("50 GB/s"));
  CHECK(400_Gbps == parse_rate("400 Gbps"));  // 400e9 / 8
  CHECK(20_ms == parse_seconds("20 ms"));
  // The header's sub-second literals multiply by an inexact 1e-6 (5 * 1e-6 is one ulp above 5e-6);
  // the parser divides by 1e6, so "5 us" == Seconds(5e-6) exactly. They agree to rounding.
  CHECK((5_us).value() == Approx(parse_seconds("5 us").value()));
  CHECK(989_TFLOPs == parse_flop_rate("989 TFLOP/s"));
  CHECK(2_TFLOP == parse_flops("2 TFLOP"));
  CHECK(120_kW == parse_watts("120 kW"));
}

// ---- formatting ------------------------------------------------------------------------------

TEST_CASE("format_bytes picks a decimal prefix", "[units]") {
  CHECK(format_bytes(Bytes(1.5e9)) == "1.5 GB");
  CHECK(format_bytes(Bytes(512.0)) == "512 B");
  CHECK(format_bytes(Bytes(1073741824.0)) == "1.074 GB");  // 2^30 B to 4 significant digits
  CHECK(format_bytes(Bytes(2.5e15)) == "2.5 PB");
  CHECK(format_bytes(Bytes(0.5)) == "0.5 B");             // below the smallest prefix
  CHECK(format_bytes(Bytes(3e18)) == "3000 PB");          // above the largest prefix
}

TEST_CASE("format_seconds uses ms/us/ns and min/h", "[units]") {
  CHECK(format_seconds(Seconds(0.020005)) == "20.01 ms");  // 4 significant digits, half up
  CHECK(format_seconds(Seconds(5e-6)) == "5 us");
  CHECK(format_seconds(Seconds(3e-7)) == "300 ns");
  CHECK(format_seconds(Seconds(2.5e-11)) == "25 ps");
  CHECK(format_seconds(Seconds(12.0)) == "12 s");
  CHECK(format_seconds(Seconds(90.0)) == "1.5 min");  // 90 / 60
  CHECK(format_seconds(Seconds(5400.0)) == "1.5 h");  // 5400 / 3600
}

TEST_CASE("format_rate and format_flop_rate", "[units]") {
  CHECK(format_rate(BytesPerSecond(1.8e12)) == "1.8 TB/s");
  CHECK(format_rate(BytesPerSecond(50e9)) == "50 GB/s");
  CHECK(format_rate(BytesPerSecond(12500.0)) == "12.5 kB/s");
  CHECK(format_flop_rate(FlopRate(1.3074e15)) == "1.307 PFLOP/s");
  CHECK(format_flop_rate(FlopRate(989e12)) == "989 TFLOP/s");
  CHECK(format_flop_rate(FlopRate(2e18)) == "2 EFLOP/s");
}

TEST_CASE("format: zero and negative values", "[units]") {
  CHECK(format_bytes(Bytes(0.0)) == "0 B");
  CHECK(format_seconds(Seconds(0.0)) == "0 s");
  CHECK(format_rate(BytesPerSecond(0.0)) == "0 B/s");
  CHECK(format_flop_rate(FlopRate(0.0)) == "0 FLOP/s");
  CHECK(format_bytes(Bytes(-1.5e9)) == "-1.5 GB");
  CHECK(format_seconds(Seconds(-0.02)) == "-20 ms");
}

TEST_CASE("format: rounding that carries moves to the next prefix", "[units]") {
  CHECK(format_bytes(Bytes(999.96e6)) == "1 GB");   // 999.96 MB rounds to 1000 MB = 1 GB
  CHECK(format_bytes(Bytes(999.94e6)) == "999.9 MB");
  CHECK(format_bytes(Bytes(123456.0)) == "123.5 kB");  // 123.456 kB, 4 significant digits
}

TEST_CASE("format: output parses back", "[units]") {
  CHECK(parse_bytes(format_bytes(Bytes(1.5e9))) == Bytes(1.5e9));
  CHECK(parse_seconds(format_seconds(Seconds(0.02))) == Seconds(0.02));
  CHECK(parse_rate(format_rate(BytesPerSecond(1.8e12))) == BytesPerSecond(1.8e12));
  CHECK(parse_flop_rate(format_flop_rate(FlopRate(989e12))) == FlopRate(989e12));
}
