// racksim core: declarative tables of configuration keys, in the spirit of ns-3 attributes and
// gem5 params: each key is declared once, with its type, unit, default, valid range and a
// one-line doc, and that one declaration drives the reader, its error messages and the docs.
//
// A KeyTable is a list of KeySpec rows. A row's `path` is the dotted path of the key from the
// document's root ("cluster.scale_up.gpus"); a list's elements are written `name[]`
// ("faults[].at"). The map a key lives in is its path less the last component ("" is the root).
// A map whose keys depend on its `kind` key says so per row: `kinds` names the values of `kind`
// a row belongs to (empty: every kind). The same key may have one row per kind set, for example
// required with one kind and preset with another.
//
// Who uses it:
//   - MapReader (core/yaml_doc.hpp) in table mode: the valid keys of a map, the nearest ones in
//     an unknown-key error, typed and range-checked reads, defaults;
//   - check_key_path: a `--set a.b.c=v` path against the tables, before anything is read;
//   - render_type / render_default: the "Type" and "Default" cells of the docs' key tables,
//     which tests compare with the committed docs.
// Pure data and text; no YAML here.
#pragma once

#include "core/units.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace racksim {

enum class KeyType {
  Text,      // a non-empty text value
  Bool,      // true or false
  Integer,   // a plain integer, in [range.min, range.max]
  Number,    // a plain (unitless) number, in the range
  Fraction,  // a plain number in (0, 1]
  Quantity,  // a number with a unit of `unit` (core/units.hpp), in the range (SI values)
  Enum,      // one of `choices`
  Id,        // a catalog id of `id_of` ("GPU", "switch", ...)
  Map,       // a map: its keys are the rows below it (none: any keys)
  List       // a list: its elements' keys, if maps, are the rows below `path[]`
};

// Bounds of an Integer, Number or Quantity (SI values). `message` replaces the generic range
// error: "{value}" becomes the value read (a quantity formatted with its unit where core/units
// has a formatter), "{text}" the text as written.
struct KeyRange {
  std::optional<double> min;
  std::optional<double> max;
  bool min_open = false;  // min itself is not allowed
  bool max_open = false;
  std::string message;
};

enum class DefaultKind {
  Required,   // must be given
  None,       // optional; absent means "nothing" (no cap, no fault, ...)
  Value,      // optional; absent means `text`, read as if written in the file
  Preset,     // the kind fills in `text`; may be given to change it
  Described   // optional; absent means what `text` says (from the catalog, another key, ...)
};

struct KeyDefault {
  DefaultKind kind = DefaultKind::None;
  std::string text;
};

struct KeySpec {
  std::string path;
  KeyType type = KeyType::Text;
  UnitFamily unit = UnitFamily::Bytes;  // Quantity only
  std::vector<std::string> choices;     // Enum only
  std::string id_of;                    // Id only
  KeyRange range;
  KeyDefault dflt;
  std::vector<std::string> kinds;       // values of the map's `kind` this row belongs to; empty: all
  std::string note;                     // appended to the rendered type ("; must divide `gpus`")
  std::string doc;                      // one line

  explicit KeySpec(std::string key_path) : path(std::move(key_path)) {}

  // Builders, so a table reads as one line per key.
  KeySpec& text() { type = KeyType::Text; return *this; }
  KeySpec& flag() { type = KeyType::Bool; return *this; }
  KeySpec& integer(std::int64_t lo, std::optional<std::int64_t> hi = std::nullopt);
  KeySpec& number() { type = KeyType::Number; return *this; }
  KeySpec& fraction() { type = KeyType::Fraction; return *this; }
  KeySpec& quantity(UnitFamily family) { type = KeyType::Quantity; unit = family; return *this; }
  KeySpec& one_of(std::vector<std::string> values) { type = KeyType::Enum; choices = std::move(values); return *this; }
  KeySpec& id(std::string what) { type = KeyType::Id; id_of = std::move(what); return *this; }
  KeySpec& as_map() { type = KeyType::Map; return *this; }
  KeySpec& as_list() { type = KeyType::List; return *this; }
  KeySpec& at_least(double v) { range.min = v; range.min_open = false; return *this; }
  KeySpec& above(double v) { range.min = v; range.min_open = true; return *this; }
  KeySpec& at_most(double v) { range.max = v; range.max_open = false; return *this; }
  KeySpec& below(double v) { range.max = v; range.max_open = true; return *this; }
  KeySpec& range_message(std::string m) { range.message = std::move(m); return *this; }
  KeySpec& required() { dflt = {DefaultKind::Required, ""}; return *this; }
  KeySpec& optional() { dflt = {DefaultKind::None, ""}; return *this; }
  KeySpec& default_value(std::string v) { dflt = {DefaultKind::Value, std::move(v)}; return *this; }
  KeySpec& preset(std::string v) { dflt = {DefaultKind::Preset, std::move(v)}; return *this; }
  KeySpec& default_is(std::string what) { dflt = {DefaultKind::Described, std::move(what)}; return *this; }
  KeySpec& for_kinds(std::vector<std::string> k) { kinds = std::move(k); return *this; }
  KeySpec& with_note(std::string n) { note = std::move(n); return *this; }
  KeySpec& describe(std::string d) { doc = std::move(d); return *this; }

