#include "core/json_writer.hpp"

#include "core/error.hpp"
#include "core/utf8.hpp"

#include <fmt/format.h>

#include <cmath>

namespace racksim {

std::string JsonWriter::escape(const std::string& s) {
  std::string o;
  o.reserve(s.size() + 2);
  o += '"';
  for (const char c : valid_utf8(s)) {  // a document with a byte that is not UTF-8 is not JSON
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      case '\r': o += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) o += fmt::format("\\u{:04x}", static_cast<int>(c));
        else o += c;
    }
  }
  o += '"';
  return o;
}

std::string JsonWriter::number(double v) {
  if (!std::isfinite(v)) throw Error("internal error: a non-finite number reached the JSON writer");
  if (v == 0.0) return "0";  // also folds -0
  return fmt::format("{:.10g}", v);
}

std::string JsonWriter::number_exact(double v) {
  if (!std::isfinite(v)) throw Error("internal error: a non-finite number reached the JSON writer");
  if (v == 0.0) return "0";
  return fmt::format("{}", v);  // fmt's default for a double: shortest round-trip form
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!stack_.empty()) {
    if (stack_.back().is_object) throw Error("internal error: JSON value without a key");
    out_ += stack_.back().count++ ? ",\n" : "\n";
    out_.append(2 * stack_.size(), ' ');
  }
}

JsonWriter& JsonWriter::key(const std::string& k) {
  if (stack_.empty() || !stack_.back().is_object || after_key_) throw Error("internal error: misplaced JSON key");
  out_ += stack_.back().count++ ? ",\n" : "\n";
  out_.append(2 * stack_.size(), ' ');
  out_ += escape(k) + ": ";
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::begin_object() {
  before_value();
  out_ += '{';
  stack_.push_back({true, 0});
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  before_value();
  out_ += '[';
  stack_.push_back({false, 0});
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  if (stack_.empty() || !stack_.back().is_object) throw Error("internal error: unbalanced JSON object");
  const bool empty = stack_.back().count == 0;
  stack_.pop_back();
  if (!empty) {
    out_ += '\n';
    out_.append(2 * stack_.size(), ' ');
  }
  out_ += '}';
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  if (stack_.empty() || stack_.back().is_object) throw Error("internal error: unbalanced JSON array");
  const bool empty = stack_.back().count == 0;
  stack_.pop_back();
  if (!empty) {
    out_ += '\n';
    out_.append(2 * stack_.size(), ' ');
  }
  out_ += ']';
  return *this;
}

JsonWriter& JsonWriter::value(double v) { before_value(); out_ += number(v); return *this; }
JsonWriter& JsonWriter::value_exact(double v) { before_value(); out_ += number_exact(v); return *this; }
JsonWriter& JsonWriter::value(std::int64_t v) { before_value(); out_ += fmt::format("{}", v); return *this; }
JsonWriter& JsonWriter::value(std::uint64_t v) { before_value(); out_ += fmt::format("{}", v); return *this; }
JsonWriter& JsonWriter::value(bool v) { before_value(); out_ += v ? "true" : "false"; return *this; }
JsonWriter& JsonWriter::value(const std::string& v) { before_value(); out_ += escape(v); return *this; }
JsonWriter& JsonWriter::null() { before_value(); out_ += "null"; return *this; }

std::string JsonWriter::str() const {
  if (!stack_.empty()) throw Error("internal error: unterminated JSON document");
  return out_ + "\n";
}

}  // namespace racksim
