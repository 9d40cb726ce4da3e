// racksim cli: the one declarative command-line parser of every verb.
//
// Each verb (and subverb: `predict kernel`, `validate --system`) declares its positional
// arguments and options once, in a VerbSpec: name, value name, type, range, default, one-line
// help, and the exit statuses it can end with. From that declaration come the parsing
// (parse_args), the verb's `--help` text (verb_help), its line of the top-level usage and of
// README.md's synopsis (synopsis) and its row of README.md's exit-code table.
//
// Command-line rules, the same for every verb:
//   --opt=VALUE and --opt VALUE are the same; a flag takes no value (--json=1 is an error);
//   a repeatable option keeps every occurrence in order (--set, --axis, --metric, --tolerance);
//   another option given twice: the last wins; `--` ends the options (all after it positional);
//   -h or --help anywhere asks for the verb's help, whatever else is there.
// Errors: an unknown option, a missing value, a missing required option or argument, too many
// arguments, or options that do not go together are UsageError (exit 2); the message names the
// option and the verb's valid options or its usage. A value of the wrong type or out of range is
// InputError (exit 3) located at "<option> <value>".
//
// Value types: Text (any non-empty text), Integer (decimal, in an inclusive range), Number
// (decimal or exponent form, finite, above a bound), ByteCount (a bare integer is bytes, as
// nccl-tests reads sizes, or a size with a unit as core/units.hpp parses it, 1MiB or 1.5 GB;
// rounded to whole bytes, in an inclusive range). Only the command line accepts bare byte counts:
// scenario files keep requiring units.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace racksim {

enum class ValueType { Flag, Text, Integer, Number, ByteCount };

// One option of a verb. Make one with flag(), text(), integer(), number_above() or byte_count()
// and change it with the modifiers below, e.g. text("--set", "KEY=VALUE", "...").repeatable().
struct OptionSpec {
  std::string name;          // "--out"
  std::string short_name;    // "-q", or empty
  std::string value_name;    // "DIR"; empty for a flag
  ValueType type = ValueType::Flag;
  bool is_repeatable = false;
  bool is_required = false;
  std::string default_value;  // used when the option is absent, checked like a given value
  std::string default_note;   // a default that is not a value ("the machine's cores"), for help
  std::string help;           // one line
  std::int64_t min = 0;       // Integer, ByteCount: inclusive range
  std::int64_t max = 0;
  double above = 0.0;         // Number: values must be greater than this

  [[nodiscard]] OptionSpec repeatable() const;
  [[nodiscard]] OptionSpec required() const;
  [[nodiscard]] OptionSpec defaults_to(std::string value) const;
  [[nodiscard]] OptionSpec default_shown(std::string note) const;
  [[nodiscard]] OptionSpec alias(std::string short_option) const;
};

[[nodiscard]] OptionSpec flag(std::string name, std::string help);
[[nodiscard]] OptionSpec text(std::string name, std::string value_name, std::string help);
[[nodiscard]] OptionSpec integer(std::string name, std::string value_name, std::int64_t min, std::int64_t max,
                                 std::string help);
[[nodiscard]] OptionSpec number_above(std::string name, std::string value_name, double above, std::string help);
// Byte counts from `min` to 1 PiB (2^50 B, as far as a measurements file's sizes go).
[[nodiscard]] OptionSpec byte_count(std::string name, std::string value_name, std::int64_t min, std::string help);
inline constexpr std::int64_t kMaxByteCount = std::int64_t{1} << 50;

struct PositionalSpec {
  std::string name;       // "SCENARIO"
  std::string what;       // "a scenario file": the messages say "'plan' needs a plan file"
  std::string help;       // one line
  bool required = true;
  bool repeatable = false;  // takes every remaining argument (MEASUREMENTS...); the last one only
};

// How options of one verb go together, checked after parsing.
struct Constraint {
  enum class Kind {
    OneOf,     // exactly one of `options` (drawn as "(A | B | C)" in the synopsis)
    Requires,  // options[0] given needs options[1]
    Excludes   // options[0] and options[1] not both
  };
  Kind kind = Kind::OneOf;
  std::vector<std::string> options;
  std::string why;  // added to the message in parentheses; may be empty
};