  [[nodiscard]] std::string name() const;  // the last component of the path
  [[nodiscard]] std::string parent_map() const;  // the path less the last component ("" for the root)
  [[nodiscard]] bool has_kind(const std::string& kind) const;
};

class KeyTable {
public:
  KeyTable() = default;
  // `root_title` names the root map in messages ("scenario"). The rows are checked for
  // consistency (std::logic_error: a programming error, not an input error).
  KeyTable(std::string root_title, std::vector<KeySpec> rows);

  // Adds `other`'s rows (and titles) after this table's.
  void append(const KeyTable& other);
  // How messages name a map ("fault" for "faults[]"); the map's path by default.
  void set_title(const std::string& map, std::string title);
  [[nodiscard]] std::string title(const std::string& map) const;

  [[nodiscard]] const std::vector<KeySpec>& rows() const { return rows_; }
  // Maps with rows, in the order of their first row ("" is the root).
  [[nodiscard]] std::vector<std::string> maps() const;
  // The key names of `map` that belong to `kind` (every kind when empty), in table order, each once.
  [[nodiscard]] std::vector<std::string> names(const std::string& map, const std::string& kind = "") const;
  // The row of `path` for `kind` (the first row of the path when `kind` is empty); null if none.
  [[nodiscard]] const KeySpec* find(const std::string& path, const std::string& kind = "") const;
  // The values of `map`'s `kind` key (empty when the map has no kinds).
  [[nodiscard]] std::vector<std::string> kinds(const std::string& map) const;
  // Whether any row lies below `path` (a map or a list element map with declared keys).
  [[nodiscard]] bool has_rows_below(const std::string& path) const;

private:
  void check() const;
  std::string root_title_;
  std::vector<KeySpec> rows_;
  std::map<std::string, std::string> titles_;
};

// The keys of `valid` nearest to `name`: within two edits, or containing it or contained in it
// (at least three letters), closest first, at most three.
[[nodiscard]] std::vector<std::string> nearest_keys(const std::string& name, const std::vector<std::string>& valid);

// The text of an unknown-key error: "unknown key 'k' in <what>; valid keys: a, b; did you mean 'a'?"
// (the last part only when a key is near).
[[nodiscard]] std::string unknown_key_message(const std::string& key, const std::string& what,
                                              const std::vector<std::string>& valid);

// A problem with a dotted key path (as `--set` writes it: "faults.0.at"): the path up to the
// unknown component, as readers name it ("faults[0].x"), and the message.
struct KeyPathProblem {
  std::string key;
  std::string message;
};
// Checks `dotted` against the table: every component must be a key of its map (of any kind: the
// kind itself may be what is being changed), or an index below a list. Below a key with no rows
// under it (a value, a free map) nothing is checked. Returns the first problem, if any.
[[nodiscard]] std::optional<KeyPathProblem> check_key_path(const KeyTable& table, const std::string& dotted);

// The docs' cells: the type with its unit, range and note ("integer, 1 to 64; must divide
// `nics_per_gpu`"), and the default ("required", "none", "`1`", "preset `mi455x`", or the text).
[[nodiscard]] std::string render_type(const KeySpec& k);
// The range alone, as render_type writes it after the type (", 1 to 64", " (> 0)", "").
[[nodiscard]] std::string render_range(const KeySpec& k);
// Whether `v` lies in the range (no bound: anything).
[[nodiscard]] bool in_range(const KeyRange& r, double v);
// A quantity's value as messages and docs write it ("1 us", "1 MiB"; SI with its unit otherwise).
[[nodiscard]] std::string format_quantity(UnitFamily family, double v);
[[nodiscard]] std::string render_default(const KeySpec& k);

}  // namespace racksim
