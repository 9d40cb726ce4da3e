#include "core/yaml_doc.hpp"

#include "core/input_file.hpp"
#include "core/limits.hpp"
#include "core/text.hpp"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

#include <cerrno>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <sstream>

namespace racksim {

std::string join_key(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

ConfigNode section_or_empty(const std::optional<ConfigNode>& section, const ConfigNode& top, const std::string& key) {
  return section ? *section : ConfigNode(YAML::Node(YAML::NodeType::Map), top.context(), join_key(top.path(), key));
}

namespace {

std::string join_list(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}


std::string node_kind(const YAML::Node& n) {
  if (!n.IsDefined()) return "nothing";
  if (n.IsNull()) return "null";
  if (n.IsMap()) return "a map";
  if (n.IsSequence()) return "a list";
  return fmt::format("'{}'", n.Scalar());
}

}  // namespace

ConfigNode::ConfigNode(YAML::Node node, std::shared_ptr<const DocContext> ctx, std::string path)
    : node_(std::move(node)), ctx_(std::move(ctx)), path_(std::move(path)) {}

Location ConfigNode::location() const {
  // An override on this key or on a parent of it: point at the command line, not the file.
  for (const auto& [key, origin] : ctx_->overrides) {
    if (path_ == key || path_.rfind(key + ".", 0) == 0 || path_.rfind(key + "[", 0) == 0)
      return Location{origin, 0, 0, path_};
  }
  Location loc{ctx_->file, 0, 0, path_};
  if (node_.IsDefined()) {
    const YAML::Mark m = node_.Mark();
    if (m.line >= 0) {
      loc.line = m.line + 1;
      loc.column = m.column + 1;
    }
  }
  return loc;
}

void ConfigNode::fail(const std::string& what_expected) const { throw InputError(location(), what_expected); }

std::string ConfigNode::as_string() const {
  if (!node_.IsScalar()) fail(fmt::format("expected a text value, got {}", node_kind(node_)));
  if (node_.Scalar().empty()) fail("expected a non-empty text value");
  return node_.Scalar();
}

std::string ConfigNode::as_text() const {
  if (!node_.IsScalar()) fail(fmt::format("expected a text value, got {}", node_kind(node_)));
  return node_.Scalar();
}

bool ConfigNode::as_bool() const {
  if (node_.IsScalar()) {
    const std::string& s = node_.Scalar();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  fail(fmt::format("expected true or false, got {}", node_kind(node_)));
}

double ConfigNode::as_number() const {
  if (!node_.IsScalar()) fail(fmt::format("expected a number, got {}", node_kind(node_)));
  const std::string& s = node_.Scalar();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || errno != 0 || !std::isfinite(v))
    fail(fmt::format("expected a plain number, got '{}'", s));
  return v;
}

double ConfigNode::as_fraction() const {
  const double v = as_number();
  if (!(v > 0.0 && v <= 1.0)) fail(fmt::format("expected a fraction in (0, 1], got {}", v));
  return v;
}

std::int64_t ConfigNode::as_int(std::int64_t min, std::int64_t max) const {
  if (!node_.IsScalar()) fail(fmt::format("expected an integer, got {}", node_kind(node_)));
  const std::string& s = node_.Scalar();
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || end != s.c_str() + s.size() || errno != 0)
    fail(fmt::format("expected an integer, got '{}'", s));
  if (v < min || v > max) fail(fmt::format("expected an integer from {} to {}, got {}", min, max, v));
  return v;
}

double ConfigNode::as_quantity(UnitFamily family) const {
  if (!node_.IsScalar())
    fail(fmt::format("expected a {} with a unit ({}), got {}", family_name(family), accepted_units(family),
                     node_kind(node_)));
  try {
    return parse_quantity(node_.Scalar(), family);
  } catch (const UnitError& e) {
    fail(e.what());
  }
}

namespace {
template <class Q>
Q checked(const ConfigNode& n, UnitFamily f, bool strictly_positive) {
  const double v = n.as_quantity(f);
  if (strictly_positive ? !(v > 0.0) : !(v >= 0.0))
    n.fail(fmt::format("expected a {} {} zero, got '{}'", family_name(f),
                       strictly_positive ? "greater than" : "at least", n.as_string()));
  return Q(v);
}
}  // namespace

Bytes ConfigNode::as_bytes() const { return checked<Bytes>(*this, UnitFamily::Bytes, false); }
Seconds ConfigNode::as_duration() const { return checked<Seconds>(*this, UnitFamily::Seconds, false); }
BytesPerSecond ConfigNode::as_rate() const { return checked<BytesPerSecond>(*this, UnitFamily::BytesPerSecond, true); }
Flops ConfigNode::as_flops() const { return checked<Flops>(*this, UnitFamily::Flops, false); }
FlopRate ConfigNode::as_flop_rate() const { return checked<FlopRate>(*this, UnitFamily::FlopRate, true); }
Watts ConfigNode::as_watts() const { return checked<Watts>(*this, UnitFamily::Watts, false); }
Hertz ConfigNode::as_hertz() const { return checked<Hertz>(*this, UnitFamily::Hertz, true); }
Celsius ConfigNode::as_celsius() const { return Celsius(as_quantity(UnitFamily::Celsius)); }

std::string ConfigNode::as_choice(const std::vector<std::string>& choices) const {
  if (!node_.IsScalar())
    fail(fmt::format("expected one of: {}; got {}", join_list(choices), node_kind(node_)));
  const std::string& s = node_.Scalar();
  for (const auto& c : choices)
    if (s == c) return s;
  fail(fmt::format("unknown value '{}'; expected one of: {}", s, join_list(choices)));
}

std::vector<ConfigNode> ConfigNode::items() const {
  if (!node_.IsSequence()) fail(fmt::format("expected a list, got {}", node_kind(node_)));
  std::vector<ConfigNode> out;
  out.reserve(node_.size());
  std::size_t i = 0;
  for (const auto& it : node_) out.emplace_back(it, ctx_, fmt::format("{}[{}]", path_, i++));
  return out;
}

std::vector<std::pair<std::string, ConfigNode>> ConfigNode::entries() const {
  if (!node_.IsMap()) fail(fmt::format("expected a map of key: value, got {}", node_kind(node_)));
  std::vector<std::pair<std::string, ConfigNode>> out;
  std::set<std::string> seen;
  for (const auto& it : node_) {
    if (!it.first.IsScalar()) ConfigNode(it.first, ctx_, path_).fail("expected a text key");
    const std::string key = it.first.Scalar();
    if (!seen.insert(key).second) ConfigNode(it.first, ctx_, join_key(path_, key)).fail("duplicate key");
    out.emplace_back(key, ConfigNode(it.second, ctx_, join_key(path_, key)));
  }
  return out;
}

bool ConfigNode::has(const std::string& key) const { return node_.IsMap() && node_[key].IsDefined(); }

ConfigNode ConfigNode::child(const std::string& key) const {
  if (!node_.IsMap()) fail(fmt::format("expected a map, got {}", node_kind(node_)));
  return ConfigNode(node_[key], ctx_, join_key(path_, key));
}

MapReader::MapReader(const ConfigNode& node, std::string what) : node_(node), what_(std::move(what)) {
  if (!node_.is_map()) {
    if (node_.is_null()) node_.fail(fmt::format("{} is empty; expected a map of key: value", what_));
    node_.fail(fmt::format("expected {} to be a map of key: value", what_));
  }
  (void)node_.entries();  // rejects duplicate and non-text keys up front
}

MapReader::MapReader(const ConfigNode& node, const KeyTable& table, std::string map)
    : MapReader(node, table.title(map)) {
  table_ = &table;
  map_ = std::move(map);
  valid_ = table.names(map_);
  if (valid_.empty()) throw std::logic_error(fmt::format("the key table has no keys for map '{}'", map_));
}

void MapReader::use(const std::string& key) {
  if (table_ && std::find(valid_.begin(), valid_.end(), key) == valid_.end())
    throw std::logic_error(fmt::format("the reader of {} asks for key '{}'{}, which its key table does not list", what_, key,
                                       kind_.empty() ? "" : " (kind " + kind_ + ")"));
  known_.push_back(key);
}

ConfigNode MapReader::required(const std::string& key) {
  use(key);
  if (!node_.has(key)) {
    std::string hint;
    for (const auto& [k, c] : node_.entries())
      if (k != key && edit_distance(k, key) <= 2) hint = fmt::format(" (found '{}': misspelt?)", k);
    node_.fail(fmt::format("{} is missing required key '{}'{}", what_, key, hint));
  }
  ConfigNode c = node_.child(key);
  if (c.is_null()) c.fail(fmt::format("key '{}' of {} has no value", key, what_));
  return c;
}

std::optional<ConfigNode> MapReader::optional(const std::string& key) {
  use(key);
  if (!node_.has(key)) return std::nullopt;
  ConfigNode c = node_.child(key);
  if (c.is_null()) c.fail(fmt::format("key '{}' of {} has no value", key, what_));
  return c;
}

void MapReader::finish() {
  for (const auto& [key, child] : node_.entries()) {
    const bool read = std::find(known_.begin(), known_.end(), key) != known_.end();
    if (!table_) {
      if (!read) child.fail(fmt::format("unknown key '{}' in {}; valid keys: {}", key, what_, join_list(known_)));
      continue;
    }
    if (std::find(valid_.begin(), valid_.end(), key) == valid_.end()) child.fail(unknown_key_message(key, what_, valid_));
    if (!read)
      throw std::logic_error(fmt::format("the reader of {} left key '{}' unread, though its key table lists it", what_, key));
  }
}

std::string MapReader::read_kind() {
  const std::string kind = read_text(required("kind"), spec("kind"));
  kind_ = kind;
  valid_ = table_->names(map_, kind_);
  return kind;
}

const KeySpec& MapReader::spec(const std::string& key) const {
  const KeySpec* k = table_ ? table_->find(join_key(map_, key), kind_) : nullptr;
  if (!k) throw std::logic_error(fmt::format("the key table has no row for key '{}' of {}", key, what_));
  return *k;
}

std::optional<ConfigNode> MapReader::value(const std::string& key) {
  const KeySpec& k = spec(key);
  switch (k.dflt.kind) {
    case DefaultKind::Required: return required(key);
    case DefaultKind::Value:
    case DefaultKind::Preset:
      if (auto n = optional(key)) return n;
      return ConfigNode(YAML::Node(k.dflt.text), node_.context(), join_key(node_.path(), key));
    case DefaultKind::None:
    case DefaultKind::Described: break;
  }
  return optional(key);
}

std::optional<std::string> MapReader::text(const std::string& key) {
  auto n = value(key);
  return n ? std::optional<std::string>(read_text(*n, spec(key))) : std::nullopt;
}

std::optional<bool> MapReader::flag(const std::string& key) {
  auto n = value(key);
  return n ? std::optional<bool>(read_flag(*n, spec(key))) : std::nullopt;
}

std::optional<std::int64_t> MapReader::integer(const std::string& key) {
  auto n = value(key);
  return n ? std::optional<std::int64_t>(read_integer(*n, spec(key))) : std::nullopt;
}

std::optional<double> MapReader::number(const std::string& key) {
  auto n = value(key);
  return n ? std::optional<double>(read_number(*n, spec(key))) : std::nullopt;
}

namespace {

[[noreturn]] void range_failure(const ConfigNode& n, const KeySpec& k, const std::string& value_text) {
  n.fail(fmt::format(fmt::runtime(k.range.message), fmt::arg("value", value_text), fmt::arg("text", n.as_text())));
}

[[noreturn]] void wrong_type(const KeySpec& k, const char* reader) {
  throw std::logic_error(fmt::format("key '{}' is read with {}, which does not fit its type in the key table", k.path, reader));
}

}  // namespace

std::string read_text(const ConfigNode& n, const KeySpec& k) {
  if (k.type == KeyType::Enum) return n.as_choice(k.choices);
  if (k.type != KeyType::Text && k.type != KeyType::Id) wrong_type(k, "read_text");
  return n.as_string();
}

bool read_flag(const ConfigNode& n, const KeySpec& k) {
  if (k.type != KeyType::Bool) wrong_type(k, "read_flag");
  return n.as_bool();
}

std::int64_t read_integer(const ConfigNode& n, const KeySpec& k) {
  if (k.type != KeyType::Integer) wrong_type(k, "read_integer");
  constexpr auto lowest = std::numeric_limits<std::int64_t>::min();
  constexpr auto highest = std::numeric_limits<std::int64_t>::max();
  if (!k.range.message.empty()) {
    const std::int64_t v = n.as_int(lowest, highest);
    if (!in_range(k.range, static_cast<double>(v))) range_failure(n, k, fmt::format("{}", v));
    return v;
  }
  return n.as_int(k.range.min ? static_cast<std::int64_t>(*k.range.min) : lowest,
                  k.range.max ? static_cast<std::int64_t>(*k.range.max) : highest);
}

double read_number(const ConfigNode& n, const KeySpec& k) {
  switch (k.type) {
    case KeyType::Fraction: return n.as_fraction();
    case KeyType::Number: {
      const double v = n.as_number();
      if (in_range(k.range, v)) return v;
      if (!k.range.message.empty()) range_failure(n, k, fmt::format("{}", v));
      n.fail(fmt::format("expected a plain number{}, got {}", render_range(k), v));
    }
    case KeyType::Quantity: {
      const double v = n.as_quantity(k.unit);
      if (in_range(k.range, v)) return v;
      if (!k.range.message.empty()) range_failure(n, k, format_quantity(k.unit, v));
      const KeyRange& r = k.range;
      if (r.min && *r.min == 0.0 && !r.max)  // the sign rule of ConfigNode::as_rate, as_bytes, ...
        n.fail(fmt::format("expected a {} {} zero, got '{}'", family_name(k.unit), r.min_open ? "greater than" : "at least",
                           n.as_text()));
      n.fail(fmt::format("expected a {}{}, got '{}'", family_name(k.unit), render_range(k), n.as_text()));
    }
    default: wrong_type(k, "read_number");
  }
}

ConfigDoc::ConfigDoc(YAML::Node root, std::shared_ptr<DocContext> ctx) : root_(std::move(root)), ctx_(std::move(ctx)) {}

namespace {

// Records where each document starts; builds nothing (YAML::Load builds the first one).
class DocumentStarts : public YAML::EventHandler {
public:
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& m) override { starts.push_back(m); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Refuses a second document in `text`, at the line where it starts. The parser is asked for at
// most two documents: YAML::LoadAll loops for ever on a stray ',' at the top level (yaml-cpp
// 0.7), which "starts" a document at the same place again and again.
void refuse_second_document(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts h;
  if (!parser.HandleNextDocument(h) || !parser.HandleNextDocument(h) || h.starts.size() < 2) return;
  const YAML::Mark& m = h.starts[1];
  const Location at{name, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0, ""};
  if (m.pos == h.starts[0].pos)
    throw InputError(at, "YAML syntax error: this text starts no key, value or list item");
  throw InputError(at, "a second YAML document starts here; racksim reads one document per file (remove the '---' line "
                       "and what follows, or merge it into the first document)");
}

// Refuses a tree nested deeper than limits::kMaxYamlDepth or with more than
// limits::kMaxYamlNodes nodes, aliases counted at each use (an alias of an enclosing node makes
// the tree infinite: its depth ends the walk).
void check_tree_size(const YAML::Node& root, const std::string& name) {
  std::vector<std::pair<YAML::Node, int>> todo{{root, 0}};
  std::size_t nodes = 0;
  while (!todo.empty()) {
    const auto [n, depth] = todo.back();
    todo.pop_back();
    const YAML::Mark m = n.Mark();
    const Location at{name, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0, ""};
    if (depth > limits::kMaxYamlDepth)
      throw InputError(at, fmt::format("maps and lists are nested more than {} deep here (docs/limits.md)", limits::kMaxYamlDepth));
    if (++nodes > limits::kMaxYamlNodes)
      throw InputError(at, fmt::format("the document has more than {} nodes (aliases counted at each use; docs/limits.md)",
                                       limits::kMaxYamlNodes));
    if (n.IsSequence()) {
      for (const auto& item : n) todo.emplace_back(item, depth + 1);
    } else if (n.IsMap()) {
      for (const auto& kv : n) {
        todo.emplace_back(kv.first, depth + 1);
        todo.emplace_back(kv.second, depth + 1);
      }
    }
  }
}

}  // namespace

ConfigDoc ConfigDoc::load_string(const std::string& text, const std::string& name) {
  auto ctx = std::make_shared<DocContext>();
  ctx->file = name;
  YAML::Node root;
  try {
    root = YAML::Load(text);
    refuse_second_document(text, name);
  } catch (const YAML::Exception& e) {
    Location loc{name, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.mark.column >= 0 ? e.mark.column + 1 : 0, ""};
    throw InputError(loc, fmt::format("YAML syntax error: {}", e.msg));
  }
  check_tree_size(root, name);
  return ConfigDoc(root, ctx);
}

ConfigDoc ConfigDoc::load_file(const std::string& path) {
  return load_string(read_input_file(path, limits::kMaxYamlFileBytes, "YAML file"), path);
}

ConfigNode ConfigDoc::root() const { return ConfigNode(root_, ctx_, ""); }

void ConfigDoc::apply_override(const std::string& assignment) {
  const std::string origin = fmt::format("--set {}", assignment);
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError(Location{origin, 0, 0, ""}, "expected --set key.path=value");
  const std::string key = assignment.substr(0, eq);
  const std::string value = assignment.substr(eq + 1);
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  YAML::Node parsed;
  try {
    parsed = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    throw InputError(Location{origin, 0, 0, key}, fmt::format("value is not valid YAML: {}", e.msg));
  }
  check_tree_size(parsed, origin);
  if (!root_.IsMap()) throw InputError(Location{ctx_->file, 0, 0, ""}, "the document is not a map of key: value");
  YAML::Node cur;
  cur.reset(root_);
  std::string walked;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& p = parts[i];
    if (p.empty()) throw InputError(Location{origin, 0, 0, key}, "empty component in key path");
    const bool last = (i + 1 == parts.size());
    const std::string parent = walked;
    walked = join_key(parent, p);
    if (cur.IsSequence()) {
      char* end = nullptr;
      const long idx = std::strtol(p.c_str(), &end, 10);
      if (end != p.c_str() + p.size() || idx < 0 || static_cast<std::size_t>(idx) >= cur.size())
        throw InputError(Location{origin, 0, 0, walked},
                         cur.size() == 0 ? fmt::format("'{}' is not an index: the list is empty", p)
                                         : fmt::format("'{}' is not an index of this list (0 to {})", p, cur.size() - 1));
      walked = fmt::format("{}[{}]", parent, idx);  // the form ConfigNode::items() gives its paths
      if (last) {
        cur[static_cast<std::size_t>(idx)] = parsed;
      } else {
        YAML::Node next = cur[static_cast<std::size_t>(idx)];
        cur.reset(next);
      }
      continue;
    }
    if (!cur.IsMap() && !cur.IsNull())
      throw InputError(Location{origin, 0, 0, walked}, "cannot set a key below a value that is not a map");
    if (last) {
      cur[p] = parsed;
    } else {
      if (!cur[p].IsDefined() || cur[p].IsNull()) cur[p] = YAML::Node(YAML::NodeType::Map);
      YAML::Node next = cur[p];
      cur.reset(next);
    }
  }
  ctx_->overrides[walked] = origin;
}

}  // namespace racksim
