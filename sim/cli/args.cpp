// racksim cli: the declarative command-line parser (args.hpp): parsing, checks and help text.
#include "sim/cli/args.hpp"

#include "core/error.hpp"
#include "core/units.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>

namespace racksim {

namespace {

constexpr std::size_t kWidth = 100;        // help text columns
constexpr std::size_t kHelpColumn = 28;    // where an option's help starts

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Location at(const std::string& option, const std::string& value) { return Location{option + " " + value, 0, 0, ""}; }

const OptionSpec* find_option(const VerbSpec& spec, const std::string& name) {
  for (const auto& o : spec.options)
    if (o.name == name || (!o.short_name.empty() && o.short_name == name)) return &o;
  return nullptr;
}

// Whether `arg` is one of the verb's options (or --help) rather than a value.
bool names_an_option(const VerbSpec& spec, const std::string& arg) {
  if (arg == "--help" || arg == "-h") return true;
  const std::string name = arg.rfind("--", 0) == 0 ? arg.substr(0, arg.find('=')) : arg;
  return find_option(spec, name) != nullptr;
}

std::string range_text(const OptionSpec& o) {
  if (o.max == std::numeric_limits<std::int64_t>::max()) return fmt::format(">= {}", o.min);
  return fmt::format("from {} to {}", o.min, o.max);
}

std::int64_t parse_integer(const OptionSpec& o, const std::string& text) {
  const bool sign = !text.empty() && text[0] == '-';
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (!all_digits(sign ? text.substr(1) : text) || errno == ERANGE || end != text.c_str() + text.size() || v < o.min ||
      v > o.max)
    throw InputError(at(o.name, text), fmt::format("expected an integer {}", range_text(o)));
  return static_cast<std::int64_t>(v);
}

double parse_number(const OptionSpec& o, const std::string& text) {
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v) || !(v > o.above))
    throw InputError(at(o.name, text), fmt::format("expected a number greater than {}", o.above));
  return v;
}

// "--out DIR", or "--json" for a flag.
std::string option_with_value(const OptionSpec& o) { return o.value_name.empty() ? o.name : o.name + " " + o.value_name; }

// One option's part of the synopsis: "--out DIR", "[--out DIR]", "[--set KEY=VALUE]...".
std::string synopsis_piece(const OptionSpec& o) {
  const std::string plain = option_with_value(o);
  if (o.is_required && o.is_repeatable) return fmt::format("{} [{} ...]", plain, o.name);
  if (o.is_required) return plain;
  if (o.is_repeatable) return fmt::format("[{}]...", plain);
  return fmt::format("[{}]", plain);
}

std::string synopsis_piece(const PositionalSpec& p) {
  const std::string name = p.repeatable ? p.name + "..." : p.name;
  return p.required ? name : "[" + name + "]";
}

const Constraint* one_of_holding(const VerbSpec& spec, const std::string& name) {
  for (const auto& c : spec.constraints)
    if (c.kind == Constraint::Kind::OneOf && std::find(c.options.begin(), c.options.end(), name) != c.options.end())
      return &c;
  return nullptr;
}

// The synopsis after "racksim", one piece per argument or option (or group of options).
std::vector<std::string> synopsis_pieces(const VerbSpec& spec) {
  std::vector<std::string> pieces = spec.words;
  for (const auto& p : spec.positionals) pieces.push_back(synopsis_piece(p));
  for (const auto& o : spec.options) {
    const Constraint* group = one_of_holding(spec, o.name);
    if (!group) {
      pieces.push_back(synopsis_piece(o));
    } else if (group->options.front() == o.name) {
      std::vector<std::string> alternatives;
      for (const auto& name : group->options) alternatives.push_back(option_with_value(*find_option(spec, name)));
      pieces.push_back("(" + join(alternatives, " | ") + ")");
    }
  }
  return pieces;
}

std::string usage_tail(const VerbSpec& spec) { return "usage: " + synopsis(spec); }

// The positional arguments checked against how many the verb takes.
void check_positionals(const VerbSpec& spec, const std::vector<std::string>& given) {
  std::size_t required = 0;
  bool unbounded = false;
  for (const auto& p : spec.positionals) {
    required += p.required ? 1 : 0;
    unbounded = unbounded || p.repeatable;
  }
  if (given.size() < required)
    throw UsageError(fmt::format("'{}' needs {}; {}", spec.name, spec.positionals[given.size()].what, usage_tail(spec)));
  if (!unbounded && given.size() > spec.positionals.size()) {
    if (spec.positionals.empty())
      throw UsageError(fmt::format("'{}' takes no arguments, got '{}'; {}", spec.name, given.front(), usage_tail(spec)));
    std::vector<std::string> names;
    for (const auto& p : spec.positionals) names.push_back(p.name);
    throw UsageError(fmt::format("'{}' takes {} argument{} ({}), got another: '{}'; {}", spec.name, names.size(),
                                 names.size() == 1 ? "" : "s", join(names, " "), given[spec.positionals.size()],
                                 usage_tail(spec)));
  }
}

