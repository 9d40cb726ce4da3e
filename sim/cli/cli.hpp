// racksim cli: the command-line interface — verbs, options, exit codes. main() only calls run_cli.
#pragma once

#include "sim/cli/verb.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace racksim {

// Runs the CLI with `args` (without the program name); returns the process exit code. `tty`:
// where progress meters go (main passes stderr when it is a terminal); null: no progress.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, std::ostream* tty = nullptr);

// Every verb, in the order of the usage: the one list run_cli dispatches on.
[[nodiscard]] std::vector<Verb> all_verbs();

// `racksim --help`: the synopsis of every verb (its "usage:" block is README.md's synopsis), what
// each does, the command-line rules, the exit codes and the environment.
[[nodiscard]] std::string usage_text();

// README.md's table of each verb's exit statuses (Markdown), made from the verbs' declarations;
// tests/unit/cli/test_usage.cpp checks that the README holds it as it is.
[[nodiscard]] std::string exit_status_table();

}  // namespace racksim
