// racksim: the command-line entry point. Everything is in sim/cli (run_cli, cli.hpp).
#include "sim/cli/cli.hpp"

#include <unistd.h>

#include <iostream>

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  // Progress meters only on a terminal: logs and pipes get results and errors, nothing else.
  return racksim::run_cli(args, std::cout, std::cerr, isatty(STDERR_FILENO) ? &std::cerr : nullptr);
}