std::string why(const Constraint& c) { return c.why.empty() ? "" : " (" + c.why + ")"; }

}  // namespace

// ---- declarations -----------------------------------------------------------------------------

OptionSpec OptionSpec::repeatable() const {
  OptionSpec o = *this;
  o.is_repeatable = true;
  return o;
}
OptionSpec OptionSpec::required() const {
  OptionSpec o = *this;
  o.is_required = true;
  return o;
}
OptionSpec OptionSpec::defaults_to(std::string value) const {
  OptionSpec o = *this;
  o.default_value = std::move(value);
  return o;
}
OptionSpec OptionSpec::default_shown(std::string note) const {
  OptionSpec o = *this;
  o.default_note = std::move(note);
  return o;
}
OptionSpec OptionSpec::alias(std::string short_option) const {
  OptionSpec o = *this;
  o.short_name = std::move(short_option);
  return o;
}

OptionSpec flag(std::string name, std::string help) {
  OptionSpec o;
  o.name = std::move(name);
  o.help = std::move(help);
  return o;
}

OptionSpec text(std::string name, std::string value_name, std::string help) {
  OptionSpec o = flag(std::move(name), std::move(help));
  o.type = ValueType::Text;
  o.value_name = std::move(value_name);
  return o;
}

OptionSpec integer(std::string name, std::string value_name, std::int64_t min, std::int64_t max, std::string help) {
  OptionSpec o = text(std::move(name), std::move(value_name), std::move(help));
  o.type = ValueType::Integer;
  o.min = min;
  o.max = max;
  return o;
}

OptionSpec number_above(std::string name, std::string value_name, double above, std::string help) {
  OptionSpec o = text(std::move(name), std::move(value_name), std::move(help));
  o.type = ValueType::Number;
  o.above = above;
  return o;
}

OptionSpec byte_count(std::string name, std::string value_name, std::int64_t min, std::string help) {
  OptionSpec o = text(std::move(name), std::move(value_name), std::move(help));
  o.type = ValueType::ByteCount;
  o.min = min;
  o.max = kMaxByteCount;
  return o;
}

// ---- values -----------------------------------------------------------------------------------

std::uint64_t parse_byte_count(const std::string& option, const std::string& text, std::int64_t min, std::int64_t max) {
  const std::string expected = fmt::format("expected a size from {} B to {}: a count of bytes like 1048576, or a size with a "
                                           "unit like 1MiB",
                                           min, max == kMaxByteCount ? std::string("1 PiB") : fmt::format("{} B", max));
  double v = 0.0;
  if (all_digits(text)) {
    // 19 digits and more cannot be below 2^63; the range check below rejects them all the same.
    v = text.size() > 18 ? std::numeric_limits<double>::infinity() : static_cast<double>(std::strtoll(text.c_str(), nullptr, 10));
  } else if (text.find_first_not_of("+-.0123456789eE") == std::string::npos) {
    throw InputError(at(option, text), expected);  // a number without a unit that is not a count: -5, 1.5, 1e6
  } else {
    try {
      v = parse_bytes(text).value();
    } catch (const UnitError& e) {
      throw InputError(at(option, text), e.what());
    }
  }
  const double rounded = std::round(v);
  if (!(rounded >= static_cast<double>(min)) || !(rounded <= static_cast<double>(max))) throw InputError(at(option, text), expected);
  return static_cast<std::uint64_t>(rounded);
}

bool ParsedArgs::given(const std::string& name) const {
  const auto it = slots_.find(name);
  if (it == slots_.end()) throw std::logic_error(fmt::format("option {} is not declared", name));
  return it->second.given;
}

const ParsedArgs::Slot& ParsedArgs::slot(const std::string& name, ValueType type) const {
  const auto it = slots_.find(name);
  if (it == slots_.end()) throw std::logic_error(fmt::format("option {} is not declared", name));
  if (it->second.type != type) throw std::logic_error(fmt::format("option {} is read as another type than declared", name));
  return it->second;
}

bool ParsedArgs::flag(const std::string& name) const { return slot(name, ValueType::Flag).given; }

std::optional<std::string> ParsedArgs::text(const std::string& name) const {
  const Slot& s = slot(name, ValueType::Text);
  if (s.values.empty()) return std::nullopt;
  return s.values.back().text;
}

std::optional<std::int64_t> ParsedArgs::integer(const std::string& name) const {
  const Slot& s = slot(name, ValueType::Integer);
  if (s.values.empty()) return std::nullopt;
  return s.values.back().integer;
}

