// racksim sim: the command-line interface — verbs, options, exit codes. main() only calls this.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace racksim {

// Runs the CLI with `args` (without the program name); returns the process exit code. `tty`:
// where progress meters go (main passes stderr when it is a terminal); null: no progress.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, std::ostream* tty = nullptr);

}  // namespace racksim
