// Unit tests for core/utf8 and the JSON writer's strings: every text racksim writes is valid
// UTF-8 whatever bytes an input string holds (a scenario name with invalid UTF-8 made summary.json
// invalid JSON).
//
// The expected replacements follow RFC 3629's table of well-formed sequences: a byte that does not
// start one, or a sequence cut short, becomes U+FFFD (EF BF BD) byte by byte; the bytes after
// it are read afresh. The check `decodes_as_utf8` below is written independently of core/utf8:
// it decodes code points arithmetically and refuses overlong forms, surrogates and values above
// U+10FFFF by their value, not by the lead byte's table.
#include "core/json_writer.hpp"
#include "core/utf8.hpp"

#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>

using namespace racksim;

namespace {

const std::string kFffd = "\xEF\xBF\xBD";

bool decodes_as_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (b < 0x80) { n = 1; cp = b; }
    else if ((b & 0xE0) == 0xC0) { n = 2; cp = b & 0x1Fu; }
    else if ((b & 0xF0) == 0xE0) { n = 3; cp = b & 0x0Fu; }
    else if ((b & 0xF8) == 0xF0) { n = 4; cp = b & 0x07u; }
    else return false;
    if (i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3Fu);
    }
    const std::uint32_t smallest[5] = {0, 0, 0x80, 0x800, 0x10000};  // below: an overlong form
    if (cp < smallest[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    i += n;
  }
  return true;
}

}  // namespace

TEST_CASE("utf8: well-formed text is kept byte for byte", "[utf8]") {
  // ASCII, U+2014 (E2 80 94, 3 bytes), U+1F600 (F0 9F 98 80, 4 bytes), U+00E9 (C3 A9), U+10FFFF.
  for (const std::string& s : {std::string("helios-72"), std::string("racksim \xE2\x80\x94 run"), std::string("\xF0\x9F\x98\x80"),
                              std::string("caf\xC3\xA9"), std::string("\xF4\x8F\xBF\xBF"), std::string()}) {
    CHECK(is_valid_utf8(s));
    CHECK(decodes_as_utf8(s));
    CHECK(valid_utf8(s) == s);
  }
}

TEST_CASE("utf8: each byte outside a well-formed sequence becomes U+FFFD", "[utf8]") {
  // FF never occurs in UTF-8: one replacement.
  CHECK(valid_utf8("bad\xFFname") == "bad" + kFffd + "name");
  // C0 AF is an overlong '/': C0 never leads, AF alone is a continuation byte: two.
  CHECK(valid_utf8("\xC0\xAF") == kFffd + kFffd);
  // ED A0 80 would be U+D800, a surrogate: ED cannot be followed by A0, so three.
  CHECK(valid_utf8("\xED\xA0\x80") == kFffd + kFffd + kFffd);
  // F4 90 80 80 would be U+110000, past U+10FFFF: four.
  CHECK(valid_utf8("\xF4\x90\x80\x80") == kFffd + kFffd + kFffd + kFffd);
  // E2 82 at the end is U+20AC (E2 82 AC) cut short: two, and the text before is kept.
  CHECK(valid_utf8("EUR \xE2\x82") == "EUR " + kFffd + kFffd);
  // A lead byte followed by ASCII: the lead byte alone is replaced and the ASCII read afresh.
  CHECK(valid_utf8("\xC3(x") == kFffd + "(x");
  for (const std::string& s : {std::string("\xFF"), std::string("\xC0\xAF"), std::string("\xED\xA0\x80"), std::string("\xE2\x82")}) {
    CHECK_FALSE(is_valid_utf8(s));
    CHECK_FALSE(decodes_as_utf8(s));
    CHECK(decodes_as_utf8(valid_utf8(s)));
  }
}

TEST_CASE("json: a string that is not UTF-8 still gives valid JSON, which reads back", "[utf8][json]") {
  JsonWriter w;
  w.begin_object().field("name", std::string("bad\xFF\xC0name")).field(std::string("k\xFE"), 1).end_object();
  const std::string doc = w.str();
  CHECK(decodes_as_utf8(doc));
  // Parsed back (yaml-cpp reads JSON, a subset of YAML): the name with its two bytes replaced.
  const YAML::Node n = YAML::Load(doc);
  CHECK(n["name"].as<std::string>() == "bad" + kFffd + kFffd + "name");
  CHECK(n["k" + kFffd].as<int>() == 1);
}