std::optional<double> ParsedArgs::number(const std::string& name) const {
  const Slot& s = slot(name, ValueType::Number);
  if (s.values.empty()) return std::nullopt;
  return s.values.back().number;
}

std::optional<std::uint64_t> ParsedArgs::bytes(const std::string& name) const {
  const Slot& s = slot(name, ValueType::ByteCount);
  if (s.values.empty()) return std::nullopt;
  return s.values.back().bytes;
}

std::vector<std::string> ParsedArgs::texts(const std::string& name) const {
  std::vector<std::string> out;
  for (const auto& v : slot(name, ValueType::Text).values) out.push_back(v.text);
  return out;
}

// ---- parsing ----------------------------------------------------------------------------------

namespace {

// The typed value of `text` for option `o` (never empty: the caller checked). A template only
// because ParsedArgs::Value is private to ParsedArgs and parse_args, which names it.
template <class Value>
Value typed_value(const OptionSpec& o, const std::string& text) {
  Value v;
  v.text = text;
  switch (o.type) {
    case ValueType::Integer: v.integer = parse_integer(o, text); break;
    case ValueType::Number: v.number = parse_number(o, text); break;
    case ValueType::ByteCount: v.bytes = parse_byte_count(o.name, text, o.min, o.max); break;
    case ValueType::Flag:
    case ValueType::Text: break;
  }
  return v;
}

void check_constraint(const VerbSpec& spec, const Constraint& c, const ParsedArgs& a) {
  switch (c.kind) {
    case Constraint::Kind::OneOf: {
      std::size_t n = 0;
      for (const auto& name : c.options) n += a.given(name) ? 1 : 0;
      if (n != 1)
        throw UsageError(fmt::format("'{}' needs exactly one of {}{}; {}", spec.name, join(c.options, ", "), why(c), usage_tail(spec)));
      break;
    }
    case Constraint::Kind::Requires:
      if (a.given(c.options[0]) && !a.given(c.options[1]))
        throw UsageError(fmt::format("'{} {}' needs {}{}", spec.name, c.options[0], option_with_value(*find_option(spec, c.options[1])),
                                     why(c)));
      break;
    case Constraint::Kind::Excludes:
      if (a.given(c.options[0]) && a.given(c.options[1]))
        throw UsageError(fmt::format("'{}' takes {} or {}, not both{}", spec.name, c.options[0], c.options[1], why(c)));
      break;
  }
}

}  // namespace

ParsedArgs parse_args(const VerbSpec& spec, const std::vector<std::string>& args) {
  ParsedArgs r;
  for (const auto& a : args) {
    if (a == "--") break;
    if (a == "--help" || a == "-h") {
      r.help_ = true;
      return r;
    }
  }
  for (const auto& o : spec.options) r.slots_[o.name].type = o.type;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!options_done && a == "--") {
      options_done = true;
      continue;
    }
    if (options_done || a.size() < 2 || a[0] != '-') {
      r.positional_.push_back(a);
      continue;
    }
    std::string name = a;
    std::optional<std::string> inline_value;
    if (const auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      inline_value = a.substr(eq + 1);
    }
    const OptionSpec* o = find_option(spec, name);
    if (!o) throw UsageError(fmt::format("unknown option '{}' for '{}'; valid options: {}", name, spec.name, option_list(spec)));
    ParsedArgs::Slot& slot = r.slots_[o->name];
    if (o->type == ValueType::Flag) {
      if (inline_value) throw UsageError(fmt::format("{} takes no value, got '{}'", o->name, a));
      slot.given = true;
      slot.values.assign(1, {});
      continue;
    }
    std::string value;
    if (inline_value) value = *inline_value;
    else if (i + 1 < args.size() && !names_an_option(spec, args[i + 1])) value = args[++i];
    if (value.empty())
      throw UsageError(fmt::format("{} needs a value: {} (in '{}')", o->name, option_with_value(*o), spec.name));
    if (!o->is_repeatable) slot.values.clear();
    slot.values.push_back(typed_value<ParsedArgs::Value>(*o, value));
    slot.given = true;
  }
  for (const auto& o : spec.options) {
    ParsedArgs::Slot& slot = r.slots_[o.name];
    if (slot.given) continue;
    if (o.is_required)
      throw UsageError(fmt::format("'{}' needs {}{}; {}", spec.name, o.is_repeatable ? "at least one " : "", option_with_value(o),
                                   usage_tail(spec)));
    if (!o.default_value.empty()) slot.values.push_back(typed_value<ParsedArgs::Value>(o, o.default_value));
  }
  check_positionals(spec, r.positional_);
  for (const auto& c : spec.constraints) check_constraint(spec, c, r);
  return r;
}

// ---- help -------------------------------------------------------------------------------------

