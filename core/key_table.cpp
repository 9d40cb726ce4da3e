// racksim core: key tables (see key_table.hpp): their consistency checks, look-ups, the
// nearest-key hints, the `--set` path check and the docs' cells.
#include "core/key_table.hpp"

#include "core/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace racksim {

namespace {

std::string join_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string join_list(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

bool is_index(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// 1000000 -> "1,000,000"; numbers below 10,000 as they are.
std::string format_count(double v) {
  if (std::fabs(v) < 10000.0 || std::fabs(v) > 9e15) return fmt::format("{}", v);
  std::string digits = fmt::format("{}", static_cast<long long>(std::fabs(v)));
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (v < 0 ? "-" : "") + out;
}

std::string format_bound(const KeySpec& k, double v) {
  if (k.type == KeyType::Quantity) return format_quantity(k.unit, v);
  if (k.type == KeyType::Integer) return format_count(v);
  return fmt::format("{}", v);
}

}  // namespace

KeySpec& KeySpec::integer(std::int64_t lo, std::optional<std::int64_t> hi) {
  type = KeyType::Integer;
  range.min = static_cast<double>(lo);
  range.min_open = false;
  range.max = hi ? std::optional<double>(static_cast<double>(*hi)) : std::nullopt;
  range.max_open = false;
  return *this;
}

std::string KeySpec::name() const {
  const auto dot = path.find_last_of('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

std::string KeySpec::parent_map() const {
  const auto dot = path.find_last_of('.');
  return dot == std::string::npos ? std::string() : path.substr(0, dot);
}

bool KeySpec::has_kind(const std::string& kind) const {
  return kinds.empty() || std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

KeyTable::KeyTable(std::string root_title, std::vector<KeySpec> rows)
    : root_title_(std::move(root_title)), rows_(std::move(rows)) {
  check();
}

void KeyTable::append(const KeyTable& other) {
  rows_.insert(rows_.end(), other.rows_.begin(), other.rows_.end());
  for (const auto& [map, t] : other.titles_) titles_[map] = t;
  check();
}

void KeyTable::set_title(const std::string& map, std::string title) { titles_[map] = std::move(title); }

std::string KeyTable::title(const std::string& map) const {
  const auto it = titles_.find(map);
  if (it != titles_.end()) return it->second;
  return map.empty() ? root_title_ : map;
}

void KeyTable::check() const {
  auto bad = [](const KeySpec& k, const std::string& what) {
    throw std::logic_error(fmt::format("key table row '{}': {}", k.path, what));
  };
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    const KeySpec& k = rows_[i];
    if (k.path.empty() || k.name().empty()) bad(k, "empty key");
    if (k.type == KeyType::Enum && k.choices.empty()) bad(k, "an enum without values");
    if (k.type == KeyType::Id && k.id_of.empty()) bad(k, "a catalog id without its kind of part");
    if ((k.dflt.kind == DefaultKind::Value || k.dflt.kind == DefaultKind::Preset ||
         k.dflt.kind == DefaultKind::Described) && k.dflt.text.empty())
      bad(k, "a default without its text");
    if (k.type == KeyType::Integer && (k.range.min_open || k.range.max_open)) bad(k, "an integer with an open bound");
    if (k.doc.empty()) bad(k, "no doc line");
    // A table of one part's keys may leave its map's `kind` row to the table it is appended to.
    if (const KeySpec* kind_row = k.kinds.empty() ? nullptr : find(join_path(k.parent_map(), "kind"))) {
      if (kind_row->type != KeyType::Enum) bad(k, "kinds given, but its map's 'kind' key is not an enum");
      for (const auto& kind : k.kinds)
        if (std::find(kind_row->choices.begin(), kind_row->choices.end(), kind) == kind_row->choices.end())
          bad(k, fmt::format("'{}' is not a kind of its map", kind));
    }
    for (std::size_t j = 0; j < i; ++j) {
      const KeySpec& o = rows_[j];
      if (o.path != k.path) continue;
      const bool overlap = k.kinds.empty() || o.kinds.empty() ||
                           std::any_of(k.kinds.begin(), k.kinds.end(), [&](const std::string& x) { return o.has_kind(x); });
      if (overlap) bad(k, "declared twice for the same kind");
    }
  }
}

std::vector<std::string> KeyTable::maps() const {
  std::vector<std::string> out;
  for (const auto& k : rows_) {
    const std::string m = k.parent_map();
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  }
  return out;
}

std::vector<std::string> KeyTable::names(const std::string& map, const std::string& kind) const {
  std::vector<std::string> out;
  for (const auto& k : rows_) {
    if (k.parent_map() != map || (!kind.empty() && !k.has_kind(kind))) continue;
    const std::string n = k.name();
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  }
  return out;
}

const KeySpec* KeyTable::find(const std::string& path, const std::string& kind) const {
  for (const auto& k : rows_)
    if (k.path == path && (kind.empty() || k.has_kind(kind))) return &k;
  return nullptr;
}

std::vector<std::string> KeyTable::kinds(const std::string& map) const {
  const KeySpec* k = find(join_path(map, "kind"));
  return (k && k->type == KeyType::Enum) ? k->choices : std::vector<std::string>{};
}

bool KeyTable::has_rows_below(const std::string& path) const {
  return std::any_of(rows_.begin(), rows_.end(), [&](const KeySpec& k) {
    return k.path.rfind(path + ".", 0) == 0 || k.path.rfind(path + "[].", 0) == 0;
  });
}

std::vector<std::string> nearest_keys(const std::string& name, const std::vector<std::string>& valid) {
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& v : valid) {
    const std::size_t d = edit_distance(name, v);
    const bool part = name.size() >= 3 && v.size() >= 3 &&
                      (v.find(name) != std::string::npos || name.find(v) != std::string::npos);
    if (d <= 2 || part) scored.emplace_back(d, v);
  }
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (const auto& [d, v] : scored)
    if (out.size() < 3) out.push_back(v);
  return out;
}

std::string unknown_key_message(const std::string& key, const std::string& what, const std::vector<std::string>& valid) {
  std::string msg = fmt::format("unknown key '{}' in {}; valid keys: {}", key, what, join_list(valid));
  const auto near = nearest_keys(key, valid);
  if (!near.empty()) {
    std::string alts;
    for (std::size_t i = 0; i < near.size(); ++i)
      alts += (i == 0 ? "" : i + 1 == near.size() ? " or " : ", ") + fmt::format("'{}'", near[i]);
    msg += fmt::format("; did you mean {}?", alts);
  }
  return msg;
}

std::optional<KeyPathProblem> check_key_path(const KeyTable& table, const std::string& dotted) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto dot = dotted.find('.', start);
    parts.push_back(dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  std::string map;    // the table's path of the current map
  std::string shown;  // the path as readers name it
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& c = parts[i];
    const auto valid = table.names(map);
    if (valid.empty()) return std::nullopt;  // a map of free keys
    if (std::find(valid.begin(), valid.end(), c) == valid.end())
      return KeyPathProblem{join_path(shown, c), unknown_key_message(c, table.title(map), valid)};
    const std::string path = join_path(map, c);
    shown = join_path(shown, c);
    if (!table.has_rows_below(path)) return std::nullopt;  // a value, or a map or list of free content
    if (table.find(path)->type == KeyType::List) {
      if (i + 1 == parts.size() || !is_index(parts[i + 1])) return std::nullopt;  // apply_override judges it
      shown += "[" + parts[i + 1] + "]";
      map = path + "[]";
      ++i;
    } else {
      map = path;
    }
  }
  return std::nullopt;
}

std::string format_quantity(UnitFamily family, double v) {
  switch (family) {
    case UnitFamily::Seconds: return format_seconds(Seconds(v));
    case UnitFamily::Bytes: return format_bytes(Bytes(v));
    case UnitFamily::BytesPerSecond: return format_rate(BytesPerSecond(v));
    case UnitFamily::Watts: return fmt::format("{} W", v);
    case UnitFamily::Celsius: return fmt::format("{} C", v);
    default: return fmt::format("{}", v);
  }
}

bool in_range(const KeyRange& r, double v) {
  if (r.min && (r.min_open ? !(v > *r.min) : !(v >= *r.min))) return false;
  if (r.max && (r.max_open ? !(v < *r.max) : !(v <= *r.max))) return false;
  return true;
}

std::string render_range(const KeySpec& k) {
  const KeyRange& r = k.range;
  if (k.type == KeyType::Fraction || (!r.min && !r.max)) return "";
  if (k.type == KeyType::Quantity && r.min && *r.min == 0.0 && !r.max) return r.min_open ? " (> 0)" : " (≥ 0)";
  auto b = [&](double v) { return format_bound(k, v); };
  if (r.min && r.max) {
    if (!r.min_open) return fmt::format(", {} to {}{}", b(*r.min), r.max_open ? "below " : "", b(*r.max));
    return fmt::format(", above {} and {} {}", b(*r.min), r.max_open ? "below" : "at most", b(*r.max));
  }
  if (r.min) return fmt::format(" {} {}", r.min_open ? ">" : "≥", b(*r.min));
  return fmt::format(" {} {}", r.max_open ? "<" : "≤", b(*r.max));
}

std::string render_type(const KeySpec& k) {
  std::string t;
  switch (k.type) {
    case KeyType::Text: t = "text"; break;
    case KeyType::Bool: t = "`true` or `false`"; break;
    case KeyType::Integer: t = "integer"; break;
    case KeyType::Number: t = "plain number"; break;
    case KeyType::Fraction: t = "fraction in (0, 1]"; break;
    case KeyType::Quantity: t = std::string(family_name(k.unit)); break;
    case KeyType::Enum:
      for (std::size_t i = 0; i < k.choices.size(); ++i)
        t += (i == 0 ? "" : i + 1 == k.choices.size() ? " or " : ", ") + fmt::format("`{}`", k.choices[i]);
      break;
    case KeyType::Id: t = fmt::format("catalog {} id", k.id_of); break;
    case KeyType::Map: t = "map"; break;
    case KeyType::List: t = "list"; break;
  }
  return t + render_range(k) + k.note;
}

std::string render_default(const KeySpec& k) {
  switch (k.dflt.kind) {
    case DefaultKind::Required: return "required";
    case DefaultKind::None: return "none";
    case DefaultKind::Value: return fmt::format("`{}`", k.dflt.text);
    case DefaultKind::Preset: return fmt::format("preset `{}`", k.dflt.text);
    case DefaultKind::Described: return k.dflt.text;
  }
  return "";
}

}  // namespace racksim
