// Unit tests for core/json_writer: layout, escaping, the fixed number format and misuse checks.
//
// Expected documents are written out by hand from the writer's layout rules: one member or
// element per line, indented two spaces per level, ",\n" between members, an empty object or
// array printed as {} or [], and a final newline after the document.
#include "core/error.hpp"
#include "core/json_writer.hpp"

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;

namespace {

// One fixed document, written the same way every time it is called.
std::string sample_document() {
  JsonWriter w;
  w.begin_object();
  w.field("name", "ring");
  w.field("ranks", 8);
  w.field("time_s", 0.0015);
  w.key("steps").begin_array().value(1).value(2).end_array();
  w.end_object();
  return w.str();
}

}  // namespace

TEST_CASE("json: nested objects and arrays with commas and indentation", "[json]") {
  JsonWriter w;
  w.begin_object();
  w.field("a", 1);
  w.key("b").begin_array().value(1).value("x").end_array();
  w.key("c").begin_object().end_object();
  w.key("d").null();
  w.field("e", true);
  w.field("f", false);
  w.end_object();
  const std::string expected =
      "{\n"
      "  \"a\": 1,\n"
      "  \"b\": [\n"
      "    1,\n"
      "    \"x\"\n"
      "  ],\n"
      "  \"c\": {},\n"
      "  \"d\": null,\n"
      "  \"e\": true,\n"
      "  \"f\": false\n"
      "}\n";
  CHECK(w.str() == expected);
}

TEST_CASE("json: an array of objects at the top level", "[json]") {
  JsonWriter w;
  w.begin_array();
  w.begin_object().field("id", 0).end_object();
  w.begin_object().field("id", 1).end_object();
  w.begin_array().end_array();
  w.end_array();
  const std::string expected =
      "[\n"
      "  {\n"
      "    \"id\": 0\n"
      "  },\n"
      "  {\n"
      "    \"id\": 1\n"
      "  },\n"
      "  []\n"
      "]\n";
  CHECK(w.str() == expected);
}

TEST_CASE("json: keys keep the order they were written in", "[json]") {
  JsonWriter w;
  w.begin_object().field("z", 1).field("a", 2).end_object();
  CHECK(w.str() == "{\n  \"z\": 1,\n  \"a\": 2\n}\n");  // not sorted: z before a
}

TEST_CASE("json: quotes backslashes and newlines are escaped", "[json]") {
  CHECK(JsonWriter::escape("plain") == "\"plain\"");
  CHECK(JsonWriter::escape("say \"hi\"") == "\"say \\\"hi\\\"\"");  // " -> \"
  CHECK(JsonWriter::escape("C:\\dir") == "\"C:\\\\dir\"");           // \ -> \\ (one backslash becomes two)
  CHECK(JsonWriter::escape("a\nb") == "\"a\\nb\"");
  CHECK(JsonWriter::escape("a\tb\rc") == "\"a\\tb\\rc\"");
}

TEST_CASE("json: other control characters become unicode escapes", "[json]") {
  // Characters below 0x20 without a short form are written \u00XX with 4 lowercase hex digits.
  CHECK(JsonWriter::escape(std::string("a\x01" "b")) == "\"a\\u0001b\"");
  CHECK(JsonWriter::escape(std::string("\x1f")) == "\"\\u001f\"");
  CHECK(JsonWriter::escape(std::string(1, '\0')) == "\"\\u0000\"");
  // Bytes of UTF-8 text (>= 0x80) pass through unchanged: U+00B5 MICRO SIGN is C2 B5.
  CHECK(JsonWriter::escape("\xC2\xB5s") == "\"\xC2\xB5s\"");
}

TEST_CASE("json: escaped strings in keys and values", "[json]") {
  JsonWriter w;
  w.begin_object().field("k\"1", "v\\1").end_object();
  CHECK(w.str() == "{\n  \"k\\\"1\": \"v\\\\1\"\n}\n");
}

TEST_CASE("json: zero and negative zero are printed as 0", "[json][number]") {
  CHECK(JsonWriter::number(0.0) == "0");
  CHECK(JsonWriter::number(-0.0) == "0");  // -0 compares equal to 0 and is folded
}

TEST_CASE("json: number format uses at most 10 significant digits", "[json][number]") {
  CHECK(JsonWriter::number(1.5) == "1.5");
  CHECK(JsonWriter::number(-2.25) == "-2.25");
  CHECK(JsonWriter::number(1e-7) == "1e-07");  // %g switches to exponent form below 1e-4; 2-digit exponent
  CHECK(JsonWriter::number(0.0025) == "0.0025");
  // 0.1 + 0.2 = 0.30000000000000004: 10 significant digits round it to 0.3000000000, trailing zeros dropped
  CHECK(JsonWriter::number(0.1 + 0.2) == "0.3");
  // 1/3 keeps exactly 10 significant digits
  CHECK(JsonWriter::number(1.0 / 3.0) == "0.3333333333");
  // 10 digits fit: 1234567890; 123456789012 has 12 digits, more than 10, so exponent form
  // 1.23456789012e11 -> 10 digits 1.234567890e+11 -> trailing zero dropped
  CHECK(JsonWriter::number(1234567890.0) == "1234567890");
  CHECK(JsonWriter::number(123456789012.0) == "1.23456789e+11");
}

