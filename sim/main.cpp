// racksim: the command-line entry point. Everything is in sim/cli.cpp.
#include "sim/cli.hpp"

#include <iostream>

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return racksim::run_cli(args, std::cout, std::cerr);
}
