// racksim core: strict, located reading of YAML configuration.
//
// YAML -> typed structs flows through these classes only. A ConfigNode remembers the file, line,
// column and dotted key path it came from, so every error names all four. A MapReader records
// which keys were read; finish() rejects the rest, listing the valid keys. Quantities are read
// with their unit (see units.hpp); a bare number where a unit is required is an error.
//
// A MapReader may also be driven by a key table (core/key_table.hpp): then its valid keys are the
// table's for that map (and kind), an unknown key's error names the nearest valid ones, and
// values are read, range-checked and defaulted as the table's rows say.
//
// Command-line overrides (`--set a.b.c=value`) are applied to the YAML tree before typed reading
// (apply_override), and errors on an overridden key name the override instead of the file.
#pragma once

#include "core/error.hpp"
#include "core/key_table.hpp"
#include "core/units.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace racksim {

struct DocContext {
  std::string file;                              // path as the user gave it
  std::map<std::string, std::string> overrides;  // key path -> "--set k=v" it came from
};

class ConfigNode {
public:
  ConfigNode(YAML::Node node, std::shared_ptr<const DocContext> ctx, std::string path);

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] Location location() const;
  [[nodiscard]] const std::string& file() const { return ctx_->file; }
  [[noreturn]] void fail(const std::string& what_expected) const;

  [[nodiscard]] bool is_map() const { return node_.IsMap(); }
  [[nodiscard]] bool is_sequence() const { return node_.IsSequence(); }
  [[nodiscard]] bool is_scalar() const { return node_.IsScalar(); }
  [[nodiscard]] bool is_null() const { return node_.IsNull(); }

  [[nodiscard]] std::string as_string() const;     // a non-empty scalar
  [[nodiscard]] std::string as_text() const;       // a scalar, possibly empty ("")
  [[nodiscard]] bool as_bool() const;              // true/false only
  [[nodiscard]] std::int64_t as_int(std::int64_t min, std::int64_t max) const;
  [[nodiscard]] double as_number() const;          // a plain (unitless) number
  [[nodiscard]] double as_fraction() const;        // a number in (0, 1]
  [[nodiscard]] double as_quantity(UnitFamily family) const;  // any sign
  // Quantities that must be strictly positive (bandwidths, sizes of parts, rates).
  [[nodiscard]] Bytes as_bytes() const;            // >= 0
  [[nodiscard]] Seconds as_duration() const;       // >= 0
  [[nodiscard]] BytesPerSecond as_rate() const;    // > 0
  [[nodiscard]] Flops as_flops() const;            // >= 0
  [[nodiscard]] FlopRate as_flop_rate() const;     // > 0
  [[nodiscard]] Watts as_watts() const;            // >= 0
  [[nodiscard]] Hertz as_hertz() const;            // > 0
  [[nodiscard]] Celsius as_celsius() const;
  // One of `choices`; the error lists them.
  [[nodiscard]] std::string as_choice(const std::vector<std::string>& choices) const;

  [[nodiscard]] std::vector<ConfigNode> items() const;  // a sequence's elements
  // A map's entries in document order (keys must be scalars).
  [[nodiscard]] std::vector<std::pair<std::string, ConfigNode>> entries() const;
  [[nodiscard]] ConfigNode child(const std::string& key) const;  // map child (may be undefined)
  [[nodiscard]] bool has(const std::string& key) const;
  [[nodiscard]] const std::shared_ptr<const DocContext>& context() const { return ctx_; }

private:
  YAML::Node node_;
  std::shared_ptr<const DocContext> ctx_;
  std::string path_;
};

// Reads a map strictly: each key read once, unknown keys rejected by finish().
class MapReader {
public:
  // `what` names the map in messages ("scenario", "GPU entry 'mi300x'"). The valid keys are the
  // ones read, in the order they were read.
  MapReader(const ConfigNode& node, std::string what);
  // Table mode: the valid keys are `table`'s keys of `map` (its title names the map). Asking for
  // a key the table does not give this map is a programming error (std::logic_error).
  MapReader(const ConfigNode& node, const KeyTable& table, std::string map);

  [[nodiscard]] ConfigNode required(const std::string& key);
  [[nodiscard]] std::optional<ConfigNode> optional(const std::string& key);
  [[nodiscard]] const ConfigNode& node() const { return node_; }
  // Rejects a key that is not valid, listing the valid keys (table mode: and the nearest ones).
  // Table mode: a valid key that was given but never read is a programming error.
  void finish();

  // --- table mode only ---
  // A map with kinds: reads `kind` (one of its row's values), narrows the valid keys to those of
  // that kind and returns it.
  [[nodiscard]] std::string read_kind();
  // The row of `key` for the kind read (std::logic_error if the table has none).
  [[nodiscard]] const KeySpec& spec(const std::string& key) const;
  // The key's node; when absent, its default: a required key is missing (error), a value or a
  // preset is read as if written here (errors name this map's position), otherwise nothing.
  [[nodiscard]] std::optional<ConfigNode> value(const std::string& key);
  // value(key) read and checked per its row: text, an id or one of an enum's values; true or
  // false; an integer; a number, fraction or quantity (SI).
  [[nodiscard]] std::optional<std::string> text(const std::string& key);
  [[nodiscard]] std::optional<bool> flag(const std::string& key);
  [[nodiscard]] std::optional<std::int64_t> integer(const std::string& key);
  [[nodiscard]] std::optional<double> number(const std::string& key);

private:
  void use(const std::string& key);
  ConfigNode node_;
  std::string what_;
  std::vector<std::string> known_;
  const KeyTable* table_ = nullptr;
  std::string map_;
  std::string kind_;
  std::vector<std::string> valid_;
};

// A node read and checked per a table row (see MapReader's typed reads).
[[nodiscard]] std::string read_text(const ConfigNode& n, const KeySpec& k);
[[nodiscard]] bool read_flag(const ConfigNode& n, const KeySpec& k);
[[nodiscard]] std::int64_t read_integer(const ConfigNode& n, const KeySpec& k);
[[nodiscard]] double read_number(const ConfigNode& n, const KeySpec& k);

// A loaded document: the tree plus its context. Parse errors become InputError with the line.
class ConfigDoc {
public:
  static ConfigDoc load_file(const std::string& path);
  static ConfigDoc load_string(const std::string& text, const std::string& name);
  [[nodiscard]] ConfigNode root() const;
  // Applies `key.path=value` (value parsed as YAML). Maps on the way are created; an index into
  // a sequence is a number. Errors name the override.
  void apply_override(const std::string& assignment);
  [[nodiscard]] const std::string& file() const { return ctx_->file; }

private:
  ConfigDoc(YAML::Node root, std::shared_ptr<DocContext> ctx);
  YAML::Node root_;
  std::shared_ptr<DocContext> ctx_;
};

// Joins a dotted key path ("a.b" + "c" -> "a.b.c").
[[nodiscard]] std::string join_key(const std::string& parent, const std::string& key);

// A section's node, or an empty map in its place (at `key` of `top`), so that its reader applies
// every default.
[[nodiscard]] ConfigNode section_or_empty(const std::optional<ConfigNode>& section, const ConfigNode& top,
                                          const std::string& key);

}  // namespace racksim