// An exit status a verb can end with and what it means there. Every verb can also end with 0
// (success), 1 (an internal error: a bug in racksim) and 2 (a bad command line); a verb declares
// 1 only when it has a meaning of its own there (validate: past the budget).
struct ExitStatus {
  int code = 0;
  std::string meaning;  // one line
};

// A verb's declaration: everything its parsing and help need.
struct VerbSpec {
  std::string name;                // in messages and the verb list: "run", "predict kernel", "validate --system"
  std::vector<std::string> words;  // what follows `racksim` to reach it: {"predict", "kernel"}, {"validate"}
  std::string selected_by;         // among verbs of the same words, the option that selects this one
  std::string summary;             // what it does: a paragraph, wrapped when printed
  std::vector<PositionalSpec> positionals;
  std::vector<OptionSpec> options;
  std::vector<Constraint> constraints;
  std::vector<ExitStatus> exits;   // its exit statuses besides 0, 2 and an internal error's 1, in order
};

// One verb's command line, parsed and checked against its VerbSpec.
class ParsedArgs {
public:
  // -h or --help was given: nothing else was checked.
  [[nodiscard]] bool help() const { return help_; }
  [[nodiscard]] const std::vector<std::string>& positional() const { return positional_; }
  // Whether the user gave the option (defaults do not count).
  [[nodiscard]] bool given(const std::string& name) const;
  [[nodiscard]] bool flag(const std::string& name) const;
  // The last value (or the default); nullopt when neither. Asking for an undeclared option or
  // with the wrong type is a bug in racksim (std::logic_error).
  [[nodiscard]] std::optional<std::string> text(const std::string& name) const;
  [[nodiscard]] std::optional<std::int64_t> integer(const std::string& name) const;
  [[nodiscard]] std::optional<double> number(const std::string& name) const;
  [[nodiscard]] std::optional<std::uint64_t> bytes(const std::string& name) const;
  // Every value of a repeatable text option, in command-line order.
  [[nodiscard]] std::vector<std::string> texts(const std::string& name) const;

private:
  struct Value {
    std::string text;
    std::int64_t integer = 0;
    double number = 0.0;
    std::uint64_t bytes = 0;
  };
  struct Slot {
    ValueType type = ValueType::Flag;
    bool given = false;
    std::vector<Value> values;  // flags: one empty value when given
  };
  const Slot& slot(const std::string& name, ValueType type) const;

  bool help_ = false;
  std::vector<std::string> positional_;
  std::map<std::string, Slot> slots_;

  friend ParsedArgs parse_args(const VerbSpec& spec, const std::vector<std::string>& args);
};

// Parses `args` (what follows the verb's words) by the verb's declaration; throws UsageError or
// InputError as described at the top of this file.
[[nodiscard]] ParsedArgs parse_args(const VerbSpec& spec, const std::vector<std::string>& args);

// A byte count as the command line takes it: "1048576" (bytes) or "1MiB"; throws InputError at
// "<option> <text>" when it is neither or lies outside [min, max].
[[nodiscard]] std::uint64_t parse_byte_count(const std::string& option, const std::string& text, std::int64_t min,
                                             std::int64_t max);

// "racksim run [SCENARIO] [--out DIR] [--set KEY=VALUE]... [--quiet]": one line.
[[nodiscard]] std::string synopsis(const VerbSpec& spec);
// The synopsis after `prefix`, filled into lines of at most `width` columns (an argument or an
// option is never split; later lines start under the verb's first argument).
[[nodiscard]] std::string wrapped_synopsis(const VerbSpec& spec, const std::string& prefix, std::size_t width);
// The verb's --help: its usage (wrapped), summary, arguments and options with their help,
// ranges and defaults, and its exit statuses.
[[nodiscard]] std::string verb_help(const VerbSpec& spec);
// "--out, --set, ..., --help": the valid options, for messages.
[[nodiscard]] std::string option_list(const VerbSpec& spec);
// `text` filled into lines of at most `width` columns as if it started at column `indent` (the
// caller places the first line there), every later line indented by `indent` spaces; a '\n' in
// `text` starts a new line.
[[nodiscard]] std::string wrap_text(const std::string& text, std::size_t indent, std::size_t width);

}  // namespace racksim
