// racksim cli: a verb — its declaration (args.hpp) and the function that runs it — and the
// context every verb runs in. cli.cpp lists the verbs; each verb file makes its own.
#pragma once

#include "sim/cli/args.hpp"

#include <iosfwd>
#include <string>

namespace racksim {

struct CliContext {
  std::ostream& out;  // results
  std::ostream* tty;  // progress meters; null: none (stderr is not a terminal)
  // Where models/catalog and scenarios live (RACKSIM_DATA_DIR); asked only by the verbs that
  // read them, so that --help and version work wherever racksim is.
  std::string (*find_data_dir)() = nullptr;

  [[nodiscard]] std::string data_dir() const { return find_data_dir(); }
};

struct Verb {
  VerbSpec spec;
  // Runs the verb on its parsed arguments; returns the exit code (errors are thrown).
  int (*run)(const ParsedArgs& args, const CliContext& ctx) = nullptr;
};

}  // namespace racksim
