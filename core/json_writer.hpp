// racksim core: a small deterministic JSON writer.
//
// Keys appear in the order written; numbers use a fixed format (up to 10 significant digits,
// no locale), so the same results always give byte-identical files. Used for summary.json and
// any other machine-readable output. value_exact() writes a number at full precision instead
// (the shortest text that reads back as the same double), for files whose numbers are compared
// exactly later (racksim check's baselines). Strings are written as valid UTF-8 whatever they
// hold: a byte outside a well-formed UTF-8 sequence becomes U+FFFD (core/utf8.hpp), so an input
// string that is not UTF-8 (a scenario's name) never makes the document invalid JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace racksim {

class JsonWriter {
public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(const std::string& k);
  JsonWriter& value(double v);
  JsonWriter& value_exact(double v);  // full precision: number_exact(v)
  JsonWriter& value(std::int64_t v);
  JsonWriter& value(int v) { return value(static_cast<std::int64_t>(v)); }
  JsonWriter& value(std::uint64_t v);
  JsonWriter& value(bool v);
  JsonWriter& value(const std::string& v);
  JsonWriter& value(const char* v) { return value(std::string(v)); }
  JsonWriter& null();
  template <class T>
  JsonWriter& field(const std::string& k, const T& v) { key(k); return value(v); }
  // A field that is null when the value is absent.
  template <class T>
  JsonWriter& optional_field(const std::string& k, const std::optional<T>& v) {
    key(k);
    return v ? value(*v) : null();
  }
  // A field holding an array of strings.
  JsonWriter& string_array(const std::string& k, const std::vector<std::string>& v) {
    key(k).begin_array();
    for (const auto& s : v) value(s);
    return end_array();
  }
  [[nodiscard]] std::string str() const;  // the document, ending in a newline

  static std::string escape(const std::string& s);
  static std::string number(double v);  // the fixed number format
  // The shortest text that strtod reads back as exactly v (-0 folded to 0); v must be finite.
  static std::string number_exact(double v);

private:
  void before_value();
  std::string out_;
  struct Level { bool is_object; int count; };
  std::vector<Level> stack_;
  bool after_key_ = false;
};

}  // namespace racksim