TEST_CASE("json: value_exact keeps every bit of a double", "[json][number]") {
  // Each reads back (strtod, as the YAML reader does) as exactly the same double.
  for (const double v : {0.1 + 0.2, 1.0 / 3.0, 123456789012.0, 1e-7, -2.5e-300, 6.02214076e23,
                         std::numeric_limits<double>::max(), std::numeric_limits<double>::denorm_min()}) {
    const std::string t = JsonWriter::number_exact(v);
    CHECK(std::strtod(t.c_str(), nullptr) == v);
    CHECK(t.find_first_not_of("0123456789+-.e") == std::string::npos);  // a JSON number
  }
  CHECK(JsonWriter::number_exact(0.1 + 0.2) == "0.30000000000000004");  // where number() says 0.3
  CHECK(JsonWriter::number_exact(1.5) == "1.5");
  CHECK(JsonWriter::number_exact(-0.0) == "0");
  JsonWriter w;
  w.begin_array().value_exact(1.0 / 3.0).end_array();
  CHECK(w.str() == "[\n  0.3333333333333333\n]\n");
  CHECK_THROWS_AS(JsonWriter::number_exact(std::numeric_limits<double>::infinity()), Error);
}

TEST_CASE("json: integers are printed in full", "[json][number]") {
  JsonWriter w;
  w.begin_array();
  w.value(std::int64_t{123456789012});  // an integer keeps all 12 digits, unlike a double
  w.value(std::int64_t{-5});
  w.value(std::numeric_limits<std::uint64_t>::max());  // 2^64 - 1
  w.end_array();
  CHECK(w.str() == "[\n  123456789012,\n  -5,\n  18446744073709551615\n]\n");
}

TEST_CASE("json: a non-finite number throws", "[json][number]") {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(JsonWriter::number(inf), Error);
  CHECK_THROWS_AS(JsonWriter::number(-inf), Error);
  CHECK_THROWS_AS(JsonWriter::number(nan), Error);
  JsonWriter w;
  w.begin_object().key("t");
  CHECK_THROWS_WITH(w.value(nan), Contains("non-finite"));
}

TEST_CASE("json: str of an unbalanced document throws", "[json][misuse]") {
  JsonWriter obj;
  obj.begin_object().field("a", 1);
  CHECK_THROWS_AS(obj.str(), Error);
  JsonWriter arr;
  arr.begin_array().begin_array().end_array();
  CHECK_THROWS_WITH(arr.str(), Contains("unterminated"));
}

TEST_CASE("json: misplaced keys values and closers throw", "[json][misuse]") {
  JsonWriter w1;
  w1.begin_object();
  CHECK_THROWS_AS(w1.value(1), Error);  // a value in an object needs a key first
  JsonWriter w2;
  w2.begin_array();
  CHECK_THROWS_AS(w2.key("k"), Error);  // no keys in an array
  JsonWriter w3;
  w3.begin_object().key("a");
  CHECK_THROWS_AS(w3.key("b"), Error);  // two keys in a row
  JsonWriter w4;
  w4.begin_object();
  CHECK_THROWS_AS(w4.end_array(), Error);  // closing the wrong kind
  JsonWriter w5;
  CHECK_THROWS_AS(w5.end_object(), Error);  // closing nothing
}

TEST_CASE("json: identical input gives identical output", "[json]") {
  const std::string first = sample_document();
  const std::string second = sample_document();
  CHECK(first == second);
  CHECK(first.back() == '\n');
  CHECK_THAT(first, Contains("\"time_s\": 0.0015"));
}

TEST_CASE("json: optional fields are their value or null, string arrays are arrays of strings", "[json]") {
  // The same document written with the primitives: key + value, key + null, key + an array.
  JsonWriter w;
  w.begin_object();
  w.optional_field("a", std::optional<double>(1.5));
  w.optional_field("b", std::optional<std::int64_t>());
  w.string_array("c", {"x", "y"});
  w.string_array("d", {});
  w.end_object();
  JsonWriter by_hand;
  by_hand.begin_object();
  by_hand.key("a").value(1.5);
  by_hand.key("b").null();
  by_hand.key("c").begin_array().value("x").value("y").end_array();
  by_hand.key("d").begin_array().end_array();
  by_hand.end_object();
  CHECK(w.str() == by_hand.str());
  CHECK_THAT(w.str(), Contains("\"b\": null"));
}