std::string wrap_text(const std::string& text, std::size_t indent, std::size_t width) {
  std::string out;
  std::size_t column = indent;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    const std::string paragraph = text.substr(start, nl - start);
    if (start > 0) {
      out += "\n" + std::string(indent, ' ');
      column = indent;
    }
    std::size_t at_word = 0;
    bool first = true;
    while (at_word < paragraph.size()) {
      std::size_t end = paragraph.find(' ', at_word);
      if (end == std::string::npos) end = paragraph.size();
      const std::string word = paragraph.substr(at_word, end - at_word);
      at_word = end + 1;
      if (word.empty()) continue;
      if (!first && column + 1 + word.size() > width) {
        out += "\n" + std::string(indent, ' ');
        column = indent;
        first = true;
      }
      if (!first) {
        out += ' ';
        ++column;
      }
      out += word;
      column += word.size();
      first = false;
    }
    start = nl + 1;
  }
  return out;
}

std::string synopsis(const VerbSpec& spec) { return "racksim " + join(synopsis_pieces(spec), " "); }

std::string option_list(const VerbSpec& spec) {
  std::vector<std::string> names;
  for (const auto& o : spec.options) names.push_back(o.name);
  names.push_back("--help");
  return join(names, ", ");
}

namespace {

// What follows an option's help: its range, repetition and default, in parentheses.
std::string option_details(const OptionSpec& o) {
  std::vector<std::string> parts;
  if (o.type == ValueType::Integer) parts.push_back("an integer " + range_text(o));
  if (o.type == ValueType::Number) parts.push_back(fmt::format("a number > {}", o.above));
  if (o.type == ValueType::ByteCount)
    parts.push_back(fmt::format("bytes, or a size with a unit: 1048576 or 1MiB; at least {} B", o.min));
  if (o.is_repeatable) parts.push_back("repeatable, kept in order");
  if (o.is_required) parts.push_back("required");
  if (!o.default_value.empty()) parts.push_back("default: " + o.default_value);
  if (!o.default_note.empty()) parts.push_back("default: " + o.default_note);
  return parts.empty() ? "" : " (" + join(parts, "; ") + ")";
}

std::string help_row(const std::string& label, const std::string& help) {
  std::string row = "  " + label;
  if (row.size() + 2 > kHelpColumn) row += "\n" + std::string(kHelpColumn, ' ');
  else row += std::string(kHelpColumn - row.size(), ' ');
  return row + wrap_text(help, kHelpColumn, kWidth) + "\n";
}

}  // namespace

std::string wrapped_synopsis(const VerbSpec& spec, const std::string& prefix, std::size_t width) {
  const std::vector<std::string> pieces = synopsis_pieces(spec);
  // The verb's words stay on the first line; continuation lines start under its first argument.
  std::string head = prefix + "racksim";
  std::size_t fixed = 0;
  for (; fixed < spec.words.size(); ++fixed) head += " " + pieces[fixed];
  std::string rest;
  for (std::size_t i = fixed; i < pieces.size(); ++i) {
    std::string piece = pieces[i];
    // A piece is never split across lines: its spaces are hidden from wrap_text (as the unit
    // separator, which no option name holds) and put back after.
    std::replace(piece.begin(), piece.end(), ' ', '\x1f');
    rest += (rest.empty() ? "" : " ") + piece;
  }
  if (rest.empty()) return head;
  std::string out = head + " " + wrap_text(rest, head.size() + 1, width);
  std::replace(out.begin(), out.end(), '\x1f', ' ');
  return out;
}

std::string verb_help(const VerbSpec& spec) {
  const std::string usage = wrapped_synopsis(spec, "usage: ", kWidth);
  std::string out = usage + "\n\n" + wrap_text(spec.summary, 0, kWidth) + "\n";
  if (!spec.positionals.empty()) {
    out += "\narguments:\n";
    for (const auto& p : spec.positionals) out += help_row(p.repeatable ? p.name + "..." : p.name, p.help);
  }
  out += "\noptions:\n";
  for (const auto& o : spec.options) {
    const std::string label = (o.short_name.empty() ? "" : o.short_name + ", ") + option_with_value(o);
    out += help_row(label, o.help + option_details(o));
  }
  out += help_row("-h, --help", "print this help and exit");
  out += "\nexit status:\n" + help_row("0", "success");
  const bool own_one = std::any_of(spec.exits.begin(), spec.exits.end(), [](const ExitStatus& e) { return e.code == 1; });
  if (!own_one) out += help_row("1", "internal error (a bug in racksim: please report it)");
  for (const auto& e : spec.exits)
    if (e.code == 1) out += help_row("1", e.meaning + "; or an internal error");
  out += help_row("2", "bad command line");
  for (const auto& e : spec.exits)
    if (e.code > 2) out += help_row(std::to_string(e.code), e.meaning);
  return out;
}

}  // namespace racksim
